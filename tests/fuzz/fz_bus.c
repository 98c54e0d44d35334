/* fz_bus.c: the service-independent half of the Envelope fuzz targets (see fz_bus.h). */
#include "fz_bus.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rl_acl.h"
#include "rl_codec.h"
#include "rl_ids.h"
#include "rl_limits.h"

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz invariant broken: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

void fz_bus_init(fz_bus_t *fz, const char *service)
{
    memset(fz, 0, sizeof *fz);
    rl_principal_local(&fz->admin, "fuzz-admin");
    memset(&fz->viewer, 0, sizeof fz->viewer);
    snprintf(fz->viewer.name, sizeof fz->viewer.name, "fuzz-viewer");
    fz->viewer.roles = RL_ROLE_VIEWER;
    fz->viewer.ntenants = 2;
    snprintf(fz->viewer.tenants[0], sizeof fz->viewer.tenants[0], "default");
    snprintf(fz->viewer.tenants[1], sizeof fz->viewer.tenants[1], "acme");
    fz->log = rl_log_new(service, RL_LOG_OFF, stderr, NULL);
    fz->bus = rl_bus_new(fz->log);
    fz->arena = rl_arena_new(0);
    char endpoint[96];
    snprintf(endpoint, sizeof endpoint, "inproc://fuzz-%s", service);
    rl_error_t err;
    rl_error_clear(&err);
    fz->server = fz->bus ? rl_bus_server_new(fz->bus, service, endpoint, NULL, &fz->admin, &err) : NULL;
    if (!fz->log || !fz->arena || !fz->server)
        die("cannot set up the %s bus server: %s", service, err.message);
}

/* A port nothing listens on: bound by the kernel's choice, then closed. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = 1;  /* privileged: nothing of ours listens there */
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

int fz_bus_store_opts(fz_bus_t *fz, rl_store_opts_t *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->host = "127.0.0.1";
    opts->timeout_ms = 2000;
    opts->password = "";
    const char *port = getenv("RISKLINE_FUZZ_REDIS_PORT");
    const char *pwfile = getenv("RISKLINE_FUZZ_REDIS_PASSWORD_FILE");
    if (!port || !*port) {
        opts->port = closed_port();
        fprintf(stderr, "fuzz: no RISKLINE_FUZZ_REDIS_PORT: the store points at closed port %d\n", opts->port);
        return 0;
    }
    opts->port = atoi(port);
    if (opts->port <= 0 || opts->port > 65535)
        die("RISKLINE_FUZZ_REDIS_PORT=%s is not a port", port);
    if (pwfile && *pwfile) {
        FILE *fp = fopen(pwfile, "r");
        if (!fp || !fgets(fz->redis_password, sizeof fz->redis_password, fp))
            die("cannot read the password file %s", pwfile);
        fclose(fp);
        fz->redis_password[strcspn(fz->redis_password, "\r\n")] = '\0';
        opts->password = fz->redis_password;
    }
    fprintf(stderr, "fuzz: store is the Redis on 127.0.0.1:%d\n", opts->port);
    return 1;
}

static int is_utf8(const char *s) { return !s || rl_utf8_valid(s, strlen(s)); }

/* Every string field, at any depth, is valid UTF-8 (other languages' protobuf refuse it otherwise). */
static void check_strings(const ProtobufCMessage *m, const char *path, int depth)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    if (depth > 32)
        die("reply nests deeper than 32 at %s", path);
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            void *const *items = *(void *const *const *)(base + f->offset);
            for (size_t j = 0; j < n; j++) {
                if (f->type == PROTOBUF_C_TYPE_STRING && !is_utf8(items[j]))
                    die("%s.%s[%zu] is not valid UTF-8", path, f->name, j);
                if (f->type == PROTOBUF_C_TYPE_MESSAGE && items[j])
                    check_strings(items[j], f->name, depth + 1);
            }
            continue;
        }
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && *(const uint32_t *)(base + f->quantifier_offset) != f->id)
            continue;
        const void *v = *(const void *const *)(base + f->offset);
        if (f->type == PROTOBUF_C_TYPE_STRING && !is_utf8(v))
            die("%s.%s is not valid UTF-8", path, f->name);
        if (f->type == PROTOBUF_C_TYPE_MESSAGE && v)
            check_strings(v, f->name, depth + 1);
    }
}

static void check_reply(fz_bus_t *fz, const rl_principal_t *who, const rl_envelope_t *req, rl_err_t rc,
                        const rl_envelope_t *reply)
{
    const char *as = who->name;
    if (!reply)
        die("%s: no reply", as);
    if (!reply->status)
        die("%s: reply without a status (code %d)", as, (int)rc);
    if ((int)reply->status->code != (int)rc)
        die("%s: status code %d but dispatch returned %d", as, (int)reply->status->code, (int)rc);
    if (!reply->status->message || !reply->status->message[0])
        die("%s: status %d without a message", as, (int)rc);
    if (rc != RL_OK && reply->body_case != RISKLINE__V1__ENVELOPE__BODY__NOT_SET)
        die("%s: error %s with a body (case %d)", as, rl_strerror(rc), (int)reply->body_case);
    if (reply->request_id && reply->request_id[0] && !rl_request_id_valid(reply->request_id))
        die("%s: reply echoes an invalid request id", as);
    if (reply->tenant && reply->tenant[0] && !rl_tenant_valid(reply->tenant))
        die("%s: reply echoes an invalid tenant", as);
    if (rc == RL_OK) {
        if (!req)
            die("%s: success for bytes that are not an Envelope", as);
        if (reply->body_case == RISKLINE__V1__ENVELOPE__BODY__NOT_SET)
            die("%s: success without a body (request case %d)", as, (int)req->body_case);
        if (rl_acl_roles_for((int)reply->body_case) != 0)
            die("%s: success whose body (case %d) is a request, not a result", as, (int)reply->body_case);
        if (!reply->request_id || strcmp(reply->request_id, req->request_id) != 0)
            die("%s: success that does not echo the request id", as);
        if (req->body_case != RISKLINE__V1__ENVELOPE__BODY_PING &&
            !(rl_acl_roles_for((int)req->body_case) & who->roles))
            die("%s: request case %d succeeded without a role the table asks for", as, (int)req->body_case);
        if (!rl_principal_has_tenant(who, req->tenant))
            die("%s: success in tenant %s outside the principal's tenants", as, req->tenant);
    }
    check_strings(&reply->base, "reply", 0);
    /* What the bus would send must be a frame a client decodes. */
    size_t len = protobuf_c_message_get_packed_size(&reply->base);
    if (len > RL_MAX_REPLY_BYTES)
        die("%s: reply of %zu bytes is over RL_MAX_REPLY_BYTES", as, len);
    uint8_t *bytes = rl_arena_alloc(fz->arena, len ? len : 1);
    if (!bytes)
        die("%s: no memory to pack the reply", as);
    protobuf_c_message_pack(&reply->base, bytes);
    if (!rl_codec_unpack(&riskline__v1__envelope__descriptor, bytes, len, RL_MAX_REPLY_BYTES, fz->arena))
        die("%s: the packed reply does not decode", as);
}

void fz_bus_run(fz_bus_t *fz, void *app, const uint8_t *data, size_t size)
{
    const rl_principal_t *order[] = {&fz->viewer, &fz->admin};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        rl_arena_reset(fz->arena);
        rl_envelope_t *req = NULL;
        rl_error_t derr;
        if (rl_codec_decode_envelope(data, size, fz->arena, &req, &derr) != RL_OK)
            req = NULL;
        rl_envelope_t *reply = NULL;
        rl_error_t err;
        rl_err_t rc = rl_bus_server_dispatch(fz->server, app, order[i], data, size, &reply, &err);
        check_reply(fz, order[i], req, rc, reply);
    }
}

void fz_bus_write_seeds(const char *dir, const fz_seed_t *bodies, size_t n)
{
    Riskline__V1__Envelope env = RISKLINE__V1__ENVELOPE__INIT;
    env.schema_version = 1;
    env.request_id = "seed";
    env.tenant = "default";
    for (size_t i = 0; i < n; i++) {
        env.body_case = bodies[i].body;
        env.ping = bodies[i].msg;  /* any member of the oneof: they share the storage */
        uint8_t buf[4096];
        if (riskline__v1__envelope__get_packed_size(&env) > sizeof buf)
            abort();
        size_t len = riskline__v1__envelope__pack(&env, buf);
        char path[512];
        snprintf(path, sizeof path, "%s/seed-%02zu", dir, i);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(buf, 1, len, f) != len)
            abort();
        fclose(f);
    }
    exit(0);
}

rl_store_t *fz_bus_start(fz_bus_t *fz, const char *service, void (*write_seeds)(const char *dir))
{
    if (write_seeds && getenv("FZ_WRITE_SEEDS"))
        write_seeds(getenv("FZ_WRITE_SEEDS"));
    fz_bus_init(fz, service);
    rl_store_opts_t so;
    fz_bus_store_opts(fz, &so);
    return rl_store_new(&so, fz->log);
}
