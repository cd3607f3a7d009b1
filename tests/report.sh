#!/bin/sh
# Signed exports: a round trip for every kind, checked by cairn verify-export
# and by the stock tools (minisign, zstd, xmllint); context, margins and
# findings; and the must-fail cases, each caught.
. "${top_srcdir:-.}/tests/lib.sh"
XSD="$top_srcdir/schemas/export-1.xsd"
PUB="$T/var/keys/cairn.pub"
KEY="$T/var/keys/cairn.key"
OUT="$T/exports"
mkdir -p "$OUT"
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
# ev ID TYPE ACCOUNT [JQ-FILTER]: one event from the catalog's examples.
ev() {
	jq -c --arg id "$1" --arg acc "$3" \
	    "select(.type == \"$2\") | .id = \$id | .account = \$acc | ${4:-.}" \
	    "$EXAMPLES" | head -1
}
# schema_ok FILE: stock xmllint validates the decompressed XML, streaming.
schema_ok() {
	zstd -dc "$1" > "$T/x.xml" &&
	xmllint --noout --stream --schema "$XSD" "$T/x.xml"
}
# resign XML DEST: compress and sign with the genuine key, keeping the
# original trusted comment (so only Cairn's checks can tell).
resign() {
	tc=$(sed -n 's/^trusted comment: //p' "$3")
	rm -f "$2" "$2.minisig"
	zstd -q "$1" -o "$2" && minisign -S -s "$KEY" -m "$2" -t "$tc" </dev/null >/dev/null
}

new_store
"$CAIRN" append "$EXAMPLES" >/dev/null 2>&1 || exit 1
# Context and margins: u-2001 has a notice before the period's start
# checkpoint; u-2002 none.  One entry lands between the start checkpoint and
# the period's start (margin "before").
ev n-1 account.notice u-2001 | "$CAIRN" append >/dev/null 2>&1
"$CAIRN" checkpoint >/dev/null
ev m-1 account.created u-2003 | "$CAIRN" append >/dev/null 2>&1
sleep 1
FROM=$(now)
sleep 1
{
	ev s-1 account.suspended u-2001 'del(.notice_id, .refs)'
	ev s-2 account.suspended u-2002 'del(.notice_id, .refs)'
	ev t-1 content.takedown u-2004 '.applied_at = "2026-11-04T14:00:00+08:00"'
} | "$CAIRN" append >/dev/null 2>&1
sleep 1
TO=$(now)

for k in realname takedown screening account labeling system; do
	check "report $k" "$CAIRN" report "$k" --from 2026-11-01 --to "$TO" \
	    --out "$OUT" --name "$k"
	check "verify-export $k" "$CAIRN" verify-export "$OUT/$k.xml.zst" --pubkey "$PUB"
	check "minisign -Vm accepts $k" minisign -Vm "$OUT/$k.xml.zst" -p "$PUB"
	check "zstd -t accepts $k" zstd -qt "$OUT/$k.xml.zst"
	check "xmllint --stream --schema accepts $k" schema_ok "$OUT/$k.xml.zst"
done
check "report account-history" "$CAIRN" report account-history --account u-1006 \
    --from 2026-11-01 --to "$TO" --out "$OUT" --name hist --html
check "verify-export account-history" "$CAIRN" verify-export "$OUT/hist.xml.zst" --pubkey "$PUB"
expect "account-history says the account head is not provable" 'account head.*not provable' "$T/out"
check "xmllint accepts account-history" schema_ok "$OUT/hist.xml.zst"
expect "--html writes a page with SVG charts" '<svg' "$OUT/hist.html"
zstd -dc "$OUT/hist.xml.zst" > "$T/hist.xml"
expect "account-history: every entry has its inclusion proof" '<inclusion size=' "$T/hist.xml"
check "report_generated entries were written" sh -c \
    "\"$CAIRN\" dump | grep -c '\"type\":\"system.report_generated\"' | grep -qx 7"

# The account export over the short period: context, margin, findings.
check "report account over [FROM, TO)" "$CAIRN" report account --from "$FROM" \
    --to "$TO" --out "$OUT" --name acct
expect "summary lists what was exported" 'export .*acct.xml.zst' "$T/out"
check "it verifies" "$CAIRN" verify-export "$OUT/acct.xml.zst" --pubkey "$PUB"
zstd -dc "$OUT/acct.xml.zst" > "$T/acct.xml"
expect "the earlier notice comes as context" '<context count="1">' "$T/acct.xml"
expect "the context entry names the rule that needed it" 'why="no-prior-notice"' "$T/acct.xml"
expect "an entry before FROM is a margin" 'margin="before"' "$T/acct.xml"
expect "suspension without notice is a finding" 'rule="no-prior-notice".*account="u-2002"' "$T/acct.xml"
if grep -q 'rule="no-prior-notice"[^>]*account="u-2001"' "$T/acct.xml"; then
	not_ok "a suspension with an earlier notice is not a finding"
else ok "a suspension with an earlier notice is not a finding"; fi
zstd -dc "$OUT/takedown.xml.zst" > "$T/td.xml"
expect "takedown applied before detected is a finding" 'rule="takedown-order"' "$T/td.xml"
expect "late entries are findings" 'rule="late-entry"' "$T/td.xml"

# Bad requests.
refuse "unknown kind refused" 'unknown kind' "$CAIRN" report nosuch --from 2026-11-01 --to "$TO"
refuse "a period in the future refused" 'not ended' "$CAIRN" report takedown --from 2026-11-01 --to 2099-01-01T00:00:00Z
refuse "an empty period refused" 'empty' "$CAIRN" report takedown --from "$TO" --to "$TO"
refuse "account-history needs --account" 'account' "$CAIRN" report account-history --from 2026-11-01 --to "$TO"
refuse "a bad time refused" 'RFC 3339' "$CAIRN" report takedown --from yesterday --to "$TO"
refuse "an existing export is not overwritten" 'exists' "$CAIRN" report takedown --from 2026-11-01 --to "$TO" --out "$OUT" --name takedown

# --- must-fail cases -------------------------------------------------------
F="$OUT/takedown.xml.zst"
cp "$F" "$T/flip.zst"; cp "$F.minisig" "$T/flip.zst.minisig"
flip_byte "$T/flip.zst" 200
refuse "flipped byte: verify-export fails" 'FAIL +signature' "$CAIRN" verify-export "$T/flip.zst" --pubkey "$PUB"
refuse "flipped byte: minisign fails" 'failed|invalid|verification' minisign -Vm "$T/flip.zst" -p "$PUB"

minisign -G -W -p "$T/other.pub" -s "$T/other.key" >/dev/null 2>&1
refuse "wrong public key: verify-export fails" 'FAIL +signature' "$CAIRN" verify-export "$F" --pubkey "$T/other.pub"
refuse "wrong public key: minisign fails" 'key|failed' minisign -Vm "$F" -p "$T/other.pub"

# An entry removed, re-signed with the genuine key: completeness catches it.
zstd -dc "$OUT/account.xml.zst" > "$T/a.xml"
perl -0pe 's{(<entries>\n<entry .*?</entry>\n)<entry .*?</entry>\n}{$1}s' "$T/a.xml" > "$T/rm.xml"
if cmp -s "$T/a.xml" "$T/rm.xml"; then not_ok "the test removed an entry"; fi
resign "$T/rm.xml" "$T/rm.zst" "$OUT/account.xml.zst.minisig"
check "removed entry: minisign still accepts (authenticity only)" minisign -Vm "$T/rm.zst" -p "$PUB"
refuse "removed entry: verify-export fails on completeness" 'FAIL +completeness' \
    "$CAIRN" verify-export "$T/rm.zst" --pubkey "$PUB"

# An entry repeated, re-signed: the schema allows it, the order check not.
perl -0pe 's{(<entries>\n)(<entry .*?</entry>\n)}{$1$2$2}s' "$T/a.xml" > "$T/dup.xml"
resign "$T/dup.xml" "$T/dup.zst" "$OUT/account.xml.zst.minisig"
refuse "repeated entry: verify-export fails" 'FAIL +entries .*out of order' \
    "$CAIRN" verify-export "$T/dup.zst" --pubkey "$PUB"

# A readable field changed, re-signed.
sed 's|<action>block_transmission</action>|<action>label</action>|' "$T/td.xml" > "$T/fld.xml"
resign "$T/fld.xml" "$T/fld.zst" "$F.minisig"
refuse "changed readable field: verify-export fails" 'FAIL +readable fields' \
    "$CAIRN" verify-export "$T/fld.zst" --pubkey "$PUB"

# The end checkpoint swapped for an older one (the start one), re-signed.
perl -0pe 'm{(<start-checkpoint (.*?)</start-checkpoint>)}s; my $s = $2;
    s{<end-checkpoint .*?</end-checkpoint>}{<end-checkpoint $s</end-checkpoint>}s' \
    "$T/a.xml" > "$T/old.xml"
resign "$T/old.xml" "$T/old.zst" "$OUT/account.xml.zst.minisig"
refuse "older end checkpoint: verify-export fails" 'FAIL +(completeness|last inclusion|consistency)' \
    "$CAIRN" verify-export "$T/old.zst" --pubkey "$PUB"

# A truncated file.
SZ=$(wc -c < "$F")
head -c $((SZ / 2)) "$F" > "$T/trunc.zst"; cp "$F.minisig" "$T/trunc.zst.minisig"
refuse "truncated: verify-export fails" 'FAIL +(signature|zstd)' "$CAIRN" verify-export "$T/trunc.zst" --pubkey "$PUB"
refuse "truncated: zstd -t fails" '.' zstd -qt "$T/trunc.zst"
refuse "truncated: minisign fails" '.' minisign -Vm "$T/trunc.zst" -p "$PUB"

# A schema violation the writer would never make, re-signed: xmllint and
# verify-export both refuse it.
sed 's|<action>block_transmission</action>|<action>burn</action>|' "$T/td.xml" > "$T/enum.xml"
resign "$T/enum.xml" "$T/enum.zst" "$F.minisig"
refuse "value outside the catalog: verify-export's schema check fails" 'FAIL +schema' \
    "$CAIRN" verify-export "$T/enum.zst" --pubkey "$PUB"
refuse "value outside the catalog: xmllint fails" 'fails to validate|not an element|not valid' schema_ok "$T/enum.zst"

# --- consecutive exports and a rewritten history -------------------------
# Two stores signed by the same key, built in the same (shifted) past: A is
# the true history, B rewrites its first event.  The regulator holds A's
# export of the first period; B's export of the second must not verify
# against it.
if ${CC:-cc} -shared -fPIC -O1 -o "$T/clockshim.so" \
    "$top_srcdir/tests/clockshim.c" -ldl 2>"$T/cc.err"; then
	echo -600 > "$T/offset"
	shim() {
		CLOCKSHIM_FILE="$T/offset" LD_PRELOAD="$T/clockshim.so" \
		    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" "$@"
	}
	A="$T/a/store"; B="$T/b/store"
	shim "$CAIRN" init --store "$A" --origin test.example/cairn --key "$KEY" >/dev/null
	shim "$CAIRN" init --store "$B" --origin test.example/cairn --key "$KEY" >/dev/null
	ev r-1 content.takedown u-3001 | shim "$CAIRN" append --store "$A" >/dev/null 2>&1
	ev r-1 content.takedown u-3001 '.action = "delete"' | shim "$CAIRN" append --store "$B" >/dev/null 2>&1
	echo 0 > "$T/offset"
	MID=$(date -u -d '-300 seconds' +%Y-%m-%dT%H:%M:%SZ)
	ev r-2 content.takedown u-3002 | "$CAIRN" append --store "$A" >/dev/null 2>&1
	ev r-2 content.takedown u-3002 | "$CAIRN" append --store "$B" >/dev/null 2>&1
	sleep 1
	END=$(now)
	"$CAIRN" report takedown --store "$A" --key "$KEY" --from 2026-11-01 --to "$MID" --out "$OUT" --name p1 >/dev/null
	"$CAIRN" report takedown --store "$A" --key "$KEY" --from "$MID" --to "$END" --out "$OUT" --name p2 >/dev/null
	"$CAIRN" report takedown --store "$B" --key "$KEY" --from "$MID" --to "$END" --out "$OUT" --name p2b >/dev/null
	check "consecutive exports verify with --previous" "$CAIRN" verify-export \
	    "$OUT/p2.xml.zst" --pubkey "$PUB" --previous "$OUT/p1.xml.zst"
	expect "the chain continues across the two" 'ok +previous: chain' "$T/out"
	check "the rewritten store's export verifies on its own" "$CAIRN" verify-export \
	    "$OUT/p2b.xml.zst" --pubkey "$PUB"
	refuse "--previous catches the rewritten history" 'FAIL +previous' \
	    "$CAIRN" verify-export "$OUT/p2b.xml.zst" --pubkey "$PUB" --previous "$OUT/p1.xml.zst"
else
	not_ok "cannot build the clock shim"; cat "$T/cc.err"
fi

# A write that fails part-way (the file size limit, past the first few
# compressed blocks) fails the export with the system's reason, and
# leaves nothing in --out.  Enough entries that the writer is still making
# XML when the compressing thread's write fails.
ev w-0 content.takedown u-4001 |
    jq -c '. as $e | range(3000) | . as $i | $e | .id = "w-\($i)"' |
    "$CAIRN" append >/dev/null 2>&1
sleep 1
TOW=$(now)
"$CAIRN" checkpoint >/dev/null
mkdir -p "$OUT/full" "$OUT/roomy"
refuse "a failed write fails the export with its errno" \
    'writing .*/full/big\.xml\.zst\.tmp: File too large' \
    sh -c 'trap "" XFSZ; ulimit -f 64; exec "$@"' sh \
    "$CAIRN" report takedown --from 2026-11-01 --to "$TOW" --out "$OUT/full" --name big
if [ -z "$(ls -A "$OUT/full")" ]; then
	ok "the failed export leaves no file behind"
else
	not_ok "the failed export leaves no file behind"; ls -l "$OUT/full"
fi
check "the same export without the limit succeeds" "$CAIRN" report takedown \
    --from 2026-11-01 --to "$TOW" --out "$OUT/roomy" --name big
if [ "$(wc -c < "$OUT/roomy/big.xml.zst")" -gt 262144 ]; then
	ok "the export is larger than the limit (64 blocks)"
else
	not_ok "the export is larger than the limit (64 blocks)"; ls -l "$OUT/roomy"
fi


# A damaged store: one entry of the exported stream altered behind the
# library's back.  The writer (which reads the stream's pages with pread)
# refuses it, naming the entry, and leaves no file.
DSEQ=$("$CAIRN" search --type content.takedown --json | jq -r .seq | sed -n 1500p)
"$STORETOOL" flip "$CAIRN_STORE" "$DSEQ"
mkdir -p "$OUT/damaged"
refuse "an export of a damaged store is refused, the entry named" \
    "entry $DSEQ fails its hash" \
    "$CAIRN" report takedown --from 2026-11-01 --to "$TOW" --out "$OUT/damaged"
if [ -z "$(ls -A "$OUT/damaged")" ]; then
	ok "the refused export leaves no file behind"
else
	not_ok "the refused export leaves no file behind"; ls -l "$OUT/damaged"
fi

finish
