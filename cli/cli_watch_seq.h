/* cli_watch_seq.h: the rules of `riskline watch`, pure: print, drop or catch up before a live
 * update; kind filters; sequences as --since and the state file give them. */
#ifndef CLI_WATCH_SEQ_H
#define CLI_WATCH_SEQ_H

#include <stddef.h>
#include <stdint.h>

/*
 * Sequences are stream positions (Redis stream id ms << 20 | n), not consecutive numbers: the
 * update after 5 may be 9. So "the next one expected" cannot be computed from a sequence alone;
 * instead every Update carries previous_sequence, and no update of the tenant lies strictly between
 * previous_sequence and sequence. The watcher keeps `pos`: every update up to pos is accounted for
 * (printed, or filtered out by --kind). A live update u then is
 *   - a duplicate when u.sequence <= pos (a catch-up already printed it, or a second replica
 *     published it too): dropped;
 *   - the next one when u.previous_sequence <= pos: nothing can lie between pos and u, printed;
 *   - after a gap otherwise (the publisher dropped updates for us, we reconnected, or with --kind
 *     the update before it was of a kind we do not subscribe to): the watcher first asks
 *     UpdatesAfter(pos), which returns the missed updates in order (and u itself, already stored),
 *     and prints those, then drops u as a duplicate.
 * Without a position yet (no --since, no state, nothing seen) the first live update is printed
 * and sets pos.
 */
typedef enum {
    CLI_WATCH_PRINT = 0,
    CLI_WATCH_DROP,
    CLI_WATCH_CATCH_UP,
} cli_watch_action_t;

/* What to do with a live update (sequence, previous) when the watcher is at pos (known: it has a
 * position at all). A sequence of 0, or a previous_sequence not below its sequence, cannot come
 * from the publisher's stream: dropped. */
cli_watch_action_t cli_watch_decide(int known, uint64_t pos, uint64_t sequence, uint64_t previous);

/* 1 when kind may name a topic: 1..31 of [a-z_] (the report's topic kinds). */
int cli_watch_kind_valid(const char *kind);
/* 1 when kind is one of kinds[0..n), or when n is 0 (no filter). */
int cli_watch_kind_selected(const char *const *kinds, size_t n, const char *kind);

/* A sequence as --since gives it or a state file holds it: decimal digits (all 64 bits), an optional
 * final newline, nothing else. 0 ok, -1 otherwise (*pos untouched). */
int cli_watch_parse_seq(const char *text, size_t len, uint64_t *pos);

#endif
