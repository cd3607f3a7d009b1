#!/bin/sh
# Malformed, oversized and slow inputs neither crash nor wedge cairnd:
# 1000 garbage syslog frames over TCP (octet-counted and LF-framed) and UDP,
# absurd octet counts, slow clients sending one byte a second on syslog TCP
# and HTTP while a normal client gets prompt answers; memory stays bounded
# over 1,000,000 syslog messages, all of which are stored.
. "${top_srcdir:-.}/tests/lib.sh"

for tool in curl bash awk; do
	command -v $tool >/dev/null 2>&1 || { echo "SKIP: no $tool"; exit 77; }
done
EVENTS=${HOSTILE_EVENTS:-1000000}
daemon_setup
# The writer's queue is the one buffer that legitimately grows under load
# (up to queue_limit prepared events, about 1.5 kB each); a short one keeps
# its swings (7.5 MB at most) well below what a leak would add.
echo "queue_limit = 5000" >> "$CONF"
check "cairnd starts" start_cairnd

# committed: events committed so far (cairnd's metrics).
committed() {
	curl -s --max-time 5 -H "Authorization: Bearer $ADM" \
	    "http://127.0.0.1:$HTTP_PORT/metrics" |
	    awk '/^cairn_events_committed_total / { print $2 }'
}
# wait_committed N SECONDS: waits until N events are committed.
wait_committed() {
	n=0
	while [ "$(committed)" -lt "$1" ] && [ $n -lt $(($2 * 10)) ]; do
		sleep 0.1; n=$((n + 1))
	done
	[ "$(committed)" -ge "$1" ]
}
# frame MSG: MSG octet-counted.
frame() {
	printf '%d %s' ${#1} "$1"
}
# stored_within SECONDS TEXT: a syslog message whose msg is TEXT is stored
# within SECONDS (looked up in the store while cairnd runs).
stored_within() {
	n=0
	while ! "$CAIRN" dump | grep -q "\"msg\":\"$2\"" && [ $n -lt $(($1 * 10)) ]; do
		sleep 0.1; n=$((n + 1))
	done
	"$CAIRN" dump | grep -q "\"msg\":\"$2\""
}

# --- Garbage ---------------------------------------------------------------------
# 1000 octet-counted frames of random bytes (1-255, NUL aside), random length.
before=$(committed)
LC_ALL=C awk -v seed="$$" 'BEGIN {
	srand(seed)
	for (i = 0; i < 1000; i++) {
		n = 1 + int(rand() * 300); m = ""
		for (j = 0; j < n; j++)
			m = m sprintf("%c", 1 + int(rand() * 255))
		printf "%d %s", n, m
	}
}' > "$T/garbage"
check "1000 garbage octet-counted frames sent" "$LOADCLIENT" raw "$SYSLOG_PORT" < "$T/garbage"
alive "1000 garbage frames"
if wait_committed $((before + 1000)) 30; then
	ok "all 1000 garbage frames kept (as marked syslog.message)"
else
	not_ok "garbage frames: $(( $(committed) - before )) of 1000 committed"
fi
# The same bytes without framing: LF framing (first byte is not a digit).
{ printf '<'; cat "$T/garbage"; printf '\n'; } | "$LOADCLIENT" raw "$SYSLOG_PORT"
alive "the garbage LF-framed"
# Over UDP, 200 garbage datagrams.
bash -c 'for i in $(seq 200); do head -c $((RANDOM % 1400 + 1)) /dev/urandom > /dev/udp/127.0.0.1/'"$SYSLOG_PORT"'; done' 2>/dev/null
alive "200 garbage UDP datagrams"
frame "<13>1 2026-11-29T08:00:00Z host app - - - after the garbage" | "$LOADCLIENT" raw "$SYSLOG_PORT"
check "a good message after the garbage is stored" stored_within 10 "after the garbage"

# --- Absurd octet counts ---------------------------------------------------------
# closes BYTES: sends BYTES on a new TCP connection and checks that cairnd
# closes it (not merely the sender) within 5 seconds.
closes() {
	bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1 || exit 2
	    printf "%s" "$2" >&3
	    read -r -t 5 x <&3; r=$?
	    [ $r -gt 128 ] && exit 1	# timed out: still open
	    exit 0' closes "$SYSLOG_PORT" "$1"
}
check "MSG-LEN of 20 digits: connection closed" closes '99999999999999999999 <13>1 - - - - - - x'
check "MSG-LEN of 10 digits (over the 9-digit bound): closed" closes '4294967297 <13>1 - - - - - - x'
check "MSG-LEN with a leading zero: closed" closes '0013 <13>1 - - - - - - x'
check "MSG-LEN 0: closed" closes '0 <13>1 - - - - - - x'
check "MSG-LEN not followed by a space: closed" closes '12x34 <13>1 - - - - - - x'
check "MSG-LEN followed by garbage bytes: closed" closes "$(printf '12\001\002\003')"
expect "cairnd logs the unusable octet counts" 'closing 127\.0\.0\.1: unusable octet count' "$T/cairnd.log"
# A 9-digit count is framing cairnd can follow: it skips that many octets
# (never buffering them); the sender here gives up early.
{ printf '999999999 '; head -c 100000 /dev/zero; } | "$LOADCLIENT" raw "$SYSLOG_PORT"
# Counts over max_message are skipped, and the stream stays in sync.
{ printf '70000 '; head -c 70000 /dev/zero | tr '\0' x
  frame "<13>1 2026-11-29T08:00:00Z host app - - - in sync after 70000"; } |
    "$LOADCLIENT" raw "$SYSLOG_PORT"
check "after an oversized frame the next one is stored" stored_within 10 "in sync after 70000"
# Oversized HTTP bodies are refused with 413, not read into memory.
code=$(head -c 20000000 /dev/zero | tr '\0' ' ' | curl -s -o /dev/null -w '%{http_code}' \
    -H "Authorization: Bearer $ING" -H 'Content-Type: application/json' \
    --data-binary @- "http://127.0.0.1:$HTTP_PORT/v1/events")
[ "$code" = 413 ] && ok "a 20 MB HTTP body is refused with 413" || not_ok "20 MB body: $code, want 413"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ING" \
    -H 'Content-Type: application/json' -H 'Content-Length: 99999999999999999999' \
    --data-binary '{}' "http://127.0.0.1:$HTTP_PORT/v1/events")
case $code in 4??) ok "an absurd Content-Length is refused ($code)" ;;
*) not_ok "absurd Content-Length: $code, want 4xx" ;; esac
alive "absurd octet counts and bodies"

# --- Slow clients ----------------------------------------------------------------------
# 20 syslog TCP and 20 HTTP clients send one byte a second for 5 seconds,
# then the rest; meanwhile a normal client must get prompt answers.
cat > "$T/slow.bash" <<'BASH'
# slow.bash syslog|http PORT N TOKEN: one byte a second for 5 s, then the rest.
exec 3<>"/dev/tcp/127.0.0.1/$2" || exit 1
if [ "$1" = syslog ]; then
	m="<13>1 2026-11-29T08:00:00Z host app - - - slow syslog $3"
	data="${#m} $m"
else
	b="{\"id\":\"slow-$3\",\"type\":\"account.created\",\"time\":\"2026-11-29T08:00:00Z\",\"account\":\"u-7\",\"account_kind\":\"personal\"}"
	data=$(printf 'POST /v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' "$4" ${#b} "$b")
fi
for i in 0 1 2 3 4; do
	printf '%s' "${data:$i:1}" >&3
	sleep 1
done
printf '%s' "${data:5}" >&3
if [ "$1" = http ]; then
	IFS= read -r -t 30 status <&3
	echo "${status%$'\r'}"
else
	sleep 0.5
fi
BASH
SLOW=
i=0
while [ $i -lt 20 ]; do
	bash "$T/slow.bash" syslog "$SYSLOG_PORT" $i > /dev/null 2>&1 &
	SLOW="$SLOW $!"
	bash "$T/slow.bash" http "$HTTP_PORT" $i "$ING" > "$T/slow.$i" 2>&1 &
	SLOW="$SLOW $!"
	i=$((i + 1))
done
PIDS="$PIDS $SLOW"
sleep 1
# Meanwhile: ten POSTs and a syslog message, each answered promptly.
worst=0
i=0
while [ $i -lt 10 ]; do
	r=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 10 \
	    -H "Authorization: Bearer $ING" -H 'Content-Type: application/json' \
	    --data-binary "{\"id\":\"fast-$i\",\"type\":\"account.created\",\"time\":\"2026-11-29T08:00:00Z\",\"account\":\"u-8\",\"account_kind\":\"personal\"}" \
	    "http://127.0.0.1:$HTTP_PORT/v1/events")
	[ "${r% *}" = 200 ] || worst=999
	worst=$(echo "$worst ${r#* }" | awk '{ print ($2 > $1) ? $2 : $1 }')
	i=$((i + 1))
	sleep 0.2
done
if awk -v w="$worst" 'BEGIN { exit !(w < 2) }'; then
	ok "during 40 slow clients, 10 normal POSTs answered 200, slowest in ${worst}s"
else
	not_ok "normal POSTs during slow clients: slowest ${worst}s (or not 200)"
fi
frame "<13>1 2026-11-29T08:00:00Z host app - - - prompt during slow clients" | "$LOADCLIENT" raw "$SYSLOG_PORT"
check "a normal syslog message during slow clients is stored promptly" stored_within 3 "prompt during slow clients"
for p in $SLOW; do wait "$p"; done
n=0
i=0
while [ $i -lt 20 ]; do
	grep -q '^HTTP/1.1 200' "$T/slow.$i" && n=$((n + 1))
	i=$((i + 1))
done
[ $n -eq 20 ] && ok "the 20 slow HTTP clients were answered 200 in the end" ||
    not_ok "$n of 20 slow HTTP clients answered 200"
check "the slow syslog clients' messages are stored" stored_within 5 "slow syslog 19"
alive "40 slow clients"

# --- Memory over 1,000,000 events ------------------------------------------------------
# Two files of octet-counted frames, sent over two connections at once;
# VmRSS, RssAnon and RssFile sampled every second with the committed count.
half=$((EVENTS / 2))
for part in 0 1; do
	LC_ALL=C awk -v from=$((part * half)) -v to=$(((part + 1) * half)) 'BEGIN {
		for (i = from; i < to; i++) {
			m = sprintf("<13>1 2026-11-29T08:00:00Z host%d app %d - - load message %d", i % 7, i % 1000, i)
			printf "%d %s", length(m), m
		}
	}' > "$T/load.$part"
done
base=$(committed)
sample() {
	while kill -0 "$CAIRND_PID" 2>/dev/null; do
		awk '/^(VmRSS|RssAnon|RssFile):/ { printf "%s ", $2 }' "/proc/$CAIRND_PID/status"
		echo "$(committed)"
		sleep 1
	done
}
sample > "$T/rss" 2>/dev/null &
SAMPLER=$!
PIDS="$PIDS $SAMPLER"
t0=$(date +%s.%N)
"$LOADCLIENT" raw "$SYSLOG_PORT" < "$T/load.0" &
L0=$!
"$LOADCLIENT" raw "$SYSLOG_PORT" < "$T/load.1" &
L1=$!
PIDS="$PIDS $L0 $L1"
wait $L0 $L1
if wait_committed $((base + EVENTS)) 170; then
	t1=$(date +%s.%N)
	secs=$(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }')
	ok "$EVENTS syslog messages over TCP committed in ${secs}s ($(echo "$EVENTS $secs" | awk '{ printf "%d", $1 / $2 }') events/s)"
else
	not_ok "only $(( $(committed) - base )) of $EVENTS committed in time"
fi
sleep 1.5
kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null
rm -f "$T/load.0" "$T/load.1"
# Columns: VmRSS RssAnon RssFile (kB) committed.  The heap (RssAnon) after
# the first tenth must stay within twice what it was then, and the second
# half must not need more than the first: compared by the median of each
# half's samples, since a leak raises the heap for good while a full queue
# or a group waiting for its acknowledgement shows for a second (a leak of
# 100 bytes an event would put the second half's median 50 MB higher).
mark=$((base + EVENTS / 10))
halfway=$((base + EVENTS / 2))
awk -v mark=$mark '
	NF == 4 && !seen && $4 >= mark { seen = 1; v0 = $1; a0 = $2 }
	NF == 4 && seen { if ($1 > vmax) vmax = $1; if ($2 > amax) amax = $2;
	    if ($3 > fmax) fmax = $3 }
	END { print v0 + 0, a0 + 0, vmax + 0, amax + 0, fmax + 0 }' \
	"$T/rss" > "$T/rssfig"
read -r v0 a0 vmax amax fmax < "$T/rssfig"
# median_heap FROM TO: the median RssAnon of the samples taken while the
# committed count was in [FROM, TO).
median_heap() {
	awk -v from="$1" -v to="$2" 'NF == 4 && $4 >= from && $4 < to { print $2 }' \
	    "$T/rss" | sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'
}
h1=$(median_heap "$base" "$halfway")
h2=$(median_heap "$halfway" $((base + EVENTS + 1)))
echo "# memory in kB, after the first $((EVENTS / 10)) events: VmRSS $v0, RssAnon $a0; maximum after: VmRSS $vmax, RssAnon $amax, RssFile $fmax; RssAnon median in the first half $h1, in the second $h2"
if [ "$a0" -gt 0 ] && [ "$amax" -le $((2 * a0 + 30000)) ]; then
	ok "heap bounded: RssAnon $a0 kB at $((EVENTS / 10)) events, at most $amax kB after (within 2x plus a full queue)"
else
	not_ok "heap grew: RssAnon $a0 kB at $((EVENTS / 10)) events, $amax kB later"
	sed 's/^/    /' "$T/rss"
fi
if [ "$h1" -gt 0 ] && [ "$h2" -gt 0 ] && [ "$h2" -le $((h1 + h1 / 4 + 8192)) ]; then
	ok "no growth in the second half: RssAnon median $h2 kB vs $h1 kB in the first"
else
	not_ok "heap grew in the second half: median $h2 kB vs $h1 kB"
	sed 's/^/    /' "$T/rss"
fi
# VmRSS also counts the store's memory map (RssFile: pages of data.mdb,
# page cache that the kernel can drop), which grows with the store.
if [ -n "$vmax" ] && [ $((vmax - fmax)) -le $((2 * a0 + 20000)) ]; then
	ok "VmRSS $vmax kB max = the heap plus the store's map pages (RssFile $fmax kB)"
else
	not_ok "VmRSS $vmax kB is more than heap and map"
fi
alive "$EVENTS events"
check "cairnd stops" stop_cairnd
check "cairn stat" "$CAIRN" stat
size=$(sed -n 's/^entries *//p' "$T/out")
want=$((base + EVENTS + 1))	# and system.stop
if [ "$size" -ge "$want" ]; then
	ok "all $EVENTS stored: tree size $size"
else
	not_ok "tree size $size, want at least $want"
fi
n=$("$CAIRN" dump | grep -c '"msg":"load message [0-9]*"')
[ "$n" -eq "$EVENTS" ] && ok "every one of the $EVENTS load messages is in the store, once" ||
    not_ok "$n load messages stored, want $EVENTS"
check "store verifies" "$CAIRN" verify
# A sanitizer build reports into cairnd's log.
if grep -Eq 'Sanitizer|runtime error' "$T/cairnd.log" 2>/dev/null; then
	not_ok "sanitizer report in cairnd's log"
	grep -E -A 30 'Sanitizer|runtime error' "$T/cairnd.log" | head -n 60 | sed 's/^/    /'
fi
finish
