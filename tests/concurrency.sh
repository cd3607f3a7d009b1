#!/bin/sh
# One writer process; readers in other processes see consistent snapshots.
. "${top_srcdir:-.}/tests/lib.sh"

new_store
"$STORETOOL" hold "$CAIRN_STORE" 30 > "$T/hold" &
pid=$!
PIDS="$pid"
n=0
while ! grep -q holding "$T/hold" && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
refuse "a second writer is refused" 'another process.*writing' "$CAIRN" append "$EXAMPLES"
refuse "checkpoint while another writes is refused" 'another process' "$CAIRN" checkpoint
check "readers work while a writer holds the lock" "$CAIRN" stat
kill $pid; wait $pid 2>/dev/null
check "after the writer stops, append works" "$CAIRN" append "$EXAMPLES"

# A writer appends while a reader scans whole snapshots and cairn verify runs.
"$STORETOOL" append "$CAIRN_STORE" 200 100 > /dev/null &
wpid=$!
PIDS="$wpid"
check "reader sees consistent snapshots during appends" "$STORETOOL" snapshots "$CAIRN_STORE" 3
expect "the reader made progress" 'rounds=[1-9]' "$T/out"
check "cairn verify during appends" "$CAIRN" verify
wait $wpid
check "cairn verify after" "$CAIRN" verify
expect "all entries there" '^ok: 200[0-9][0-9] entries' "$T/out"
finish
