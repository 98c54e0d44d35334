/* fuzz_riskevent_json.c: libFuzzer target: a JSON event as an integrating system or `riskline event
 * send` writes it, through rl_riskevent_from_json; refusals are clean, and an accepted event holds
 * only what the wire can carry (valid UTF-8, known names, exact numbers) and re-encodes identically. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rl_ids.h"
#include "rl_limits.h"
#include "rl_riskevent_json.h"
#include "rl_riskevent_names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
    fprintf(stderr, "fuzz invariant broken: %s\n", what);
    abort();
}

static void utf8(const char *s, const char *what)
{
    if (!s || !rl_utf8_valid(s, strlen(s)))
        die(what);
}

static void check_event(const Riskline__V1__RiskEvent *e)
{
    utf8(e->source, "source is not valid UTF-8");
    utf8(e->event_id, "event_id is not valid UTF-8");
    utf8(e->summary, "summary is not valid UTF-8");
    for (size_t i = 0; i < e->n_risk_ids; i++)
        utf8(e->risk_ids[i], "a risk id is not valid UTF-8");
    for (size_t i = 0; i < e->n_assets; i++)
        utf8(e->assets[i], "an asset is not valid UTF-8");
    for (size_t i = 0; i < e->n_controls; i++)
        utf8(e->controls[i], "a control is not valid UTF-8");
    for (size_t i = 0; i < e->n_attributes; i++) {
        if (!e->attributes[i])
            die("a NULL attribute");
        utf8(e->attributes[i]->key, "an attribute key is not valid UTF-8");
        utf8(e->attributes[i]->value, "an attribute value is not valid UTF-8");
        for (size_t k = 0; k < i; k++)
            if (strcmp(e->attributes[k]->key, e->attributes[i]->key) == 0)
                die("an attribute key twice");
    }
    if (e->kind != 0 && strcmp(rl_riskevent_kind_name(e->kind), "unknown") == 0)
        die("a kind without a name");
    if (e->severity != 0 && strcmp(rl_riskevent_severity_name(e->severity), "unknown") == 0)
        die("a severity without a name");
    if (e->occurred_at_ms < 0 || e->occurred_at_ms > (1LL << 53))
        die("occurred_at_ms out of 0..2^53");
    if (e->measurement_case == RISKLINE__V1__RISK_EVENT__MEASUREMENT_VALUE && !isfinite(e->value))
        die("a value that is not finite");
    if (e->received_at_ms || (e->received_by && e->received_by[0]) || e->n_linked_risks)
        die("a field the monitor stores was filled from JSON");
}

/* packs, unpacks and packs again: the same bytes, and the same event */
static void check_reencode(const Riskline__V1__RiskEvent *e)
{
    size_t n = riskline__v1__risk_event__get_packed_size(e);
    uint8_t *a = malloc(n + 1), *b = malloc(n + 1);
    if (!a || !b)
        die("out of memory");
    if (riskline__v1__risk_event__pack(e, a) != n)
        die("pack wrote another size than it announced");
    Riskline__V1__RiskEvent *d = riskline__v1__risk_event__unpack(NULL, n, a);
    if (!d)
        die("an accepted event does not decode");
    if (riskline__v1__risk_event__get_packed_size(d) != n || riskline__v1__risk_event__pack(d, b) != n ||
        memcmp(a, b, n) != 0)
        die("an accepted event does not re-encode identically");
    if (strcmp(d->source, e->source) || strcmp(d->event_id, e->event_id) || strcmp(d->summary, e->summary) ||
        d->kind != e->kind || d->severity != e->severity || d->occurred_at_ms != e->occurred_at_ms ||
        d->n_risk_ids != e->n_risk_ids || d->n_assets != e->n_assets || d->n_controls != e->n_controls ||
        d->n_attributes != e->n_attributes || d->measurement_case != e->measurement_case)
        die("a decoded event differs from the accepted one");
    check_event(d);
    riskline__v1__risk_event__free_unpacked(d, NULL);
    free(a);
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* exactly `size` bytes, no terminator: a read past the end is an ASan report */
    char *text = malloc(size ? size : 1);
    rl_arena_t *arena = rl_arena_new(0);
    if (!text || !arena)
        die("out of memory");
    if (size)
        memcpy(text, data, size);
    Riskline__V1__RiskEvent *e = (Riskline__V1__RiskEvent *)text; /* must be reset */
    rl_error_t err;
    rl_error_clear(&err);
    rl_err_t rc = rl_riskevent_from_json(text, size, arena, &e, &err);
    if (rc == RL_OK) {
        if (!e)
            die("accepted without an event");
        check_event(e);
        check_reencode(e);
    } else {
        if (rc != RL_ERR_INVALID && !(rc == RL_ERR_TOO_LARGE && size > RL_MAX_FRAME_BYTES))
            die("an error other than invalid");
        if (e)
            die("an event with a refusal");
        if (err.message[0] == '\0' || !memchr(err.field, '\0', sizeof err.field))
            die("a refusal without a message, or an unterminated field");
        /* what is quoted back from the input is printable */
        for (const char *p = err.field; *p; p++)
            if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
                die("a field name that is not printable ASCII");
    }
    rl_arena_destroy(&arena);
    free(text);
    return 0;
}
