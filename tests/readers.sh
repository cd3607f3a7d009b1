#!/bin/sh
# Readers of a store cairnd writes: one SIGKILLed mid-read leaves a reader
# slot that pins the pages freed since it began; cairnd clears it at its
# next checkpoint, or when the map is full before refusing anything, and
# counts it (cairn_stale_readers_cleared_total).  A `cairn tail -f` running
# all along, or a slow search over every stream (its iterators renew their
# snapshots at least every 100 ms), makes the store grow far less than a
# reader that keeps one snapshot (the measure can tell).  Nothing
# acknowledged is lost and the store verifies.
. "${top_srcdir:-.}/tests/lib.sh"

for tool in curl; do
	command -v $tool >/dev/null 2>&1 || { echo "SKIP: no $tool"; exit 77; }
done
daemon_setup
cp "$CONF" "$CONF.base"
ACKED="$T/acked"
: > "$ACKED"
# send PREFIX N: N events, one request (so one commit) each, one after the
# other over one connection; acknowledged ids go to $ACKED; returns how
# many were refused.
send() {
	i=0
	: > "$T/curl.conf"
	while [ $i -lt "$2" ]; do
		[ $i -gt 0 ] && echo next >> "$T/curl.conf"
		printf 'url = "http://127.0.0.1:%s/v1/events"\nheader = "Authorization: Bearer %s"\nheader = "Content-Type: application/json"\ndata-binary = "{\\"id\\":\\"%s\\",\\"type\\":\\"account.created\\",\\"time\\":\\"2026-11-29T08:00:00Z\\",\\"account\\":\\"u-%s\\",\\"account_kind\\":\\"personal\\"}"\noutput = "/dev/null"\nwrite-out = "%%{http_code} %s\\n"\nsilent\n' \
		    "$HTTP_PORT" "$ING" "$1-$i" $((i % 50)) "$1-$i" >> "$T/curl.conf"
		i=$((i + 1))
	done
	curl -K "$T/curl.conf" > "$T/codes"
	awk '$1 == 200 { print $2 }' "$T/codes" >> "$ACKED"
	return $(awk '$1 != 200' "$T/codes" | wc -l)
}
metric() {
	curl -s -H "Authorization: Bearer $ADM" "http://127.0.0.1:$HTTP_PORT/metrics" |
	    awk -v m="$1" '$1 == m { print $2 }'
}
pages() { "$STORETOOL" pages "$CAIRN_STORE" | sed -n 's/^last_pgno=//p'; }
# slot PID: PID's line in the reader table (never cleared by looking:
# cairnd keeps the environment open, and only LMDB's reader check clears).
slot() { "$STORETOOL" pages "$CAIRN_STORE" | awk -v p="$1" '$1 == p'; }
# scanner: a reader that holds one read transaction until killed.
start_scanner() {
	"$STORETOOL" scan "$CAIRN_STORE" > "$T/scan" 2>&1 &
	SCAN=$!
	PIDS="$PIDS $SCAN"
	n=0
	while [ $n -lt 100 ] && ! grep -q scanning "$T/scan"; do sleep 0.05; n=$((n + 1)); done
}
kill_scanner() { kill -9 $SCAN; wait $SCAN 2>/dev/null; }

# lost WHAT: the store verifies and holds every acknowledged event.
lost() {
	check "$1: the store verifies" "$CAIRN" verify
	"$CAIRN" dump | grep -o '"id":"[a-z]*-[0-9]*"' | sed 's/"id":"//; s/"$//' |
	    sort -u > "$T/stored"
	sort -u "$ACKED" > "$T/acked.sorted"
	missing=$(comm -23 "$T/acked.sorted" "$T/stored" | wc -l)
	[ "$missing" -eq 0 ] &&
	    ok "$1: all $(wc -l < "$T/acked.sorted") acknowledged events are stored" ||
	    not_ok "$1: $missing acknowledged events are missing"
	: > "$ACKED"
}

# --- 1. Growth with a reader that renews, and with one that does not ------
# On a fresh store, so that what each phase adds is new pages, not free
# ones found from before.
cp "$CONF.base" "$CONF"
printf 'checkpoint_interval = 3600\nbatch_delay_ms = 0\n' >> "$CONF"
start_cairnd || exit 1
N=40
send base 20
p0=$(pages)
send none $N
p1=$(pages)
"$CAIRN" tail -f -n 0 --json > "$T/tail" 2>&1 &
TAIL=$!
PIDS="$PIDS $TAIL"
sleep 0.5
send tail $N
p2=$(pages)
sleep 0.5
kill $TAIL; wait $TAIL 2>/dev/null
# A slow search over every stream (5 ms an entry, then waiting at the end):
# its iterators renew their snapshots at least every 100 ms.
"$STORETOOL" slowsearch "$CAIRN_STORE" 5 > "$T/slow" 2>&1 &
SLOW=$!
PIDS="$PIDS $SLOW"
n=0
while [ $n -lt 100 ] && ! grep -q scanning "$T/slow"; do sleep 0.05; n=$((n + 1)); done
# Spread over 2.5 s, so that it spans many of those renewals.
for g in a b c d e f g h i j; do send "slow$g" $((N / 10)); sleep 0.25; done
p2s=$(pages)
kill $SLOW; wait $SLOW 2>/dev/null
start_scanner
for g in a b c d e f g h i j; do send "held$g" $((N / 10)); sleep 0.25; done
p3=$(pages)
kill_scanner
none=$((p1 - p0)); tail=$((p2 - p1)); slow=$((p2s - p2)); held=$((p3 - p2s))
echo "# pages grown over $N commits: no reader $none, cairn tail -f $tail, a slow search $slow, a held snapshot $held"
n=$(grep -c '"id":"tail-' "$T/tail")
[ "$n" -eq $N ] && ok "cairn tail -f saw all $N events as they came" || not_ok "cairn tail -f saw $n of $N"
# Bounded by what a held snapshot costs (a loaded machine slows the
# reader's polls, so "about as without a reader" is not a fixed ratio).
[ $((tail * 4)) -le "$held" ] &&
    ok "with cairn tail -f the store grows far less than with a held snapshot ($tail vs $held pages; no reader $none)" ||
    not_ok "with cairn tail -f the store grows $tail pages, a held snapshot $held, no reader $none"
[ $((slow * 4)) -le "$held" ] &&
    ok "a slow search renews its snapshots: far less growth than a held one ($slow vs $held pages)" ||
    not_ok "a slow search grew the store $slow pages, a held snapshot $held"
[ "$held" -ge $((none * 2 + 8)) ] &&
    ok "a reader holding one snapshot makes it grow clearly more ($held pages)" ||
    not_ok "a held snapshot grew the store $held pages, no reader $none: the measure cannot tell"
stop_cairnd

lost "growth"

# --- 2. A reader killed mid-read: cleared at the next checkpoint ----------
# A second store (the first has free pages to spare now).
"$CAIRN" init --store "$T/var/store2" --origin test.example/cairn \
    --key "$T/var/keys/cairn.key" >/dev/null || exit 1
export CAIRN_STORE="$T/var/store2"
sed -i "s|^store = .*|store = $CAIRN_STORE|" "$CONF.base"
cp "$CONF.base" "$CONF"
printf 'checkpoint_interval = 1\nbatch_delay_ms = 0\n' >> "$CONF"
start_cairnd || exit 1
send warm 5
# The warm events' checkpoint first: an idle cairnd checkpoints (and clears
# stale slots) only hourly, so the slot stays until the next events.
n=0
while [ $n -lt 100 ] && [ "$(curl -s "http://127.0.0.1:$HTTP_PORT/v1/checkpoint" |
    sed -n 2p)" != "$(metric cairn_tree_size)" ]; do sleep 0.1; n=$((n + 1)); done
start_scanner
check "a reader holds a read transaction (its slot has a txnid)" \
    sh -c "\"$STORETOOL\" pages \"$CAIRN_STORE\" | awk '\$1 == $SCAN && \$3 != \"-\"' | grep -q ."
kill_scanner
[ -n "$(slot $SCAN)" ] && ok "SIGKILLed mid-read, it leaves its slot behind" ||
    not_ok "no stale slot after the kill"
send cp 3
n=0
while [ $n -lt 60 ] && [ -n "$(slot $SCAN)" ]; do sleep 0.1; n=$((n + 1)); done
[ -z "$(slot $SCAN)" ] && ok "cairnd clears the stale slot at its next checkpoint" ||
    not_ok "the stale slot is still there: $(slot $SCAN)"
expect "and says so in its log" 'cleared 1 stale reader slot' "$T/cairnd.log"
m=$(metric cairn_stale_readers_cleared_total)
[ "${m:-0}" -eq 1 ] && ok "cairn_stale_readers_cleared_total counts it ($m)" ||
    not_ok "cairn_stale_readers_cleared_total is ${m:-missing}, want 1"
stop_cairnd

# --- 3. ... and when the map is full, before refusing events --------------
# A 1 MiB ceiling and no checkpoint for an hour: the killed reader pins
# every page freed after it; 50 commits need about 2 MiB unless those
# pages are reused (section 1: some 13 pages a commit).
cp "$CONF.base" "$CONF"
printf 'checkpoint_interval = 3600\nbatch_delay_ms = 0\nmap_size = 1M\nmax_size = 1M\n' >> "$CONF"
start_cairnd || exit 1
start_scanner
kill_scanner
[ -n "$(slot $SCAN)" ] && ok "full: a stale slot again" || not_ok "full: no stale slot"
if send full 50; then ok "full: all 50 events are taken (the slot gave its pages back)"
else not_ok "full: $? of 50 events refused"; tail -n 3 "$T/cairnd.log"; fi
[ -z "$(slot $SCAN)" ] && ok "full: the slot was cleared before any checkpoint" ||
    not_ok "full: the stale slot is still there"
check "full: a checkpoint on demand" curl -sf -X POST \
    -H "Authorization: Bearer $ADM" "http://127.0.0.1:$HTTP_PORT/v1/checkpoint"
m=$(metric cairn_stale_readers_cleared_total)
[ "${m:-0}" -eq 1 ] && ok "full: counted ($m)" || not_ok "full: counted ${m:-missing}, want 1"
stop_cairnd

lost "stale readers"
if grep -Eq 'Sanitizer|runtime error' "$T/cairnd.log" 2>/dev/null; then
	not_ok "sanitizer report in cairnd's log"
	grep -E -A 30 'Sanitizer|runtime error' "$T/cairnd.log" | head -n 60 | sed 's/^/    /'
fi
finish
