#!/bin/sh
# cairnd's HTTP API end to end, with curl against the real daemon:
# receipts whose leaf hash the sender can recompute, every refusal's status
# code (400 401 403 404 405 409 413 415 422 503), atomic requests, NDJSON
# and arrays, the checkpoint, health and metrics endpoints.
. "${top_srcdir:-.}/tests/lib.sh"
CURLTLS=

for tool in curl jq sha256sum; do
	command -v $tool >/dev/null 2>&1 || { echo "SKIP: no $tool"; exit 77; }
done
new_store

# Tokens are stored as the SHA-256 of the secret (DESIGN.md, Roles).
rnd() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
TI=$(rnd); TI2=$(rnd); TA=$(rnd); TQ=$(rnd)
h() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
cat >"$T/tokens" <<EOF
sender ingest $(h "$TI")
other ingest $(h "$TI2")
ops admin $(h "$TA")
reader query $(h "$TQ")
EOF
chmod 600 "$T/tokens"

# start_daemon NAME EXTRA-CONFIG [https]: starts cairnd on a free port and
# waits for /healthz; sets URL and PID.
start_daemon() {
	kind=${3:-http}
	tries=0
	while :; do
		PORT=$(free_port $tries)
		{
			echo "store = $CAIRN_STORE"
			echo "key = $T/var/keys/cairn.key"
			echo "tokens = $T/tokens"
			[ "$(id -u)" -eq 0 ] && echo "user = root"
			echo "listen $kind 127.0.0.1:$PORT"
			printf '%s\n' "$2"
		} >"$T/$1.conf"
		"$CAIRND" -d -f "$T/$1.conf" >"$T/$1.log" 2>&1 &
		PID=$!
		PIDS="$PIDS $PID"
		URL="$kind://127.0.0.1:$PORT"
		i=0
		while [ $i -lt 100 ]; do
			if curl -fs $CURLTLS "$URL/healthz" >/dev/null 2>&1; then
				return 0
			fi
			kill -0 $PID 2>/dev/null || break
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 $PID 2>/dev/null
		wait $PID 2>/dev/null
		tries=$((tries + 1))
		if [ $tries -ge 5 ]; then
			echo "cairnd does not start:"; sed 's/^/    /' "$T/$1.log"
			exit 1
		fi
	done
}
# stop_daemon: SIGTERM, and cairnd must exit 0.
stop_daemon() {
	kill -TERM $PID
	wait $PID
}

# req METHOD PATH [curl args...]: the status code goes to $T/code, the body
# to $T/body, the headers to $T/hdr.
req() {
	m=$1; p=$2; shift 2
	curl -s $CURLTLS -X "$m" -o "$T/body" -D "$T/hdr" -w '%{http_code}' "$@" \
	    "$URL$p" >"$T/code" 2>"$T/curl.err" || echo 000 >"$T/code"
}
# send TOKEN CONTENT-TYPE FILE [curl args...]: POST /v1/events.
send() {
	tok=$1; ct=$2; f=$3; shift 3
	req POST /v1/events -H "Authorization: Bearer $tok" \
	    -H "Content-Type: $ct" --data-binary "@$f" "$@"
}
# status DESCRIPTION CODE: the last response had this status.
status() {
	if [ "$(cat "$T/code")" = "$2" ]; then ok "$1"; else
		not_ok "$1 (status $(cat "$T/code"), expected $2)"
		sed 's/^/    /' "$T/body"; fi
}
# jqcheck DESCRIPTION FILTER: the last body satisfies the jq filter.
jqcheck() {
	if jq -e "$2" "$T/body" >/dev/null 2>&1; then ok "$1"; else
		not_ok "$1 ($2)"; sed 's/^/    /' "$T/body"; fi
}
# Small bodies, so that 413 is cheap to reach (max_body has a 1K floor).
start_daemon main "max_body = 8K
checkpoint_interval = 1"

# --- Endpoints without a token --------------------------------------------
req GET /healthz
status "healthz" 200
check "healthz says ok" grep -qx ok "$T/body"
req GET /v1/checkpoint
status "checkpoint" 200
check "checkpoint is a signed note of our origin" \
    sh -c "head -n 1 '$T/body' | grep -qx test.example/cairn && grep -q '^— test.example/cairn ' '$T/body'"
expect "checkpoint is text/plain" '^Content-Type: text/plain' "$T/hdr"
req GET /nowhere
status "unknown path" 404
jqcheck "404 is a JSON error" '.error == "not found" and (.message | length > 0)'
req DELETE /v1/events
status "wrong method" 405
expect "405 says Allow" '^Allow: POST' "$T/hdr"
req GET /v1/events
status "GET on the events endpoint" 405
req POST /healthz
status "POST on healthz" 405
expect "405 on healthz allows GET" '^Allow: GET' "$T/hdr"

# --- Metrics: admin only ----------------------------------------------------
req GET /metrics
status "metrics without a token" 401
req GET /metrics -H "Authorization: Bearer $TI"
status "metrics with an ingest token" 403
req GET /metrics -H "Authorization: Bearer $TA"
status "metrics with an admin token" 200
expect "metrics count HTTP requests" '^cairn_http_requests_total [0-9]+' "$T/body"

# --- Authentication and media types ----------------------------------------
head -n 1 "$EXAMPLES" >"$T/one.json"
req POST /v1/events -H 'Content-Type: application/json' --data-binary "@$T/one.json"
status "no token" 401
expect "401 asks for a bearer token" '^WWW-Authenticate: Bearer' "$T/hdr"
jqcheck "401 is a JSON error" '.error == "unauthorized"'
send "$(rnd)" application/json "$T/one.json"
status "unknown token" 401
req POST /v1/events -H "Authorization: Basic $(printf a:b | base64)" \
    -H 'Content-Type: application/json' --data-binary "@$T/one.json"
status "not a bearer credential" 401
send "$TQ" application/json "$T/one.json"
status "token without the ingest role" 403
jqcheck "403 says which role" '.error == "forbidden" and (.message | test("ingest"))'
send "$TA" application/json "$T/one.json"
status "admin token cannot ingest" 403
send "$TI" text/plain "$T/one.json"
status "text/plain" 415
jqcheck "415 is a JSON error" '.error == "unsupported media type"'
send "$TI" 'application/json; charset=iso-8859-1' "$T/one.json"
status "a charset other than UTF-8" 415
send "$TI" application/json "$T/one.json" -H 'Content-Encoding: gzip'
status "a content coding" 415

# --- A single object, and its receipt --------------------------------------
send "$TI" 'Application/JSON; charset=utf-8' "$T/one.json"
status "one object" 200
jqcheck "one receipt" '.receipts | length == 1'
# cairnd logs its own start first: count from this entry's seq.
S=$(jq -r '.receipts[0].seq' "$T/body")
jqcheck "a new entry, the last of the tree" \
    '.receipts[0].tree_size == .receipts[0].seq + 1 and .receipts[0].duplicate == false'
jqcheck "the entry names the token as its source" \
    '.receipts[0].entry | fromjson | .source == "sender"'
cp "$T/body" "$T/first"
# The sender recomputes the leaf hash: SHA-256(0x00 || entry bytes).
leaf=$(jq -r '.receipts[0].leaf_hash' "$T/first")
calc=$({ printf '\000'; jq -j '.receipts[0].entry' "$T/first"; } | sha256sum | cut -d' ' -f1)
check "leaf hash = SHA-256(0x00 || entry)" test "$leaf" = "$calc"

# The same event again: the first receipt, marked duplicate.
send "$TI" application/json "$T/one.json"
status "identical re-send" 200
jqcheck "re-send gets the first receipt" \
    "(.receipts[0].seq == $S) and (.receipts[0].duplicate == true) and (.receipts[0].leaf_hash == \"$leaf\")"
# The same id with other content: 409, and nothing stored.
sed 's/"consent_ref":"[^"]*"/"consent_ref":"consent-changed"/' "$T/one.json" >"$T/changed.json"
check "the changed event differs" sh -c "! cmp -s '$T/one.json' '$T/changed.json'"
send "$TI" application/json "$T/changed.json"
status "changed re-send" 409
jqcheck "409 names the event" '.error == "conflict" and .index == 0 and (.message | length > 0)'
# Ids are per source: another token may use the same id.
send "$TI2" application/json "$T/changed.json"
status "same id from another source" 200
jqcheck "it is a new entry" ".receipts[0].seq == $S + 1 and .receipts[0].duplicate == false"

# --- Arrays and NDJSON ------------------------------------------------------
sed -n 2,4p "$EXAMPLES" >"$T/three.ndjson"
jq -s . "$T/three.ndjson" >"$T/three.json"
send "$TI" application/json "$T/three.json"
status "an array" 200
jqcheck "one receipt per array element, in order" \
    "[.receipts[].seq] == [$S + 2, $S + 3, $S + 4] and (.receipts | all(.tree_size == $S + 5))"
jqcheck "receipts carry the events sent" \
    "[.receipts[].entry | fromjson | .event.id] == $(jq -c -s '[.[].id]' "$T/three.ndjson")"
sed -n 5,6p "$EXAMPLES" >"$T/two.ndjson"
{ echo; sed -n 1p "$T/two.ndjson"; printf '  \r\n\n'; sed -n 2p "$T/two.ndjson"; } >"$T/blank.ndjson"
send "$TI" application/x-ndjson "$T/blank.ndjson"
status "NDJSON with blank lines" 200
jqcheck "one receipt per NDJSON line" "[.receipts[].seq] == [$S + 5, $S + 6]"

# --- Malformed bodies: 400 with where ---------------------------------------
printf '[%s,{"id":' "$(cat "$T/one.json")" >"$T/bad.json"
send "$TI" application/json "$T/bad.json"
status "truncated array" 400
jqcheck "400 names the array index" '.error == "malformed" and .index == 1'
{ cat "$T/one.json"; echo '{"id":"x",}'; } >"$T/bad.ndjson"
send "$TI" application/x-ndjson "$T/bad.ndjson"
status "bad NDJSON line" 400
jqcheck "400 names the line" '.line == 2 and (.message | length > 0)'
printf '{"id":"a","id":"b"}' >"$T/dup.json"
send "$TI" application/json "$T/dup.json"
status "duplicate key" 400
printf '{"id":"a","n":1.5}' >"$T/real.json"
send "$TI" application/json "$T/real.json"
status "a fraction" 400
printf '"just a string"' >"$T/scalar.json"
send "$TI" application/json "$T/scalar.json"
status "a scalar body" 400
printf '[]' >"$T/empty.json"
send "$TI" application/json "$T/empty.json"
status "an empty array" 400
: >"$T/nothing"
send "$TI" application/json "$T/nothing"
status "an empty body" 400
printf '{"id":"\377"}' >"$T/utf8.json"
send "$TI" application/json "$T/utf8.json"
status "invalid UTF-8" 400

# --- 422: every error listed, nothing stored --------------------------------
{
	sed -n 7p "$EXAMPLES"
	echo '{"id":"bad-1","type":"no.such.type","time":"2026-11-02T09:15:00Z"}'
	sed -n 8p "$EXAMPLES"
	echo '{"id":"bad-2","type":"realname.check"}'
	echo '5'
} >"$T/mixed.ndjson"
send "$TI" application/x-ndjson "$T/mixed.ndjson"
status "invalid events among good ones" 422
jqcheck "422 lists the errors" '.error == "invalid events" and (.errors | length >= 3)'
jqcheck "422 names every bad event" '[.errors[].index] | unique == [1,3,4]'
jqcheck "422 says line, field, rule and message" \
    '.errors | all(has("line") and has("field") and has("rule") and has("message"))'
jqcheck "422 names the missing required fields" \
    '[.errors[] | select(.index == 3 and .rule == "required")] | length >= 1'
jqcheck "422 counts them" '.error_count == (.errors | length)'
# The good events of that request were not stored: the next one is S + 7.
sed -n 7p "$EXAMPLES" >"$T/seven.json"
send "$TI" application/json "$T/seven.json"
status "a good event after the 422" 200
jqcheck "nothing of the refused request was stored" \
    ".receipts[0].seq == $S + 7 and .receipts[0].tree_size == $S + 8 and .receipts[0].duplicate == false"

# --- 413: too large ---------------------------------------------------------
{ printf '{"id":"big","type":"x","note":"'; head -c 9000 /dev/zero | tr '\0' a; printf '"}'; } >"$T/big.json"
send "$TI" application/json "$T/big.json"
status "body over max_body" 413
jqcheck "413 is a JSON error" '.error == "too large"'
send "$TI" application/json "$T/big.json" -H 'Transfer-Encoding: chunked'
status "chunked body over max_body" 413

# --- Metrics count what happened ----------------------------------------------
req GET /metrics -H "Authorization: Bearer $TA"
expect "metrics count committed events" "^cairn_events_committed_total $((S + 8))\$" "$T/body"
expect "metrics count duplicates" '^cairn_events_duplicate_total 1$' "$T/body"
expect "metrics count auth refusals" 'cairn_events_rejected_total\{reason="auth"\} [1-9]' "$T/body"
expect "metrics count invalid events" 'cairn_events_rejected_total\{reason="invalid"\} [1-9]' "$T/body"

# ingest_nice (default 10): a connection's thread, once it has posted
# events, runs that many nice levels below the daemon for the rest of the
# connection (held open here after its answer); the daemon's own threads,
# the writer among them, keep its priority.
body=$(cat "$T/one.json")
{ printf 'POST /v1/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %s\r\n\r\n%s' \
    "$TI" "${#body}" "$body"; sleep 2; } | "$LOADCLIENT" raw "$PORT" &
held=$!
sleep 1
base=$(nice_of /proc/$PID/stat)
want=$((base + 10)); [ $want -gt 19 ] && want=19
n=0; m=0; for t in /proc/$PID/task/*; do
	case "$(nice_of $t/stat)" in
	"$want") n=$((n + 1)) ;;
	"$base") m=$((m + 1)) ;;
	esac
done
if [ "$n" -eq 1 ] && [ "$m" -ge 2 ]; then
	ok "the posting connection's thread runs at nice $want, $m others at $base"
else
	not_ok "$n threads at nice $want and $m at $base, want 1 and at least 2"
	for t in /proc/$PID/task/*; do echo "    $(cat $t/comm) $(nice_of $t/stat)"; done
fi
wait $held
req GET /metrics -H "Authorization: Bearer $TA"
expect "its event was taken (a re-send: one more duplicate)" \
    '^cairn_events_duplicate_total 2$' "$T/body"

check "cairnd stops on SIGTERM" stop_daemon
check "the store verifies" "$CAIRN" verify
check "dump" "$CAIRN" dump
jq -c 'select(.source == "sender") | .event.id' "$T/out" | tr -d '"' | tr '\n' ' ' >"$T/ids"
expect "every acknowledged event is stored, and only those" \
    '^ev-0001 ev-0002 ev-0003 ev-0004 ev-0005 ev-0006 ev-0007 $' "$T/ids"

# --- 503 + Retry-After when the queue is full --------------------------------
# One event fills a queue of 1 while the writer waits a second for a batch to
# fill: every other request in that second must be refused, not queued.
start_daemon queue "queue_limit = 1
batch_delay_ms = 1000"
sed -n 9p "$EXAMPLES" >"$T/q1.json"
sed -n 10p "$EXAMPLES" >"$T/q2.json"
curl -s -o "$T/q1.body" -w '%{http_code}' -H "Authorization: Bearer $TI" \
    -H 'Content-Type: application/json' --data-binary "@$T/q1.json" \
    "$URL/v1/events" >"$T/q1.code" &
QPID=$!
i=0
while [ $i -lt 40 ]; do
	curl -s -H "Authorization: Bearer $TA" "$URL/metrics" >"$T/m"
	grep -q '^cairn_queue_depth 1$' "$T/m" && break
	sleep 0.02
	i=$((i + 1))
done
# Five at once, so that all land in that second even on a busy machine.
Q2=""
for i in 1 2 3 4 5; do
	curl -s -o "$T/q2.$i.body" -D "$T/q2.$i.hdr" -w '%{http_code}' \
	    -H "Authorization: Bearer $TI" -H 'Content-Type: application/json' \
	    --data-binary "@$T/q2.json" "$URL/v1/events" >"$T/q2.$i.code" &
	Q2="$Q2 $!"
done
for p in $Q2; do wait "$p"; done
n503=0
for i in 1 2 3 4 5; do
	[ "$(cat "$T/q2.$i.code")" = 503 ] && grep -q '^Retry-After: 1' "$T/q2.$i.hdr" &&
	    n503=$((n503 + 1)) && cp "$T/q2.$i.body" "$T/body"
done
check "requests while the queue is full get 503 + Retry-After" test $n503 -ge 4
jqcheck "503 is a JSON error" '.error == "queue full"'
wait $QPID
check "the queued request is acknowledged" test "$(cat "$T/q1.code")" = 200
send "$TI" application/json "$T/q2.json"
status "once the queue drains, requests succeed" 200
# On a loaded machine the fifth request may come after the writer's second
# and be stored (the check above allows it): then this is its re-send.
if [ "$n503" -eq 5 ]; then
	jqcheck "the refused event was not stored meanwhile" '.receipts[0].duplicate == false'
else
	jqcheck "the one request accepted after the drain was stored once" '.receipts[0].duplicate == true'
fi
check "cairnd stops on SIGTERM, again" stop_daemon

# --- HTTPS, client certificates, and reloading the certificate -------------
if command -v openssl >/dev/null 2>&1; then
	# mkcert NAME ISSUER [server]: a P-256 key and a certificate.
	mkcert() {
		openssl ecparam -name prime256v1 -genkey -noout -out "$T/$1.key" 2>/dev/null
		if [ "$2" = self ]; then
			openssl req -x509 -new -key "$T/$1.key" -subj "/CN=$1" \
			    -days 2 -out "$T/$1.pem" 2>/dev/null
			return
		fi
		openssl req -new -key "$T/$1.key" -subj "/CN=$1" -out "$T/$1.csr" 2>/dev/null
		if [ "${3:-}" = server ]; then
			printf 'subjectAltName=IP:127.0.0.1\n' >"$T/$1.ext"
		else
			printf 'extendedKeyUsage=clientAuth\n' >"$T/$1.ext"
		fi
		openssl x509 -req -in "$T/$1.csr" -CA "$T/$2.pem" -CAkey "$T/$2.key" \
		    -CAcreateserial -days 2 -extfile "$T/$1.ext" -out "$T/$1.pem" 2>/dev/null
	}
	fpr() {
		openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$T/ca.pem" \
		    </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256
	}
	mkcert ca self
	mkcert rogue self
	mkcert server ca server
	mkcert server2 ca server
	mkcert client ca
	mkcert stranger rogue
	cp "$T/server.pem" "$T/tls.pem"
	cp "$T/server.key" "$T/tls.key"
	chmod 600 "$T/tls.key"
	CURLTLS="--cacert $T/ca.pem"
	start_daemon tls "tls_cert = $T/tls.pem
tls_key = $T/tls.key
tls_ca = $T/ca.pem
tls_verify_client = require" https
	ok "https listener starts"
	sed -n 11p "$EXAMPLES" >"$T/t1.json"
	send "$TI" application/json "$T/t1.json" --cert "$T/client.pem" --key "$T/client.key"
	status "https with a client certificate" 200
	send "$TI" application/json "$T/t1.json"
	status "https without a client certificate" 403
	jqcheck "403 asks for a client certificate" '.message | test("certificate")'
	send "$TI" application/json "$T/t1.json" --cert "$T/stranger.pem" --key "$T/stranger.key"
	status "a client certificate from another CA" 403
	# Only TLS 1.2 and 1.3 (RFC 8996); SECLEVEL=0 lets the client offer 1.1.
	check "TLS 1.1 is refused" sh -c "openssl s_client -connect 127.0.0.1:$PORT \
	    -tls1_1 -cipher DEFAULT@SECLEVEL=0 </dev/null 2>&1 | grep -q 'Cipher is (NONE)'"
	check "TLS 1.2 is accepted" curl -fs $CURLTLS --tlsv1.2 --tls-max 1.2 "$URL/healthz"
	before=$(fpr)
	cp "$T/server2.pem" "$T/tls.pem"
	cp "$T/server2.key" "$T/tls.key"
	kill -HUP $PID
	i=0
	while [ $i -lt 50 ] && [ "$(fpr)" = "$before" ]; do sleep 0.1; i=$((i + 1)); done
	check "SIGHUP reloads the certificate" test "$(fpr)" != "$before"
	check "the new certificate is the one on disk" test "$(fpr)" = \
	    "$(openssl x509 -in "$T/server2.pem" -noout -fingerprint -sha256)"
	send "$TI" application/json "$T/t1.json" --cert "$T/client.pem" --key "$T/client.key"
	status "requests after the reload" 200
	jqcheck "a re-send after the reload is a duplicate" '.receipts[0].duplicate == true'
	: >"$T/tls.pem"
	kill -HUP $PID
	sleep 0.5
	check "a bad certificate on reload keeps the old one" test "$(fpr)" = \
	    "$(openssl x509 -in "$T/server2.pem" -noout -fingerprint -sha256)"
	check "cairnd stops on SIGTERM, with TLS" stop_daemon
	CURLTLS=
fi

finish
