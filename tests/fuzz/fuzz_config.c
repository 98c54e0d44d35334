/* fuzz_config.c: libFuzzer target: the JSON the system reads, a RISKLINE_CONFIG file's text, through
 * the loader (rl_config_apply_json); every setting must stay in bounds whatever the file says. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rl_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
    fprintf(stderr, "fuzz invariant broken: %s\n", what);
    abort();
}

#define STR_OK(f) (memchr(cfg.f, '\0', sizeof cfg.f) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* load_file reads at most 64 KiB - 1 bytes and NUL-terminates them: the same here. */
    if (size > 65535)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    rl_config_t cfg;
    rl_config_defaults(&cfg);
    rl_error_t err;
    rl_error_clear(&err);
    rl_err_t rc = rl_config_apply_json(&cfg, text, "fuzz.json", &err);
    free(text);
    if (rc != RL_OK && rc != RL_ERR_INVALID)
        die("an error other than invalid");
    /* the field names the offending key, which may be "" */
    if (rc != RL_OK && err.message[0] == '\0')
        die("a refusal without a message");
    if (!STR_OK(redis_host) || !STR_OK(redis_user) || !STR_OK(redis_password) || !STR_OK(redis_password_file) ||
        !STR_OK(register_endpoint) || !STR_OK(treatment_endpoint) || !STR_OK(monitor_endpoint) ||
        !STR_OK(report_endpoint) || !STR_OK(report_pub_endpoint) || !STR_OK(tenant) || !STR_OK(principal) ||
        !STR_OK(log_level) || !STR_OK(var_dir) || !STR_OK(keys_dir) || !STR_OK(key_file))
        die("a string setting is not terminated within its buffer");
    if (cfg.redis_port < 1 || cfg.redis_port > 65535 || cfg.redis_timeout_ms < 10 ||
        cfg.redis_timeout_ms > 600000 || cfg.timeout_ms < 10 || cfg.timeout_ms > 600000 || cfg.retries < 0 ||
        cfg.retries > 100 || cfg.insecure < 0 || cfg.insecure > 1)
        die("an integer setting out of its range");
    return 0;
}
