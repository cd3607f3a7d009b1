#!/bin/sh
# Durability of acknowledgements: a load client records every receipt while
# cairnd is killed with SIGKILL at random moments, 20 times, once over HTTP
# and once over RELP.  After each kill every receipted or RELP-acknowledged
# event is present; at the end nothing is stored twice and cairn verify
# passes.  SIGTERM under load loses nothing accepted and writes system.stop.
. "${top_srcdir:-.}/tests/lib.sh"
# Under LeakSanitizer: librelp leaks a session's epoll record when it is
# stopped with the session open (at exit only); not ours to report.
echo 'leak:librelp.so' > "$T/lsan.supp"
export LSAN_OPTIONS="suppressions=$T/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

command -v curl >/dev/null 2>&1 || { echo "SKIP: no curl"; exit 77; }
ROUNDS=${DURABILITY_ROUNDS:-20}
daemon_setup
check "cairnd starts" start_cairnd

# ids PREFIX: every stored event id starting with PREFIX-, one a line, with
# repeats (the entry's event object comes first in a dump line).
ids() {
	"$CAIRN" dump | grep -o "\"event\":{[^}]*\"id\":\"$1-[0-9]*\"" |
	    sed 's/.*"id":"//; s/"$//'
}
# missing ACKED STORED: acknowledged ids not stored (both files sorted).
missing() {
	comm -23 "$1" "$2"
}
# rnd_pause: sleep 0.1 to 0.5 s, at random.
rnd_pause() {
	sleep "$(od -An -N2 -tu2 /dev/urandom |
	    awk '{ printf "%.3f", 0.1 + ($1 % 401) / 1000 }')"
}

# load TRANSPORT PREFIX: starts the load client in the background; LOAD_PID.
load() {
	: > "$T/acked.$2"
	if [ "$1" = http ]; then
		"$LOADCLIENT" http "$HTTP_PORT" "$ING" 10000000 "$2" >> "$T/acked.$2" &
	else
		"$LOADCLIENT" relp "$RELP_PORT" 10000000 "$2" >> "$T/acked.$2" &
	fi
	LOAD_PID=$!
	PIDS="$PIDS $LOAD_PID"
}

# kill_rounds TRANSPORT PREFIX: ROUNDS random SIGKILLs under load.
kill_rounds() {
	tr=$1; pfx=$2
	load "$tr" "$pfx"
	bad=0
	i=0
	while [ $i -lt "$ROUNDS" ]; do
		i=$((i + 1))
		rnd_pause
		kill -9 "$CAIRND_PID"
		wait "$CAIRND_PID" 2>/dev/null
		# cairnd is dead: nothing more can be acknowledged now, and all
		# that was must already be in the store.
		sort -u "$T/acked.$pfx" > "$T/a"
		ids "$pfx" | sort -u > "$T/s"
		if [ -n "$(missing "$T/a" "$T/s")" ]; then
			not_ok "$tr round $i: acknowledged but not stored after SIGKILL:"
			missing "$T/a" "$T/s" | head -n 5 | sed 's/^/    /'
			bad=1
		fi
		if ! start_cairnd; then
			not_ok "$tr round $i: cairnd restarts after SIGKILL"
			bad=1
			break
		fi
	done
	# Let the client make progress against the last daemon, then stop it.
	n=$(wc -l < "$T/acked.$pfx")
	w=0
	while [ "$(wc -l < "$T/acked.$pfx")" -le "$n" ] && [ $w -lt 100 ]; do
		sleep 0.1; w=$((w + 1))
	done
	kill "$LOAD_PID"; wait "$LOAD_PID" 2>/dev/null
	check "$tr: cairnd stops cleanly" stop_cairnd
	acked=$(sort -u "$T/acked.$pfx" | wc -l)
	[ $bad -eq 0 ] && ok "$tr: $ROUNDS SIGKILLs, every acknowledged event present after each ($acked acknowledged)"
	ids "$pfx" | sort > "$T/s"
	sort -u "$T/acked.$pfx" > "$T/a"
	if [ -z "$(sort -u "$T/s" | missing "$T/a" -)" ]; then
		ok "$tr: all $acked acknowledged events stored"
	else
		not_ok "$tr: acknowledged events missing at the end"
	fi
	dups=$(uniq -d "$T/s" | wc -l)
	if [ "$dups" -eq 0 ]; then
		ok "$tr: nothing stored twice ($(wc -l < "$T/s") stored, ids are unique)"
	else
		not_ok "$tr: $dups ids stored more than once"
		uniq -d "$T/s" | head -n 5 | sed 's/^/    /'
	fi
	check "$tr: cairn verify after $ROUNDS SIGKILLs" "$CAIRN" verify
	if [ "$acked" -lt "$ROUNDS" ]; then
		not_ok "$tr: too few events acknowledged ($acked) to mean anything"
	fi
	start_cairnd || { not_ok "cairnd restarts"; finish; }
}

kill_rounds http H
kill_rounds relp R

# SIGTERM under load, both transports at once: everything acknowledged is
# stored, and the shutdown is recorded.
stops=$("$CAIRN" dump | grep -c '"type":"system.stop"')
load http HT; lh=$LOAD_PID
load relp RT; lr=$LOAD_PID
n=0
while { [ "$(wc -l < "$T/acked.HT")" -lt 200 ] || [ "$(wc -l < "$T/acked.RT")" -lt 200 ]; } &&
    [ $n -lt 200 ]; do
	sleep 0.05; n=$((n + 1))
done
kill -TERM "$CAIRND_PID"
if wait "$CAIRND_PID"; then ok "cairnd exits 0 on SIGTERM under load"; else
	not_ok "cairnd exit status $? on SIGTERM under load"; tail -n 20 "$T/cairnd.log"; fi
kill "$lh" "$lr"; wait "$lh" "$lr" 2>/dev/null
for pfx in HT RT; do
	sort -u "$T/acked.$pfx" > "$T/a"
	ids "$pfx" | sort > "$T/s"
	acked=$(wc -l < "$T/a")
	if [ -z "$(sort -u "$T/s" | missing "$T/a" -)" ] && [ "$acked" -gt 0 ]; then
		ok "SIGTERM under load ($pfx): all $acked acknowledged events stored"
	else
		not_ok "SIGTERM under load ($pfx): $acked acknowledged, some missing"
	fi
	[ -z "$(uniq -d "$T/s")" ] && ok "SIGTERM ($pfx): nothing stored twice" ||
	    not_ok "SIGTERM ($pfx): ids stored twice"
done
check "dump after SIGTERM" "$CAIRN" dump
if [ "$(grep -c '"type":"system.stop"' "$T/out")" -eq $((stops + 1)) ] &&
    tail -n 1 "$T/out" | grep -q '"reason":"SIGTERM".*"type":"system.stop"'; then
	ok "the shutdown wrote system.stop (reason SIGTERM) as the last entry"
else
	not_ok "no system.stop from the SIGTERM"; tail -n 2 "$T/out"
fi
check "cairn verify after SIGTERM under load" "$CAIRN" verify
# A sanitizer build reports into cairnd's log.
if grep -Eq 'Sanitizer|runtime error' "$T/cairnd.log" 2>/dev/null; then
	not_ok "sanitizer report in cairnd's log"
	grep -E -A 30 'Sanitizer|runtime error' "$T/cairnd.log" | head -n 60 | sed 's/^/    /'
fi
finish
