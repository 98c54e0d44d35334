/* rl_keyfile.c: key generation (libsodium), Z85 text, and owner-only key files. */
#include "rl_keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char z85_chars[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/* Z85 (ZeroMQ RFC 32) of a 32-byte key: 40 characters, as zmq_z85_encode writes them. */
static void z85_encode(char out[41], const uint8_t in[32])
{
    for (int i = 0; i < 32; i += 4) {
        uint32_t v = (uint32_t)in[i] << 24 | (uint32_t)in[i + 1] << 16 | (uint32_t)in[i + 2] << 8 | in[i + 3];
        for (int j = 4; j >= 0; j--) {
            out[i / 4 * 5 + j] = z85_chars[v % 85];
            v /= 85;
        }
    }
    out[40] = '\0';
}

int rl_keyfile_z85_valid(const char *s)
{
    if (!s || strlen(s) != 40)
        return 0;
    for (int i = 0; i < 40; i++)
        if (!strchr(z85_chars, s[i]) || !s[i])
            return 0;
    return 1;
}

int rl_keyfile_z85_decode(uint8_t out[32], const char *s)
{
    if (!rl_keyfile_z85_valid(s))
        return -1;
    for (int i = 0; i < 40; i += 5) {
        uint64_t v = 0;
        for (int j = 0; j < 5; j++)
            v = v * 85 + (uint64_t)(strchr(z85_chars, s[i + j]) - z85_chars);
        if (v > 0xffffffffu)
            return -1;
        for (int j = 0; j < 4; j++)
            out[i / 5 * 4 + j] = (uint8_t)(v >> (24 - 8 * j));
    }
    return 0;
}

rl_err_t rl_keyfile_generate(rl_keyfile_t *kf, int with_sign, rl_error_t *err)
{
    memset(kf, 0, sizeof *kf);
    if (sodium_init() < 0)
        return rl_error_set(err, RL_ERR_INTERNAL, "", "libsodium cannot initialise");
    uint8_t pub[32], sec[32];
    crypto_box_keypair(pub, sec);
    z85_encode(kf->curve_public, pub);
    z85_encode(kf->curve_secret, sec);
    sodium_memzero(sec, sizeof sec);
    if (with_sign) {
        crypto_sign_keypair(kf->sign_public, kf->sign_secret);
        kf->has_sign = kf->has_sign_secret = 1;
    }
    return RL_OK;
}

int rl_keyfile_path(char *buf, size_t size, const char *dir, const char *name, const char *ext)
{
    int n = snprintf(buf, size, "%s/%s.%s", dir, name, ext);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int write_file(const char *path, const char *text, mode_t mode, int exclusive)
{
    char tmp[1100];
    if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0)
        return -1;
    size_t len = strlen(text);
    int ok = write(fd, text, len) == (ssize_t)len && fchmod(fd, mode) == 0 && fsync(fd) == 0;
    close(fd);
    /* link() fails when the target exists: an existing secret key is never replaced */
    if (ok)
        ok = exclusive ? link(tmp, path) == 0 : rename(tmp, path) == 0;
    int saved = errno;
    unlink(tmp);
    errno = saved;
    return ok ? 0 : -1;
}

static void hex(char *out, const uint8_t *in, size_t n)
{
    sodium_bin2hex(out, n * 2 + 1, in, n);
}

rl_err_t rl_keyfile_save(const rl_keyfile_t *kf, const char *dir, const char *name, rl_error_t *err)
{
    char path[1024], text[1024], sp[65], ss[129];
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return rl_error_set(err, RL_ERR_INVALID, "keys_dir", "cannot create %s: %s", dir, strerror(errno));
    if (kf->has_sign) {
        hex(sp, kf->sign_public, 32);
        hex(ss, kf->sign_secret, 64);
    }
    if (rl_keyfile_path(path, sizeof path, dir, name, "key"))
        return rl_error_set(err, RL_ERR_INVALID, "keys_dir", "path too long");
    snprintf(text, sizeof text, "# riskline key of %s: keep secret\ncurve-public = %s\ncurve-secret = %s\n%s%s%s%s%s",
             name, kf->curve_public, kf->curve_secret, kf->has_sign ? "sign-public = " : "",
             kf->has_sign ? sp : "", kf->has_sign ? "\nsign-secret = " : "", kf->has_sign ? ss : "",
             kf->has_sign ? "\n" : "");
    int rc = write_file(path, text, 0600, 1);
    sodium_memzero(text, sizeof text);
    sodium_memzero(ss, sizeof ss);
    if (rc)
        return rl_error_set(err, errno == EEXIST ? RL_ERR_CONFLICT : RL_ERR_INVALID, "keys_dir",
                            "cannot write %s: %s", path, strerror(errno));
    if (rl_keyfile_path(path, sizeof path, dir, name, "pub"))
        return rl_error_set(err, RL_ERR_INVALID, "keys_dir", "path too long");
    snprintf(text, sizeof text, "# riskline public key of %s\ncurve-public = %s\n%s%s%s", name,
             kf->curve_public, kf->has_sign ? "sign-public = " : "", kf->has_sign ? sp : "",
             kf->has_sign ? "\n" : "");
    if (write_file(path, text, 0644, 0))
        return rl_error_set(err, RL_ERR_INVALID, "keys_dir", "cannot write %s: %s", path, strerror(errno));
    return RL_OK;
}

static int unhex(uint8_t *out, size_t n, const char *in)
{
    size_t got = 0;
    if (strlen(in) != n * 2 || sodium_hex2bin(out, n, in, n * 2, NULL, &got, NULL) != 0 || got != n)
        return -1;
    return 0;
}

rl_err_t rl_keyfile_load(rl_keyfile_t *kf, const char *path, rl_error_t *err)
{
    memset(kf, 0, sizeof *kf);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return rl_error_set(err, errno == ENOENT ? RL_ERR_NOT_FOUND : RL_ERR_INVALID, path, "cannot open %s: %s",
                            path, strerror(errno));
    struct stat st;
    rl_err_t rc = RL_OK;
    char line[512];
    int lineno = 0;
    if (fstat(fileno(fp), &st) != 0) {
        rc = rl_error_set(err, RL_ERR_INVALID, path, "cannot stat %s", path);
        goto cleanup;
    }
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        char *nl = strchr(line, '\n');
        if (!nl && !feof(fp)) {
            rc = rl_error_set(err, RL_ERR_INVALID, path, "line %d too long", lineno);
            goto cleanup;
        }
        if (nl)
            *nl = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *eq = strstr(line, " = ");
        if (!eq) {
            rc = rl_error_set(err, RL_ERR_INVALID, path, "line %d: expected \"name = value\"", lineno);
            goto cleanup;
        }
        *eq = '\0';
        const char *k = line, *v = eq + 3;
        int bad = 0;
        if (!strcmp(k, "curve-public"))
            bad = !rl_keyfile_z85_valid(v) || !memcpy(kf->curve_public, v, 41);
        else if (!strcmp(k, "curve-secret"))
            bad = !rl_keyfile_z85_valid(v) || !memcpy(kf->curve_secret, v, 41);
        else if (!strcmp(k, "sign-public"))
            bad = unhex(kf->sign_public, 32, v) || !(kf->has_sign = 1);
        else if (!strcmp(k, "sign-secret"))
            bad = unhex(kf->sign_secret, 64, v) || !(kf->has_sign_secret = 1);
        else
            bad = 1;
        if (bad) {
            rc = rl_error_set(err, RL_ERR_INVALID, path, "line %d: bad %s", lineno, k);
            goto cleanup;
        }
    }
    if (!kf->curve_public[0])
        rc = rl_error_set(err, RL_ERR_INVALID, path, "%s has no curve-public", path);
    else if ((kf->curve_secret[0] || kf->has_sign_secret) && (st.st_mode & 077))
        rc = rl_error_set(err, RL_ERR_INVALID, path, "%s holds a secret key but group or others may read it "
                          "(chmod 600 %s)", path, path);
cleanup:
    sodium_memzero(line, sizeof line);
    fclose(fp);
    if (rc)
        sodium_memzero(kf, sizeof *kf);
    return rc;
}
