/* rl_sha256.c: SHA-256 with the CPU's SHA extensions where it has them (x86-64 SHA-NI), libsodium's otherwise. */
#include "rl_sha256.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define RL_SHA_NI 1
#include <cpuid.h>
#include <immintrin.h>
#else
#define RL_SHA_NI 0
#endif

void rl_sha256_portable(const void *data, size_t len, uint8_t out[RL_SHA256_LEN])
{
    if (sodium_init() < 0) /* idempotent; cannot fail once the library is usable */
        memset(out, 0, RL_SHA256_LEN);
    crypto_hash_sha256(out, data, len);
}

#if RL_SHA_NI

/* Why: libsodium's SHA-256 is portable C, about 50 instructions a byte; the audit chain hashes every
 * domain event (the monitor's event.received carries a whole batch), which made hashing about a
 * seventh of the monitor's instructions. The SHA instructions do a 64-byte block in about a tenth
 * of that. */

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

/* nblocks 64-byte blocks into state (a..h). The rounds go four at a time (g = 0..15); m[0..3] hold
 * the message schedule, rotating: sha256msg1/msg2 make W[16..63] from the words before them.
 *
 *   state in the registers:  s0 = ABEF, s1 = CDGH  (what sha256rnds2 takes)
 */
__attribute__((target("sha,sse4.1,ssse3"))) static void compress_ni(uint32_t state[8], const uint8_t *data,
                                                                    size_t nblocks)
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i t = _mm_loadu_si128((const __m128i *)&state[0]);      /* DCBA */
    __m128i s1 = _mm_loadu_si128((const __m128i *)&state[4]);     /* HGFE */
    t = _mm_shuffle_epi32(t, 0xB1);                                /* CDAB */
    s1 = _mm_shuffle_epi32(s1, 0x1B);                              /* EFGH */
    __m128i s0 = _mm_alignr_epi8(t, s1, 8);                        /* ABEF */
    s1 = _mm_blend_epi16(s1, t, 0xF0);                             /* CDGH */
    for (; nblocks > 0; nblocks--, data += 64) {
        __m128i abef = s0, cdgh = s1, m[4];
        for (int g = 0; g < 16; g++) {
            if (g < 4)
                m[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * g)), bswap);
            __m128i w = m[g & 3];
            __m128i msg = _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)&K[4 * g]));
            s1 = _mm_sha256rnds2_epu32(s1, s0, msg);
            if (g >= 3 && g <= 14) {
                __m128i next = _mm_add_epi32(m[(g + 1) & 3], _mm_alignr_epi8(w, m[(g + 3) & 3], 4));
                m[(g + 1) & 3] = _mm_sha256msg2_epu32(next, w);
            }
            s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(msg, 0x0E));
            if (g >= 1 && g <= 12)
                m[(g + 3) & 3] = _mm_sha256msg1_epu32(m[(g + 3) & 3], w);
        }
        s0 = _mm_add_epi32(s0, abef);
        s1 = _mm_add_epi32(s1, cdgh);
    }
    t = _mm_shuffle_epi32(s0, 0x1B);                               /* FEBA */
    s1 = _mm_shuffle_epi32(s1, 0xB1);                              /* DCHG */
    s0 = _mm_blend_epi16(t, s1, 0xF0);                             /* DCBA */
    s1 = _mm_alignr_epi8(s1, t, 8);                                /* HGFE */
    _mm_storeu_si128((__m128i *)&state[0], s0);
    _mm_storeu_si128((__m128i *)&state[4], s1);
}

static void sha256_ni(const void *data, size_t len, uint8_t out[RL_SHA256_LEN])
{
    uint32_t st[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    const uint8_t *p = data;
    size_t full = len / 64;
    if (full)
        compress_ni(st, p, full);
    /* the rest, 0x80, zeros, the length in bits (big-endian): one block, or two when the rest
     * leaves fewer than 9 bytes free */
    uint8_t tail[128] = {0};
    size_t rest = len % 64, nb = rest < 56 ? 1 : 2;
    if (rest)
        memcpy(tail, p + 64 * full, rest);
    tail[rest] = 0x80;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++)
        tail[64 * nb - 1 - i] = (uint8_t)(bits >> (8 * i));
    compress_ni(st, tail, nb);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(st[i] >> 24);
        out[4 * i + 1] = (uint8_t)(st[i] >> 16);
        out[4 * i + 2] = (uint8_t)(st[i] >> 8);
        out[4 * i + 3] = (uint8_t)st[i];
    }
}

/* The CPU's answer, asked once per process (CPUID is slow under a hypervisor: it traps). Written
 * once under pthread_once, read-only after: a fact about the machine, not state. */
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static int have_ni;

static void probe(void)
{
    unsigned a, b, c, d;
    int sse41_ssse3 = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_1) && (c & bit_SSSE3);
    int sha = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29));
    have_ni = sse41_ssse3 && sha;
}

int rl_sha256_accelerated(void)
{
    pthread_once(&probe_once, probe);
    return have_ni;
}

void rl_sha256(const void *data, size_t len, uint8_t out[RL_SHA256_LEN])
{
    if (rl_sha256_accelerated())
        sha256_ni(data, len, out);
    else
        rl_sha256_portable(data, len, out);
}

#else

int rl_sha256_accelerated(void) { return 0; }

void rl_sha256(const void *data, size_t len, uint8_t out[RL_SHA256_LEN]) { rl_sha256_portable(data, len, out); }

#endif
