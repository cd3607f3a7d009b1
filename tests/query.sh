#!/bin/sh
# Incident response end to end: an account's history from events that came
# over syslog (logger) and HTTP (curl), from the CLI and over HTTP; the
# self-audit of every history query; roles; cursor pagination while new
# entries arrive; proofs that verify offline and altered ones that do not;
# an altered entry and a removed one reported by history, not hidden.
. "${top_srcdir:-.}/tests/lib.sh"

for tool in curl jq logger; do
	command -v $tool >/dev/null 2>&1 || { echo "SKIP: no $tool"; exit 77; }
done
daemon_setup
check "cairnd starts" start_cairnd
URL="http://127.0.0.1:$HTTP_PORT"

# get PATH [TOKEN]: GET; prints the status, the body goes to $T/body.
get() {
	if [ -n "${2-}" ]; then
		curl -s -o "$T/body" -w '%{http_code}' \
			-H "Authorization: Bearer $2" "$URL$1"
	else
		curl -s -o "$T/body" -w '%{http_code}' "$URL$1"
	fi
}
# is DESCRIPTION WANT GOT
is() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (want $2, got $3)"
		sed 's/^/    /' "$T/body" 2>/dev/null | head -5; fi
}
# syslog_event ID TYPE ACCOUNT: an audit event over TCP syslog.
syslog_event() {
	logger -n 127.0.0.1 -P "$SYSLOG_PORT" -T --octet-count --rfc5424 \
		-t platform --sd-id cairn@32473 --sd-param "id=\"$1\"" \
		--sd-param "type=\"$2\"" --sd-param "account=\"$3\"" \
		--sd-param 'reason="arrears"' --sd-param 'decided_by="automated"' \
		"audit event $1"
}
# wait_for ID: until an entry with event id ID is stored (syslog is async).
wait_for() {
	n=0
	while [ $n -lt 100 ]; do
		"$CAIRN" tail -n 50 --json 2>/dev/null | grep -q "\"id\":\"$1\"" && return 0
		sleep 0.1
		n=$((n + 1))
	done
	return 1
}
ev() {
	printf '{"id":"%s","type":"%s","time":"2026-11-29T10:00:00+08:00","account":"%s"%s}' \
		"$1" "$2" "$3" "${4-}"
}
queried() {	# how many system.account_queried entries name account $1
	"$CAIRN" search --type system.account_queried --json |
		jq -c "select(.entry.event.account == \"$1\")" | wc -l
}

# --- the account's events, over both transports, interleaved ------------
is "HTTP event 1" 200 "$(post "$(ev h-1 account.created u-500 ',"account_kind":"personal"')")"
syslog_event s-2 account.suspended u-500
check "syslog event 2 stored" wait_for s-2
is "HTTP event 3" 200 "$(post "$(ev h-3 account.restored u-500 ',"reason":"arrears"')")"
syslog_event s-4 account.suspended u-500
check "syslog event 4 stored" wait_for s-4
is "an event of another account" 200 "$(post "$(ev h-9 account.created u-501 ',"account_kind":"personal"')")"

# --- history from the CLI, while cairnd holds the store -----------------
check "cairn history while cairnd runs" "$CAIRN" history --json u-500
cp "$T/out" "$T/h1.json"
ids=$(jq -r 'select(.seq) | .entry.event.id // empty' "$T/h1.json" | grep -v '^cairn' | tr '\n' ' ')
is "history: both transports, in order, complete" "h-1 s-2 h-3 s-4 " "$(echo "$ids" | sed 's/query-[^ ]* //g')"
is "history: seqs increase" "$(jq -r 'select(.seq) | .seq' "$T/h1.json" | sort -n | tr '\n' ' ')" \
	"$(jq -r 'select(.seq) | .seq' "$T/h1.json" | tr '\n' ' ')"
is "history: every row checks ok" 0 "$(jq -r 'select(.seq) | select(.check != "ok")' "$T/h1.json" | wc -l)"
is "history: the sources are HTTP and syslog" "platform syslog:127.0.0.1 platform syslog:127.0.0.1 " \
	"$(jq -r 'select(.seq) | select(.entry.event.id | test("^[hs]-")) | .entry.source' "$T/h1.json" | tr '\n' ' ')"
is "history: no other account's entry" 0 "$(grep -c '"h-9"' "$T/h1.json")"
expect "history says newer entries are not proven absent" '"note":"entries after last_seq are not proven absent"' "$T/h1.json"
seq_h1=$(jq -r 'select(.entry.event.id == "h-1") | .seq' "$T/h1.json")
seq_s2=$(jq -r 'select(.entry.event.id == "s-2") | .seq' "$T/h1.json")
is "history --json: the leaf hash is SHA-256(0x00 || entry)" \
	"$(jq -r "select(.seq == $seq_h1) | .leaf" "$T/h1.json")" \
	"$( (printf '\000'; jq -cj "select(.seq == $seq_h1) | .entry" "$T/h1.json") | sha256sum | cut -d' ' -f1)"
check "history as a table" "$CAIRN" history u-500
expect "the table has the columns" 'TIME +STREAM +TYPE +OUTCOME/ACTION +CLAUSE +SEQ +CHECK' "$T/out"
expect "the table says what is not proven" 'not proven absent' "$T/out"
check "history filtered by type" "$CAIRN" history --json --type account.suspended u-500
is "filter: two suspensions" 2 "$(jq -r 'select(.seq) | .type' "$T/out" | grep -c account.suspended)"
is "filter: nothing else" 2 "$(jq -r 'select(.seq) | .seq' "$T/out" | wc -l)"
check "history with a window in the future" "$CAIRN" history --json --since 2030-01-01 u-500
is "window: nothing shown, everything checked" "0 true" \
	"$(jq -r 'select(.summary) | "\(.summary.shown) \(.summary.checked >= 5)"' "$T/out")"
refuse "history: a bad time is refused" 'RFC 3339' "$CAIRN" history --since yesterday u-500
refuse "history: an unknown stream is refused" 'one of' "$CAIRN" history --stream nope u-500

# --- self-audit ----------------------------------------------------------
before=$(queried u-500)
"$CAIRN" history u-500 >/dev/null 2>&1
is "each CLI history query leaves one system.account_queried" $((before + 1)) "$(queried u-500)"
"$CAIRN" search --type system.account_queried --json | jq -c 'select(.entry.event.account == "u-500")' | tail -n 1 > "$T/last"
expect "it names the command" '"command":"cairn history' "$T/last"
expect "it names the local user (through cairnd's socket)" '"token":"cli:' "$T/last"
expect "it is in the system stream" '"stream":"system"' "$T/last"

# --- HTTP ------------------------------------------------------------------
is "GET /v1/accounts/{id}/events, role query" 200 "$(get /v1/accounts/u-500/events "$QRY")"
is "HTTP history: the same entries as the CLI" "h-1 s-2 h-3 s-4" \
	"$(jq -r '.entries[].entry.event.id' "$T/body" | grep -E '^[hs]-' | tr '\n' ' ' | sed 's/ $//')"
is "HTTP history: every row checks ok" 0 "$(jq '[.entries[] | select(.check != "ok")] | length' "$T/body")"
is "HTTP history: same shape as --json" "$(jq -c "select(.seq == $seq_h1) | keys" "$T/h1.json")" \
	"$(jq -c '.entries[0] | keys' "$T/body")"
"$CAIRN" search --type system.account_queried --json | jq -c 'select(.entry.event.account == "u-500")' | tail -n 1 > "$T/last"
expect "the HTTP query was recorded with the token name" '"endpoint":"GET /v1/accounts/\{id\}/events".*"token":"responder"' "$T/last"
is "no token: 401" 401 "$(get /v1/accounts/u-500/events)"
is "bad token: 401" 401 "$(get /v1/accounts/u-500/events nonsense)"
is "ingest token on an account's history: 403" 403 "$(get /v1/accounts/u-500/events "$ING")"
is "admin token on an account's history: 403" 403 "$(get /v1/accounts/u-500/events "$ADM")"
is "ingest token on /v1/entries: 403" 403 "$(get '/v1/entries?stream=account' "$ING")"
is "ingest token on another's entry: 403" 403 "$(get /v1/entries/0 "$ING")"
is "no token on /v1/entries: 401" 401 "$(get /v1/entries)"
is "bad limit: 400" 400 "$(get '/v1/accounts/u-500/events?limit=0' "$QRY")"
is "limit too large: 400" 400 "$(get '/v1/accounts/u-500/events?limit=100000' "$QRY")"
is "bad cursor: 400" 400 "$(get '/v1/accounts/u-500/events?cursor=zz' "$QRY")"
is "bad since: 400" 400 "$(get '/v1/entries?since=yesterday' "$QRY")"
is "since with an offset, its + encoded" 200 "$(get '/v1/entries?since=2026-01-01T08:00:00%2B08:00' "$QRY")"
is "since with an offset, its + not encoded" 200 "$(get '/v1/entries?since=2026-01-01T08:00:00+08:00' "$QRY")"
is "until before since: 400" 400 "$(get '/v1/entries?since=2026-02-01&until=2026-01-01' "$QRY")"
is "unknown stream: 400" 400 "$(get '/v1/entries?stream=nope' "$QRY")"
is "unknown type: 400" 400 "$(get '/v1/entries?type=no.such' "$QRY")"
is "unknown seq: 404" 404 "$(get /v1/entries/999999 "$QRY")"
is "unknown seq's proof: 404" 404 "$(get /v1/entries/999999/proof "$QRY")"
is "seq not a number: 400" 400 "$(get /v1/entries/x1 "$QRY")"
is "GET /v1/entries/{seq}" 200 "$(get /v1/entries/$seq_h1 "$QRY")"
is "one entry, same shape" '"h-1"' "$(jq -c .entry.event.id "$T/body")"
is "bad consistency sizes: 400" 400 "$(get '/v1/consistency?old=5&new=2' "$QRY")"

# An account id that needs URL encoding.
is "event for account \"u 7/x\"" 200 "$(post "$(ev h-20 account.created 'u 7/x' ',"account_kind":"personal"')")"
is "GET /v1/accounts/u%207%2Fx/events" 200 "$(get '/v1/accounts/u%207%2Fx/events' "$QRY")"
is "the URL-decoded id finds its entry" '"h-20"' "$(jq -c '.entries[0].entry.event.id' "$T/body")"

# An ingest token may fetch proofs of the entries it sent, only.
is "ingest token, proof of its own entry" 200 "$(get "/v1/entries/$seq_h1/proof" "$ING")"
is "ingest token, proof of a syslog entry: 403" 403 "$(get "/v1/entries/$seq_s2/proof" "$ING")"

# --- pagination while new entries arrive --------------------------------
for i in $(seq 1 25); do printf '%s\n' "$(ev p-$i account.created u-page ',"account_kind":"personal"')"; done > "$T/page.ndjson"
is "25 events for u-page" 200 "$(post "$(cat "$T/page.ndjson")" "$ING" application/x-ndjson)"
# paginate PATH PARAMS OUT ARRIVE: follows "next" until it is null, each
# page's seqs appended to OUT; ARRIVE N posts new entries after page N <= 3.
paginate() {
	: > "$3"
	cursor=""
	pages=0
	while :; do
		q="$2"
		[ -n "$cursor" ] && q="$q&cursor=$cursor"
		st=$(get "$1?$q" "$QRY")
		[ "$st" = 200 ] || { not_ok "$1 page $pages: status $st"; return; }
		jq -r '.entries[].seq' "$T/body" >> "$3"
		cursor=$(jq -r '.next // empty' "$T/body")
		pages=$((pages + 1))
		[ $pages -le 3 ] && $4 $pages
		[ -z "$cursor" ] && return
		[ $pages -gt 100 ] && { not_ok "$1: pagination does not end"; return; }
	done
}
arrive_notice() {
	post "$(ev q-$1 account.notice u-page ',"channel":"email","planned_action":"suspend"')" >/dev/null
}
arrive_account() {
	post "$(ev r-$1 account.created u-new$1 ',"account_kind":"personal"')" >/dev/null
}
paginate /v1/accounts/u-page/events limit=4 "$T/pages" arrive_notice
is "pagination went over several pages" yes "$([ "$pages" -ge 5 ] && echo yes || echo "no ($pages)")"
is "pages: no entry twice" "$(sort -n "$T/pages" | uniq | wc -l)" "$(wc -l < "$T/pages")"
is "pages: in order" "$(sort -n "$T/pages" | tr '\n' ' ')" "$(tr '\n' ' ' < "$T/pages")"
"$CAIRN" history --json u-page > "$T/hp.json" 2>/dev/null
last=$(tail -n 1 "$T/pages")
jq -r "select(.seq) | select(.seq <= $last) | .seq" "$T/hp.json" > "$T/want"
is "pages: every entry of the account up to the last page, exactly once" "$(tr '\n' ' ' < "$T/want")" "$(tr '\n' ' ' < "$T/pages")"
is "pages: the entries that arrived meanwhile are there" 3 "$(jq -r 'select(.entry.event.id) | .entry.event.id' "$T/hp.json" | grep -c '^q-')"
expect "pages: each page was recorded too" '"endpoint"' "$T/hp.json"

# The same over /v1/entries while entries arrive.
paginate /v1/entries "stream=account&limit=5" "$T/epages" arrive_account
"$CAIRN" search --stream account --json | jq -r 'select(.seq) | .seq' > "$T/ewant"
is "/v1/entries pages: every account-stream entry exactly once, in order" \
	"$(tr '\n' ' ' < "$T/ewant")" "$(tr '\n' ' ' < "$T/epages")"
check "search across all streams" "$CAIRN" search --json
is "search: every entry of the store, in seq order" "$("$CAIRN" dump | jq -r .seq | tr '\n' ' ')" \
	"$(jq -r 'select(.seq) | .seq' "$T/out" | tr '\n' ' ')"
check "search by field" "$CAIRN" search --json --field account=u-501
is "search by field finds the one event" '"h-9"' "$(jq -c 'select(.seq) | .entry.event.id' "$T/out")"

# --- proofs ---------------------------------------------------------------
check "checkpoint through cairnd" "$CAIRN" checkpoint
cp "$T/out" "$T/cp"
VKEY="$T/var/keys/cairn.vkey"
check "history --prove" "$CAIRN" history --prove u-500
cp "$T/out" "$T/proved"
expect "the checkpoint is included once" '^\{"checkpoint":' "$T/proved"
is "one checkpoint line" 1 "$(grep -c '"checkpoint"' "$T/proved")"
check "verify-proof accepts the output" "$CAIRN" verify-proof --key "$VKEY" "$T/proved"
expect "it says how many proofs verify" '^ok: [0-9]+ proofs verify' "$T/out"
check "verify-proof with the minisign public key" "$CAIRN" verify-proof --pubkey "$T/var/keys/cairn.pub" "$T/proved"
sed 's/"reason":"arrears"/"reason":"arrearz"/' "$T/proved" > "$T/bad1"
refuse "an altered entry fails" 'FAILED.*altered' "$CAIRN" verify-proof --key "$VKEY" "$T/bad1"
# A valid-looking but wrong hash in place of another.
AAAA=$(printf 'a%.0s' $(seq 1 64))
# The first hash of the first proof path replaced.
sed -E "2s/\"path\":\[\"[0-9a-f]{64}\"/\"path\":[\"$AAAA\"/" "$T/proved" > "$T/bad2"
is "the path was altered" 1 "$(cmp -s "$T/proved" "$T/bad2"; echo $?)"
refuse "an altered path fails" 'FAILED.*(path|root)' "$CAIRN" verify-proof --key "$VKEY" "$T/bad2"
sed '2s/"index":\([0-9]*\)/"index":1\1/' "$T/proved" > "$T/bad3"
refuse "a proof for another index fails" 'FAILED' "$CAIRN" verify-proof --key "$VKEY" "$T/bad3"
"$CAIRN" keygen -o "$T/stranger" --origin test.example/cairn >/dev/null
refuse "a stranger's key fails" 'does not verify' "$CAIRN" verify-proof --key "$T/stranger.vkey" "$T/proved"
sed '1s/test.example/tost.example/' "$T/proved" > "$T/bad4"
refuse "an altered checkpoint fails" 'does not verify|not a checkpoint' "$CAIRN" verify-proof --key "$VKEY" "$T/bad4"
refuse "nothing to verify fails" 'nothing was proven|no checkpoint' sh -c "echo '{}' | \"$CAIRN\" verify-proof --key \"$VKEY\""

# Bare proofs, from cairn proof and over HTTP, checked against the checkpoint.
"$CAIRN" proof 3 > "$T/incl"
check "cairn proof output verifies" "$CAIRN" verify-proof --key "$VKEY" --checkpoint "$T/cp" "$T/incl"
sed -E "s/\"leaf_hash\":\"[0-9a-f]{64}\"/\"leaf_hash\":\"$AAAA\"/" "$T/incl" > "$T/incl.bad"
refuse "an altered inclusion proof fails" 'FAILED' "$CAIRN" verify-proof --key "$VKEY" --checkpoint "$T/cp" "$T/incl.bad"
is "HTTP proof" 200 "$(get /v1/entries/3/proof "$QRY")"
check "the HTTP proof verifies" "$CAIRN" verify-proof --key "$VKEY" --checkpoint "$T/cp" "$T/body"
cpsize=$(sed -n 2p "$T/cp")
is "HTTP consistency proof" 200 "$(get "/v1/consistency?old=3&new=$cpsize" "$QRY")"
check "the consistency proof verifies" "$CAIRN" verify-proof --key "$VKEY" --checkpoint "$T/cp" "$T/body"
sed -E "s/\"old_root\":\"[0-9a-f]{64}\"/\"old_root\":\"$AAAA\"/" "$T/body" > "$T/cons.bad"
refuse "an altered consistency proof fails" 'FAILED' "$CAIRN" verify-proof --key "$VKEY" --checkpoint "$T/cp" "$T/cons.bad"

# --- tail -f follows new commits -----------------------------------------
"$CAIRN" tail -f --json -n 1 > "$T/tail" 2>&1 &
TAILPID=$!
PIDS="$PIDS $TAILPID"
sleep 0.5
post "$(ev t-1 account.created u-tail ',"account_kind":"personal"')" >/dev/null
n=0
while [ $n -lt 50 ] && ! grep -q '"t-1"' "$T/tail"; do sleep 0.1; n=$((n + 1)); done
expect "tail -f shows a new commit" '"t-1"' "$T/tail"
kill $TAILPID 2>/dev/null
wait $TAILPID 2>/dev/null

# --- the self-audit does not wait for the group-commit delay ----------------
# A query's system.account_queried entry is waited for alone: the writer
# commits it at once even with a long batch delay (kept for ingest).
stop_cairnd
echo "batch_delay_ms = 1000" >> "$CONF"
check "cairnd restarts with a 1 s batch delay" start_cairnd
before=$(queried u-500)
t=$(curl -s -o "$T/body" -w '%{time_total}' -H "Authorization: Bearer $QRY" \
	"$URL/v1/accounts/u-500/events?limit=1")
is "a history page answers well within the batch delay" yes \
	"$(awk -v t="$t" 'BEGIN { print (t < 0.5) ? "yes" : "no (" t " s)" }')"
is "the page has its entry" 1 "$(jq '.entries | length' "$T/body")"
is "and the query was recorded" $((before + 1)) "$(queried u-500)"
# cairn history while cairnd runs is read by cairnd (its warm map) and
# streamed over the local socket; the same rows as reading directly.
"$CAIRN" history --json u-500 > "$T/via.json" 2>/dev/null
"$CAIRN" history u-500 > "$T/via.txt" 2>/dev/null
is "history through cairnd: the table has the rows of --json, and its own" \
	"$(($(grep -c '^{"check"' "$T/via.json") + 1))" "$(grep -c ' ok$' "$T/via.txt")"
"$CAIRN" history --json --type account.suspended u-500 > "$T/viaf.json" 2>/dev/null
is "history through cairnd: filters apply" "account.suspended" \
	"$(jq -r 'select(.seq) | .type' "$T/viaf.json" | sort -u | tr -d '\n')"
is "the CLI's self-audit is for the local socket only (403 over TCP)" 403 \
	"$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $QRY" \
	"$URL/v1/accounts/u-500/queried?command=x")"
is "the history stream is for the local socket only (403 over TCP)" 403 \
	"$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $QRY" \
	"$URL/v1/accounts/u-500/history?command=x")"
# A long history (several of the blocks the read-ahead thread reads, the
# caller taking some itself): complete and in order through cairnd.
awk 'BEGIN { printf "["; for (i = 0; i < 1300; i++) printf "%s{\"id\":\"L-%d\",\"type\":\"account.created\",\"time\":\"2026-11-29T10:00:00+08:00\",\"account\":\"u-long\",\"account_kind\":\"personal\"}", (i ? "," : ""), i; printf "]" }' > "$T/long.json"
is "1,300 events of one account in one request" 200 "$(post "@$T/long.json")"
: > "$T/body"
"$CAIRN" history --json u-long > "$T/long-via.json" 2>/dev/null
# (and the query's own system.account_queried entry, last)
is "the long history through cairnd: every entry, checked, in order" \
	"1301 1301 L-0 L-1299 system.account_queried" \
	"$(jq -s -r '[.[] | select(.seq)] | [length, ([.[] | select(.check == "ok")] | length), .[0].entry.event.id, .[-2].entry.event.id, .[-1].type] | join(" ")' "$T/long-via.json")"
is "its seqs strictly increase" yes \
	"$(jq -r 'select(.seq) | .seq' "$T/long-via.json" | awk 'NR > 1 && $1 <= p { bad = 1 } { p = $1 } END { print bad ? "no" : "yes" }')"
"$CAIRN" history --json --field account_kind=personal u-long > "$T/long-field.json" 2>/dev/null
is "through cairnd, a field filter reads the event cairnd parsed" 1300 \
	"$(jq -s '[.[] | select(.seq) | select(.entry.event.account_kind == "personal")] | length' "$T/long-field.json")"
stop_cairnd
"$CAIRN" history --json u-long > "$T/long-direct.json" 2>/dev/null
is "the long history read directly: the same rows" \
	"$(grep '^{"check"' "$T/long-via.json")" "$(grep '^{"check"' "$T/long-direct.json" | head -n 1301)"
"$CAIRN" history --json u-500 > "$T/direct.json" 2>/dev/null
n=$(grep -c '^{"check"' "$T/via.json")
is "history through cairnd and read directly: the same rows" \
	"$(grep '^{"check"' "$T/via.json")" "$(grep '^{"check"' "$T/direct.json" | head -n "$n")"
is "read directly, three more: the later queries' own system.account_queried" $((n + 3)) \
	"$(grep -c '^{"check"' "$T/direct.json")"
is "both summaries agree on the first entry and the problems" \
	"$(jq -c '.summary | select(.) | [.first_seq, .problems]' "$T/via.json")" \
	"$(jq -c '.summary | select(.) | [.first_seq, .problems]' "$T/direct.json")"
"$CAIRN" history u-500 > "$T/direct.txt" 2>/dev/null
m=$(grep -c ' ok$' "$T/via.txt")
is "the table through cairnd and read directly: the same rows" \
	"$(grep ' ok$' "$T/via.txt")" "$(grep ' ok$' "$T/direct.txt" | head -n "$m")"

# --- an altered entry, and one taken out of the index (writer stopped) ----
before=$(queried u-500)
check "history without cairnd (direct self-audit)" "$CAIRN" history u-500
is "the direct query was recorded too" $((before + 1)) "$(queried u-500)"
"$STORETOOL" flip "$CAIRN_STORE" "$seq_s2"
refuse "history reports the altered entry" "seq $seq_s2: .*altered" "$CAIRN" history u-500
expect "its row says ALTERED" " $seq_s2  ALTERED" "$T/out"
expect "the summary says the chain is broken" 'BROKEN' "$T/out"
refuse "history --json marks it" 'fail their checks' "$CAIRN" history --json u-500
is "the altered row is marked, the others not" "altered" \
	"$(jq -r 'select(.seq) | select(.check != "ok") | .check' "$T/out" | tr '\n' ' ' | sed 's/ $//')"
seq_l=$(jq -r 'select(.entry.event.id == "L-700") | .seq' "$T/long-via.json")
"$STORETOOL" flip "$CAIRN_STORE" "$seq_l"
refuse "a long history reports the altered entry in its middle" "seq $seq_l: .*altered" \
	"$CAIRN" history u-long
is "only that row is marked" "$seq_l altered" \
	"$("$CAIRN" history --json u-long 2>/dev/null | jq -r 'select(.seq) | select(.check != "ok") | "\(.seq) \(.check)"')"
seq_h3=$(jq -r 'select(.entry.event.id == "h-3") | .seq' "$T/h1.json")
"$STORETOOL" unindex "$CAIRN_STORE" u-500 "$seq_h3"
refuse "history reports an entry missing from the account" "GAP" "$CAIRN" history u-500
expect "the entry after the hole is the one marked" "GAP" "$T/out"
refuse "an entry altered behind the store fails verify-proof too" 'FAILED|does not' sh -c \
	"\"$CAIRN\" history --prove u-500 2>/dev/null | \"$CAIRN\" verify-proof --key \"$VKEY\""
finish
