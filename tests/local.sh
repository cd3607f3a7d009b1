#!/bin/sh
# While cairnd holds a store, cairn's writing commands go through its local
# API (a unix socket authenticated by peer credentials), never a second writer.
. "${top_srcdir:-.}/tests/lib.sh"

daemon_setup
check "cairnd starts" start_cairnd
check "local socket: no access for group or others" test $(( 0$(stat -c %a "$CAIRN_STORE/cairnd.sock") & 077 )) -eq 0
check "cairn append goes through cairnd" "$CAIRN" append --receipts "$EXAMPLES"
expect "appended through cairnd" 'appended, 0 already stored \(duplicates\) through cairnd' "$T/err"
expect "receipts printed" '"seq":[0-9]+' "$T/out"
check "a re-run is recognised" "$CAIRN" append "$EXAMPLES"
expect "re-sent events are duplicates" ' already stored' "$T/err"
printf '%s\n' '{"id":"l-1","type":"no.such.type","time":"2026-01-01T00:00:00Z"}' > "$T/bad.ndjson"
refuse "invalid events still refused with their line" 'line 1: ' "$CAIRN" append "$T/bad.ndjson"
check "cairn checkpoint goes through cairnd" "$CAIRN" checkpoint
expect "a signed checkpoint" '^— test.example/cairn ' "$T/out"
size=$(sed -n 2p "$T/out")
check "it covers what was appended" test "$size" -ge "$(grep -c . "$EXAMPLES")"
# Peer credentials: only root and cairnd's user, whatever the socket's mode.
chmod 666 "$CAIRN_STORE/cairnd.sock"
chmod 711 "$T" "$T/var" "$CAIRN_STORE"
if command -v runuser >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
	code=$(runuser -u nobody -- curl -s -o /dev/null -w '%{http_code}' \
	    --unix-socket "$CAIRN_STORE/cairnd.sock" -X POST \
	    -H 'Content-Type: application/json' -d '{}' http://local/v1/events)
	check "another user is refused on the local socket (403)" test "$code" = 403
fi
stop_cairnd
check "the socket is removed at stop" test ! -e "$CAIRN_STORE/cairnd.sock"
check "store verifies" "$CAIRN" verify
check "dump" "$CAIRN" dump
expect "source is the CLI's" '"source":"cli:' "$T/out"
finish
