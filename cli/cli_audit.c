/* cli_audit.c: `riskline audit verify`: walks the tenant's audit chain page by page and checks every
 * link and the head's signature with the signer's public key from the auditor's own keys dir. */
#include "cli_audit.h"

#include <string.h>

#include "cli_output.h"
#include "rl_chain.h"
#include "rl_keyfile.h"

#define PAGE 1000

const char cli_audit_group_usage[] =
    "usage: riskline [global options] audit <subcommand> [args]\n"
    "\n"
    "The tamper-evident audit trail (ISO/IEC 27001 7.5.3): every change of a tenant is an event\n"
    "chained to the one before by SHA-256, and the chain head is signed by the service that wrote\n"
    "it.\n"
    "\n"
    "Subcommands:\n"
    "  verify    walk the chain and report the first changed, removed, inserted or reordered event\n"
    "\n"
    "Run 'riskline audit <subcommand> --help' for its options.\n";

static const char verify_usage[] =
    "usage: riskline [global options] audit verify [--keys] [--allow-unsigned]\n"
    "\n"
    "Reads the tenant's whole chain (roles auditor or admin) and checks, event by event, that each\n"
    "one is unchanged and links to the one before, and that the head names the last event and\n"
    "carries a valid signature of its signer. The signer's public key is taken from your own copy,\n"
    "RISKLINE_KEYS_DIR/<signer>.pub, never from the service.\n"
    "\n"
    "Prints 'chain intact: N events checked, head signed by S', or where the chain breaks first:\n"
    "'chain broken at event #N (stream id X): KIND: what was found', KIND one of changed, removed,\n"
    "inserted, reordered, forged (the head was rewritten).\n"
    "\n"
    "Options:\n"
    "  --keys             verify the key store's chain (keys issued and revoked) instead of the\n"
    "                     tenant's; needs a key of every tenant\n"
    "  --allow-unsigned   accept a head without a signature (services run without keys)\n"
    "  --help             this help\n"
    "\n"
    "Exit: 0 intact; 5 broken or unsigned; 1-4 as for every command.\n";

static const cli_opt_t verify_opts[] = {{"allow-unsigned", CLI_OPT_FLAG}, {"keys", CLI_OPT_FLAG}};

/* Only services sign heads: a head naming anything else never gets a key file looked up. */
static int known_signer(const char *s)
{
    static const char *const services[] = {"register", "treatment", "monitor", "report"};
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
        if (strcmp(s, services[i]) == 0)
            return 1;
    return 0;
}

/* The signer's public signing key from the auditor's keys dir. CLI_EXIT_OK, or the error printed. */
static int signer_key(cli_app_t *app, const char *signer, uint8_t pub[RL_CHAIN_PUB_LEN])
{
    char path[1100];
    rl_keyfile_t kf;
    rl_error_t err;
    rl_error_clear(&err);
    if (rl_keyfile_path(path, sizeof path, app->cfg.keys_dir, signer, "pub") != 0)
        return cli_usage(app, "RISKLINE_KEYS_DIR", "too long");
    rl_err_t rc = rl_keyfile_load(&kf, path, &err);
    if (rc == RL_ERR_NOT_FOUND)
        rl_error_set(&err, RL_ERR_NOT_FOUND, "RISKLINE_KEYS_DIR",
                     "no public key of the signer %s: %s is missing (copy the service's .pub file there)", signer,
                     path);
    else if (rc == RL_OK && !kf.has_sign)
        rc = rl_error_set(&err, RL_ERR_INVALID, "RISKLINE_KEYS_DIR", "%s has no sign-public line", path);
    if (rc)
        return cli_fail(app, &err);
    memcpy(pub, kf.sign_public, RL_CHAIN_PUB_LEN);
    return CLI_EXIT_OK;
}

/* One AuditRead; the reply lives in `page_arena` until the next call, so a long chain never
 * accumulates in memory: the run's arena is swapped out for the call. */
static int read_page(cli_app_t *app, rl_arena_t *page_arena, const char *after, int keys,
                     const Riskline__V1__AuditPage **out)
{
    rl_arena_t *run_arena = app->arena;
    rl_arena_reset(page_arena);
    app->arena = page_arena;
    rl_envelope_t *req = cli_request(app), *reply = NULL;
    Riskline__V1__AuditRead *q = rl_arena_alloc(page_arena, sizeof *q);
    int rc;
    if (!req || !q) {
        rc = cli_oom(app);
        goto cleanup;
    }
    riskline__v1__audit_read__init(q);
    q->after = (char *)after;
    q->limit = PAGE;
    q->keys = keys;
    req->body_case = RISKLINE__V1__ENVELOPE__BODY_AUDIT_READ;
    req->audit_read = q;
    if ((rc = cli_call(app, req, RISKLINE__V1__ENVELOPE__BODY_AUDIT_PAGE, &reply)) != CLI_EXIT_OK)
        goto cleanup;
    if (!reply->audit_page) {
        rl_error_t err;
        rl_error_set(&err, RL_ERR_MALFORMED, "audit_page", "the service replied without a page");
        rc = cli_fail(app, &err);
        goto cleanup;
    }
    *out = reply->audit_page;
cleanup:
    app->arena = run_arena;
    return rc;
}

static cJSON *report_json(const cli_app_t *app, const rl_chain_report_t *r, const Riskline__V1__ChainHead *head)
{
    cJSON *j = cJSON_CreateObject(), *h = cJSON_CreateObject();
    if (!j || !h) {
        cJSON_Delete(j);
        cJSON_Delete(h);
        return NULL;
    }
    cJSON_AddBoolToObject(j, "intact", r->kind == RL_CHAIN_INTACT);
    cJSON_AddStringToObject(j, "tenant", app->tenant);
    cJSON_AddNumberToObject(j, "events_checked", (double)r->checked);
    cJSON_AddStringToObject(j, "kind", rl_chain_kind_name(r->kind));
    cJSON_AddNumberToObject(j, "legacy_events", (double)r->legacy);
    if (r->kind != RL_CHAIN_INTACT) {
        cJSON_AddNumberToObject(j, "event", (double)r->event);
        cJSON_AddStringToObject(j, "stream_id", r->stream_id);
        cJSON_AddStringToObject(j, "detail", r->detail);
    }
    cJSON_AddNumberToObject(h, "seq", head ? (double)head->seq : 0);
    cJSON_AddStringToObject(h, "stream_id", head && head->stream_id ? head->stream_id : "");
    cJSON_AddStringToObject(h, "signer", head && head->signer ? head->signer : "");
    cJSON_AddBoolToObject(h, "signed", head && head->signature.len > 0);
    cJSON_AddItemToObject(j, "head", h);
    return j;
}

static int print_report(cli_app_t *app, const rl_chain_report_t *r, const Riskline__V1__ChainHead *head,
                        int allow_unsigned)
{
    int ok = r->kind == RL_CHAIN_INTACT || (r->kind == RL_CHAIN_UNSIGNED && allow_unsigned);
    if (app->json) {
        int rc = cli_print_json(app, report_json(app, r, head));
        return rc != CLI_EXIT_OK ? rc : ok ? CLI_EXIT_OK : CLI_EXIT_TAMPERED;
    }
    FILE *f = app->out;
    unsigned long long checked = r->checked;
    if (r->kind == RL_CHAIN_INTACT && checked == 0) {
        fprintf(f, "chain intact: 0 events checked (the tenant has no events yet)\n");
    } else if (r->kind == RL_CHAIN_INTACT) {
        fprintf(f, "chain intact: %llu events checked, head signed by ", checked);
        cli_out_text(f, head->signer, 0);
        fputc('\n', f);
        if (r->legacy)
            fprintf(f, "note: %llu earlier events predate the audit chain and are not covered by it\n",
                    (unsigned long long)r->legacy);
    } else if (r->kind == RL_CHAIN_UNSIGNED) {
        fprintf(f, "chain %s: %llu events checked, head unsigned: ", ok ? "intact" : "not attested", checked);
        cli_out_text(f, r->detail, 0);
        fputs(ok ? "\n" : " (--allow-unsigned accepts it)\n", f);
    } else {
        fprintf(f, "chain broken at event #%llu (stream id ", (unsigned long long)r->event);
        cli_out_text(f, r->stream_id[0] ? r->stream_id : "unknown", 0);
        fprintf(f, "): %s: ", rl_chain_kind_name(r->kind));
        cli_out_text(f, r->detail, 0);
        fprintf(f, " (%llu events checked before it)\n", checked);
    }
    return ok ? CLI_EXIT_OK : CLI_EXIT_TAMPERED;
}

static int cmd_verify(cli_app_t *app, const cli_args_t *a)
{
    int rc = CLI_EXIT_OK;
    int keys = cli_args_get(a, "keys") != NULL;
    /* the key store's chain is signed as the pseudo-tenant "_auth" (its hash tag) */
    rl_chain_verifier_t *v = rl_chain_verifier_new(keys ? "_auth" : app->tenant, 0);
    rl_arena_t *page_arena = rl_arena_new(0);
    char after[RL_CHAIN_STREAM_ID_MAX + 1] = "";
    const Riskline__V1__AuditPage *page = NULL;
    if (!v || !page_arena) {
        rc = cli_oom(app);
        goto cleanup;
    }
    for (;;) {
        if ((rc = read_page(app, page_arena, after, keys, &page)) != CLI_EXIT_OK)
            goto cleanup;
        for (size_t i = 0; i < page->n_entries; i++) {
            const Riskline__V1__AuditEntry *e = page->entries[i];
            rl_chain_verifier_feed(v, e->stream_id, e->event.data, e->event.len, e->hash.data, e->hash.len);
        }
        /* the last page's head was read with its entries in one atomic step: it is the one to check */
        if (!page->next || !page->next[0] || page->n_entries == 0)
            break;
        if (strlen(page->next) >= sizeof after) {
            rl_error_t err;
            rl_error_set(&err, RL_ERR_MALFORMED, "next", "the service sent an overlong cursor");
            rc = cli_fail(app, &err);
            goto cleanup;
        }
        memcpy(after, page->next, strlen(page->next) + 1);
    }
    const Riskline__V1__ChainHead *ph = page->head;
    rl_chain_head_t head = {0};
    uint8_t pub[RL_CHAIN_PUB_LEN];
    const uint8_t *pubp = NULL;
    if (ph) {
        head = (rl_chain_head_t){ph->seq, ph->hash.data, ph->hash.len, ph->stream_id, ph->signer,
                                 ph->signature.data, ph->signature.len};
        if (ph->signature.len && ph->signer && known_signer(ph->signer)) {
            if ((rc = signer_key(app, ph->signer, pub)) != CLI_EXIT_OK)
                goto cleanup;
            pubp = pub;
        }
    }
    rl_chain_report_t rep;
    rl_chain_verifier_finish(v, ph ? &head : NULL, pubp, &rep);
    rc = print_report(app, &rep, ph, cli_args_get(a, "allow-unsigned") != NULL);
cleanup:
    rl_chain_verifier_destroy(&v);
    rl_arena_destroy(&page_arena);
    return rc;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const cli_cmd_t commands[] = {
    {"audit", "verify", verify_opts, N(verify_opts), 0, 0, NULL, verify_usage, cmd_verify, NULL},
};

const cli_cmd_t *cli_audit_commands(size_t *n)
{
    *n = N(commands);
    return commands;
}
