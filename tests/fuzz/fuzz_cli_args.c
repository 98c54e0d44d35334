/* fuzz_cli_args.c: libFuzzer target: the CLI's argument parsing (cli/cli_args.c) against the real
 * command option tables, then the strict value parsers on every value. The first byte picks the
 * command (ping, risk add..history, criteria show/set, keys ..., in the order the tables list them),
 * the rest split on NUL bytes is argv. A new command group is one more table in LLVMFuzzerInitialize. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "cli_criteria.h"
#include "cli_keys.h"
#include "cli_ping.h"
#include "cli_risk.h"
#include "rl_json.h"

#define MAX_ARGS 64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* As in cli/main.c: accepted before or after every command. */
static const cli_opt_t global_opts[] = {
    {"tenant", CLI_OPT_VALUE},
    {"json", CLI_OPT_FLAG},
    {"endpoint", CLI_OPT_VALUE},
};

static const cli_cmd_t *cmds[64];
static size_t ncmds;
static rl_arena_t *arena;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    size_t n = 0;
    const cli_cmd_t *list;
    cmds[ncmds++] = cli_ping_command();
    list = cli_risk_commands(&n);
    for (size_t i = 0; i < n && ncmds < 64; i++)
        cmds[ncmds++] = &list[i];
    list = cli_criteria_commands(&n);
    for (size_t i = 0; i < n && ncmds < 64; i++)
        cmds[ncmds++] = &list[i];
    list = cli_keys_commands(&n);
    for (size_t i = 0; i < n && ncmds < 64; i++)
        cmds[ncmds++] = &list[i];
    arena = rl_arena_new(0);
    if (!arena)
        abort();
    return 0;
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz invariant broken: %s (%s)\n", what, detail ? detail : "");
    abort();
}

/* 1 if v is one of argv's strings, the part after '=' of one, or "" (a flag). */
static int from_argv(const char *v, int argc, char **argv)
{
    if (v[0] == '\0')
        return 1;
    for (int i = 0; i < argc; i++) {
        size_t len = strlen(argv[i]);
        if (v >= argv[i] && v <= argv[i] + len)
            return v == argv[i] || v[-1] == '=';
    }
    return 0;
}

/* Runs every strict parser on s and checks what it accepts. */
static void check_value(const char *s)
{
    rl_error_t err;
    rl_error_clear(&err);
    uint32_t u32;
    uint64_t u64;
    char back[32];
    const char *digits = s;
    while (digits[0] == '0' && digits[1])
        digits++;
    if (cli_parse_u32("--n", s, &u32, &err) == 0) {
        snprintf(back, sizeof back, "%u", u32);
        if (strcmp(back, digits) != 0)
            die("cli_parse_u32 accepted something that is not its number", s);
    } else if (!err.field[0] || !err.message[0]) {
        die("cli_parse_u32 refused without field or message", s);
    }
    if (cli_parse_u64("--n", s, &u64, &err) == 0) {
        snprintf(back, sizeof back, "%llu", (unsigned long long)u64);
        if (strcmp(back, digits) != 0 || u64 > ((uint64_t)1 << 53))
            die("cli_parse_u64 accepted something that is not its number", s);
    }
    if (cli_parse_date("--date", s, &err) == 0 && strlen(s) != 10)
        die("cli_parse_date accepted a string that is not YYYY-MM-DD", s);
    uint32_t list[3];
    if (cli_parse_u32_list("--list", s, ',', list, 3, &err) == 0) {
        size_t commas = 0;
        for (const char *p = s; *p; p++) {
            if (*p == ',')
                commas++;
            else if (*p < '0' || *p > '9')
                die("cli_parse_u32_list accepted a character that is neither digit nor separator", s);
        }
        if (commas != 2)
            die("cli_parse_u32_list accepted the wrong count", s);
    }
    if (cli_parse_u32_list("--size", s, 'x', list, 2, &err) == 0 && !strpbrk(s, "xX"))
        die("cli_parse_u32_list LxI accepted a string without x", s);
    (void)rl_json_enum_value(&riskline__v1__treatment__descriptor, s);
    (void)rl_json_enum_value(&riskline__v1__risk_status__descriptor, s);
    (void)rl_json_enum_value(&riskline__v1__risk_sort__descriptor, s);
    (void)rl_json_enum_value(&riskline__v1__level__descriptor, s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || ncmds == 0)
        return 0;
    const cli_cmd_t *cmd = cmds[data[0] % ncmds];
    /* argv: NUL-separated strings in a NUL-terminated copy */
    char *buf = malloc(size);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';
    char *argv[MAX_ARGS];
    int argc = 0;
    for (size_t i = 0; i < size - 1 && argc < MAX_ARGS; i += strlen(buf + i) + 1)
        argv[argc++] = buf + i;

    (void)cli_args_wants_help(argc, argv);
    rl_arena_reset(arena);
    const cli_opt_t *const tables[] = {cmd->opts, global_opts};
    const size_t sizes[] = {cmd->nopts, sizeof global_opts / sizeof global_opts[0]};
    cli_args_t a;
    rl_error_t err;
    rl_error_clear(&err);
    rl_err_t rc = cli_args_parse(&a, tables, sizes, 2, argc, argv, arena, &err);
    if (rc != RL_OK) {
        if (rc != RL_ERR_INVALID || !err.message[0])
            die("a refusal that is not invalid_argument with a message", err.message);
        free(buf);
        return 0;
    }
    size_t given = a.npos;
    for (size_t k = 0; k < a.nopts; k++) {
        const cli_opt_t *o = &a.opts[k];
        given += a.nvals[k];
        if (o->kind != CLI_OPT_MULTI && a.nvals[k] > 1)
            die("a single-valued option holds several values", o->name);
        /* a name in both tables: the getters find its first entry */
        size_t first = 0;
        while (strcmp(a.opts[first].name, o->name) != 0)
            first++;
        if (first == k && cli_args_count(&a, o->name) != a.nvals[k])
            die("cli_args_count disagrees", o->name);
        if (first == k && a.nvals[k] && cli_args_get(&a, o->name) != a.vals[k][a.nvals[k] - 1])
            die("cli_args_get does not give the last value", o->name);
        for (size_t j = 0; j < a.nvals[k]; j++) {
            const char *v = a.vals[k][j];
            if (o->kind == CLI_OPT_FLAG && v[0])
                die("a flag with a value", o->name);
            if (!from_argv(v, argc, argv))
                die("a value that does not come from argv", o->name);
            check_value(v);
        }
        uint32_t u32;
        uint64_t u64;
        (void)cli_args_u32(&a, o->name, &u32, &err);
        (void)cli_args_u64(&a, o->name, &u64, &err);
    }
    if (given > (size_t)argc)
        die("more values than arguments", "");
    for (size_t i = 0; i < a.npos; i++) {
        if (!from_argv(a.pos[i], argc, argv))
            die("a positional argument that is not from argv", a.pos[i]);
        check_value(a.pos[i]);
    }
    free(buf);
    return 0;
}
