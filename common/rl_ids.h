/* rl_ids.h: request ids (random) and readable entity ids ("R-42") with strict parsing. */
#ifndef RL_IDS_H
#define RL_IDS_H

#include <stddef.h>
#include <stdint.h>

#define RL_REQUEST_ID_LEN 33  /* 32 hex chars + NUL */

/* 128 random bits as hex into buf (>= RL_REQUEST_ID_LEN). 0 ok, -1 if no randomness. */
int rl_request_id_new(char *buf);

/* Writes "<prefix>-<n>" into buf. Returns buf. */
char *rl_entity_id_format(const char *prefix, uint64_t n, char *buf, size_t size);
/* Parses "<prefix>-<n>", n in 1..2^53 with no leading zeros or signs. 0 ok, -1 otherwise. */
int rl_entity_id_parse(const char *prefix, const char *s, uint64_t *n_out);

/* 1 if s is a valid tenant (1..RL_MAX_TENANT bytes of [a-z0-9_-], first [a-z0-9]). */
int rl_tenant_valid(const char *s);
/* 1 if s is a valid request id (1..RL_MAX_REQUEST_ID bytes of [A-Za-z0-9_.-]). */
int rl_request_id_valid(const char *s);

/* 1 if the n bytes at s are well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF). */
int rl_utf8_valid(const char *s, size_t n);

#endif
