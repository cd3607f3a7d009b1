#!/bin/sh
# Least privilege over HTTP: every route, called with no token, a wrong
# token and a token of each role.  Only /healthz and GET /v1/checkpoint are
# open; every other route answers 401 without a valid token and 403 to a
# token without its role; with the role, the request gets past the check.
. "${top_srcdir:-.}/tests/lib.sh"
daemon_setup
REP=$("$CAIRN" token add officer --roles report --file "$T/var/tokens" 2>/dev/null)
cp "$CONF" "$CONF.orig"
echo "auth_fail_limit = 1000" >> "$CONF"	# the walk sends many wrong tokens
start_cairnd || exit 1
URL="http://127.0.0.1:$HTTP_PORT"
s=$(post "$(sed -n 1p "$EXAMPLES")")
[ "$s" = 200 ] && ok "one event in" || not_ok "one event in ($s)"
MINE=$(jq -r '.receipts[0].seq' "$T/body")
WRONG=cairn_0000000000000000000000000000000000000000000
# code METHOD PATH TOKEN: the HTTP status.
code() {
	if [ "$1" = POST ]; then
		curl -s -o /dev/null -w '%{http_code}' -X POST \
		    ${3:+-H "Authorization: Bearer $3"} \
		    -H 'Content-Type: application/json' --data-binary '{}' "$URL$2"
	else
		curl -s -o /dev/null -w '%{http_code}' \
		    ${3:+-H "Authorization: Bearer $3"} "$URL$2"
	fi
}
# route METHOD PATH ROLES: ROLES (from ingest query report admin, or
# "open") may pass; the others must get 403, no token and a wrong one 401.
route() {
	m=$1; p=$2; roles=$3
	for r in none wrong ingest query report admin; do
		case $r in
		none) tok="" ;; wrong) tok=$WRONG ;; ingest) tok=$ING ;;
		query) tok=$QRY ;; report) tok=$REP ;; admin) tok=$ADM ;;
		esac
		got=$(code "$m" "$p" "$tok")
		if [ "$roles" = open ]; then
			want="not 401/403"
			[ "$got" != 401 ] && [ "$got" != 403 ] && res=ok || res=bad
		elif [ $r = none ] || [ $r = wrong ]; then
			want=401; [ "$got" = 401 ] && res=ok || res=bad
		elif echo " $roles " | grep -q " $r "; then
			want="not 401/403"
			[ "$got" != 401 ] && [ "$got" != 403 ] && res=ok || res=bad
		else
			want=403; [ "$got" = 403 ] && res=ok || res=bad
		fi
		if [ $res = ok ]; then ok "$m $p as $r: $got"
		else not_ok "$m $p as $r: $got, want $want"; fi
	done
}
route GET /healthz open
route GET /v1/checkpoint open
route POST /v1/checkpoint "admin"
route GET /metrics "admin"
route POST /v1/events "ingest"
route GET /v1/accounts/u-1001/events "query"
route GET /v1/entries "query"
route GET /v1/entries/0 "query"
route GET '/v1/consistency?old=0&new=1' "query ingest"
route POST /v1/reports "report"
route GET /v1/reports/nosuch.xml.zst "report"
# An ingest token sees proofs of its own entries only (the event above was
# sent with it), and nothing else.
s=$(code GET "/v1/entries/$MINE/proof" "$ING")
[ "$s" = 200 ] && ok "ingest token: proof of its own entry" || not_ok "ingest token: own proof ($s)"
s=$(code GET /v1/entries/0/proof "$ING")
[ "$s" = 403 ] && ok "ingest token: no proof of cairnd's own entry" || not_ok "ingest token: other's proof ($s)"
s=$(code GET /v1/entries/0/proof "$QRY")
[ "$s" = 200 ] && ok "query token: any proof" || not_ok "query token: any proof ($s)"
s=$(code GET /v1/nosuch "$ADM")
[ "$s" = 404 ] && ok "unknown route: 404" || not_ok "unknown route: 404 ($s)"
stop_cairnd

# A token guesser: after auth_fail_limit invalid tokens in a minute, its
# address gets 429 + Retry-After, even with a valid token, logged and
# counted; the local socket is not affected.
cp "$CONF.orig" "$CONF"
echo "auth_fail_limit = 5" >> "$CONF"
start_cairnd || exit 1
n401=0
for i in 1 2 3 4 5; do
	[ "$(code GET /metrics "guess-$i")" = 401 ] && n401=$((n401 + 1))
done
[ $n401 = 5 ] && ok "five wrong guesses: 401 each" || not_ok "five wrong guesses: $n401 of 5 got 401"
s=$(curl -s -D "$T/hdr" -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer guess-6" "$URL/metrics")
[ "$s" = 429 ] && ok "the sixth: 429" || not_ok "the sixth: $s, want 429"
expect "429 says when to come back" '^Retry-After: 60' "$T/hdr"
expect "429 is a JSON error" '"error":"too many requests"' "$T/body"
s=$(code GET /metrics "$ADM")
[ "$s" = 429 ] && ok "even a valid token from that address waits (nothing more is checked)" ||
    not_ok "valid token while throttled: $s"
curl -s --unix-socket "$CAIRN_STORE/cairnd.sock" http://local/metrics > "$T/metrics"
expect "throttled requests are counted" '^cairn_auth_throttled_total [2-9]' "$T/metrics"
expect "wrong tokens are counted" '^cairn_events_rejected_total\{reason="auth"\} [1-9]' "$T/metrics"
expect "the guesser is logged once" 'presented 5 invalid tokens within 60 s' "$T/cairnd.log"
n=$(grep -c 'presented 5 invalid tokens' "$T/cairnd.log")
[ "$n" = 1 ] && ok "logged once per window" || not_ok "logged $n times"
stop_cairnd
finish
