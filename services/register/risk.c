/* risk.c: risk register domain rules; pure functions over the protobuf structs, no I/O. */
#include "risk.h"
#include "rl_check.h"
#include "rl_criteria.h"
#include "rl_json.h"
#include "rl_limits.h"
#include "rl_time.h"

#include <stdio.h>
#include <string.h>

const char *const risk_diff_skip[] = {"id", "version", "created_at_ms", "created_by", "updated_at_ms",
                                      "updated_by", "inherent_score", "inherent_level", "residual_score",
                                      "residual_level", "within_appetite", NULL};

void risk_criteria_defaults(risk_criteria_t *c) { rl_criteria_defaults(c); }

rl_err_t risk_criteria_validate(const risk_criteria_t *c, rl_error_t *err)
{
    if (c->likelihood_levels < 3 || c->likelihood_levels > 10)
        return rl_error_set(err, RL_ERR_INVALID, "criteria.likelihood_levels", "must be 3..10, got %u",
                            c->likelihood_levels);
    if (c->impact_levels < 3 || c->impact_levels > 10)
        return rl_error_set(err, RL_ERR_INVALID, "criteria.impact_levels", "must be 3..10, got %u",
                            c->impact_levels);
    uint32_t max = c->likelihood_levels * c->impact_levels;
    if (c->medium_min < 2 || c->medium_min >= c->high_min)
        return rl_error_set(err, RL_ERR_INVALID, "criteria.medium_min",
                            "must be at least 2 and below high_min (%u), got %u", c->high_min, c->medium_min);
    if (c->high_min >= c->critical_min)
        return rl_error_set(err, RL_ERR_INVALID, "criteria.high_min", "must be below critical_min (%u), got %u",
                            c->critical_min, c->high_min);
    if (c->critical_min > max)
        return rl_error_set(err, RL_ERR_INVALID, "criteria.critical_min",
                            "must be at most the largest score %u, got %u", max, c->critical_min);
    if (c->acceptance_max < 1 || c->acceptance_max >= max)
        return rl_error_set(err, RL_ERR_INVALID, "criteria.acceptance_max", "must be 1..%u, got %u", max - 1,
                            c->acceptance_max);
    const uint32_t days[] = {c->review_days_low, c->review_days_medium, c->review_days_high,
                             c->review_days_critical};
    const char *names[] = {"criteria.review_days_low", "criteria.review_days_medium",
                           "criteria.review_days_high", "criteria.review_days_critical"};
    for (int i = 0; i < 4; i++) {
        if (days[i] < 1 || days[i] > 1095)
            return rl_error_set(err, RL_ERR_INVALID, names[i], "must be 1..1095 days, got %u", days[i]);
        if (i > 0 && days[i] > days[i - 1])
            return rl_error_set(err, RL_ERR_INVALID, names[i],
                                "a higher level may not be reviewed less often than a lower one (%u > %u)",
                                days[i], days[i - 1]);
    }
    return RL_OK;
}

uint32_t risk_score(const risk_rating_t *r)
{
    return r ? r->likelihood * r->impact : 0;
}

risk_level_t risk_level(uint32_t score, const risk_criteria_t *c)
{
    if (score == 0)
        return RISKLINE__V1__LEVEL__LEVEL_UNSPECIFIED;
    if (score >= c->critical_min)
        return RISKLINE__V1__LEVEL__LEVEL_CRITICAL;
    if (score >= c->high_min)
        return RISKLINE__V1__LEVEL__LEVEL_HIGH;
    if (score >= c->medium_min)
        return RISKLINE__V1__LEVEL__LEVEL_MEDIUM;
    return RISKLINE__V1__LEVEL__LEVEL_LOW;
}

uint32_t risk_review_days(risk_level_t level, const risk_criteria_t *c)
{
    switch (level) {
    case RISKLINE__V1__LEVEL__LEVEL_CRITICAL: return c->review_days_critical;
    case RISKLINE__V1__LEVEL__LEVEL_HIGH: return c->review_days_high;
    case RISKLINE__V1__LEVEL__LEVEL_MEDIUM: return c->review_days_medium;
    default: return c->review_days_low;
    }
}

uint32_t risk_current_score(const risk_t *r)
{
    uint32_t residual = risk_score(r->residual);
    return residual ? residual : risk_score(r->inherent);
}

rl_err_t risk_validate(const risk_t *r, const risk_criteria_t *c, rl_error_t *err)
{
    rl_err_t rc;
    if ((rc = rl_check_text(r->title, 1, RL_MAX_TITLE, 0, "risk.title", err)) ||
        (rc = rl_check_text(r->description, 0, RL_MAX_DESCRIPTION, 1, "risk.description", err)) ||
        (rc = rl_check_text(r->category, 0, RL_MAX_CATEGORY, 0, "risk.category", err)) ||
        (rc = rl_check_text(r->threat, 0, RL_MAX_TEXT, 1, "risk.threat", err)) ||
        (rc = rl_check_text(r->vulnerability, 0, RL_MAX_TEXT, 1, "risk.vulnerability", err)) ||
        (rc = rl_check_text(r->owner, 1, RL_MAX_NAME, 0, "risk.owner", err)))
        return rc;
    if (r->n_assets > RL_MAX_ASSETS)
        return rl_error_set(err, RL_ERR_INVALID, "risk.assets", "has %zu entries, over the limit of %d",
                            r->n_assets, RL_MAX_ASSETS);
    for (size_t i = 0; i < r->n_assets; i++) {
        char field[48];
        snprintf(field, sizeof field, "risk.assets[%zu]", i);
        if ((rc = rl_check_text(r->assets[i], 1, RL_MAX_NAME, 0, field, err)))
            return rc;
    }
    if ((rc = rl_check_rating(r->inherent, 1, c, "risk.inherent", err)) ||
        (rc = rl_check_rating(r->residual, 0, c, "risk.residual", err)) ||
        (rc = rl_check_rating(r->target, 0, c, "risk.target", err)))
        return rc;
    if (!protobuf_c_enum_descriptor_get_value(&riskline__v1__treatment__descriptor, (int)r->treatment))
        return rl_error_set(err, RL_ERR_INVALID, "risk.treatment", "unknown treatment %d", (int)r->treatment);
    if (!protobuf_c_enum_descriptor_get_value(&riskline__v1__risk_status__descriptor, (int)r->status))
        return rl_error_set(err, RL_ERR_INVALID, "risk.status", "unknown status %d", (int)r->status);
    if (r->review_interval_days > 1095)
        return rl_error_set(err, RL_ERR_INVALID, "risk.review_interval_days", "must be 0..1095, got %u",
                            r->review_interval_days);
    int64_t day;
    if (r->next_review && r->next_review[0] && (rl_date_parse(r->next_review, &day) != 0 || day < 0))
        return rl_error_set(err, RL_ERR_INVALID, "risk.next_review", "must be a date YYYY-MM-DD from 1970 on");
    return RL_OK;
}

rl_err_t risk_validate_reason(const char *reason, rl_error_t *err)
{
    return rl_check_text(reason, 0, RL_MAX_TEXT, 1, "reason", err);
}

void risk_derive(risk_t *r, const risk_criteria_t *c)
{
    r->inherent_score = risk_score(r->inherent);
    r->inherent_level = risk_level(r->inherent_score, c);
    r->residual_score = risk_score(r->residual);
    r->residual_level = risk_level(r->residual_score, c);
    r->within_appetite = risk_current_score(r) <= c->acceptance_max;
}

void risk_schedule_review(risk_t *r, const risk_criteria_t *c, int64_t today_days, int reschedule,
                          rl_arena_t *arena)
{
    if (!reschedule && r->next_review && r->next_review[0])
        return;
    uint32_t days = r->review_interval_days
                        ? r->review_interval_days
                        : risk_review_days(risk_level(risk_current_score(r), c), c);
    char buf[RL_DATE_LEN];
    r->next_review = rl_arena_strdup(arena, rl_date_format(today_days + days, buf));
}

int risk_treatment_parse(const char *s)
{
    return rl_treatment_parse(s);
}

int risk_status_parse(const char *s)
{
    int v = rl_json_enum_value(&riskline__v1__risk_status__descriptor, s);
    return v > 0 ? v : -1;
}

int risk_level_parse(const char *s)
{
    int v = rl_json_enum_value(&riskline__v1__level__descriptor, s);
    return v > 0 ? v : -1;
}

static risk_rating_t *copy_rating(const risk_rating_t *r, rl_arena_t *a)
{
    if (!r)
        return NULL;
    risk_rating_t *c = rl_arena_alloc(a, sizeof *c);
    if (c) {
        riskline__v1__rating__init(c);
        c->likelihood = r->likelihood;
        c->impact = r->impact;
    }
    return c;
}

static int rating_eq(const risk_rating_t *a, const risk_rating_t *b)
{
    return (a ? a->likelihood : 0) == (b ? b->likelihood : 0) && (a ? a->impact : 0) == (b ? b->impact : 0);
}

rl_err_t risk_apply_patch(risk_t *dst, const risk_t *p, char *const *mask, size_t nmask, rl_arena_t *a,
                          int *ratings_changed, rl_error_t *err)
{
    *ratings_changed = 0;
    if (nmask == 0)
        return rl_error_set(err, RL_ERR_INVALID, "update_mask", "names no field to change");
    if (nmask > RL_MAX_UPDATE_MASK)
        return rl_error_set(err, RL_ERR_INVALID, "update_mask", "has %zu entries, over the limit of %d", nmask,
                            RL_MAX_UPDATE_MASK);
    for (size_t i = 0; i < nmask; i++) {
        const char *f = mask[i];
#define STR(name) else if (strcmp(f, #name) == 0) dst->name = rl_arena_strdup(a, p->name)
#define VAL(name) else if (strcmp(f, #name) == 0) dst->name = p->name
        if (0) {
        }
        STR(title); STR(description); STR(category); STR(threat); STR(vulnerability); STR(owner);
        VAL(confidentiality); VAL(integrity); VAL(availability); VAL(treatment); VAL(status);
        STR(next_review);
        else if (strcmp(f, "review_interval_days") == 0) {
            *ratings_changed |= dst->review_interval_days != p->review_interval_days;
            dst->review_interval_days = p->review_interval_days;
        } else if (strcmp(f, "inherent") == 0 || strcmp(f, "residual") == 0 || strcmp(f, "target") == 0) {
            risk_rating_t **slot = f[0] == 'i' ? &dst->inherent : f[0] == 'r' ? &dst->residual : &dst->target;
            const risk_rating_t *src = f[0] == 'i' ? p->inherent : f[0] == 'r' ? p->residual : p->target;
            *ratings_changed |= !rating_eq(*slot, src);
            *slot = copy_rating(src, a);
        } else if (strcmp(f, "assets") == 0) {
            if (p->n_assets > RL_MAX_ASSETS)
                return rl_error_set(err, RL_ERR_INVALID, "risk.assets", "has %zu entries, over the limit of %d",
                                    p->n_assets, RL_MAX_ASSETS);
            char **list = rl_arena_alloc(a, (p->n_assets + 1) * sizeof *list);
            if (!list)
                return rl_error_set(err, RL_ERR_INTERNAL, "", "out of request memory");
            for (size_t k = 0; k < p->n_assets; k++)
                list[k] = rl_arena_strdup(a, p->assets[k]);
            dst->assets = list;
            dst->n_assets = p->n_assets;
        } else {
            /* the name is not echoed: it is client bytes of unknown content */
            return rl_error_set(err, RL_ERR_INVALID, "update_mask",
                                "entry %zu does not name a field that can be changed", i);
        }
#undef STR
#undef VAL
    }
    return RL_OK;
}

void risk_sanitize(risk_t *r, rl_arena_t *a)
{
    r->base.unknown_fields = NULL;
    r->base.n_unknown_fields = 0;
    r->inherent = copy_rating(r->inherent, a);
    r->residual = copy_rating(r->residual, a);
    r->target = copy_rating(r->target, a);
}

void risk_max_axes(const risk_t *r, uint32_t *max_l, uint32_t *max_i)
{
    const risk_rating_t *rs[] = {r->inherent, r->residual, r->target};
    *max_l = *max_i = 0;
    for (int k = 0; k < 3; k++) {
        if (!rs[k])
            continue;
        if (rs[k]->likelihood > *max_l)
            *max_l = rs[k]->likelihood;
        if (rs[k]->impact > *max_i)
            *max_i = rs[k]->impact;
    }
}

rl_err_t risk_check_owner(const rl_principal_t *p, const char *owner_before, const char *owner_after,
                          rl_error_t *err)
{
    if (p->roles & RL_ROLE_ADMIN)
        return RL_OK;
    if (owner_before && strcmp(owner_before, p->name) != 0)
        return rl_error_set(err, RL_ERR_FORBIDDEN, "owner",
                            "the risk is owned by %.128s; %.128s (risk_owner) changes only its own risks", owner_before,
                            p->name);
    if (!owner_after || strcmp(owner_after, p->name) != 0)
        return rl_error_set(err, RL_ERR_FORBIDDEN, "owner",
                            "%.128s (risk_owner) may %s only risks it owns (owner %.128s); an admin assigns "
                            "risks to others", p->name, owner_before ? "change" : "create", p->name);
    return RL_OK;
}

int risk_follow_plan(risk_t *r, const char *kind, const Riskline__V1__Plan *plan, int residual_accepted)
{
    Riskline__V1__RiskStatus st = r->status, want = st;
    int changed = 0;
    if (!strcmp(kind, "plan.created") || !strcmp(kind, "plan.submit") || !strcmp(kind, "plan.approve")) {
        if (st <= RISKLINE__V1__RISK_STATUS__RISK_STATUS_ASSESSED)
            want = RISKLINE__V1__RISK_STATUS__RISK_STATUS_TREATMENT_PLANNED;
        if (plan && r->treatment == RISKLINE__V1__TREATMENT__TREATMENT_UNSPECIFIED && plan->option) {
            r->treatment = plan->option;
            changed = 1;
        }
    } else if (!strcmp(kind, "plan.start")) {
        if (st <= RISKLINE__V1__RISK_STATUS__RISK_STATUS_TREATMENT_PLANNED)
            want = RISKLINE__V1__RISK_STATUS__RISK_STATUS_IN_TREATMENT;
    } else if (!strcmp(kind, "plan.verify")) {
        if (plan && plan->verification && plan->verification->effective) {
            if (st <= RISKLINE__V1__RISK_STATUS__RISK_STATUS_IN_TREATMENT)
                want = RISKLINE__V1__RISK_STATUS__RISK_STATUS_TREATED;
            const Riskline__V1__Rating *e = plan->expected_residual;
            if (e && e->likelihood && e->impact && r->residual &&
                (r->residual->likelihood != e->likelihood || r->residual->impact != e->impact)) {
                r->residual->likelihood = e->likelihood;
                r->residual->impact = e->impact;
                changed = 1;
            }
        }
    } else if ((!strcmp(kind, "plan.close") && plan && plan->acceptance) ||
               (!strcmp(kind, "acceptance.recorded") && residual_accepted)) {
        if (st != RISKLINE__V1__RISK_STATUS__RISK_STATUS_CLOSED)
            want = RISKLINE__V1__RISK_STATUS__RISK_STATUS_ACCEPTED;
    }
    if (want != st) {
        r->status = want;
        changed = 1;
    }
    return changed;
}

int risk_follow_alert(risk_t *r, const char *alert_kind, int64_t today_days, uint32_t pull_days, rl_arena_t *arena)
{
    if (!strcmp(alert_kind, "acceptance_expired")) {
        if (r->status != RISKLINE__V1__RISK_STATUS__RISK_STATUS_ACCEPTED)
            return 0;
        r->status = RISKLINE__V1__RISK_STATUS__RISK_STATUS_ASSESSED;
        return 1;
    }
    if (!strcmp(alert_kind, "reassessment")) {
        int64_t cur = 0, want = today_days + (int64_t)pull_days;
        if (r->next_review && r->next_review[0] && rl_date_parse(r->next_review, &cur) == 0 && cur <= want)
            return 0;
        char buf[RL_DATE_LEN];
        char *d = rl_arena_strdup(arena, rl_date_format(want, buf));
        if (!d)
            return 0;
        r->next_review = d;
        return 1;
    }
    return 0;
}

/* --- risk list filters --- */

rl_err_t risk_list_check(const Riskline__V1__RiskList *q, int64_t *before_day, rl_error_t *err)
{
    if (q->limit > RL_MAX_PAGE)
        return rl_error_set(err, RL_ERR_INVALID, "limit", "must be 1..%d, got %u", RL_MAX_PAGE, q->limit);
    if (q->owner && strlen(q->owner) > RL_MAX_NAME)
        return rl_error_set(err, RL_ERR_INVALID, "owner", "is over %d bytes", RL_MAX_NAME);
    if (q->category && strlen(q->category) > RL_MAX_CATEGORY)
        return rl_error_set(err, RL_ERR_INVALID, "category", "is over %d bytes", RL_MAX_CATEGORY);
    if (!protobuf_c_enum_descriptor_get_value(&riskline__v1__level__descriptor, (int)q->level))
        return rl_error_set(err, RL_ERR_INVALID, "level", "unknown level %d", (int)q->level);
    if (!protobuf_c_enum_descriptor_get_value(&riskline__v1__risk_status__descriptor, (int)q->status))
        return rl_error_set(err, RL_ERR_INVALID, "status", "unknown status %d", (int)q->status);
    *before_day = -1;
    if (q->review_before && q->review_before[0] && rl_date_parse(q->review_before, before_day) != 0)
        return rl_error_set(err, RL_ERR_INVALID, "review_before", "must be a date YYYY-MM-DD");
    if (q->sort > RISKLINE__V1__RISK_SORT__RISK_SORT_REVIEW)
        return rl_error_set(err, RL_ERR_INVALID, "sort", "unknown sort %d", (int)q->sort);
    return RL_OK;
}

int risk_list_match(const risk_t *r, const Riskline__V1__RiskList *q, int64_t before_day)
{
    if (q->owner && q->owner[0] && strcmp(q->owner, r->owner ? r->owner : "") != 0)
        return 0;
    if (q->category && q->category[0] && strcmp(q->category, r->category ? r->category : "") != 0)
        return 0;
    if (q->status && r->status != q->status)
        return 0;
    if (q->level && r->inherent_level != q->level)
        return 0;
    if (before_day >= 0) {
        int64_t d;
        if (!r->next_review || rl_date_parse(r->next_review, &d) != 0 || d >= before_day)
            return 0;
    }
    return 1;
}
