/* rl_check.h: input checks shared by the domain modules of every service (text fields, ratings,
 * treatment options with their ISO/IEC 27005 synonyms). */
#ifndef RL_CHECK_H
#define RL_CHECK_H

#include <stddef.h>

#include "riskline/v1/risk.pb-c.h"
#include "rl_err.h"

/* min..max bytes of UTF-8; single-line fields (titles, names) take no control characters at all,
 * multiline text takes \n and \t. NULL counts as "". err->field is `field`. */
rl_err_t rl_check_text(const char *s, size_t min, size_t max, int multiline, const char *field, rl_error_t *err);

/* A likelihood x impact rating on the matrix of c. Absent (NULL or 0/0) is refused only when
 * `required`; a half rating (0/3) is refused. err->field is `name` or "<name>.likelihood|impact". */
rl_err_t rl_check_rating(const Riskline__V1__Rating *r, int required, const Riskline__V1__Criteria *c,
                         const char *name, rl_error_t *err);

/* Treatment from text: avoid; reduce|modify; transfer|share; accept|retain (case-insensitive).
 * -1 when unknown. */
int rl_treatment_parse(const char *s);

#endif
