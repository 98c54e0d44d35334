/* alert.c: alerts (acknowledge, resolve, auto-resolve) and the schedule rules that raise and resolve
 * them (milestones, plans, reviews, acceptances); pure, today and now passed in. */
#include "alert.h"
#include "rl_json.h"
#include "rl_time.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define AS(x) RISKLINE__V1__ALERT_STATE__ALERT_STATE_##x
#define SEV(x) RISKLINE__V1__SEVERITY__SEVERITY_##x
#define ST(x) RISKLINE__V1__PLAN_STATE__PLAN_STATE_##x
#define MS(x) RISKLINE__V1__MILESTONE_STATUS__MILESTONE_STATUS_##x

#define DAY_MS 86400000LL
/* Day numbers are clamped to about +-270,000 years, so that no difference of two overflows. */
#define DAY_LIMIT 100000000LL

static const char *str(const char *s)
{
    return s ? s : "";
}

static const char *state_name(Riskline__V1__AlertState s, char *buf, size_t size)
{
    return rl_json_enum_name(&riskline__v1__alert_state__descriptor, (int)s, buf, size);
}

/* --- alert changes ----------------------------------------------------------------------------- */

rl_err_t alert_change(alert_t *a, Riskline__V1__AlertState to, const rl_principal_t *who, int64_t now_ms,
                      rl_arena_t *arena, rl_error_t *err)
{
    char cur[24], want[24];
    if (to != AS(ACKNOWLEDGED) && to != AS(RESOLVED))
        return rl_error_set(err, RL_ERR_INVALID, "state", "must be acknowledged or resolved, got %s",
                            state_name(to, want, sizeof want));
    int allowed = to == AS(ACKNOWLEDGED) ? a->state == AS(OPEN)
                                         : a->state == AS(OPEN) || a->state == AS(ACKNOWLEDGED);
    if (!allowed)
        return rl_error_set(err, RL_ERR_CONFLICT, "state", "alert %.32s is %s; %s needs %s", str(a->id),
                            state_name(a->state, cur, sizeof cur),
                            to == AS(ACKNOWLEDGED) ? "acknowledge" : "resolve",
                            to == AS(ACKNOWLEDGED) ? "open" : "open or acknowledged");
    char *name = rl_arena_strdup(arena, who ? who->name : "");
    if (!name)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
    if (to == AS(ACKNOWLEDGED)) {
        a->acknowledged_at_ms = now_ms;
        a->acknowledged_by = name;
    } else {
        a->resolved_at_ms = now_ms;
        a->resolved_by = name;
    }
    a->state = to;
    return RL_OK;
}

void alert_auto_resolve(alert_t *a, int64_t now_ms)
{
    if (a->state == AS(RESOLVED))
        return;
    a->state = AS(RESOLVED);
    a->resolved_at_ms = now_ms;
    a->resolved_by = (char *)"monitor";
}

void alert_policy_defaults(alert_policy_t *p)
{
    p->due_soon_days = 7;
    p->acceptance_warn_days = 30;
    p->stalled_days = 30;
}

/* --- findings ---------------------------------------------------------------------------------- */

/* The findings of one rule call: fills out[] up to max, counts what it kept. */
typedef struct {
    alert_finding_t *out;
    size_t max, n;
    rl_arena_t *arena;
    const char *subject;
} found_t;

static void add(found_t *f, const char *kind, Riskline__V1__Severity sev, int active, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void add(found_t *f, const char *kind, Riskline__V1__Severity sev, int active, const char *fmt, ...)
{
    if (f->n >= f->max)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    const char *msg = rl_arena_strdup(f->arena, buf);
    f->out[f->n++] = (alert_finding_t){.kind = kind,
                                       .subject = f->subject,
                                       .severity = sev,
                                       .message = msg ? msg : kind,
                                       .active = active};
}

/* Findings about subject "<id>" or "<id>/<sub>" (sub NULL: the first form). */
static found_t found_init(alert_finding_t *out, size_t max, rl_arena_t *arena, const char *id, const char *sub)
{
    const char *subject = sub ? rl_arena_printf(arena, "%.32s/%.32s", str(id), sub)
                              : rl_arena_printf(arena, "%.32s", str(id));
    return (found_t){.out = out, .max = max, .n = 0, .arena = arena, .subject = subject ? subject : ""};
}

static int64_t clamp_day(int64_t d)
{
    return d > DAY_LIMIT ? DAY_LIMIT : d < -DAY_LIMIT ? -DAY_LIMIT : d;
}

/* "today", "1 day", "3 days" (of a count of days >= 0). */
static const char *days_text(int64_t n, char *buf, size_t size)
{
    if (n == 0)
        snprintf(buf, size, "today");
    else
        snprintf(buf, size, "%lld day%s", (long long)n, n == 1 ? "" : "s");
    return buf;
}

/* A date field as a day number: 1, or 0 when empty or not a date. */
static int parse_day(const char *s, int64_t *day)
{
    return s && s[0] && rl_date_parse(s, day) == 0;
}

/* Open plans alert; closed and cancelled (and unspecified) ones never do. */
static int plan_open(const Riskline__V1__Plan *plan)
{
    return (plan->state >= ST(DRAFT) && plan->state <= ST(VERIFIED)) || plan->state == ST(ON_HOLD);
}

static const char *plan_state_text(const Riskline__V1__Plan *plan, char *buf, size_t size)
{
    return rl_json_enum_name(&riskline__v1__plan_state__descriptor, (int)plan->state, buf, size);
}

/* --- milestones -------------------------------------------------------------------------------- */

size_t alert_rule_milestone(const Riskline__V1__Plan *plan, const Riskline__V1__Milestone *m, int64_t today,
                            const alert_policy_t *p, rl_arena_t *arena, alert_finding_t *out, size_t max)
{
    found_t f = found_init(out, max, arena, plan->id, str(m->id));
    char st[32], date[RL_DATE_LEN], ago[32];
    int64_t due;
    today = clamp_day(today);
    if (!plan_open(plan)) {
        plan_state_text(plan, st, sizeof st);
        add(&f, ALERT_MILESTONE_OVERDUE, SEV(HIGH), 0, "milestone %s: plan %.32s is %s", f.subject, str(plan->id), st);
        add(&f, ALERT_MILESTONE_DUE_SOON, SEV(MEDIUM), 0, "milestone %s: plan %.32s is %s", f.subject,
            str(plan->id), st);
        return f.n;
    }
    if (m->status == MS(DONE) || m->status == MS(WAIVED)) {
        rl_json_enum_name(&riskline__v1__milestone_status__descriptor, (int)m->status, st, sizeof st);
        add(&f, ALERT_MILESTONE_OVERDUE, SEV(HIGH), 0, "milestone %s is %s", f.subject, st);
        add(&f, ALERT_MILESTONE_DUE_SOON, SEV(MEDIUM), 0, "milestone %s is %s", f.subject, st);
        return f.n;
    }
    if (!parse_day(m->due_date, &due)) {
        add(&f, ALERT_MILESTONE_OVERDUE, SEV(HIGH), 0, "milestone %s has no due date", f.subject);
        add(&f, ALERT_MILESTONE_DUE_SOON, SEV(MEDIUM), 0, "milestone %s has no due date", f.subject);
        return f.n;
    }
    rl_date_format(due, date);
    const char *title = str(m->title), *owner = str(m->owner);
    if (due < today) {
        add(&f, ALERT_MILESTONE_OVERDUE, SEV(HIGH), 1, "milestone %s \"%.200s\" (owner %.128s) was due %s: %s overdue",
            f.subject, title, owner, date, days_text(today - due, ago, sizeof ago));
        add(&f, ALERT_MILESTONE_DUE_SOON, SEV(MEDIUM), 0, "milestone %s was due %s: overdue, no longer due soon",
            f.subject, date);
        return f.n;
    }
    add(&f, ALERT_MILESTONE_OVERDUE, SEV(HIGH), 0, "milestone %s is due %s, not overdue", f.subject, date);
    if (due - today <= (int64_t)p->due_soon_days)
        add(&f, ALERT_MILESTONE_DUE_SOON, SEV(MEDIUM), 1, "milestone %s \"%.200s\" (owner %.128s) is due %s%s%s",
            f.subject, title, owner, date, due == today ? ", " : ", in ", days_text(due - today, ago, sizeof ago));
    else
        add(&f, ALERT_MILESTONE_DUE_SOON, SEV(MEDIUM), 0, "milestone %s is due %s, more than %u days ahead",
            f.subject, date, p->due_soon_days);
    return f.n;
}

/* --- plans ------------------------------------------------------------------------------------- */

/* Minor units as "1234.56" (through uint64, so that INT64_MIN has a magnitude too). */
static const char *money_text(int64_t minor, char *buf, size_t size)
{
    uint64_t mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
    snprintf(buf, size, "%s%llu.%02llu", minor < 0 ? "-" : "", (unsigned long long)(mag / 100),
             (unsigned long long)(mag % 100));
    return buf;
}

static void rule_past_target(found_t *f, const Riskline__V1__Plan *plan, int64_t today)
{
    char st[32], date[RL_DATE_LEN], ago[32];
    int64_t target;
    if (!parse_day(plan->target_date, &target)) {
        add(f, ALERT_PLAN_PAST_TARGET, SEV(HIGH), 0, "plan %s has no target date", f->subject);
        return;
    }
    rl_date_format(target, date);
    if (target < today)
        add(f, ALERT_PLAN_PAST_TARGET, SEV(HIGH), 1,
            "plan %s \"%.200s\" (owner %.128s) is %s, %s past its target date %s", f->subject, str(plan->title),
            str(plan->treatment_owner), plan_state_text(plan, st, sizeof st),
            days_text(today - target, ago, sizeof ago), date);
    else
        add(f, ALERT_PLAN_PAST_TARGET, SEV(HIGH), 0, "plan %s is within its target date %s", f->subject, date);
}

static void rule_budget(found_t *f, const Riskline__V1__Plan *plan)
{
    const Riskline__V1__Resources *r = plan->resources;
    const Riskline__V1__Money *b = r ? r->budget : NULL;
    if (!r || !b || !r->over_budget) {
        add(f, ALERT_BUDGET_OVERRUN, SEV(MEDIUM), 0, "plan %s is within its budget", f->subject);
        return;
    }
    char spent[32], budget[32];
    const char *pct = "";
    char pbuf[32];
    if (b->amount_minor > 0) {
        snprintf(pbuf, sizeof pbuf, " (%.0f%%)", (double)r->spent_minor * 100.0 / (double)b->amount_minor);
        pct = pbuf;
    }
    add(f, ALERT_BUDGET_OVERRUN, SEV(MEDIUM), 1, "plan %s has spent %s %.8s of its budget of %s %.8s%s",
        f->subject, money_text(r->spent_minor, spent, sizeof spent), str(b->currency),
        money_text(b->amount_minor, budget, sizeof budget), str(b->currency), pct);
}

static void rule_stalled(found_t *f, const Riskline__V1__Plan *plan, int64_t now_ms, const alert_policy_t *p)
{
    char date[RL_DATE_LEN];
    int64_t changed = plan->updated_at_ms > 0 ? plan->updated_at_ms : plan->created_at_ms;
    if (plan->progress_pct >= 100) {
        add(f, ALERT_PLAN_STALLED, SEV(LOW), 0, "plan %s is at 100%% progress", f->subject);
        return;
    }
    if (changed <= 0) {
        add(f, ALERT_PLAN_STALLED, SEV(LOW), 0, "plan %s has no change time", f->subject);
        return;
    }
    rl_date_format(rl_days_from_ms(changed), date);
    uint64_t span = (uint64_t)p->stalled_days * (uint64_t)DAY_MS;
    if (now_ms > changed && (uint64_t)now_ms - (uint64_t)changed > span)
        add(f, ALERT_PLAN_STALLED, SEV(LOW), 1,
            "plan %s \"%.200s\" (owner %.128s) has not changed since %s, more than %u days ago, at %u%% progress",
            f->subject, str(plan->title), str(plan->treatment_owner), date, p->stalled_days, plan->progress_pct);
    else
        add(f, ALERT_PLAN_STALLED, SEV(LOW), 0, "plan %s changed %s, within %u days", f->subject, date,
            p->stalled_days);
}

size_t alert_rule_plan(const Riskline__V1__Plan *plan, int64_t today, int64_t now_ms, const alert_policy_t *p,
                       rl_arena_t *arena, alert_finding_t *out, size_t max)
{
    found_t f = found_init(out, max, arena, plan->id, NULL);
    today = clamp_day(today);
    if (!plan_open(plan)) {
        char st[32];
        plan_state_text(plan, st, sizeof st);
        add(&f, ALERT_PLAN_PAST_TARGET, SEV(HIGH), 0, "plan %s is %s", f.subject, st);
        add(&f, ALERT_BUDGET_OVERRUN, SEV(MEDIUM), 0, "plan %s is %s", f.subject, st);
        add(&f, ALERT_PLAN_STALLED, SEV(LOW), 0, "plan %s is %s", f.subject, st);
        return f.n;
    }
    rule_past_target(&f, plan, today);
    rule_budget(&f, plan);
    rule_stalled(&f, plan, now_ms, p);
    return f.n;
}

/* --- reviews and acceptances ------------------------------------------------------------------- */

size_t alert_rule_review(const char *risk_id, int64_t next_review_day, int64_t today, rl_arena_t *arena,
                         alert_finding_t *out, size_t max)
{
    found_t f = found_init(out, max, arena, risk_id, NULL);
    char date[RL_DATE_LEN], ago[32];
    today = clamp_day(today);
    next_review_day = clamp_day(next_review_day);
    rl_date_format(next_review_day, date);
    if (next_review_day < today)
        add(&f, ALERT_REVIEW_DUE, SEV(MEDIUM), 1, "risk %s review was due %s, %s ago", f.subject, date,
            days_text(today - next_review_day, ago, sizeof ago));
    else if (next_review_day == today)
        add(&f, ALERT_REVIEW_DUE, SEV(MEDIUM), 1, "risk %s review is due today (%s)", f.subject, date);
    else
        add(&f, ALERT_REVIEW_DUE, SEV(MEDIUM), 0, "risk %s next review is %s", f.subject, date);
    return f.n;
}

size_t alert_rule_acceptance(const char *risk_id, int64_t expires_day, int64_t today, const alert_policy_t *p,
                             rl_arena_t *arena, alert_finding_t *out, size_t max)
{
    found_t f = found_init(out, max, arena, risk_id, NULL);
    char date[RL_DATE_LEN], ago[32];
    today = clamp_day(today);
    expires_day = clamp_day(expires_day);
    rl_date_format(expires_day, date);
    if (expires_day < today) {
        add(&f, ALERT_ACCEPTANCE_EXPIRED, SEV(HIGH), 1,
            "acceptance of risk %s expired %s, %s ago: the risk is open for treatment again", f.subject, date,
            days_text(today - expires_day, ago, sizeof ago));
        add(&f, ALERT_ACCEPTANCE_EXPIRING, SEV(MEDIUM), 0, "acceptance of risk %s has expired (%s)", f.subject,
            date);
        return f.n;
    }
    add(&f, ALERT_ACCEPTANCE_EXPIRED, SEV(HIGH), 0, "acceptance of risk %s runs until %s", f.subject, date);
    if (expires_day - today <= (int64_t)p->acceptance_warn_days)
        add(&f, ALERT_ACCEPTANCE_EXPIRING, SEV(MEDIUM), 1, "acceptance of risk %s expires %s%s%s", f.subject, date,
            expires_day == today ? ", " : ", in ", days_text(expires_day - today, ago, sizeof ago));
    else
        add(&f, ALERT_ACCEPTANCE_EXPIRING, SEV(MEDIUM), 0, "acceptance of risk %s runs until %s, more than %u days ahead",
            f.subject, date, p->acceptance_warn_days);
    return f.n;
}
