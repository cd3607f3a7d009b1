#!/bin/sh
# The disk fails under a running cairnd (an LD_PRELOAD shim makes fsync, or
# LMDB's writes, fail on demand): the batch is not acknowledged, its sender
# gets an error, the failure is counted, nothing acknowledged is lost and
# the store verifies.  Then the store fills up (a tiny max_size): events are
# refused with a clear error and a metric, and taken again once there is
# room.
. "${top_srcdir:-.}/tests/lib.sh"
if ! ${CC:-cc} -shared -fPIC -O1 -o "$T/faultshim.so" \
    "$top_srcdir/tests/faultshim.c" -ldl 2>"$T/cc.err"; then
	cat "$T/cc.err"; echo "cannot build the fault shim"; exit 77
fi
daemon_setup
FAULT="$T/fault"
start_shimmed() {
	: >> "$T/cairnd.log"
	FAULTSHIM_FILE="$FAULT" LD_PRELOAD="$T/faultshim.so" \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	    "$CAIRND" -d -f "$CONF" >> "$T/cairnd.log" 2>&1 &
	CAIRND_PID=$!
	PIDS="$PIDS $CAIRND_PID"
	n=0
	while [ $n -lt 200 ] && [ "$(grep -c 'ready: store' "$T/cairnd.log")" -le "${READY_SEEN:-0}" ]; do
		sleep 0.05; n=$((n + 1))
	done
	READY_SEEN=$(grep -c 'ready: store' "$T/cairnd.log")
}
ev() { sed -n 1p "$EXAMPLES" | jq -c --arg id "$1" '.id = $id'; }
metric() {
	curl -s -H "Authorization: Bearer $ADM" "http://127.0.0.1:$HTTP_PORT/metrics" |
	    awk -v m="$1" 'index($0, m) == 1 { print $2 }'
}

for kind in sync write; do
	rm -f "$FAULT"
	start_shimmed
	s=$(post "$(ev "$kind-before")")
	[ "$s" = 200 ] && ok "$kind: an event before the fault: 200" || not_ok "$kind: before ($s)"
	echo $kind > "$FAULT"
	s=$(post "$(ev "$kind-during")")
	if [ "$s" != 200 ] && [ "$s" -ge 500 ]; then ok "$kind fails: the event is not acknowledged ($s)"
	else not_ok "$kind fails: the event must not be acknowledged ($s)"; cat "$T/body"; fi
	expect "$kind fails: the sender is told why" '"error"' "$T/body"
	m=$(metric 'cairn_commit_errors_total')
	[ "${m:-0}" -ge 1 ] && ok "$kind fails: counted in cairn_commit_errors_total ($m)" ||
	    not_ok "$kind fails: not counted ($m)"
	expect "$kind fails: logged" 'commit failed' "$T/cairnd.log"
	rm -f "$FAULT"
	stop_cairnd
	check "$kind: the store verifies after the failure" "$CAIRN" verify
	check "$kind: the acknowledged event is there" test "$(entries_with "$kind-before")" = 1
	start_cairnd || exit 1
	s=$(post "$(ev "$kind-during")")
	[ "$s" = 200 ] && ok "$kind: once mended, the sender's retry is taken" || not_ok "$kind: retry ($s)"
	check "$kind: stored once" test "$(entries_with "$kind-during")" = 1
	stop_cairnd
	check "$kind: the store verifies" "$CAIRN" verify
done

# The store fills up: a 1 MiB ceiling, filled by batches of 100 events.
cp "$CONF" "$CONF.orig"
printf 'map_size = 1M\nmax_size = 1M\n' >> "$CONF"
start_cairnd || exit 1
batch() {
	i=0
	while [ $i -lt 100 ]; do
		sed -n 2p "$EXAMPLES" | jq -c --arg id "fill-$1-$i" \
		    --arg n "$(printf '%01000d' "$i")" '.id = $id | .note = $n'
		i=$((i + 1))
	done
}
postf() {
	curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $ING" \
	    -H 'Content-Type: application/x-ndjson' --data-binary "@$1" \
	    "http://127.0.0.1:$HTTP_PORT/v1/events"
}
b=0; full=""
while [ $b -lt 40 ]; do
	batch $b > "$T/batch"
	s=$(postf "$T/batch")
	[ "$s" != 200 ] && { full=$s; break; }
	b=$((b + 1))
done
[ -n "$full" ] && ok "a full store refuses events ($full after $b batches of 100)" || not_ok "the store never filled"
expect "the refusal says the store is full" 'full|ceiling' "$T/body"
m=$(metric 'cairn_events_rejected_total{reason="store_full"}')
[ "${m:-0}" -ge 1 ] && ok "counted as store_full ($m)" || not_ok "store_full not counted ($m)"
s=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/healthz")
[ "$s" = 200 ] && ok "cairnd carries on (healthz 200)" || not_ok "healthz ($s)"
s=$(post "$(ev small-while-full)")
echo "# a small event while full: $s"
stop_cairnd
check "the full store verifies" "$CAIRN" verify
if [ "$b" -gt 0 ]; then
	check "the last acknowledged batch is stored" test "$(entries_with "fill-$((b - 1))-99")" = 1
fi
check "nothing of the refused batch is stored (batches are atomic)" test "$(entries_with "fill-$b-0")" = 0
# Room again: the ceiling raised, the refused batch goes in.
cp "$CONF.orig" "$CONF"
start_cairnd || exit 1
batch $b > "$T/batch"
s=$(postf "$T/batch")
[ "$s" = 200 ] && ok "with room again, the refused batch is taken" || not_ok "after room ($s)"
stop_cairnd
check "the store verifies at the end" "$CAIRN" verify
finish
