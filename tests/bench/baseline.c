/* baseline.c: the floor a Riskline service is measured against: a bare ZeroMQ ROUTER that, for every
 * request, does one Redis GET of a fixed key and replies with the value. No decoding, no checks.
 *
 *   baseline <endpoint> <redis port> [key]     password in RISKLINE_REDIS_PASSWORD (never argv)
 *
 * Frames: [identity][body] (DEALER) or [identity][""][body] (REQ) -> [identity](["" ])[value].
 * A nil key or a Redis error replies an empty frame. SIGINT/SIGTERM: exit 0. Exit 2 on bad usage,
 * 3 when it cannot bind, 4 when Redis cannot be reached at start. */
#include <errno.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define DEFAULT_KEY "rl:{bench}:baseline"
#define MAX_PARTS 4

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static redisContext *redis_open(int port, const char *password)
{
    struct timeval tv = {2, 0};
    redisContext *rc = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (!rc || rc->err) {
        fprintf(stderr, "baseline: redis connect: %s\n", rc ? rc->errstr : "out of memory");
        redisFree(rc);
        return NULL;
    }
    redisSetTimeout(rc, tv);
    if (password && *password) {
        redisReply *r = redisCommand(rc, "AUTH %s", password);
        int ok = r && r->type != REDIS_REPLY_ERROR;
        if (!ok)
            fprintf(stderr, "baseline: redis AUTH failed: %s\n", r && r->str ? r->str : rc->errstr);
        freeReplyObject(r);
        if (!ok) {
            redisFree(rc);
            return NULL;
        }
    }
    return rc;
}

/* One request: read all parts, GET, reply. Returns 0, or -1 on a socket failure. */
static int serve_one(void *sock, redisContext **rcp, int port, const char *password, const char *key)
{
    zmq_msg_t parts[MAX_PARTS];
    int n = 0, more = 1, dropped = 0;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(&m);
            for (int i = 0; i < n; i++)
                zmq_msg_close(&parts[i]);
            return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
        }
        more = zmq_msg_more(&m);
        if (n < MAX_PARTS)
            parts[n++] = m;
        else {
            zmq_msg_close(&m);
            dropped = 1;
        }
    }
    int delim = (n == 3 && zmq_msg_size(&parts[1]) == 0);
    if (!dropped && (n == 2 || delim)) {
        if (!*rcp)
            *rcp = redis_open(port, password);
        redisReply *r = *rcp ? redisCommand(*rcp, "GET %s", key) : NULL;
        if (!r && *rcp) { /* connection lost: reconnect on the next request */
            redisFree(*rcp);
            *rcp = NULL;
        }
        const char *val = (r && r->type == REDIS_REPLY_STRING) ? r->str : "";
        size_t len = (r && r->type == REDIS_REPLY_STRING) ? r->len : 0;
        int rc = zmq_send(sock, zmq_msg_data(&parts[0]), zmq_msg_size(&parts[0]), ZMQ_SNDMORE | ZMQ_DONTWAIT);
        if (rc >= 0 && delim)
            rc = zmq_send(sock, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        if (rc >= 0)
            zmq_send(sock, val, len, ZMQ_DONTWAIT); /* a gone peer only loses its reply */
        freeReplyObject(r);
    }
    for (int i = 0; i < n; i++)
        zmq_msg_close(&parts[i]);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: baseline <endpoint> <redis port> [key]   (password: RISKLINE_REDIS_PASSWORD)\n");
        return 2;
    }
    const char *endpoint = argv[1];
    char *end = NULL;
    long port = strtol(argv[2], &end, 10);
    if (!end || *end || port < 1 || port > 65535) {
        fprintf(stderr, "baseline: bad redis port '%s'\n", argv[2]);
        return 2;
    }
    const char *key = argc == 4 ? argv[3] : DEFAULT_KEY;
    const char *password = getenv("RISKLINE_REDIS_PASSWORD");

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    redisContext *rc = redis_open((int)port, password);
    if (!rc)
        return 4;

    void *ctx = zmq_ctx_new();
    void *sock = ctx ? zmq_socket(ctx, ZMQ_ROUTER) : NULL;
    if (!sock || zmq_bind(sock, endpoint) != 0) {
        fprintf(stderr, "baseline: cannot bind %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
        if (sock)
            zmq_close(sock);
        if (ctx)
            zmq_ctx_term(ctx);
        redisFree(rc);
        return 3;
    }
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);

    int status = 0;
    while (!g_stop) {
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&item, 1, 200);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            status = 1;
            break;
        }
        if (n == 0)
            continue;
        for (int i = 0; i < 64 && !g_stop; i++) { /* drain a bounded batch */
            int events = 0;
            size_t sz = sizeof events;
            if (zmq_getsockopt(sock, ZMQ_EVENTS, &events, &sz) != 0 || !(events & ZMQ_POLLIN))
                break;
            if (serve_one(sock, &rc, (int)port, password, key) != 0) {
                status = 1;
                g_stop = 1;
            }
        }
    }
    zmq_close(sock);
    zmq_ctx_term(ctx);
    redisFree(rc);
    return status;
}
