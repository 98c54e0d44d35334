/* rl_metrics_http.c: GET /metrics and /healthz over libmicrohttpd, run from the caller's loop (no
 * thread); the only file that includes microhttpd.h. */
#include "rl_metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct rl_metrics_http {
    struct MHD_Daemon *d;
    rl_metrics_t *registry;
    rl_metrics_http_hooks_t hooks;
};

/* Queues a response of `len` bytes of text (copied) with status `code`. */
static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned code, const char *ctype, const char *text,
                                  size_t len, int allow)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result rc = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result serve_metrics(rl_metrics_http_t *self, struct MHD_Connection *c)
{
    if (self->hooks.refresh)
        self->hooks.refresh(self->hooks.ctx);
    size_t len = 0;
    char *text = rl_metrics_render(self->registry, &len);
    if (!text)
        return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8", "out of memory\n", 14, 0);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
    enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result serve_healthz(rl_metrics_http_t *self, struct MHD_Connection *c)
{
    char reason[512] = "";
    int ready = self->hooks.ready(self->hooks.ctx, reason, sizeof reason);
    char body[600];
    int n = ready ? snprintf(body, sizeof body, "ready\n")
                  : snprintf(body, sizeof body, "not ready: %s\n", reason[0] ? reason : "unknown");
    size_t len = n < 0 ? 0 : (size_t)n < sizeof body ? (size_t)n : sizeof body - 1;
    return reply_text(c, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", body, len,
                      0);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    rl_metrics_http_t *self = cls;
    int metrics = !strcmp(url, "/metrics");
    int healthz = !strcmp(url, "/healthz") && self->hooks.ready;
    const char *plain = "text/plain; charset=utf-8";
    /* answered at once, before any request body: an unread body makes MHD close the connection */
    if (!metrics && !healthz)
        return reply_text(c, MHD_HTTP_NOT_FOUND, plain, "not found: only /metrics and /healthz\n", 38, 0);
    if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
        return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, plain, "method not allowed: GET or HEAD\n", 32, 1);
    return metrics ? serve_metrics(self, c) : serve_healthz(self, c);
}

rl_metrics_http_t *rl_metrics_http_new(const char *host, int port, rl_metrics_t *registry,
                                       const rl_metrics_http_hooks_t *hooks, rl_error_t *err)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (port <= 0 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        rl_error_set(err, RL_ERR_INVALID, "RISKLINE_METRICS_HOST", "metrics address %.64s:%d is not an IPv4 address "
                     "and port", host, port);
        return NULL;
    }
    rl_metrics_http_t *self = calloc(1, sizeof *self);
    if (!self) {
        rl_error_set(err, RL_ERR_INTERNAL, "", "out of memory");
        return NULL;
    }
    self->registry = registry;
    if (hooks)
        self->hooks = *hooks;
    /* MHD_USE_EPOLL without an internal thread: one epoll fd for the caller's poll, MHD_run serves */
    self->d = MHD_start_daemon(MHD_USE_EPOLL, (uint16_t)port, NULL, NULL, on_request, self,
                               MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                               MHD_OPTION_CONNECTION_LIMIT, (unsigned)RL_METRICS_HTTP_MAX_CONN,
                               MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)RL_METRICS_HTTP_MAX_CONN,
                               MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)RL_METRICS_HTTP_TIMEOUT_S,
                               MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)RL_METRICS_HTTP_MEMORY,
                               MHD_OPTION_END);
    if (!self->d) {
        rl_error_set(err, RL_ERR_UNAVAILABLE, "metrics", "cannot listen on %s:%d for metrics: %s", host, port,
                     errno ? strerror(errno) : "libmicrohttpd refused");
        free(self);
        return NULL;
    }
    return self;
}

void rl_metrics_http_destroy(rl_metrics_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    if ((*self_p)->d)
        MHD_stop_daemon((*self_p)->d);
    free(*self_p);
    *self_p = NULL;
}

int rl_metrics_http_fd(const rl_metrics_http_t *self)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(self->d, MHD_DAEMON_INFO_EPOLL_FD);
    return info ? info->epoll_fd : -1;
}

int rl_metrics_http_timeout_ms(const rl_metrics_http_t *self)
{
    MHD_UNSIGNED_LONG_LONG t = 0;
    if (MHD_get_timeout(self->d, &t) != MHD_YES)
        return -1;
    return t > 60000 ? 60000 : (int)t;
}

void rl_metrics_http_run(rl_metrics_http_t *self) { MHD_run(self->d); }
