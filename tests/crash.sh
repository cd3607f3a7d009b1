#!/bin/sh
# Crash safety: a writer SIGKILLed at random moments, 50 times.  Every batch
# whose commit returned (reported on stdout only after commit) is present,
# and the store verifies.  A reader SIGKILLed mid-scan leaves no stale slot.
. "${top_srcdir:-.}/tests/lib.sh"

new_store
rounds=${CRASH_ROUNDS:-50}
i=0
while [ $i -lt "$rounds" ]; do
	i=$((i + 1))
	"$STORETOOL" append "$CAIRN_STORE" 1000 50 > "$T/acked" 2>"$T/append.err" &
	pid=$!
	# A random pause of 0 to ~0.3 s.
	sleep "0.$(od -An -N1 -tu1 /dev/urandom | tr -d ' ' | awk '{printf "%03d", $1 + 10}')"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	acked=$(tail -n 1 "$T/acked")
	[ -n "$acked" ] || acked=0
	size=$("$CAIRN" stat 2>"$T/stat.err" | sed -n 's/^entries *//p')
	if [ -z "$size" ] || [ "$size" -lt "$acked" ]; then
		not_ok "round $i: $acked acknowledged but store has '${size}'"
		cat "$T/stat.err"
		continue
	fi
	if ! "$CAIRN" verify > "$T/verify" 2>&1; then
		not_ok "round $i: verify after SIGKILL"; cat "$T/verify"; continue
	fi
	ok "round $i: killed after $acked acknowledged; store has $size and verifies"
done

# A live writer keeps the environment open (else LMDB would reset the
# reader table on the next open and hide the stale slot).
"$STORETOOL" hold "$CAIRN_STORE" 60 > "$T/hold" &
hpid=$!
PIDS="$hpid"
n=0
while ! grep -q holding "$T/hold" && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
"$STORETOOL" scan "$CAIRN_STORE" > "$T/scan" &
pid=$!
PIDS="$hpid $pid"
n=0
while ! grep -q scanning "$T/scan" && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
kill -9 $pid; wait $pid 2>/dev/null
check "reader slots after a SIGKILLed reader" "$STORETOOL" readers "$CAIRN_STORE"
expect "the killed reader's slot is cleared" '^stale_cleared=1$' "$T/out"
expect "no stale slot is left" '^stale_left=0$' "$T/out"
kill $hpid; wait $hpid 2>/dev/null
check "a writer opens and appends afterwards" "$CAIRN" append "$EXAMPLES"
check "and the store verifies" "$CAIRN" verify
finish
