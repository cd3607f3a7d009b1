#!/bin/sh
# Exports through cairnd: POST /v1/reports (role report) and the downloads,
# every refusal, and `cairn report` while cairnd holds the store (it goes
# through the local socket; cairnd signs).  Each export verifies offline.
. "${top_srcdir:-.}/tests/lib.sh"
daemon_setup
REP=$("$CAIRN" token add officer --roles report --file "$T/var/tokens" 2>/dev/null)
echo "reports = $T/var/reports" >> "$CONF"
# Under ASan, freed memory goes back at once (the heap check below).
saved_asan=${ASAN_OPTIONS-}
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0:allocator_release_to_os_interval_ms=100"
export ASAN_OPTIONS
start_cairnd || exit 1
ASAN_OPTIONS=$saved_asan
URL="http://127.0.0.1:$HTTP_PORT"
PUB="$T/var/keys/cairn.pub"
# rpost BODY [TOKEN]: POST /v1/reports; prints the status.
rpost() {
	curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer ${2:-$REP}" \
		-H 'Content-Type: application/json' --data-binary "$1" "$URL/v1/reports"
}
s=$(post "$(cat "$EXAMPLES")" "$ING" application/x-ndjson)
[ "$s" = 200 ] && ok "events in over HTTP" || not_ok "events in over HTTP ($s)"
sleep 1
TO=$(date -u +%Y-%m-%dT%H:%M:%SZ)
BODY="{\"kind\":\"takedown\",\"from\":\"2026-11-01T00:00:00Z\",\"to\":\"$TO\"}"

s=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$BODY" "$URL/v1/reports")
[ "$s" = 401 ] && ok "no token: 401" || not_ok "no token: 401 ($s)"
s=$(rpost "$BODY" "$ING")
[ "$s" = 403 ] && ok "ingest token: 403" || not_ok "ingest token: 403 ($s)"
s=$(rpost "$BODY" "$QRY")
[ "$s" = 403 ] && ok "query token: 403" || not_ok "query token: 403 ($s)"
s=$(rpost '{"kind":"nosuch","from":"2026-11-01T00:00:00Z","to":"2026-11-02T00:00:00Z"}')
[ "$s" = 400 ] && ok "unknown kind: 400" || not_ok "unknown kind: 400 ($s)"
s=$(rpost '{"kind":"takedown","from":"2026-11-02T00:00:00Z","to":"2026-11-01T00:00:00Z"}')
[ "$s" = 400 ] && ok "empty period: 400" || not_ok "empty period: 400 ($s)"
s=$(rpost '{"kind":"takedown","from":"2026-11-01T00:00:00Z","to":"2099-01-01T00:00:00Z"}')
[ "$s" = 400 ] && ok "period not over: 400" || not_ok "period not over: 400 ($s)"
s=$(rpost '{"kind":"account-history","from":"2026-11-01T00:00:00Z","to":"2026-11-02T00:00:00Z"}')
[ "$s" = 400 ] && ok "account-history without account: 400" || not_ok "account-history without account: 400 ($s)"
s=$(rpost 'not json')
[ "$s" = 400 ] && ok "malformed body: 400" || not_ok "malformed body: 400 ($s)"
s=$(rpost '{"kind":"takedown","from":"2026-11-01T00:00:00Z","to":"2026-11-02T00:00:00Z","x":1}')
[ "$s" = 400 ] && ok "unknown member: 400" || not_ok "unknown member: 400 ($s)"

s=$(rpost "$BODY")
[ "$s" = 201 ] && ok "report token: 201" || { not_ok "report token: 201 ($s)"; cat "$T/body"; }
ID=$(jq -r .id "$T/body")
expect "the answer names its entries and key" '"entries":2,.*"key_id"' "$T/body"
if grep -q '"path"' "$T/body"; then not_ok "no server paths for remote callers"; else
	ok "no server paths for remote callers"; fi
curl -s -o "$T/r.xml.zst" -w '%{http_code}' -H "Authorization: Bearer $REP" \
    "$URL/v1/reports/$ID.xml.zst" > "$T/code"
expect "download the export: 200" '^200$' "$T/code"
curl -s -o "$T/r.xml.zst.minisig" -w '%{http_code}' -H "Authorization: Bearer $REP" \
    "$URL/v1/reports/$ID.xml.zst.minisig" > "$T/code"
expect "download its signature: 200" '^200$' "$T/code"
check "the downloaded export verifies" "$CAIRN" verify-export "$T/r.xml.zst" --pubkey "$PUB"
check "minisign accepts it" minisign -Vm "$T/r.xml.zst" -p "$PUB"
s=$(curl -s -o /dev/null -w '%{http_code}' "$URL/v1/reports/$ID.xml.zst")
[ "$s" = 401 ] && ok "download without token: 401" || not_ok "download without token: 401 ($s)"
s=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ING" "$URL/v1/reports/$ID.xml.zst")
[ "$s" = 403 ] && ok "download with ingest token: 403" || not_ok "download with ingest token: 403 ($s)"
s=$(curl -s -o /dev/null -w '%{http_code}' --path-as-is -H "Authorization: Bearer $REP" "$URL/v1/reports/../cairn.conf")
[ "$s" = 404 ] && ok "no climbing out of the report directory: 404" || not_ok "no climbing out: 404 ($s)"
s=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $REP" "$URL/v1/reports/nosuch.xml.zst")
[ "$s" = 404 ] && ok "unknown report: 404" || not_ok "unknown report: 404 ($s)"
s=$(rpost "$BODY")
[ "$s" = 409 ] && ok "the same report again: 409, nothing overwritten" || not_ok "same report again: 409 ($s)"
sleep 0.5
check "system.report_generated names the token" sh -c \
    "\"$CAIRN\" dump | grep '\"type\":\"system.report_generated\"' | grep -q '\"token\":\"officer\"'"

# cairn report while cairnd holds the store: through the local socket.
mkdir -p "$T/out2"
check "cairn report through cairnd" "$CAIRN" report account-history --account u-1006 \
    --from 2026-11-01 --to "$TO" --out "$T/out2" --name hist --html
expect "it prints the summary" 'entries +[0-9]+ in the period' "$T/out"
check "the copied export verifies" "$CAIRN" verify-export "$T/out2/hist.xml.zst" --pubkey "$PUB"
expect "--html through cairnd writes the page" '<svg' "$T/out2/hist.html"

# Exports leave nothing behind in cairnd's heap: over four more exports
# of 3,000 takedowns each, RssAnon stays within 4 MiB of what it was after
# the first two (which set up what stays: arenas, LMDB's page pool).
rss_anon() {
	awk '/^RssAnon:/ { print $2 }' "/proc/$CAIRND_PID/status"
}
grep '"content.takedown"' "$EXAMPLES" | head -n 1 > "$T/td1"
i=0
while [ $i -lt 3 ]; do
	awk -v b=$i '{ for (n = 0; n < 1000; n++) { l = $0
		sub(/"id":"[^"]*"/, "\"id\":\"heap-" b "-" n "\"", l)
		sub(/"account":"[^"]*"/, "\"account\":\"u-h" (n % 97) "\"", l)
		print l } }' "$T/td1" > "$T/td.ndjson"
	s=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $ING" \
	    -H 'Content-Type: application/x-ndjson' --data-binary @"$T/td.ndjson" \
	    "$URL/v1/events")
	[ "$s" = 200 ] || not_ok "1,000 takedowns in ($s)"
	i=$((i + 1))
done
sleep 1
TO2=$(date -u +%Y-%m-%dT%H:%M:%SZ)
n=1
while [ $n -le 6 ]; do
	s=$(rpost "{\"kind\":\"takedown\",\"from\":\"2026-11-01T00:00:00Z\",\"to\":\"$TO2\",\"name\":\"heap-$n\"}")
	[ "$s" = 201 ] || not_ok "export heap-$n: 201 ($s)"
	[ $n -eq 2 ] && h2=$(rss_anon)
	n=$((n + 1))
done
h6=$(rss_anon)
expect "each of them holds the 3,000 takedowns" '"entries":300[0-9],' "$T/body"
echo "# RssAnon kB after export 2: $h2, after export 6: $h6"
if [ -n "$h2" ] && [ -n "$h6" ] && [ "$h6" -le $((h2 + 4096)) ]; then
	ok "the heap stays level over repeated exports ($h2 -> $h6 kB)"
else
	not_ok "the heap grows with exports ($h2 -> $h6 kB)"
fi

# An export while takedowns keep arriving: the writer commits under the
# export's snapshot (which it renews as it goes), and the export still
# verifies, its margin taking what arrived after the period and before the
# checkpoint made for it.
(
	b=0
	while [ ! -e "$T/stop-load" ] && [ $b -lt 200 ]; do
		sed "s/heap-/live-$b-/" "$T/td.ndjson" > "$T/live.ndjson"
		curl -s -o /dev/null -H "Authorization: Bearer $ING" \
		    -H 'Content-Type: application/x-ndjson' \
		    --data-binary @"$T/live.ndjson" "$URL/v1/events"
		b=$((b + 1))
	done
) &
LOADER=$!
sleep 1
TO3=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1.2
s=$(rpost "{\"kind\":\"takedown\",\"from\":\"2026-11-01T00:00:00Z\",\"to\":\"$TO3\",\"name\":\"live\"}")
[ "$s" = 201 ] && ok "an export under load: 201" || { not_ok "an export under load: 201 ($s)"; cat "$T/body"; }
touch "$T/stop-load"
wait $LOADER
ID=$(jq -r .id "$T/body")
curl -s -o "$T/live.xml.zst" -H "Authorization: Bearer $REP" "$URL/v1/reports/$ID.xml.zst"
curl -s -o "$T/live.xml.zst.minisig" -H "Authorization: Bearer $REP" "$URL/v1/reports/$ID.xml.zst.minisig"
check "the export made under load verifies" "$CAIRN" verify-export "$T/live.xml.zst" --pubkey "$PUB"
zstd -qdc "$T/live.xml.zst" > "$T/live.xml"
expect "what arrived meanwhile is its margin after the period" 'margin="after"' "$T/live.xml"

stop_cairnd
check "the store verifies after all that" "$CAIRN" verify
finish
