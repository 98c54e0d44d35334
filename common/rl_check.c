/* rl_check.c: input checks shared by the domain modules of every service. */
#include "rl_check.h"
#include "rl_ids.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Bytes of a 64-bit word as an event's text is checked a word at a time: every free-text field of
 * every ingested event passes here, and a byte loop was a tenth of the monitor's time per batch. */
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Nonzero when a byte of w is below 0x20 or is 0x7f (exact: a borrow starts only at such a byte). */
static uint64_t word_has_control(uint64_t w)
{
    uint64_t del = w ^ (0x7f * ONES);
    return ((w - 0x20 * ONES) & ~w & HIGHS) | ((del - ONES) & ~del & HIGHS);
}

rl_err_t rl_check_text(const char *s, size_t min, size_t max, int multiline, const char *field, rl_error_t *err)
{
    size_t n = s ? strlen(s) : 0;
    if (n < min)
        return rl_error_set(err, RL_ERR_INVALID, field, "is required");
    if (n > max)
        return rl_error_set(err, RL_ERR_INVALID, field, "is %zu bytes, over the limit of %zu", n, max);
    uint64_t high = 0;  /* any byte >= 0x80: only then can the text be other than ASCII */
    size_t i = 0;
    for (uint64_t w; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        high |= w;
        if (word_has_control(w))
            break;  /* the byte loop finds which byte, and lets a multiline text's \n and \t pass */
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        high |= c;
        if ((c < 0x20 || c == 0x7f) && !(multiline && (c == '\n' || c == '\t')))
            return rl_error_set(err, RL_ERR_INVALID, field, "contains a control character at byte %zu", i);
    }
    if ((high & HIGHS) && !rl_utf8_valid(s, n))
        return rl_error_set(err, RL_ERR_INVALID, field, "is not valid UTF-8");
    return RL_OK;
}

rl_err_t rl_check_rating(const Riskline__V1__Rating *r, int required, const Riskline__V1__Criteria *c,
                         const char *name, rl_error_t *err)
{
    char field[64];
    if (!r || (r->likelihood == 0 && r->impact == 0)) {
        if (required)
            return rl_error_set(err, RL_ERR_INVALID, name, "is required (likelihood and impact)");
        return RL_OK;
    }
    if (r->likelihood < 1 || r->likelihood > c->likelihood_levels) {
        snprintf(field, sizeof field, "%s.likelihood", name);
        return rl_error_set(err, RL_ERR_INVALID, field, "must be 1..%u on this tenant's matrix, got %u",
                            c->likelihood_levels, r->likelihood);
    }
    if (r->impact < 1 || r->impact > c->impact_levels) {
        snprintf(field, sizeof field, "%s.impact", name);
        return rl_error_set(err, RL_ERR_INVALID, field, "must be 1..%u on this tenant's matrix, got %u",
                            c->impact_levels, r->impact);
    }
    return RL_OK;
}

int rl_treatment_parse(const char *s)
{
    static const struct { const char *name; int value; } t[] = {
        {"avoid", RISKLINE__V1__TREATMENT__TREATMENT_AVOID},
        {"reduce", RISKLINE__V1__TREATMENT__TREATMENT_REDUCE},
        {"modify", RISKLINE__V1__TREATMENT__TREATMENT_REDUCE},
        {"transfer", RISKLINE__V1__TREATMENT__TREATMENT_TRANSFER},
        {"share", RISKLINE__V1__TREATMENT__TREATMENT_TRANSFER},
        {"accept", RISKLINE__V1__TREATMENT__TREATMENT_ACCEPT},
        {"retain", RISKLINE__V1__TREATMENT__TREATMENT_ACCEPT},
    };
    for (size_t i = 0; s && i < sizeof t / sizeof t[0]; i++)
        if (strcasecmp(s, t[i].name) == 0)
            return t[i].value;
    return -1;
}
