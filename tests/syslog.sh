#!/bin/sh
# Syslog into the real cairnd with real clients: logger over UDP, TCP
# octet-counted and LF-framed; rsyslog forwarding with omfwd and omrelp;
# trust rules for audit events; bad frames.
. "${top_srcdir:-.}/tests/lib.sh"

daemon_setup
check "cairnd starts" start_cairnd

logger -n 127.0.0.1 -P "$SYSLOG_PORT" -d --rfc5424 -t app "udp message one"
logger -n 127.0.0.1 -P "$SYSLOG_PORT" -T --octet-count --rfc5424 -t app "tcp octet message"
logger -n 127.0.0.1 -P "$SYSLOG_PORT" -T --rfc3164 -t app "tcp lf message"
# An audit event in structured data, from a trusted (loopback) peer.
logger -n 127.0.0.1 -P "$SYSLOG_PORT" -T --octet-count --rfc5424 -t platform \
	--sd-id cairn@32473 --sd-param 'id="sl-1"' --sd-param 'type="account.suspended"' \
	--sd-param 'account="u-77"' --sd-param 'reason="arrears"' \
	--sd-param 'decided_by="human"' "suspended for arrears"
sleep 0.5
stop_cairnd
check "dump" "$CAIRN" dump
expect "UDP message stored" '"msg":"udp message one"' "$T/out"
expect "octet-counted TCP message stored" '"msg":"tcp octet message"' "$T/out"
expect "LF-framed RFC 3164 message stored" '"msg":"tcp lf message"' "$T/out"
expect "plain messages are syslog.message in stream other" '"type":"syslog.message".*"stream":"other"' "$T/out"
expect "trusted audit event stored as its type" '"id":"sl-1".*"type":"account.suspended"' "$T/out"
expect "its stream is account" '"id":"sl-1".*"stream":"account"' "$T/out"
expect "its source is the peer" '"id":"sl-1".*"source":"syslog:127.0.0.1"' "$T/out"
check "store verifies" "$CAIRN" verify

# The same audit event from an untrusted peer is kept, not accepted as its type.
sed -i 's/^listen http.*/&\ntrusted_peers = 10.99.99.99\/32/' "$CONF"
check "cairnd restarts" start_cairnd
# ingest_nice (default 10): the thread reading a TCP connection runs that many
# nice levels below the daemon; the writer keeps the daemon's.
{ printf '<13>1 - - - - - - held open\n'; sleep 2; } | "$LOADCLIENT" raw "$SYSLOG_PORT" &
held=$!
sleep 1
base=$(nice_of /proc/$CAIRND_PID/stat)
want=$((base + 10)); [ $want -gt 19 ] && want=19
n=0; for t in /proc/$CAIRND_PID/task/*/stat; do
	[ "$(nice_of "$t")" = "$want" ] && n=$((n + 1))
done
if [ "$n" -eq 1 ]; then
	ok "the TCP connection's thread runs at nice $want (the daemon at $base)"
else
	not_ok "$n threads at nice $want (the daemon at $base), want 1"
	for t in /proc/$CAIRND_PID/task/*; do echo "    $(cat $t/comm) $(nice_of $t/stat)"; done
fi
wait $held

logger -n 127.0.0.1 -P "$SYSLOG_PORT" -T --octet-count --rfc5424 -t platform \
	--sd-id cairn@32473 --sd-param 'id="sl-2"' --sd-param 'type="account.terminated"' \
	--sd-param 'account="u-78"' --sd-param 'reason="arrears"' \
	--sd-param 'decided_by="human"' "forged termination"
# Bad frames: an absurd octet count closes that connection only.
printf '99999999999 <13>1 - - - - - - x' | "$LOADCLIENT" raw "$SYSLOG_PORT"
# An over-long LF line (max_message is 65536) is skipped, and the next one
# on the same connection kept: the stream stays in sync.
{ printf '<13>'; head -c 70000 /dev/zero | tr '\0' 'a'
  printf '\n<13>Nov 29 03:10:23 host app: after the long line\n'; } | "$LOADCLIENT" raw "$SYSLOG_PORT"
# An octet-counted frame over the limit is skipped, the next one kept.
{ printf '70000 <13>1 - - - - - - '; head -c 69982 /dev/zero | tr '\0' 'b'
  printf '35 <13>1 - - - - - - after the big one'; } | "$LOADCLIENT" raw "$SYSLOG_PORT"
logger -n 127.0.0.1 -P "$SYSLOG_PORT" -T --rfc5424 -t app "still alive"
sleep 0.5
check "metrics show untrusted audit events" sh -c "curl -sf -H 'Authorization: Bearer $ADM' http://127.0.0.1:$HTTP_PORT/metrics | grep -E '^cairn_syslog_untrusted_total [1-9]'"
stop_cairnd
check "dump" "$CAIRN" dump
expect "untrusted audit event kept as syslog.message" '"invalid_reason":"untrusted_source".*"type":"syslog.message"' "$T/out"
# Its fields survive only inside the message's structured data, in stream other.
if grep 'sl-2' "$T/out" | grep -q '"stream":"account"'; then not_ok "untrusted event accepted as its type"; else ok "untrusted event not accepted as its type"; fi
expect "daemon still serves after bad frames" '"msg":"still alive"' "$T/out"
expect "LF stream in sync after an over-long line" '"msg":"after the long line"' "$T/out"
expect "octet stream in sync after an oversized frame" '"msg":"after the big one"' "$T/out"
check "store verifies" "$CAIRN" verify

# rsyslog forwarding: omfwd (octet-counted RFC 5424) and omrelp.
if command -v rsyslogd >/dev/null 2>&1 && [ -e /usr/lib/x86_64-linux-gnu/rsyslog/omrelp.so ] || [ -e /usr/lib/rsyslog/omrelp.so ]; then
	sed -i '/^trusted_peers/d' "$CONF"
	check "cairnd restarts" start_cairnd
	RS_PORT=$(free_port 9)
	mkdir -p "$T/rs"
	cat > "$T/rsyslog.conf" <<RS
global(workDirectory="$T/rs")
module(load="imudp")
module(load="omrelp")
input(type="imudp" port="$RS_PORT" address="127.0.0.1")
action(type="omfwd" target="127.0.0.1" port="$SYSLOG_PORT" protocol="tcp"
       TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
action(type="omrelp" target="127.0.0.1" port="$RELP_PORT"
       template="RSYSLOG_SyslogProtocol23Format")
RS
	rsyslogd -n -f "$T/rsyslog.conf" -i "$T/rs/pid" > "$T/rs/log" 2>&1 &
	RS_PID=$!
	PIDS="$PIDS $RS_PID"
	sleep 1
	logger -n 127.0.0.1 -P "$RS_PORT" -d --rfc5424 -t platform \
		--sd-id cairn@32473 --sd-param 'id="rs-1"' --sd-param 'type="account.created"' \
		--sd-param 'account="u-90"' --sd-param 'account_kind="personal"' "via rsyslog"
	n=0
	while [ $n -lt 100 ] && [ "$(entries_with rs-1)" -lt 2 ]; do
		sleep 0.1; n=$((n + 1))
	done
	kill $RS_PID; wait $RS_PID 2>/dev/null
	stop_cairnd
	check "dump" "$CAIRN" dump
	c=$(grep -c '"id":"rs-1"' "$T/out")
	if [ "$c" -eq 2 ]; then ok "rsyslog omfwd and omrelp both delivered (two sources)"; else not_ok "rs-1 stored $c times, want 2 (omfwd + omrelp)"; cat "$T/rs/log"; fi
	expect "omrelp delivery" '"id":"rs-1".*"source":"relp:127.0.0.1"' "$T/out"
	expect "omfwd delivery" '"id":"rs-1".*"source":"syslog:127.0.0.1"' "$T/out"
else
	echo "# rsyslog with omrelp not installed: forwarding checks skipped"
fi
finish
