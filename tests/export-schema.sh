#!/bin/sh
# Export schema and rendering: schemas/export-1.xsd is what
# tools/gen-export-xsd makes of the catalog, it accepts the sample exports
# and refuses broken ones, and schemas/export-1.xsl turns an export into one
# self-contained HTML page.
. "${top_srcdir:-.}/tests/lib.sh"
for tool in jq xmllint xsltproc; do
	command -v $tool >/dev/null 2>&1 || { echo "SKIP: no $tool"; exit 77; }
done
XSD="$top_srcdir/schemas/export-1.xsd"
XSL="$top_srcdir/schemas/export-1.xsl"
GEN="$top_srcdir/tools/gen-export-xsd"
SAMPLE="$top_srcdir/tests/data/export-sample.xml"
ACCOUNT="$top_srcdir/tests/data/export-sample-account.xml"
HISTORY="$top_srcdir/tests/data/export-sample-history.xml"

validate() { xmllint --noout --stream --schema "$XSD" "$1"; }

# --- the schema is generated from the catalog ---------------------------------
check "gen-export-xsd runs" sh -c "\"$GEN\" \"$top_srcdir/schemas/catalog.json\" > \"$T/gen.xsd\""
check "schemas/export-1.xsd is what tools/gen-export-xsd makes of the catalog" \
	cmp "$T/gen.xsd" "$XSD"
jq '.types["content.takedown"].fields.grid = {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}}' \
	"$top_srcdir/schemas/catalog.json" > "$T/nested.json"
refuse "gen-export-xsd refuses a shape it cannot write" 'grid: an array of arrays' \
	"$GEN" "$T/nested.json"

# --- what it accepts ---------------------------------------------------------
for f in "$SAMPLE" "$ACCOUNT" "$HISTORY"; do
	check "accepts $(basename "$f")" validate "$f"
done
check "the samples use every part of the envelope" sh -c "
	cat \"$SAMPLE\" \"$ACCOUNT\" \"$HISTORY\" > \"$T/all\" &&
	for e in public-key start-checkpoint end-checkpoint consistency handover \
	    handover-consistency entries \
	    context last-inclusion inclusion margin=\\\"before\\\" margin=\\\"after\\\" \
	    why= account-prev encoding=\\\"base64\\\" '<sd>' '<item key=' '<reported_to>' \
	    '<method>' '<refs>' '<is_adult>' '<severity>' '<ref seq='; do
		grep -q \"\$e\" \"$T/all\" || { echo \"no \$e\"; exit 1; }
	done"

# mutate NAME SOURCE SED-SCRIPT: $T/NAME.xml, which must differ from SOURCE.
mutate() {
	sed -e "$3" "$2" > "$T/$1.xml"
	if cmp -s "$2" "$T/$1.xml"; then not_ok "the mutation $1 changes nothing"; fi
}
# good NAME SOURCE SED-SCRIPT: the mutated sample must still validate.
good() {
	mutate "$1" "$2" "$3"
	check "accepts: $1" validate "$T/$1.xml"
}
# bad NAME PATTERN SOURCE SED-SCRIPT: it must fail validation, saying PATTERN.
bad() {
	mutate "$1" "$3" "$4"
	refuse "refuses: $1" "$2" validate "$T/$1.xml"
}

good "an event time in the year 0000 (the catalog allows it)" "$SAMPLE" \
	's|<time>2026-03-02T08:00:01.000000Z</time>|<time>0000-03-02T08:00:01.000000Z</time>|'
good "an account-history export without a last-inclusion when it has no entries" "$HISTORY" \
	'/<entries>/,/<\/entries>/c\
  <entries/>
/<last-inclusion/,/<\/last-inclusion>/d'

bad "an unknown category" "category.*not an element of the set" "$SAMPLE" \
	's|<category>2.2.5(c)</category>|<category>2.2.5(z)</category>|'
bad "an event time that is no xs:dateTime" "time.*not a valid value" "$SAMPLE" \
	's|<time>2026-03-02T08:00:01.000000Z</time>|<time>2026-03-02 08:00:01</time>|'
bad "a datetime field with an offset" "applied_at.*not a valid value" "$SAMPLE" \
	's|<applied_at>2026-03-02T07:55:00.000000Z</applied_at>|<applied_at>2026-03-02T15:55:00+08:00</applied_at>|'
bad "a received time without six fraction digits" "received.*pattern" "$SAMPLE" \
	's|received="2026-03-02T08:00:03.114000Z"|received="2026-03-02T08:00:03Z"|'
bad "an envelope time in the year 0000" "generated.*not a valid value" "$SAMPLE" \
	's|generated="2026-03-08T00:05:12.481920Z"|generated="0000-03-08T00:05:12.481920Z"|'
bad "an unknown child element of an event" "colour.*not expected" "$SAMPLE" \
	's|<category>2.2.5(c)</category>|&<colour>red</colour>|'
bad "members out of canonical (sorted) order" "account.*not expected" "$SAMPLE" \
	'/<account>u-2207<\/account>/{
N
s|\(<account>u-2207</account>\)\(\n *\)\(<action>restrict_output</action>\)|\3\2\1|
}'
bad "a type element that does not match the event's type" "type.*not an element of the set" "$SAMPLE" \
	's|<type>content.takedown</type>|<type>content.appeal</type>|'
bad "an unknown event type" "content.takeover.*not expected" "$SAMPLE" \
	's|content\.takedown>|content.takeover>|g'
bad "an entry without its required leaf attribute" "leaf.*is required" "$SAMPLE" \
	's|seq="1041" leaf="[0-9a-f]*"|seq="1041"|'
bad "an upper-case hash" "leaf.*pattern" "$SAMPLE" \
	's|leaf="7192e44a|leaf="7192E44A|'
bad "an unknown margin" "margin.*not an element of the set" "$SAMPLE" \
	's|margin="before"|margin="during"|'
bad "an unknown export kind" "kind.*not an element of the set" "$SAMPLE" \
	's|kind="takedown"|kind="everything"|'
bad "an encoding other than base64" "encoding.*fixed" "$SAMPLE" \
	's|encoding="base64"|encoding="hex"|'
bad "a negative sequence number" "seq.*not a valid value" "$SAMPLE" \
	's|<ref seq="1042"/>|<ref seq="-1"/>|'
bad "a finding without the entries it rests on" "finding.*Missing child element" "$SAMPLE" \
	'/<ref seq="1045"\/>/d'
bad "an unknown finding rule" "rule.*not an element of the set" "$SAMPLE" \
	's|rule="takedown-order"|rule="takedown-too-slow"|'
bad "a summary grouping twice by the same name" "Duplicate key-sequence" "$SAMPLE" \
	's|<by name="reason"/>|<by name="type"/>|'
bad "an export without its handover checkpoint" "handover-consistency.*not expected" "$SAMPLE" \
	'/<handover size/,/<\/handover>/d'
bad "a count on entries (the writer streams them)" "entries.*count.*not allowed" "$SAMPLE" \
	's|<entries>|<entries count="6">|'
bad "the envelope out of order" "summary.*not expected" "$SAMPLE" \
	's|<context count="0"/>||; s|</summary>|&<context count="0"/>|'
bad "a context entry without why" "why.*is required" "$ACCOUNT" \
	's| why="no-prior-notice"||'
bad "an integer above its bound" "severity.*maxInclusive" "$HISTORY" \
	's|<severity>5</severity>|<severity>8</severity>|'
bad "a boolean as 1" "is_adult.*pattern" "$HISTORY" \
	's|<is_adult>true</is_adult>|<is_adult>1</is_adult>|'
bad "a map item without its key" "key.*is required" "$HISTORY" \
	's|<item key="ip">|<item>|'
bad "a stream the catalog does not have" "stream.*not an element of the set" "$HISTORY" \
	's|stream="other"|stream="misc"|'

# --- the HTML page -----------------------------------------------------------
# html_ok FILE: parses as HTML; the only complaints allowed are libxml2's
# HTML 4 parser not knowing HTML 5 and SVG elements.
html_ok() {
	xmllint --html --noout "$1" 2>"$T/html.err" || return 1
	if grep 'parser error' "$T/html.err" |
	    grep -Ev 'Tag (header|section|footer|time|svg|rect|text) invalid'; then
		return 1
	fi
}
# html_count XPATH FILE: the number XPATH gives over the page.
html_count() { xmllint --html --xpath "$1" "$2" 2>/dev/null; }
# has NAME XPATH N FILE: XPATH counts N in FILE.
has() {
	got=$(html_count "count($2)" "$4")
	if [ "$got" = "$3" ]; then ok "$1"; else not_ok "$1 (counted $got, not $3)"; fi
}

check "xsltproc renders the takedown sample" sh -c "xsltproc \"$XSL\" \"$SAMPLE\" > \"$T/sample.html\""
check "the page parses as HTML" html_ok "$T/sample.html"
has "a summary table for each group with counts" '//table[contains(@class,"counts")]' 4 "$T/sample.html"
has "an SVG bar chart for each group with counts" '//svg' 4 "$T/sample.html"
has "one bar per count" '//svg/rect' 8 "$T/sample.html"
has "a bar chart by category" '//svg[title="Entries by category"]' 1 "$T/sample.html"
has "a bar chart by day" '//svg[title="Entries by day"]' 1 "$T/sample.html"
has "a findings table with both findings" '//table[contains(@class,"findings")]/tbody/tr' 2 "$T/sample.html"
has "the findings table names the rules" '//table[contains(@class,"findings")]//code[.="takedown-order" or .="takedown-no-category"]' 2 "$T/sample.html"
has "an entries table with every entry" '//table[contains(@class,"entries")]/tbody/tr' 6 "$T/sample.html"
has "margin entries are marked" '//tr[@class="margin"]//span[@class="mark"]' 2 "$T/sample.html"
has "the header gives the checkpoints" '//table[contains(@class,"checkpoints")]//td[.="1,041" or .="1,042" or .="1,061"]' 3 "$T/sample.html"
has "the header gives the key id" '//td/code[.="5A1F2E3D4C5B6A79"]' 1 "$T/sample.html"
has "no script, no external resource" '//script | //link | //img | //iframe | //*[@src] | //a[contains(@href, ":")]' 0 "$T/sample.html"
check "no resource fetched by CSS" sh -c "! grep -Eq '@import|url\\(' \"$T/sample.html\""

check "xsltproc renders the account sample" sh -c "xsltproc \"$XSL\" \"$ACCOUNT\" > \"$T/account.html\""
check "which parses as HTML" html_ok "$T/account.html"
has "a context table giving why" '//table[contains(@class,"entries")]//code[.="no-prior-notice"]' 1 "$T/account.html"
check "xsltproc renders the history sample" sh -c "xsltproc \"$XSL\" \"$HISTORY\" > \"$T/history.html\""
check "which parses as HTML" html_ok "$T/history.html"
has "titled with the account" '//h1[contains(., "history of account u-1001")]' 1 "$T/history.html"

# A big export: the entries table stops at 1,000 rows and says so.
awk '
	/<entry seq="1042"/ { grab = 1 }
	grab { block = block $0 "\n" }
	{ print }
	grab && /<\/entry>/ {
		grab = 0
		for (i = 0; i < 1200; i++) {
			b = block
			sub(/seq="1042"/, "seq=\"" (20000 + i) "\"", b)
			printf "%s", b
		}
	}' "$SAMPLE" > "$T/big.xml"
check "xsltproc renders an export of 1,206 entries" sh -c "xsltproc \"$XSL\" \"$T/big.xml\" > \"$T/big.html\""
has "the entries table stops at 1,000 rows" '//table[contains(@class,"entries")]/tbody/tr' 1000 "$T/big.html"
expect "and says how many there are" 'first 1,000 of 1,206 entries' "$T/big.html"

finish
