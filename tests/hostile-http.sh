#!/bin/sh
# 10,000 malformed HTTP requests of every kind (bad JSON, wrong types, huge
# fields, deep nesting, invalid UTF-8, unknown fields, wrong content type,
# missing or wrong token, wrong role, truncated bodies, raw ID numbers,
# oversized and ambiguously framed bodies, garbage; tests/loadclient.c
# "malformed") against cairnd: each gets the status cairnd(8) documents,
# a well-behaved client meanwhile gets every receipt within 2 s, nothing
# malformed is stored, and the heap returns to its baseline.  Last, with
# the default auth_fail_limit, an address that guesses tokens gets 429.
. "${top_srcdir:-.}/tests/lib.sh"

for tool in curl awk; do
	command -v $tool >/dev/null 2>&1 || { echo "SKIP: no $tool"; exit 77; }
done
COUNT=${HOSTILE_HTTP_COUNT:-10000}
BOUND_MS=2000		# a well-behaved request's answer, at most
SLACK_KB=8192		# the heap after the storm, over its baseline
daemon_setup
# loadclient's malformed requests assume max_body = 256K (its M_MAX_BODY).
# Most of them present an invalid token or none: the guessing limit would
# turn their answers into 429 within a second (checked on its own below).
cp "$CONF" "$T/default.conf"
cat >> "$CONF" <<CONF
max_body = 256K
auth_fail_limit = 100000
CONF
# Under AddressSanitizer freed memory waits in a quarantine (256 MB) and
# its allocator keeps what it took: for cairnd (only), have it release
# memory as malloc would, so that the heap check means the same there.
saved_asan=${ASAN_OPTIONS-}
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0:allocator_release_to_os_interval_ms=100"
export ASAN_OPTIONS
check "cairnd starts" start_cairnd
ASAN_OPTIONS=$saved_asan

rss_anon() {
	awk '/^RssAnon:/ { print $2 }' "/proc/$CAIRND_PID/status"
}
# stored PREFIX: how many stored events have an id starting with PREFIX.
stored() {
	"$CAIRN" dump | grep -c "\"id\":\"$1"
}
# entries: the store's tree size.
entries() {
	"$CAIRN" stat | sed -n 's/^entries *//p'
}

# --- Baseline ------------------------------------------------------------------
# Good events and queries first, so that the heap holds what normal
# service needs (thread arenas, the writer's buffers) before it is measured.
check "warm-up: 500 events acknowledged" "$LOADCLIENT" http "$HTTP_PORT" "$ING" 500 warm
i=0
while [ $i -lt 20 ]; do
	curl -s -o /dev/null -H "Authorization: Bearer $QRY" \
	    "http://127.0.0.1:$HTTP_PORT/v1/entries?stream=account&limit=100"
	curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/v1/checkpoint"
	i=$((i + 1))
done
# GETs keep their connection (curl reuses it for the second URL).
n=$(curl -s -o /dev/null -o /dev/null -w '%{num_connects}' \
    "http://127.0.0.1:$HTTP_PORT/healthz" "http://127.0.0.1:$HTTP_PORT/v1/checkpoint")
[ "$n" = 10 ] && ok "two GETs on one keep-alive connection" ||
    not_ok "GETs did not share a connection (connects: $n)"
sleep 1
base=$(rss_anon)
entries0=$(entries)

# --- The storm -----------------------------------------------------------------
# Meanwhile a well-behaved client posts one event at a time (5 ms apart).
"$LOADCLIENT" timed "$HTTP_PORT" "$ING" good "$BOUND_MS" "$T/stop" \
    > "$T/timed.out" 2> "$T/timed.err" &
TIMED=$!
PIDS="$PIDS $TIMED"
peak=$base
(
	while [ ! -e "$T/stop" ]; do rss_anon; sleep 0.2; done
) > "$T/rss" 2>/dev/null &
SAMPLER=$!
PIDS="$PIDS $SAMPLER"
t0=$(date +%s.%N)
if "$LOADCLIENT" malformed "$HTTP_PORT" "$ING" "$QRY" "$COUNT" "$$" \
    > "$T/mal.out" 2> "$T/mal.err"; then
	ok "$COUNT malformed requests: each got its documented status"
else
	not_ok "malformed requests: $(tail -n 1 "$T/mal.out")"
	head -n 40 "$T/mal.err" | sed 's/^/    /'
fi
t1=$(date +%s.%N)
sed 's/^/# /' "$T/mal.out"
echo "# $(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }') s for the malformed requests"
touch "$T/stop"
if wait "$TIMED"; then
	ok "well-behaved client meanwhile: $(cat "$T/timed.out") (bound $BOUND_MS ms)"
else
	not_ok "well-behaved client: $(cat "$T/timed.out")"
	head -n 20 "$T/timed.err" | sed 's/^/    /'
fi
wait "$SAMPLER" 2>/dev/null
alive "$COUNT malformed requests"

# --- Afterwards ----------------------------------------------------------------
acked=$(awk '{ print $2 }' "$T/timed.out")
n=$(stored good-)
[ "$n" -eq "${acked:-x}" ] && [ "$n" -gt 0 ] &&
    ok "all $n acknowledged events of the well-behaved client are stored" ||
    not_ok "$n events of the well-behaved client stored, $acked acknowledged"
n=$(stored mal-)
[ "$n" -eq 0 ] && ok "nothing from the malformed requests was stored" ||
    not_ok "$n malformed events stored"
n=$(entries)
want=$((entries0 + acked))
[ "$n" -eq "$want" ] && ok "no other entry appeared: $n entries" ||
    not_ok "$n entries, want $want"
# The connections are closed: the heap must come back near its baseline
# (measured for up to 5 s, as the last threads exit).
peak=$(sort -n "$T/rss" | tail -n 1)
i=0
while now=$(rss_anon) && [ "$now" -gt $((base + SLACK_KB)) ] && [ $i -lt 25 ]; do
	sleep 0.2; i=$((i + 1))
done
echo "# RssAnon kB: baseline $base, peak ${peak:-?} during, $now after"
if [ "$now" -le $((base + SLACK_KB)) ]; then
	ok "heap back to baseline: RssAnon $now kB (baseline $base kB, peak ${peak:-?} kB)"
else
	not_ok "heap stays up: RssAnon $now kB, baseline $base kB"
fi
check "cairnd stops" stop_cairnd
check "store verifies" "$CAIRN" verify

# --- Token guessing, default auth_fail_limit (10 a minute) ---------------------------
cp "$T/default.conf" "$CONF"
check "cairnd restarts with the default auth_fail_limit" start_cairnd
# code [CURL ARGS]: POSTs a valid event; prints the status.
code() {
	curl -s -o "$T/body" -D "$T/hdrs" -w '%{http_code}' "$@" \
	    -H 'Content-Type: application/json' --data-binary \
	    '{"id":"guess-1","type":"account.created","account_kind":"personal","time":"2026-11-29T08:00:00Z","account":"u-1"}' \
	    "http://127.0.0.1:$HTTP_PORT/v1/events"
}
codes=
i=0
while [ $i -lt 10 ]; do
	codes="$codes$(code -H "Authorization: Bearer guess$i")"
	i=$((i + 1))
done
[ "$codes" = 401401401401401401401401401401 ] &&
    ok "10 invalid tokens from one address: 401 each" ||
    not_ok "10 invalid tokens: $codes"
c=$(code -H "Authorization: Bearer guess10")
[ "$c" = 429 ] && grep -qi '^Retry-After: 60' "$T/hdrs" &&
    ok "the 11th: 429 with Retry-After" || not_ok "the 11th invalid token: $c"
c=$(code -H "Authorization: Bearer $ING")
[ "$c" = 429 ] && ok "that address is refused even with a valid token: 429" ||
    not_ok "a valid token from the throttled address: $c"
c=$(code --interface 127.0.0.2 -H "Authorization: Bearer $ING")
[ "$c" = 200 ] && ok "another address is served: 200" ||
    not_ok "a valid token from another address: $c"
[ "$(stored guess-)" -eq 1 ] && ok "only the one accepted event is stored" ||
    not_ok "$(stored guess-) guess- events stored, want 1"
expect "cairnd logs the guessing address" 'presented 10 invalid tokens' "$T/cairnd.log"
alive "token guessing"
check "cairnd stops" stop_cairnd
# A sanitizer build reports into cairnd's log.
if grep -Eq 'Sanitizer|runtime error' "$T/cairnd.log" 2>/dev/null; then
	not_ok "sanitizer report in cairnd's log"
	grep -E -A 30 'Sanitizer|runtime error' "$T/cairnd.log" | head -n 60 | sed 's/^/    /'
fi
finish
