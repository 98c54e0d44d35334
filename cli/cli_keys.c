/* cli_keys.c: the `riskline keys ...` commands: make local key files, issue, list and revoke keys. */
#include "cli_keys.h"

#include <string.h>
#include <time.h>

#include "cli_output.h"
#include "rl_keyfile.h"
#include "rl_json.h"
#include "rl_time.h"

const char cli_keys_group_usage[] =
    "usage: riskline [global options] keys <subcommand> [args]\n"
    "\n"
    "CURVE keys and the principals they stand for. Every connection to a Riskline service is\n"
    "encrypted and authenticated: the service accepts only client keys in its key store, and the\n"
    "key decides who acts, with which roles, in which tenants.\n"
    "\n"
    "Subcommands:\n"
    "  init      create the local key files (each service's key pair, the CLI's key) if missing\n"
    "  issue     add a principal's key to the key store (admin)\n"
    "  list      list the keys (admin, auditor)\n"
    "  revoke    revoke a key, or every key of a principal, at once on every service (admin)\n"
    "\n"
    "Roles: viewer, risk_owner, treatment_owner, approver, auditor, integrator, admin.\n"
    "Key files live in RISKLINE_KEYS_DIR (default var/keys); the CLI uses cli.key there\n"
    "(or RISKLINE_KEY_FILE) and <service>.pub to know the service.\n"
    "Run 'riskline keys <subcommand> --help' for its options.\n";

static const char init_usage[] =
    "usage: riskline [global options] keys init\n"
    "\n"
    "Creates in RISKLINE_KEYS_DIR (default var/keys, mode 0700) the files that are missing:\n"
    "register, treatment, monitor and report .key (CURVE pair + Ed25519 signing pair, mode 0600)\n"
    "and .pub, and cli.key/cli.pub, the local administrator's key. The register puts cli.pub into\n"
    "an empty key store at start (all roles, all tenants). Existing keys are never replaced.\n";

static const char issue_usage[] =
    "usage: riskline [global options] keys issue NAME --roles R[,R...] --tenants T[,T...] [options]\n"
    "\n"
    "Adds a key for principal NAME. Without --public-key a new key pair is made here and written\n"
    "to DIR/NAME.key (0600) and DIR/NAME.pub: hand NAME.key and the service .pub files to its\n"
    "holder. With --public-key the holder made the pair and keeps the secret half.\n"
    "\n"
    "Options:\n"
    "  --roles LIST        viewer, risk_owner, treatment_owner, approver, auditor, integrator, admin\n"
    "  --tenants LIST      tenant ids the key reaches; * for every tenant\n"
    "  --public-key Z85    register this public key instead of making a pair\n"
    "  --out DIR           where to write a new pair (default RISKLINE_KEYS_DIR)\n"
    "  --comment TEXT      why this key exists\n"
    "  --help              this help\n";

static const char list_usage[] =
    "usage: riskline [global options] keys list [--all]\n"
    "\n"
    "Lists the valid keys reaching your tenants; --all includes revoked ones.\n";

static const char revoke_usage[] =
    "usage: riskline [global options] keys revoke NAME [--reason TEXT]\n"
    "       riskline [global options] keys revoke --key Z85 [--reason TEXT]\n"
    "\n"
    "Revokes every valid key of NAME, or one key. Every service refuses the key within a fraction\n"
    "of a second, on new and on open connections; no restart.\n";

static const cli_opt_t issue_opts[] = {
    {"roles", CLI_OPT_VALUE}, {"tenants", CLI_OPT_VALUE}, {"public-key", CLI_OPT_VALUE},
    {"out", CLI_OPT_VALUE}, {"comment", CLI_OPT_VALUE},
};
static const cli_opt_t list_opts[] = {{"all", CLI_OPT_FLAG}};
static const cli_opt_t revoke_opts[] = {{"key", CLI_OPT_VALUE}, {"reason", CLI_OPT_VALUE}};

static const char *const services[] = {"register", "treatment", "monitor", "report"};

static int run_init(cli_app_t *app, const cli_args_t *args)
{
    (void)args;
    rl_error_t err;
    rl_error_clear(&err);
    int created = 0;
    for (size_t i = 0; i <= sizeof services / sizeof services[0]; i++) {
        const char *name = i < sizeof services / sizeof services[0] ? services[i] : "cli";
        char path[1100];
        rl_keyfile_t kf;
        if (rl_keyfile_path(path, sizeof path, app->cfg.keys_dir, name, "key"))
            return cli_usage(app, "RISKLINE_KEYS_DIR", "too long");
        rl_err_t rc = rl_keyfile_load(&kf, path, &err);
        if (rc == RL_OK)
            continue;
        if (rc != RL_ERR_NOT_FOUND)
            return cli_fail(app, &err);
        if (rl_keyfile_generate(&kf, strcmp(name, "cli") != 0, &err) ||
            rl_keyfile_save(&kf, app->cfg.keys_dir, name, &err)) {
            memset(&kf, 0, sizeof kf);
            return cli_fail(app, &err);
        }
        memset(&kf, 0, sizeof kf);
        fprintf(app->out, "created %s\n", path);
        created++;
    }
    if (!created)
        fprintf(app->out, "keys present in %s\n", app->cfg.keys_dir);
    return CLI_EXIT_OK;
}

/* "a,b,c" -> arena array of strings. */
static char **split_list(cli_app_t *app, const char *s, size_t *n)
{
    size_t cap = 1;
    for (const char *p = s; *p; p++)
        cap += *p == ',';
    char **out = rl_arena_alloc(app->arena, cap * sizeof *out);
    char *copy = rl_arena_strdup(app->arena, s);
    *n = 0;
    if (!out || !copy)
        return NULL;
    for (char *tok = copy, *next; tok; tok = next) {
        next = strchr(tok, ',');
        if (next)
            *next++ = '\0';
        if (*tok)
            out[(*n)++] = tok;
    }
    return out;
}

static void time_text(int64_t ms, char *buf, size_t size)
{
    if (!ms) {
        snprintf(buf, size, "-");
        return;
    }
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void join(FILE *f, char *const *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', f);
        cli_out_text(f, items[i], 0);
    }
}

static int print_keys(cli_app_t *app, const rl_envelope_t *reply)
{
    const Riskline__V1__KeyResult *kr = reply->key_result;
    if (app->json)
        return cli_print_json(app, rl_json_from_message(&kr->base));
    fprintf(app->out, "%-20s %-40s %-28s %-16s %-20s %s\n", "NAME", "PUBLIC KEY", "ROLES", "TENANTS", "ISSUED",
            "REVOKED");
    for (size_t i = 0; i < kr->n_principals; i++) {
        const Riskline__V1__Principal *p = kr->principals[i];
        char issued[32], revoked[32];
        time_text(p->issued_ms, issued, sizeof issued);
        time_text(p->revoked_ms, revoked, sizeof revoked);
        fprintf(app->out, "%-20.20s ", p->name);
        cli_out_text(app->out, p->public_key, 0);
        fputc(' ', app->out);
        join(app->out, p->roles, p->n_roles);
        fputc(' ', app->out);
        join(app->out, p->tenants, p->n_tenants);
        fprintf(app->out, " %s %s\n", issued, revoked);
    }
    fprintf(app->out, "%zu key%s\n", kr->n_principals, kr->n_principals == 1 ? "" : "s");
    return CLI_EXIT_OK;
}

int cli_keys_issue(cli_app_t *app, const char *name, const char *roles, const char *tenants, const char *comment,
                   const char *pub, const char *dir, const char *file, int reuse, rl_envelope_t **reply)
{
    rl_envelope_t *req = cli_request(app);
    Riskline__V1__KeyIssue *ki = rl_arena_alloc(app->arena, sizeof *ki);
    if (!req || !ki)
        return cli_oom(app);
    riskline__v1__key_issue__init(ki);
    ki->name = (char *)name;
    ki->roles = split_list(app, roles, &ki->n_roles);
    ki->tenants = split_list(app, tenants, &ki->n_tenants);
    ki->comment = (char *)(comment ? comment : "");
    if (!ki->roles || !ki->tenants)
        return cli_oom(app);
    rl_keyfile_t kf;
    memset(&kf, 0, sizeof kf);
    rl_error_t err;
    rl_error_clear(&err);
    int fresh = 0;
    if (!pub) {
        char path[1100];
        if (rl_keyfile_path(path, sizeof path, dir, file, "key"))
            return cli_usage(app, "--out", "too long");
        rl_err_t lrc = rl_keyfile_load(&kf, path, &err);
        if (lrc == RL_OK && !reuse)
            return cli_usage(app, "NAME", "%s already exists: choose another name or --out directory", path);
        if (lrc != RL_OK && lrc != RL_ERR_NOT_FOUND)
            return cli_fail(app, &err);
        if (lrc == RL_ERR_NOT_FOUND) {
            if (rl_keyfile_generate(&kf, 0, &err))
                return cli_fail(app, &err);
            fresh = 1;
        }
        pub = rl_arena_strdup(app->arena, kf.curve_public);
    }
    ki->public_key = (char *)pub;
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_KEY_ISSUE;
    req->key_issue = ki;
    int rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_KEY_RESULT, reply);
    /* The secret is written only once the store accepted the public half. */
    if (rc == CLI_EXIT_OK && fresh && rl_keyfile_save(&kf, dir, file, &err) != RL_OK)
        rc = cli_fail(app, &err);
    memset(&kf, 0, sizeof kf);
    return rc;
}

static int run_issue(cli_app_t *app, const cli_args_t *args)
{
    const char *name = args->pos[0], *roles = cli_args_get(args, "roles"), *tenants = cli_args_get(args, "tenants");
    const char *pub = cli_args_get(args, "public-key"), *out = cli_args_get(args, "out");
    if (!roles)
        return cli_usage(app, "--roles", "is required");
    if (!tenants)
        return cli_usage(app, "--tenants", "is required");
    if (pub && out)
        return cli_usage(app, "--out", "only applies when the key pair is made here (no --public-key)");
    if (pub && !rl_keyfile_z85_valid(pub))
        return cli_usage(app, "--public-key", "must be a 40-character Z85 CURVE public key");
    const char *dir = out ? out : app->cfg.keys_dir;
    rl_envelope_t *reply = NULL;
    int rc = cli_keys_issue(app, name, roles, tenants, cli_args_get(args, "comment"), pub, dir, name, 0, &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (!pub && !app->json)
        fprintf(app->out, "wrote %s/%s.key (secret: give it to %s only) and %s.pub\n", dir, name, name, name);
    return print_keys(app, reply);
}

static int run_list(cli_app_t *app, const cli_args_t *args)
{
    rl_envelope_t *req = cli_request(app), *reply = NULL;
    Riskline__V1__KeyList *kl = rl_arena_alloc(app->arena, sizeof *kl);
    if (!req || !kl)
        return cli_oom(app);
    riskline__v1__key_list__init(kl);
    kl->include_revoked = cli_args_count(args, "all") > 0;
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_KEY_LIST;
    req->key_list = kl;
    int rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_KEY_RESULT, &reply);
    return rc != CLI_EXIT_OK ? rc : print_keys(app, reply);
}

static int run_revoke(cli_app_t *app, const cli_args_t *args)
{
    const char *key = cli_args_get(args, "key");
    if ((args->npos == 1) == (key != NULL))
        return cli_usage(app, "NAME", "give either a principal NAME or --key Z85");
    rl_envelope_t *req = cli_request(app), *reply = NULL;
    Riskline__V1__KeyRevoke *kr = rl_arena_alloc(app->arena, sizeof *kr);
    if (!req || !kr)
        return cli_oom(app);
    riskline__v1__key_revoke__init(kr);
    kr->public_key = (char *)(key ? key : "");
    kr->name = (char *)(args->npos ? args->pos[0] : "");
    kr->reason = (char *)(cli_args_get(args, "reason") ? cli_args_get(args, "reason") : "");
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_KEY_REVOKE;
    req->key_revoke = kr;
    int rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_KEY_RESULT, &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (!app->json)
        fprintf(app->out, "revoked %zu key%s\n", reply->key_result->n_principals,
                reply->key_result->n_principals == 1 ? "" : "s");
    return print_keys(app, reply);
}

static const cli_cmd_t commands[] = {
    {"keys", "init", NULL, 0, 0, 0, NULL, init_usage, run_init, NULL},
    {"keys", "issue", issue_opts, sizeof issue_opts / sizeof issue_opts[0], 1, 1, "NAME", issue_usage, run_issue, NULL},
    {"keys", "list", list_opts, 1, 0, 0, NULL, list_usage, run_list, NULL},
    {"keys", "revoke", revoke_opts, 2, 0, 1, "NAME", revoke_usage, run_revoke, NULL},
};

const cli_cmd_t *cli_keys_commands(size_t *n)
{
    *n = sizeof commands / sizeof commands[0];
    return commands;
}
