/* rl_cluster.h: the pure rules of Redis Cluster routing (hash slots, a command's key, the slot map,
 * MOVED/ASK redirects) that rl_store applies; no I/O, unit-tested on their own. */
#ifndef RL_CLUSTER_H
#define RL_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "rl_store.h"

#define RL_CLUSTER_SLOTS 16384
#define RL_CLUSTER_HOST_MAX 256

/* The hash slot of a key, as Redis's keyHashSlot: CRC16 (XMODEM) of the hash tag (the bytes
 * between the first '{' and the first '}' after it, when not empty), else of the whole key,
 * modulo 16384. Every key of a tenant, rl:{<tenant>}:..., thus shares the tenant's slot. */
unsigned rl_cluster_slot(const char *key, size_t len);

/* CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), the checksum behind the slots. */
uint16_t rl_cluster_crc16(const char *buf, size_t len);

/* The index in argv of the key that routes the command, or -1 when it has none (PING, WAIT,
 * SCRIPT LOAD, a script declaring no key: any node may take it). EVAL/EVALSHA(_RO): the first key
 * after numkeys; XREAD/XREADGROUP: the first key after STREAMS; XINFO/XGROUP: the key after the
 * subcommand; any other command: argv[1]. */
int rl_cluster_key_index(int argc, const char *const *argv, const size_t *argvlen);

/* A master's range of slots from CLUSTER SLOTS. */
typedef struct {
    unsigned first, last;              /* inclusive, 0..16383 */
    char host[RL_CLUSTER_HOST_MAX];    /* "" when the node did not say (ask the node that answered) */
    int port;
} rl_cluster_range_t;

/* CLUSTER SLOTS reply [[first, last, [host, port, id, ...], replicas...], ...] into out (at most
 * max ranges). 0 ok with *n set; -1 when the reply is not that shape or a range is out of bounds. */
int rl_cluster_parse_slots(const rl_val_t *reply, rl_cluster_range_t *out, size_t max, size_t *n);

/* A redirect error reply: "MOVED <slot> <host>:<port>" or "ASK <slot> <host>:<port>". 0 with *ask,
 * *slot, host and *port set; -1 for any other error (or a malformed redirect). */
int rl_cluster_redirect(const char *err, int *ask, unsigned *slot, char *host, size_t size, int *port);

#endif
