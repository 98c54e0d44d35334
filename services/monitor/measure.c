/* measure.c: measurement of effectiveness (ISO/IEC 27001 9.1): metric checks, where a result stands
 * against its thresholds, a control's effectiveness from its weighted metrics, overdue metrics; pure. */
#include "measure.h"
#include "rl_check.h"
#include "rl_ids.h"
#include "rl_limits.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define DIR(x) RISKLINE__V1__METRIC_DIRECTION__METRIC_DIRECTION_##x
#define EF(x) RISKLINE__V1__EFFECTIVENESS__EFFECTIVENESS_##x

#define DAY_MS 86400000LL
#define MAX_FREQUENCY_DAYS 366
#define MAX_WEIGHT 100

static const char *str(const char *s)
{
    return s ? s : "";
}

/* --- validation -------------------------------------------------------------------------------- */

/* Strict decimal 1..max with no sign or leading zero, the whole of s. */
static int small_number(const char *s, unsigned max)
{
    unsigned v = 0;
    if (s[0] < '1' || s[0] > '9')
        return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        v = v * 10 + (unsigned)(*s - '0');
        if (v > max)
            return 0;
    }
    return 1;
}

/* "A.5.1".."A.8.34" (Annex A 2022: 5.1-5.37, 6.1-6.8, 7.1-7.14, 8.1-8.34) or "C-<n>". */
static int control_id_valid(const char *s)
{
    static const unsigned per_theme[] = {37, 8, 14, 34}; /* themes 5, 6, 7, 8 */
    uint64_t n;
    if (rl_entity_id_parse("C", s, &n) == 0)
        return 1;
    if (strncmp(s, "A.", 2) != 0 || s[2] < '5' || s[2] > '8' || s[3] != '.')
        return 0;
    return small_number(s + 4, per_theme[s[2] - '5']);
}

static rl_err_t check_subject(const metric_t *m, rl_error_t *err)
{
    int has_control = str(m->control_id)[0] != '\0', has_risk = str(m->risk_id)[0] != '\0';
    uint64_t n;
    if (!has_control && !has_risk)
        return rl_error_set(err, RL_ERR_INVALID, "metric.control_id",
                            "is required: a metric measures a control (control_id) or a risk (risk_id)");
    if (has_control && has_risk)
        return rl_error_set(err, RL_ERR_INVALID, "metric.risk_id",
                            "must be empty when control_id is set: a metric measures one control or one risk");
    if (has_control && (strlen(m->control_id) > RL_MAX_ENTITY_ID || !control_id_valid(m->control_id)))
        return rl_error_set(err, RL_ERR_INVALID, "metric.control_id",
                            "must be an Annex A control A.5.1..A.8.34 or an own control C-<n>");
    if (has_risk && rl_entity_id_parse("R", m->risk_id, &n) != 0)
        return rl_error_set(err, RL_ERR_INVALID, "metric.risk_id", "must be a risk id R-<n>");
    return RL_OK;
}

/* Target, warning and breach finite and ordered by direction. */
static rl_err_t check_thresholds(const metric_t *m, rl_error_t *err)
{
    if (m->direction != DIR(HIGHER_IS_BETTER) && m->direction != DIR(LOWER_IS_BETTER))
        return rl_error_set(err, RL_ERR_INVALID, "metric.direction",
                            "must be higher_is_better or lower_is_better, got %d", (int)m->direction);
    if (!isfinite(m->target))
        return rl_error_set(err, RL_ERR_INVALID, "metric.target", "must be a finite number");
    if (!isfinite(m->warning))
        return rl_error_set(err, RL_ERR_INVALID, "metric.warning", "must be a finite number");
    if (!isfinite(m->breach))
        return rl_error_set(err, RL_ERR_INVALID, "metric.breach", "must be a finite number");
    if (m->direction == DIR(HIGHER_IS_BETTER)) {
        if (m->warning > m->target)
            return rl_error_set(err, RL_ERR_INVALID, "metric.warning",
                                "must be at or below the target %g when higher is better, got %g", m->target,
                                m->warning);
        if (m->breach > m->warning)
            return rl_error_set(err, RL_ERR_INVALID, "metric.breach",
                                "must be at or below the warning %g when higher is better, got %g", m->warning,
                                m->breach);
    } else {
        if (m->warning < m->target)
            return rl_error_set(err, RL_ERR_INVALID, "metric.warning",
                                "must be at or above the target %g when lower is better, got %g", m->target,
                                m->warning);
        if (m->breach < m->warning)
            return rl_error_set(err, RL_ERR_INVALID, "metric.breach",
                                "must be at or above the warning %g when lower is better, got %g", m->warning,
                                m->breach);
    }
    return RL_OK;
}

rl_err_t measure_validate(const metric_t *m, rl_error_t *err)
{
    rl_err_t rc;
    if (!m)
        return rl_error_set(err, RL_ERR_INVALID, "metric", "is required");
    if ((rc = rl_check_text(m->name, 1, RL_MAX_TITLE, 0, "metric.name", err)) || (rc = check_subject(m, err)) ||
        (rc = rl_check_text(m->method, 0, RL_MAX_TEXT, 1, "metric.method", err)))
        return rc;
    if (m->frequency_days < 1 || m->frequency_days > MAX_FREQUENCY_DAYS)
        return rl_error_set(err, RL_ERR_INVALID, "metric.frequency_days", "must be 1..%d days, got %u",
                            MAX_FREQUENCY_DAYS, m->frequency_days);
    if ((rc = check_thresholds(m, err)) || (rc = rl_check_text(m->owner, 1, RL_MAX_NAME, 0, "metric.owner", err)))
        return rc;
    if (m->weight > MAX_WEIGHT)
        return rl_error_set(err, RL_ERR_INVALID, "metric.weight", "must be 0..%d (0 counts as 1), got %u",
                            MAX_WEIGHT, m->weight);
    return RL_OK;
}

/* --- levels and effectiveness ------------------------------------------------------------------ */

measure_level_t measure_level(const metric_t *m, double value)
{
    if (isnan(value))
        return MEASURE_BREACH;
    if (m->direction == DIR(LOWER_IS_BETTER)) {
        if (value >= m->breach)
            return MEASURE_BREACH;
        return value >= m->warning ? MEASURE_WARNING : MEASURE_OK;
    }
    if (value <= m->breach)
        return MEASURE_BREACH;
    return value <= m->warning ? MEASURE_WARNING : MEASURE_OK;
}

/* 1 when `at` lies more than span_ms before now (no overflow for any pair of values). */
static int older_than(int64_t at, int64_t now_ms, int64_t span_ms)
{
    return now_ms > at && (uint64_t)now_ms - (uint64_t)at > (uint64_t)span_ms;
}

/* The frequency in ms (a stored 0 counts as 1 day). */
static int64_t frequency_ms(const metric_t *m)
{
    return (int64_t)(m->frequency_days ? m->frequency_days : 1) * DAY_MS;
}

/* 1 when m has a result that is not older than 2 x its frequency. */
static int measured(const metric_t *m, int64_t now_ms)
{
    return m->last_at_ms > 0 && !older_than(m->last_at_ms, now_ms, 2 * frequency_ms(m));
}

Riskline__V1__Effectiveness measure_control(const metric_t *const *metrics, size_t n, int64_t now_ms)
{
    uint64_t total = 0, ok = 0, breach = 0;
    int any = 0;
    for (size_t i = 0; metrics && i < n; i++) {
        const metric_t *m = metrics[i];
        if (!m)
            continue;
        uint64_t w = m->weight ? m->weight : 1;
        total += w;
        if (!measured(m, now_ms))
            continue;
        any = 1;
        measure_level_t level = measure_level(m, m->last_value);
        ok += level == MEASURE_OK ? w : 0;
        breach += level == MEASURE_BREACH ? w : 0;
    }
    if (!any)
        return EF(NOT_MEASURED);
    if (ok * 100 >= total * 80)
        return EF(EFFECTIVE);
    if (breach * 100 >= total * 50)
        return EF(INEFFECTIVE);
    return EF(PARTIALLY_EFFECTIVE);
}

int measure_overdue(const metric_t *m, int64_t created_at_ms, int64_t now_ms)
{
    int64_t since = m->last_at_ms > 0 ? m->last_at_ms : created_at_ms;
    return older_than(since, now_ms, frequency_ms(m));
}

/* --- control tests ----------------------------------------------------------------------------- */

static int holds_pass_rate(const metric_t *m)
{
    return m->direction == DIR(HIGHER_IS_BETTER) && m->target >= 0 && m->target <= 100 && m->warning >= 0 &&
           m->warning <= 100 && m->breach >= 0 && m->breach <= 100;
}

size_t measure_control_test_targets(const char *named, char *const *controls, size_t ncontrols, metric_t *const *all,
                                    size_t n, size_t *out, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < max; i++) {
        const metric_t *m = all[i];
        if (!m)
            continue;
        if (named && named[0]) {
            if (m->id && !strcmp(m->id, named))
                out[k++] = i;
            continue;
        }
        int tested = 0;
        for (size_t c = 0; c < ncontrols && !tested; c++)
            tested = controls[c] && m->control_id && m->control_id[0] && !strcmp(m->control_id, controls[c]);
        if (tested && holds_pass_rate(m))
            out[k++] = i;
    }
    return k;
}
