/* rl_sha256.h: SHA-256 with the CPU's SHA extensions where it has them (x86-64 SHA-NI), libsodium's otherwise. */
#ifndef RL_SHA256_H
#define RL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define RL_SHA256_LEN 32

/* out = SHA-256(data[0..len)). The same bytes whichever implementation runs (tests/unit/test_chain.c
 * checks the two against each other and against FIPS 180-2's examples). Thread-safe. */
void rl_sha256(const void *data, size_t len, uint8_t out[RL_SHA256_LEN]);

/* 1 when rl_sha256 uses the CPU's SHA instructions on this machine, 0 when libsodium's code. */
int rl_sha256_accelerated(void);

/* The portable path alone (libsodium), whatever the CPU: for tests and benchmarks. */
void rl_sha256_portable(const void *data, size_t len, uint8_t out[RL_SHA256_LEN]);

#endif
