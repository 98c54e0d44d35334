/* cli_parse_treatment.h: strict parsers of the treatment commands' option values (money, control[:status], person triples, id lists, enums); pure, no I/O. */
#ifndef CLI_PARSE_TREATMENT_H
#define CLI_PARSE_TREATMENT_H

#include <stddef.h>
#include <stdint.h>

#include "riskline/v1/treatment.pb-c.h"
#include "rl_arena.h"
#include "rl_err.h"

/* All parsers: 0 ok, -1 with err (RL_ERR_INVALID, field = opt, a message quoting the input) otherwise;
 * RL_ERR_INTERNAL when the arena is exhausted. Outputs are arena copies. */

/* Money in minor units: "1250.50", "12.5" (= 1250), "12" (= 1200); digits, at most one '.', then 1..2
 * fraction digits. No sign, spaces, exponent or grouping; a value above INT64_MAX minor units is refused. */
int cli_parse_money(const char *opt, const char *s, int64_t *minor, rl_error_t *err);
/* "1250.50" for 125050; "-0.05" for -5. buf of at least 24 bytes. Returns buf. */
char *cli_format_money(int64_t minor, char *buf, size_t size);

/* An ISO 4217 code: three ASCII letters, written upper-case into out[4] ("eur" -> "EUR"). */
int cli_parse_currency(const char *opt, const char *s, char out[4], rl_error_t *err);

/* "A.5.1" or "A.5.1:in_progress" (not_started | in_progress | implemented) into out (status
 * UNSPECIFIED when not given: the service takes not_started). The id is 1..32 bytes of letters,
 * digits, '.', '-' and '_'; whether the control exists is the service's check. */
int cli_parse_plan_control(const char *opt, const char *s, rl_arena_t *arena, Riskline__V1__PlanControl *out,
                           rl_error_t *err);

/* "NAME:ROLE:PLANNED_HOURS" ("Ann Lee:engineer:40"); split at the last two ':' so a name may
 * hold one. Name and role non-empty, hours a whole number 0..4294967295. */
int cli_parse_person(const char *opt, const char *s, rl_arena_t *arena, Riskline__V1__Personnel *out,
                     rl_error_t *err);

/* Appends the comma-separated ids of s ("M-1,M-2") to *list (capacity cap, count *n): each 1..32
 * bytes of letters, digits, '.', '-' and '_'; empty items and more than cap ids are refused. */
int cli_parse_id_list(const char *opt, const char *s, rl_arena_t *arena, char **list, size_t cap, size_t *n,
                      rl_error_t *err);

/* "yes" | "no" (also true/false, effective/ineffective) into *out (1/0). */
int cli_parse_yes_no(const char *opt, const char *s, int *out, rl_error_t *err);

/* Exactly 64 hexadecimal characters, written lower-case into out[65]. */
int cli_parse_sha256(const char *opt, const char *s, char out[65], rl_error_t *err);

/* The value (> 0) of a short lowercase enum name of desc ("in_progress" for PLAN_STATE_IN_PROGRESS)
 * within min..max; `allowed` names the choices in the message. */
int cli_parse_enum(const ProtobufCEnumDescriptor *desc, const char *opt, const char *s, int min, int max,
                   const char *allowed, rl_error_t *err);

#endif
