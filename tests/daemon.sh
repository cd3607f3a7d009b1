#!/bin/sh
# cairnd as a daemon: cairnd -n on good and bad configurations; SIGHUP
# reloads tokens without dropping connections and is recorded; start and
# stop are recorded; privilege drop to nobody after binding a port below
# 1024; one writer per store.
. "${top_srcdir:-.}/tests/lib.sh"

for tool in curl bash; do
	command -v $tool >/dev/null 2>&1 || { echo "SKIP: no $tool"; exit 77; }
done
daemon_setup

# --- cairnd -n ----------------------------------------------------------------
check "cairnd -n on a good configuration" "$CAIRND" -n -f "$CONF"
expect "it says ok, with the listeners and tokens" 'configuration ok \(4 listeners, 3 tokens\)' "$T/out"
# bad NAME LINE...: a copy of the good configuration with LINEs appended.
bad() {
	b="$T/$1.conf"; shift
	cp "$CONF" "$b"
	printf '%s\n' "$@" >> "$b"
	BAD=$b
	BADLINE=$(wc -l < "$b")
}
bad unknown "frobnicate = 1"
refuse "an unknown key is refused at FILE:LINE" "^cairnd: $BAD:$BADLINE: .*frobnicate" "$CAIRND" -n -f "$BAD"
bad port "listen http 127.0.0.1:99999"
refuse "a bad port is refused at FILE:LINE" "$BAD:$BADLINE: .*port" "$CAIRND" -n -f "$BAD"
bad port0 "listen syslog-tcp 127.0.0.1:0"
refuse "port 0 is refused" "$BAD:$BADLINE: " "$CAIRND" -n -f "$BAD"
bad remote "listen syslog-tcp 192.0.2.10:514"
refuse "a plaintext listener off loopback is refused" "$BAD:$BADLINE: .*not loopback" "$CAIRND" -n -f "$BAD"
bad remote_ok "listen syslog-tcp 192.0.2.10:514" "allow_plaintext_remote = yes"
check "... unless allow_plaintext_remote = yes" "$CAIRND" -n -f "$BAD"
bad tlsnocert "listen syslog-tls 127.0.0.1:6514"
refuse "a TLS listener without tls_cert is refused" "$BAD:$BADLINE: .*tls_cert" "$CAIRND" -n -f "$BAD"
sed "s|^key = .*|key = $T/nokey|" "$CONF" > "$T/nokey.conf"
refuse "a missing key file is refused at FILE:LINE" "$T/nokey.conf:[0-9]+: .*nokey.*(No such file|not exist)" "$CAIRND" -n -f "$T/nokey.conf"
cp "$T/var/keys/cairn.key" "$T/gkey"
chmod 640 "$T/gkey"
sed "s|^key = .*|key = $T/gkey|" "$CONF" > "$T/gkey.conf"
refuse "a group-readable key is refused" "$T/gkey.conf:[0-9]+: .*mode 0640" "$CAIRND" -n -f "$T/gkey.conf"
chmod 600 "$T/gkey"
check "... and accepted once mode 600" "$CAIRND" -n -f "$T/gkey.conf"
cp "$T/var/tokens" "$T/wtokens"
chmod 644 "$T/wtokens"
sed "s|^tokens = .*|tokens = $T/wtokens|" "$CONF" > "$T/wtokens.conf"
refuse "a world-readable token file is refused" "wtokens: mode 0644" "$CAIRND" -n -f "$T/wtokens.conf"
bad twice "batch_size = 10" "batch_size = 20"
refuse "a repeated key is refused at its second line" "$BAD:$BADLINE: " "$CAIRND" -n -f "$BAD"
refuse "a missing configuration file is refused" "nowhere.conf" "$CAIRND" -n -f "$T/nowhere.conf"
# A bad configuration does not start the daemon either.
refuse "cairnd does not start on a bad configuration" "$T/unknown.conf:[0-9]+: " "$CAIRND" -d -f "$T/unknown.conf"

# --- SIGHUP -------------------------------------------------------------------
check "cairnd starts" start_cairnd
NEW=$("$CAIRN" token add latecomer --roles ingest --file "$T/var/tokens" 2>/dev/null)
ev() {
	printf '{"id":"%s","type":"account.created","time":"2026-11-29T08:00:00Z","account":"u-5","account_kind":"personal"}' "$1"
}
code=$(post "$(ev hup-0)" "$NEW")
[ "$code" = 401 ] && ok "a token added to the file is unknown before SIGHUP" ||
    not_ok "new token before SIGHUP: $code, want 401"

# One keep-alive HTTP connection and one syslog TCP connection, opened
# before the SIGHUP and used again after it (bash for /dev/tcp).
cat > "$T/conns.bash" <<'BASH'
# conns.bash HTTP_PORT TOKEN SYSLOG_PORT READY GO
exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
exec 4<>"/dev/tcp/127.0.0.1/$3" || exit 1
req() {
	body="{\"id\":\"$1\",\"type\":\"account.created\",\"time\":\"2026-11-29T08:00:00Z\",\"account\":\"u-6\",\"account_kind\":\"personal\"}"
	printf 'POST /v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
	    "$2" ${#body} "$body" >&3
	IFS= read -r -t 20 status <&3 || { echo "$1: no answer"; return 1; }
	len=0
	while IFS= read -r -t 20 h <&3; do
		h=${h%$'\r'}
		[ -z "$h" ] && break
		case "${h,,}" in content-length:*) len=${h#*:}; len=${len// /} ;; esac
	done
	[ "$len" -gt 0 ] && read -r -t 20 -N "$len" b <&3
	echo "$1: ${status%$'\r'}"
}
syslog() {
	m="<13>1 2026-11-29T08:00:00Z host app - - - $1"
	printf '%d %s' ${#m} "$m" >&4
}
req ka-1 "$2"
syslog "before the reload"
touch "$4"
while [ ! -e "$5" ]; do sleep 0.05; done
req ka-2 "$2"
syslog "after the reload"
sleep 0.5
exec 4>&- 3>&-
BASH
bash "$T/conns.bash" "$HTTP_PORT" "$ING" "$SYSLOG_PORT" "$T/ready" "$T/go" > "$T/conns.out" 2>&1 &
CPID=$!
PIDS="$PIDS $CPID"
n=0
while [ ! -e "$T/ready" ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
# hup: SIGHUP, then wait until cairnd has reloaded the tokens.
hup() {
	r0=$(grep -c 'reloaded [0-9]* tokens' "$T/cairnd.log")
	kill -HUP "$CAIRND_PID"
	n=0
	while [ "$(grep -c 'reloaded [0-9]* tokens' "$T/cairnd.log")" -le "$r0" ] &&
	    [ $n -lt 200 ]; do
		sleep 0.05; n=$((n + 1))
	done
	[ $n -lt 200 ]
}
check "SIGHUP reloads the tokens" hup
touch "$T/go"
wait "$CPID"
expect "keep-alive HTTP: a request before the SIGHUP" '^ka-1: HTTP/1.1 200' "$T/conns.out"
expect "the same connection still serves after it" '^ka-2: HTTP/1.1 200' "$T/conns.out"
check "cairnd is still running" kill -0 "$CAIRND_PID"
code=$(post "$(ev hup-1)" "$NEW")
[ "$code" = 200 ] && ok "the new token works after SIGHUP, without a restart" ||
    not_ok "new token after SIGHUP: $code, want 200"
check "the old tokens still work" sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer $ING' -H 'Content-Type: application/json' --data-binary '$(ev hup-2)' http://127.0.0.1:$HTTP_PORT/v1/events)\" = 200 ]"
check "cairn token revoke" "$CAIRN" token revoke latecomer --file "$T/var/tokens"
check "SIGHUP again" hup
code=$(post "$(ev hup-3)" "$NEW")
[ "$code" = 401 ] && ok "a revoked token stops working after SIGHUP" ||
    not_ok "revoked token after SIGHUP: $code, want 401"
# A token file that does not load keeps the old tokens.
cp "$T/var/tokens" "$T/tokens.good"
echo "broken line" >> "$T/var/tokens"
kill -HUP "$CAIRND_PID"
n=0
while ! grep -q 'keeping the old tokens' "$T/cairnd.log" && [ $n -lt 200 ]; do
	sleep 0.05; n=$((n + 1))
done
expect "a broken token file is reported on SIGHUP" 'reload: .*keeping the old tokens' "$T/cairnd.log"
code=$(post "$(ev hup-4)")
[ "$code" = 200 ] && ok "and the old tokens stay in force" || not_ok "after a bad reload: $code, want 200"
cp "$T/tokens.good" "$T/var/tokens"
check "cairnd stops" stop_cairnd
check "dump" "$CAIRN" dump
expect "both syslog messages on the connection kept across SIGHUP are stored" '"msg":"before the reload"' "$T/out"
expect "... the one sent after it too" '"msg":"after the reload"' "$T/out"
expect "system.start is recorded" '"type":"system.start"' "$T/out"
expect "with the version and the config hash" '"config_sha256":"[0-9a-f]{64}".*"type":"system.start","tz":"[^"]*","version":"' "$T/out"
expect "system.config_reloaded is recorded" '"trigger":"sighup","type":"system.config_reloaded"' "$T/out"
n=$(grep -c '"type":"system.config_reloaded"' "$T/out")
[ "$n" -eq 3 ] && ok "one system.config_reloaded per SIGHUP (3)" || not_ok "$n system.config_reloaded, want 3"
expect "system.token_changed: the token created" '"change":"created".*"token":"latecomer","type":"system.token_changed"' "$T/out"
expect "system.token_changed: the token revoked" '"change":"revoked".*"token":"latecomer","type":"system.token_changed"' "$T/out"
expect "system.stop is recorded" '"reason":"SIGTERM".*"type":"system.stop"' "$T/out"
expect "system events are in the system stream, from cairnd" '"type":"system.stop".*"source":"cairnd","stream":"system"' "$T/out"
check "store verifies" "$CAIRN" verify

# --- Privilege drop -------------------------------------------------------------
NOBODY=$(id -u nobody 2>/dev/null)
if [ "$(id -u)" -ne 0 ] || [ -z "$NOBODY" ]; then
	echo "# not root or no user nobody: privilege drop checks skipped"
	finish
fi
NOGROUP=$(id -g nobody)
# A free port below 1024.
LOW=
for p in $(seq 900 1020); do
	if ! ss -Hltn 2>/dev/null | awk '{print $4}' | grep -q ":$p\$"; then
		LOW=$p; break
	fi
done
# The store, the token file and the checkpoint file's directory belong to
# nobody; the key stays root's, mode 0600 (read before the drop).
chmod 711 "$T"
chown -R nobody "$T/var/store" "$T/var/store.checkpoint" "$T/var/tokens"
chown nobody "$T/var"
sed -e 's/^user = root$/user = nobody/' -e "s/^listen http .*/listen http 127.0.0.1:$LOW/" \
    "$CONF" > "$T/nobody.conf"
CONF_ROOT=$CONF
CONF=$T/nobody.conf
check "cairnd -n with user = nobody" "$CAIRND" -n -f "$CONF"
check "cairnd starts as root with user = nobody and a port below 1024" start_cairnd
expect "it says whom it runs as" "running as nobody \\(uid $NOBODY\\)" "$T/cairnd.log"
st=/proc/$CAIRND_PID/status
if grep -Eq "^Uid:[[:space:]]+$NOBODY[[:space:]]+$NOBODY[[:space:]]+$NOBODY[[:space:]]+$NOBODY\$" "$st"; then
	ok "real, effective, saved and fs uid are nobody's ($NOBODY)"
else
	not_ok "uids after the drop"; grep -E '^(Uid|Gid)' "$st" | sed 's/^/    /'
fi
if grep -Eq "^Gid:[[:space:]]+$NOGROUP[[:space:]]+$NOGROUP[[:space:]]+$NOGROUP[[:space:]]+$NOGROUP\$" "$st"; then
	ok "all four gids are nobody's group ($NOGROUP)"
else
	not_ok "gids after the drop"; grep -E '^Gid' "$st" | sed 's/^/    /'
fi
expect "no supplementary groups but nobody's" "^Groups:[[:space:]]*($NOGROUP)?[[:space:]]*\$" "$st"
expect "NoNewPrivs is set" '^NoNewPrivs:[[:space:]]+1$' "$st"
expect "no effective capabilities" '^CapEff:[[:space:]]+0+$' "$st"
check "the port below 1024 serves" curl -sf "http://127.0.0.1:$LOW/healthz"
code=$(HTTP_PORT=$LOW post "$(ev low-1)")
[ "$code" = 200 ] && ok "an event is stored by the unprivileged daemon" || not_ok "POST as nobody: $code"
# One writer per store.
P2=$(free_port 7)
sed -e "s/^listen http .*/listen http 127.0.0.1:$P2/" -e '/^listen syslog/d' -e '/^listen relp/d' \
    "$CONF_ROOT" > "$T/second.conf"
refuse "a second cairnd on the same store refuses to start" 'another process' \
    timeout 30 "$CAIRND" -d -f "$T/second.conf"
check "the first one still serves" curl -sf "http://127.0.0.1:$LOW/healthz"
# cairn append while cairnd runs: it goes through cairnd, which writes.
printf '%s\n' "$(ev cli-1)" > "$T/cli.ndjson"
refuse "cairn append --checkpoint is refused while cairnd writes" 'cairnd' \
    "$CAIRN" append --checkpoint "$T/cli.ndjson"
check "cairn append while cairnd runs goes through cairnd" "$CAIRN" append "$T/cli.ndjson"
check "stop the unprivileged cairnd" stop_cairnd
check "dump" "$CAIRN" dump
expect "the event sent as nobody is stored" '"id":"low-1"' "$T/out"
expect "cairn append's event is stored, source cli:" '"id":"cli-1".*"source":"cli:' "$T/out"
n=$(grep -c '"type":"system.start"' "$T/out")
[ "$n" -eq 2 ] && ok "the refused second cairnd wrote nothing (2 system.start)" ||
    not_ok "$n system.start entries, want 2"
check "store verifies" "$CAIRN" verify
# A sanitizer build reports into cairnd's log.
if grep -Eq 'Sanitizer|runtime error' "$T/cairnd.log" 2>/dev/null; then
	not_ok "sanitizer report in cairnd's log"
	grep -E -A 30 'Sanitizer|runtime error' "$T/cairnd.log" | head -n 60 | sed 's/^/    /'
fi
finish
