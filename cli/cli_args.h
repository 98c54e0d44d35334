/* cli_args.h: command-line option parsing (long options, values, repeats) and strict value parsers. */
#ifndef CLI_ARGS_H
#define CLI_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include "rl_arena.h"
#include "rl_err.h"

typedef enum {
    CLI_OPT_FLAG = 0,  /* --name, no value */
    CLI_OPT_VALUE,     /* --name V or --name=V, at most once */
    CLI_OPT_MULTI,     /* --name V, may repeat (values kept in order) */
} cli_opt_kind_t;

typedef struct {
    const char *name;  /* long name without the leading dashes */
    cli_opt_kind_t kind;
} cli_opt_t;

/* Parsed arguments of one command. Values point into argv (or are ""). */
typedef struct {
    const cli_opt_t *opts;
    size_t nopts;
    const char ***vals;  /* vals[i]: the values of opts[i] */
    size_t *nvals;       /* nvals[i]: how many times opts[i] was given */
    const char **pos;    /* positional arguments */
    size_t npos;
} cli_args_t;

/* 1 when argv[0..argc) asks for help (--help or -h before a "--"). */
int cli_args_wants_help(int argc, char **argv);

/* Parses argv[0..argc) against opts (all tables concatenated: command options then global ones).
 * Memory from arena. RL_OK, or RL_ERR_INVALID with err->field naming the option ("--title") and
 * a message for the user; RL_ERR_INTERNAL when the arena is exhausted. */
rl_err_t cli_args_parse(cli_args_t *a, const cli_opt_t *const *tables, const size_t *sizes, size_t ntables,
                        int argc, char **argv, rl_arena_t *arena, rl_error_t *err);

/* How many times option `name` was given (0 when never, or when not in the table). */
size_t cli_args_count(const cli_args_t *a, const char *name);
/* Last value of option `name`, NULL when not given ("" for a given flag). */
const char *cli_args_get(const cli_args_t *a, const char *name);
/* All values of a repeatable option; *n gets the count. */
const char *const *cli_args_all(const cli_args_t *a, const char *name, size_t *n);

/* Strict parsers: 0 ok, -1 with err (RL_ERR_INVALID, field = opt) otherwise.
 * Numbers are plain decimal digits (no sign, spaces or exponent) within the type's range. */
int cli_parse_u32(const char *opt, const char *s, uint32_t *out, rl_error_t *err);
int cli_parse_u64(const char *opt, const char *s, uint64_t *out, rl_error_t *err);
/* Exactly YYYY-MM-DD, a real calendar date. */
int cli_parse_date(const char *opt, const char *s, rl_error_t *err);
/* "A<sep>B<sep>..." with exactly n numbers, e.g. "5,10,16" (sep ',') or "4x6" (sep 'x' or 'X'). */
int cli_parse_u32_list(const char *opt, const char *s, char sep, uint32_t *out, size_t n, rl_error_t *err);

/* Option-aware getters: 0 when absent, 1 when present and parsed, -1 on error (err filled). */
int cli_args_u32(const cli_args_t *a, const char *name, uint32_t *out, rl_error_t *err);
int cli_args_u64(const cli_args_t *a, const char *name, uint64_t *out, rl_error_t *err);

#endif
