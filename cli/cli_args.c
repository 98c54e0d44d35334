/* cli_args.c: command-line option parsing (long options, values, repeats) and strict value parsers. */
#include "cli_args.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rl_time.h"

int cli_args_wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    }
    return 0;
}

static long find_opt(const cli_args_t *a, const char *name, size_t len)
{
    for (size_t i = 0; i < a->nopts; i++)
        if (strlen(a->opts[i].name) == len && strncmp(a->opts[i].name, name, len) == 0)
            return (long)i;
    return -1;
}

/* Option names in error fields are bounded to what rl_error_t can hold. */
static rl_err_t opt_error(rl_error_t *err, const char *name, size_t len, const char *fmt, const char *arg)
{
    char field[48];
    snprintf(field, sizeof field, "--%.*s", (int)(len > 40 ? 40 : len), name);
    return rl_error_set(err, RL_ERR_INVALID, field, fmt, arg);
}

rl_err_t cli_args_parse(cli_args_t *a, const cli_opt_t *const *tables, const size_t *sizes, size_t ntables,
                        int argc, char **argv, rl_arena_t *arena, rl_error_t *err)
{
    memset(a, 0, sizeof *a);
    size_t total = 0;
    for (size_t t = 0; t < ntables; t++)
        total += sizes[t];
    cli_opt_t *opts = rl_arena_alloc(arena, (total ? total : 1) * sizeof *opts);
    a->vals = rl_arena_alloc(arena, (total ? total : 1) * sizeof *a->vals);
    a->nvals = rl_arena_alloc(arena, (total ? total : 1) * sizeof *a->nvals);
    a->pos = rl_arena_alloc(arena, (size_t)(argc > 0 ? argc : 1) * sizeof *a->pos);
    if (!opts || !a->vals || !a->nvals || !a->pos)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
    for (size_t t = 0, k = 0; t < ntables; t++)
        for (size_t i = 0; i < sizes[t]; i++)
            opts[k++] = tables[t][i];
    a->opts = opts;
    a->nopts = total;

    int only_pos = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (only_pos || arg[0] != '-' || strcmp(arg, "-") == 0) {
            a->pos[a->npos++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (arg[1] != '-')
            return rl_error_set(err, RL_ERR_INVALID, "", "unknown option '%s' (options are long, like --help)", arg);
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        long k = find_opt(a, name, len);
        if (k < 0)
            return opt_error(err, name, len, "unknown option '%s'", arg);
        const cli_opt_t *o = &a->opts[k];
        const char *value;
        if (o->kind == CLI_OPT_FLAG) {
            if (eq)
                return opt_error(err, name, len, "takes no value (got '%s')", eq + 1);
            value = "";
        } else if (eq) {
            value = eq + 1;
        } else {
            /* A following "--option" means the value was forgotten; "--opt=--x" passes such a value. */
            if (i + 1 >= argc || (argv[i + 1][0] == '-' && argv[i + 1][1] == '-' && argv[i + 1][2]))
                return opt_error(err, name, len, "needs a value%s", "");
            value = argv[++i];
        }
        if (o->kind != CLI_OPT_MULTI && a->nvals[k] > 0)
            return opt_error(err, name, len, "given more than once%s", "");
        if (!a->vals[k]) {
            a->vals[k] = rl_arena_alloc(arena, (size_t)argc * sizeof *a->vals[k]);
            if (!a->vals[k])
                return rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
        }
        a->vals[k][a->nvals[k]++] = value;
    }
    return RL_OK;
}

size_t cli_args_count(const cli_args_t *a, const char *name)
{
    long k = find_opt(a, name, strlen(name));
    return k < 0 ? 0 : a->nvals[k];
}

const char *cli_args_get(const cli_args_t *a, const char *name)
{
    long k = find_opt(a, name, strlen(name));
    if (k < 0 || a->nvals[k] == 0)
        return NULL;
    return a->vals[k][a->nvals[k] - 1];
}

const char *const *cli_args_all(const cli_args_t *a, const char *name, size_t *n)
{
    long k = find_opt(a, name, strlen(name));
    if (k < 0 || a->nvals[k] == 0) {
        *n = 0;
        return NULL;
    }
    *n = a->nvals[k];
    return a->vals[k];
}

/* Plain decimal digits only; value <= max. */
static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !*s)
        return -1;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        unsigned d = (unsigned)(*p - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int number_error(const char *opt, const char *s, uint64_t max, rl_error_t *err)
{
    rl_error_set(err, RL_ERR_INVALID, opt, "expected a whole number 0..%llu, got '%.100s'",
                 (unsigned long long)max, s ? s : "");
    return -1;
}

int cli_parse_u32(const char *opt, const char *s, uint32_t *out, rl_error_t *err)
{
    uint64_t v;
    if (parse_uint(s, UINT32_MAX, &v) != 0)
        return number_error(opt, s, UINT32_MAX, err);
    *out = (uint32_t)v;
    return 0;
}

int cli_parse_u64(const char *opt, const char *s, uint64_t *out, rl_error_t *err)
{
    /* Versions travel through JSON as doubles elsewhere: 2^53 is plenty and stays exact. */
    const uint64_t max = (uint64_t)1 << 53;
    if (parse_uint(s, max, out) != 0)
        return number_error(opt, s, max, err);
    return 0;
}

int cli_parse_date(const char *opt, const char *s, rl_error_t *err)
{
    int64_t days;
    if (!s || rl_date_parse(s, &days) != 0) {
        rl_error_set(err, RL_ERR_INVALID, opt, "expected a date YYYY-MM-DD, got '%.100s'", s ? s : "");
        return -1;
    }
    return 0;
}

int cli_parse_u32_list(const char *opt, const char *s, char sep, uint32_t *out, size_t n, rl_error_t *err)
{
    char buf[128];
    size_t len = s ? strlen(s) : 0;
    if (len == 0 || len >= sizeof buf)
        goto bad;
    memcpy(buf, s, len + 1);
    char *p = buf;
    for (size_t i = 0; i < n; i++) {
        char *end = p;
        while (*end && *end != sep && !(sep == 'x' && *end == 'X'))
            end++;
        int last = (i + 1 == n);
        if ((*end == '\0') != last)
            goto bad;
        *end = '\0';
        uint64_t v;
        if (parse_uint(p, UINT32_MAX, &v) != 0)
            goto bad;
        out[i] = (uint32_t)v;
        p = end + 1;
    }
    return 0;
bad:
    if (sep == 'x')
        rl_error_set(err, RL_ERR_INVALID, opt, "expected LxI like 5x5, got '%.100s'", s ? s : "");
    else
        rl_error_set(err, RL_ERR_INVALID, opt, "expected %zu whole numbers separated by '%c', got '%.100s'",
                     n, sep, s ? s : "");
    return -1;
}

int cli_args_u32(const cli_args_t *a, const char *name, uint32_t *out, rl_error_t *err)
{
    const char *v = cli_args_get(a, name);
    if (!v)
        return 0;
    char opt[48];
    snprintf(opt, sizeof opt, "--%s", name);
    return cli_parse_u32(opt, v, out, err) == 0 ? 1 : -1;
}

int cli_args_u64(const cli_args_t *a, const char *name, uint64_t *out, rl_error_t *err)
{
    const char *v = cli_args_get(a, name);
    if (!v)
        return 0;
    char opt[48];
    snprintf(opt, sizeof opt, "--%s", name);
    return cli_parse_u64(opt, v, out, err) == 0 ? 1 : -1;
}
