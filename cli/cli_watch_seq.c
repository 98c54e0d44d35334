/* cli_watch_seq.c: the rules of `riskline watch` (see cli_watch_seq.h): gap and duplicate
 * decisions, kind filters, the state file's text. */
#include "cli_watch_seq.h"

#include <string.h>

cli_watch_action_t cli_watch_decide(int known, uint64_t pos, uint64_t sequence, uint64_t previous)
{
    /* not from the publisher's stream; if it hid a real update, the next one's previous_sequence
     * points past pos and the catch-up fetches it from the stream itself */
    if (sequence == 0 || previous >= sequence)
        return CLI_WATCH_DROP;
    if (!known)
        return CLI_WATCH_PRINT;
    if (sequence <= pos)
        return CLI_WATCH_DROP;
    return previous <= pos ? CLI_WATCH_PRINT : CLI_WATCH_CATCH_UP;
}

int cli_watch_kind_valid(const char *kind)
{
    size_t n = strlen(kind);
    if (n < 1 || n > 31)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((kind[i] >= 'a' && kind[i] <= 'z') || kind[i] == '_'))
            return 0;
    return 1;
}

int cli_watch_kind_selected(const char *const *kinds, size_t n, const char *kind)
{
    if (n == 0)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(kinds[i], kind) == 0)
            return 1;
    return 0;
}

int cli_watch_parse_seq(const char *text, size_t len, uint64_t *pos)
{
    if (len > 0 && text[len - 1] == '\n')
        len--;
    if (len == 0 || len > 20)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        unsigned d = (unsigned)(text[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *pos = v;
    return 0;
}
