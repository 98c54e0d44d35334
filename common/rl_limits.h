/* rl_limits.h: every size limit on input, in one place (documented in README "Limits"). */
#ifndef RL_LIMITS_H
#define RL_LIMITS_H

/* Frames: a body above RL_MAX_FRAME_BYTES gets CODE_TOO_LARGE without being decoded.
 * Above RL_HARD_FRAME_BYTES libzmq drops the connection (ZMQ_MAXMSGSIZE): no reply possible. */
#define RL_MAX_FRAME_BYTES      (1024 * 1024)
#define RL_HARD_FRAME_BYTES     (4 * 1024 * 1024)
/* Replies (trusted more than requests: they come from our services) may be larger: a page of
 * 500 risks or events with their snapshots. */
#define RL_MAX_REPLY_BYTES      (32 * 1024 * 1024)
#define RL_MAX_FRAMES           4      /* identity, optional delimiter, body (+1 spare) */

/* Envelope header */
#define RL_MAX_REQUEST_ID       64
#define RL_MAX_TENANT           32

/* Strings (bytes) */
#define RL_MAX_TITLE            200
#define RL_MAX_DESCRIPTION      4000
#define RL_MAX_NAME             128    /* owner, asset, principal */
#define RL_MAX_CATEGORY         64
#define RL_MAX_TEXT             1000   /* threat, vulnerability, reasons, comments */
#define RL_MAX_ENTITY_ID        32
#define RL_MAX_CURSOR           64

/* Lists */
#define RL_MAX_ASSETS           32
#define RL_MAX_UPDATE_MASK      32
#define RL_MAX_PAGE             500
#define RL_DEFAULT_PAGE         50
#define RL_DEFAULT_HISTORY_PAGE 100
#define RL_MAX_LIST_SCAN        5000   /* entries a filtered list examines per page */

/* Treatment plans (services/treatment/plan.c): lists of one plan, and evidence references. */
#define RL_MAX_PLAN_CONTROLS    128    /* controls one plan implements (Annex A has 93) */
#define RL_MAX_PERSONNEL        50     /* people assigned to one plan */
#define RL_MAX_TOOLS            50     /* tools of one plan, each 1..RL_MAX_NAME bytes */
#define RL_MAX_COSTS            1000   /* cost records of one plan */
#define RL_MAX_MILESTONES       100    /* milestones of one plan */
#define RL_MAX_MILESTONE_DEPS   20     /* milestones one milestone depends on */
#define RL_MAX_EVIDENCE         20     /* evidence references of one milestone */
#define RL_MAX_URI              1000   /* an evidence URI */
#define RL_MAX_WAIVE            RL_MAX_MILESTONES  /* milestone ids waived by one close */

/* Batches and pages of the other request types */
#define RL_MAX_BATCH            500    /* events in one ingestion batch (monitor) */
#define RL_MAX_AUDIT_PAGE       1000   /* chain entries per audit_read */
#define RL_MAX_KEY_TENANTS      16     /* tenants one key reaches (= RL_PRINCIPAL_MAX_TENANTS) */

/* Socket queues: a full queue drops (PUB) or blocks (client) rather than growing memory. */
#define RL_SNDHWM               10000
#define RL_RCVHWM               10000
/* Requests per connection: a service's ROUTER keeps at most this many unread requests of one
 * connection (its RCVHWM is per connection); past it libzmq stops reading that client's socket,
 * so a flooding client is slowed down by TCP back-pressure while ROUTER fair-queueing keeps
 * serving the others. Nothing is dropped: the client's own sends block or time out. */
#define RL_MAX_QUEUED_PER_CONN  1000
/* Requests (and ZAP handshakes) served per poll before looking at the other sockets again. */
#define RL_POLL_BATCH           64
#define RL_GATHER_MAX           8      /* requests of a gathered route handled in one call (rl_bus) */
#define RL_LATER_MAX            24     /* requests a gather handler answers later, at most (rl_bus) */

/* Graceful shutdown (README "Graceful shutdown"). On SIGTERM a service answers the request in hand,
 * then every request still queued, or arriving, `unavailable` (field "stopping": nothing ran, the
 * client resends the same request id elsewhere) until none came for RL_STOP_QUIET_MS, at most
 * RL_STOP_DRAIN_MS; its consumers finish the entries they hold (their own pending entries), reading
 * nothing new, for at most RL_STOP_FINISH_MS (what is left stays pending under the consumer's
 * name: handled first on its restart, or claimed by another replica); then it exits 0. The sum,
 * with the socket's linger (1 s) and one entry or request in hand, stays under RL_STOP_BOUND_MS,
 * which the tests hold every service to and deploy/k8s's terminationGracePeriodSeconds exceeds. */
#define RL_STOP_BOUND_MS        5000
#define RL_STOP_FINISH_MS       2000
#define RL_STOP_DRAIN_MS        1000
#define RL_STOP_QUIET_MS        100
/* A client (rl_bus_client_call) refused "stopping" sends the same request again, on a fresh
 * connection, after this pause (one of its retries): by then a load balancer has had time to
 * take the stopping replica out, or it has closed (the drain's quiet window is RL_STOP_QUIET_MS). */
#define RL_STOP_RETRY_PAUSE_MS  500

/* Idempotency: a retried request id within this window returns the original result. */
#define RL_DEDUPE_TTL_S         86400

#endif
