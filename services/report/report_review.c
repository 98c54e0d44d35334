/* report_review.c: the management review pack's figures and rows from events, plans, metrics,
 * risk events and acceptances (see report_review.h). */
#include "report_review.h"
#include "measure.h"
#include "plan.h"
#include "report.h"
#include "report_plan.h"
#include "risk.h"
#include "rl_codec.h"
#include "rl_limits.h"
#include "rl_time.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The level of rating JSON {"likelihood":L,"impact":I} under c; 0 when it is not one. */
static int json_level(const char *s, const Riskline__V1__Criteria *c)
{
    cJSON *j = s && s[0] ? cJSON_Parse(s) : NULL;
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(j, "likelihood"), *i = cJSON_GetObjectItemCaseSensitive(j, "impact");
    int level = 0;
    if (cJSON_IsNumber(l) && cJSON_IsNumber(i) && l->valuedouble >= 0 && i->valuedouble >= 0 &&
        l->valuedouble <= 100 && i->valuedouble <= 100)
        level = (int)risk_level((uint32_t)l->valuedouble * (uint32_t)i->valuedouble, c);
    cJSON_Delete(j);
    return level;
}

static int rating_level(const Riskline__V1__Rating *r, const Riskline__V1__Criteria *c)
{
    return r ? (int)risk_level(risk_score(r), c) : 0;
}

report_risk_change_t report_review_risk_change(const Riskline__V1__DomainEvent *ev, const Riskline__V1__Criteria *c,
                                               rl_arena_t *arena, report_risk_delta_t *d)
{
    memset(d, 0, sizeof *d);
    const char *k = ev->kind ? ev->kind : "";
    if (!strcmp(k, "acceptance.recorded"))
        return d->kind = REVIEW_ACCEPTED;
    if (strcmp(k, "risk.created") && strcmp(k, "risk.updated") && strcmp(k, "risk.archived"))
        return REVIEW_NONE;
    Riskline__V1__Risk *r = ev->entity.len ? rl_codec_unpack(&riskline__v1__risk__descriptor, ev->entity.data,
                                                              ev->entity.len, RL_MAX_FRAME_BYTES, arena)
                                           : NULL;
    if (r) {
        d->inherent_after = d->inherent_before = rating_level(r->inherent, c);
        d->residual_after = d->residual_before = rating_level(r->residual, c);
    }
    if (!strcmp(k, "risk.created")) {
        d->inherent_before = d->residual_before = 0;
        return d->kind = REVIEW_CREATED;
    }
    if (!strcmp(k, "risk.archived"))
        return d->kind = REVIEW_ARCHIVED;
    int rerated = 0;
    for (size_t i = 0; i < ev->n_changes; i++) {
        const Riskline__V1__FieldChange *ch = ev->changes[i];
        int inherent = !strcmp(ch->field, "inherent"), residual = !strcmp(ch->field, "residual");
        if (!inherent && !residual)
            continue;
        rerated = 1;
        /* the event's own from/to, so that an event without its entity still says both */
        if (inherent) {
            d->inherent_before = json_level(ch->from, c);
            d->inherent_after = json_level(ch->to, c);
        } else {
            d->residual_before = json_level(ch->from, c);
            d->residual_after = json_level(ch->to, c);
        }
    }
    return rerated ? (d->kind = REVIEW_RERATED) : REVIEW_NONE;
}

int report_review_state_change(const Riskline__V1__DomainEvent *ev, const char **from, const char **to)
{
    if (!ev->entity_type || strcmp(ev->entity_type, "plan") != 0)
        return 0;
    for (size_t i = 0; i < ev->n_changes; i++)
        if (!strcmp(ev->changes[i]->field, "state")) {
            *from = ev->changes[i]->from;
            *to = ev->changes[i]->to;
            return 1;
        }
    return 0;
}

void report_review_count(report_review_counts_t *n, const Riskline__V1__DomainEvent *ev,
                         const Riskline__V1__Criteria *c, rl_arena_t *arena)
{
    report_risk_delta_t d;
    const char *from, *to;
    n->events++;
    switch (report_review_risk_change(ev, c, arena, &d)) {
    case REVIEW_CREATED: n->risks_created++; break;
    case REVIEW_RERATED: n->risks_rerated++; break;
    case REVIEW_ARCHIVED: n->risks_archived++; break;
    case REVIEW_ACCEPTED: n->risks_accepted++; break;
    case REVIEW_NONE: break;
    }
    if (ev->kind && !strcmp(ev->kind, "plan.created"))
        n->plans_created++;
    if (report_review_state_change(ev, &from, &to))
        n->plan_state_changes++;
}

const render_col_t report_review_risk_cols[REPORT_REVIEW_RISK_NCOLS] = {
    {"at", "When", RENDER_TEXT},
    {"risk", "Risk", RENDER_TEXT},
    {"change", "Change", RENDER_TEXT},
    {"inherent_before", "Inherent before", RENDER_LEVEL},
    {"inherent_after", "Inherent after", RENDER_LEVEL},
    {"residual_before", "Residual before", RENDER_LEVEL},
    {"residual_after", "Residual after", RENDER_LEVEL},
    {"actor", "Who", RENDER_TEXT},
    {"details", "Details", RENDER_TEXT},
};

int report_review_risk_cells(const Riskline__V1__DomainEvent *ev, const report_risk_delta_t *d, rl_arena_t *a,
                             const char *cells[REPORT_REVIEW_RISK_NCOLS])
{
    static const char *const kinds[] = {"", "created", "re-rated", "archived", "accepted"};
    size_t k = 0;
    cells[k++] = report_time(a, ev->at_ms);
    cells[k++] = ev->entity_id;
    cells[k++] = kinds[d->kind];
    cells[k++] = report_level_name(d->inherent_before);
    cells[k++] = report_level_name(d->inherent_after);
    cells[k++] = report_level_name(d->residual_before);
    cells[k++] = report_level_name(d->residual_after);
    cells[k++] = ev->actor;
    cells[k++] = ev->comment && ev->comment[0] ? ev->comment : report_changes(a, ev);
    return report_cells_ok(cells, k);
}

const render_col_t report_review_state_cols[REPORT_REVIEW_STATE_NCOLS] = {
    {"at", "When", RENDER_TEXT},  {"plan", "Plan", RENDER_TEXT}, {"from", "From", RENDER_TEXT},
    {"to", "To", RENDER_TEXT},    {"event", "Event", RENDER_TEXT}, {"actor", "Who", RENDER_TEXT},
};

int report_review_state_cells(const Riskline__V1__DomainEvent *ev, rl_arena_t *a,
                              const char *cells[REPORT_REVIEW_STATE_NCOLS])
{
    const char *from = "", *to = "";
    report_review_state_change(ev, &from, &to);
    size_t k = 0;
    cells[k++] = report_time(a, ev->at_ms);
    cells[k++] = ev->entity_id;
    cells[k++] = from;
    cells[k++] = to;
    cells[k++] = ev->kind;
    cells[k++] = ev->actor;
    return report_cells_ok(cells, k);
}

int report_review_action_selected(const Riskline__V1__Plan *p, int64_t since_ms)
{
    return plan_state_open(p->state) || p->updated_at_ms >= since_ms;
}

const render_col_t report_review_action_cols[REPORT_REVIEW_ACTION_NCOLS] = {
    {"plan", "Plan", RENDER_TEXT},
    {"risk", "Risk", RENDER_TEXT},
    {"title", "Title", RENDER_TEXT},
    {"treatment_owner", "Treatment owner", RENDER_TEXT},
    {"state", "State", RENDER_TEXT},
    {"progress_pct", "Progress %", RENDER_NUM},
    {"target_date", "Target", RENDER_TEXT},
    {"overdue_milestones", "Overdue milestones", RENDER_NUM},
    {"changed_since_review", "Changed since review", RENDER_TEXT},
    {"updated_at", "Updated", RENDER_TEXT},
};

int report_review_action_cells(const Riskline__V1__Plan *p, int64_t since_ms, int64_t today, rl_arena_t *a,
                               const char *cells[REPORT_REVIEW_ACTION_NCOLS])
{
    uint32_t overdue = 0;
    for (size_t i = 0; plan_state_open(p->state) && i < p->n_milestones; i++)
        overdue += report_milestone_overdue(p->milestones[i], today) != 0;
    size_t k = 0;
    cells[k++] = p->id;
    cells[k++] = p->risk_id;
    cells[k++] = p->title;
    cells[k++] = p->treatment_owner;
    cells[k++] = report_enum(a, &riskline__v1__plan_state__descriptor, p->state);
    cells[k++] = report_uint(a, p->progress_pct, 0);
    cells[k++] = p->target_date;
    cells[k++] = report_uint(a, overdue, 0);
    cells[k++] = p->updated_at_ms >= since_ms ? "yes" : "no";
    cells[k++] = report_time(a, p->updated_at_ms);
    return report_cells_ok(cells, k);
}

const char *report_metric_status(const Riskline__V1__Metric *m)
{
    if (m->last_at_ms <= 0)
        return "not measured";
    switch (measure_level(m, m->last_value)) {
    case MEASURE_OK: return "ok";
    case MEASURE_WARNING: return "warning";
    default: return "breach";
    }
}

const render_col_t report_review_metric_cols[REPORT_REVIEW_METRIC_NCOLS] = {
    {"metric", "Metric", RENDER_TEXT},   {"name", "Name", RENDER_TEXT},
    {"measures", "Measures", RENDER_TEXT}, {"owner", "Owner", RENDER_TEXT},
    {"target", "Target", RENDER_NUM},    {"last_value", "Latest result", RENDER_NUM},
    {"last_at", "Measured", RENDER_TEXT}, {"frequency_days", "Every (days)", RENDER_NUM},
    {"status", "Status", RENDER_TEXT},
};

int report_review_metric_cells(const Riskline__V1__Metric *m, rl_arena_t *a,
                               const char *cells[REPORT_REVIEW_METRIC_NCOLS])
{
    size_t k = 0;
    cells[k++] = m->id;
    cells[k++] = m->name;
    cells[k++] = m->control_id && m->control_id[0] ? m->control_id : m->risk_id;
    cells[k++] = m->owner;
    cells[k++] = rl_arena_printf(a, "%.15g", m->target);
    cells[k++] = m->last_at_ms > 0 ? rl_arena_printf(a, "%.15g", m->last_value) : "";
    cells[k++] = report_time(a, m->last_at_ms);
    cells[k++] = report_uint(a, m->frequency_days, 1);
    cells[k++] = report_metric_status(m);
    return report_cells_ok(cells, k);
}

int report_review_is_nc(const Riskline__V1__RiskEvent *e)
{
    return e->kind == RISKLINE__V1__EVENT_KIND__EVENT_KIND_AUDIT_FINDING ||
           e->kind == RISKLINE__V1__EVENT_KIND__EVENT_KIND_NONCONFORMITY;
}

const render_col_t report_review_nc_cols[REPORT_REVIEW_NC_NCOLS] = {
    {"occurred_at", "Occurred", RENDER_TEXT}, {"source", "Source", RENDER_TEXT},
    {"event_id", "Event", RENDER_TEXT},       {"kind", "Kind", RENDER_TEXT},
    {"severity", "Severity", RENDER_TEXT},    {"summary", "Summary", RENDER_TEXT},
    {"risks", "Risks", RENDER_TEXT},          {"controls", "Controls", RENDER_TEXT},
    {"received_at", "Received", RENDER_TEXT},
};

int report_review_nc_cells(const Riskline__V1__RiskEvent *e, rl_arena_t *a, const char *cells[REPORT_REVIEW_NC_NCOLS])
{
    size_t k = 0;
    cells[k++] = report_time(a, e->occurred_at_ms);
    cells[k++] = e->source;
    cells[k++] = e->event_id;
    cells[k++] = report_enum(a, &riskline__v1__event_kind__descriptor, e->kind);
    cells[k++] = report_enum(a, &riskline__v1__severity__descriptor, e->severity);
    cells[k++] = e->summary;
    cells[k++] = e->n_linked_risks ? report_join(a, e->linked_risks, e->n_linked_risks, " ")
                                   : report_join(a, e->risk_ids, e->n_risk_ids, " ");
    cells[k++] = report_join(a, e->controls, e->n_controls, " ");
    cells[k++] = report_time(a, e->received_at_ms);
    return report_cells_ok(cells, k);
}

const render_col_t report_review_accept_cols[REPORT_REVIEW_ACCEPT_NCOLS] = {
    {"risk", "Risk", RENDER_TEXT},          {"plan", "Plan", RENDER_TEXT},
    {"accepted_by", "Accepted by", RENDER_TEXT}, {"expires", "Expires", RENDER_TEXT},
    {"days_left", "Days left", RENDER_NUM}, {"score", "Score", RENDER_NUM},
    {"above_appetite", "Above appetite", RENDER_TEXT}, {"approver", "Approver", RENDER_TEXT},
    {"justification", "Justification", RENDER_TEXT},
};

int report_review_accept_cells(const Riskline__V1__Acceptance *ac, int64_t today, rl_arena_t *a,
                               const char *cells[REPORT_REVIEW_ACCEPT_NCOLS])
{
    int64_t day = 0;
    int dated = rl_date_parse(ac->expires, &day) == 0;
    size_t k = 0;
    cells[k++] = ac->risk_id;
    cells[k++] = ac->plan_id;
    cells[k++] = ac->accepted_by;
    cells[k++] = ac->expires;
    cells[k++] = dated ? rl_arena_printf(a, "%" PRId64, day - today) : "";
    cells[k++] = report_uint(a, ac->score, 1);
    cells[k++] = ac->above_appetite ? "yes" : "no";
    cells[k++] = ac->approver;
    cells[k++] = ac->justification;
    return report_cells_ok(cells, k);
}
