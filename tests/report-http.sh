#!/bin/sh
# Exports through cairnd: POST /v1/reports (role report) and the downloads,
# every refusal, and `cairn report` while cairnd holds the store (it goes
# through the local socket; cairnd signs).  Each export verifies offline.
. "${top_srcdir:-.}/tests/lib.sh"
daemon_setup
REP=$("$CAIRN" token add officer --roles report --file "$T/var/tokens" 2>/dev/null)
echo "reports = $T/var/reports" >> "$CONF"
start_cairnd || exit 1
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

stop_cairnd
check "the store verifies after all that" "$CAIRN" verify
finish
