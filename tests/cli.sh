#!/bin/sh
# The cairn command end to end: init, append, show, proof, consistency,
# checkpoint, stat, verify; and the errors users meet.
. "${top_srcdir:-.}/tests/lib.sh"

check "--help lists every verb" "$CAIRN" --help
cp "$T/out" "$T/help"
for v in init keygen append verify show proof consistency checkpoint stat; do
	expect "--help names $v" "cairn $v" "$T/help"
	check "cairn $v --help" "$CAIRN" $v --help
done
refuse "unknown verb" 'unknown verb' "$CAIRN" frobnicate
refuse "no store yet" 'no store here.*cairn init' "$CAIRN" stat

check "init" "$CAIRN" init --origin test.example/cairn
expect "init prints the first checkpoint" '^test.example/cairn$' "$T/out"
check "secret key is mode 0600" test "$(stat -c %a "$T/var/keys/cairn.key")" = 600
check "public key is minisign format" grep -q '^untrusted comment: minisign public key' "$T/var/keys/cairn.pub"
check "verifier key string" grep -Eq '^test.example/cairn\+[0-9a-f]{8}\+' "$T/var/keys/cairn.vkey"
refuse "init twice" 'already exists' "$CAIRN" init --origin test.example/cairn
refuse "origin with a space" "no spaces" "$CAIRN" init --store "$T/other" --origin "a b"

n=$(grep -c . "$EXAMPLES")
nid=$(grep -c '"id":' "$EXAMPLES")	# events without an id cannot be recognised
check "append every catalog example" "$CAIRN" append "$EXAMPLES"
expect "append counts" "$n appended" "$T/err"
check "re-append is idempotent" "$CAIRN" append --receipts "$EXAMPLES"
expect "re-sent events are duplicates" "$((n - nid)) appended, $nid already stored" "$T/err"
n=$((n + n - nid))
expect "receipts say duplicate" '"duplicate":true' "$T/out"

# A changed re-send of an existing id is refused, and nothing is stored.
first=$(head -n 1 "$EXAMPLES")
changed=$(printf '%s\n' "$first" | sed 's/"note":"[^"]*"/"note":"changed"/; t; s/}$/,"note":"changed"}/')
printf '%s\n' "$changed" > "$T/changed.ndjson"
refuse "changed re-send is a conflict" 'other content' "$CAIRN" append "$T/changed.ndjson"
check "stat" "$CAIRN" stat
expect "stat counts entries" "^entries +$n\$" "$T/out"

# Invalid input names the line, field and rule; nothing of the batch is stored.
printf '%s\n' '{"id":"x1","type":"account.created","account_kind":"personal","time":"2026-01-01T00:00:00Z","account":"u-9"}' \
	'{"id":"x2","type":"no.such.type","time":"2026-01-01T00:00:00Z"}' \
	'{"id":"x3","type":"account.created","account_kind":"personal","time":"2026-01-01T00:00:00Z","account":"u-9",' > "$T/bad.ndjson"
refuse "invalid lines are reported" 'line 2: ' "$CAIRN" append "$T/bad.ndjson"
expect "truncated JSON is reported" 'line 3: ' "$T/err"
check "stat" "$CAIRN" stat
expect "nothing from the bad file stored" "^entries +$n\$" "$T/out"
printf '%s\n' '{"id":"x4","type":"account.created","account_kind":"personal","time":"2026-01-01T00:00:00.5Z","account":"u-9","extra":1}' > "$T/unknown.ndjson"
refuse "unknown field refused" 'extra' "$CAIRN" append "$T/unknown.ndjson"
printf '%s\n' '{"id":"x5","type":"account.created","account_kind":"personal","time":"2026-01-01T00:00:00Z","account":"u-9","note":1.5}' > "$T/real.ndjson"
refuse "fractions refused" 'line 1' "$CAIRN" append "$T/real.ndjson"
printf '%s\n' '{"id":"x6","type":"account.created","account_kind":"personal","time":"2026-01-01T00:00:00Z","account":"u-9","id":"x7"}' > "$T/dup.ndjson"
refuse "duplicate keys refused" 'line 1' "$CAIRN" append "$T/dup.ndjson"
printf '{"id":"x8","type":"account.created","account_kind":"personal","time":"2026-01-01T00:00:00Z","account":"u-\377"}\n' > "$T/utf8.ndjson"
refuse "invalid UTF-8 refused" 'line 1' "$CAIRN" append "$T/utf8.ndjson"

check "show 0" "$CAIRN" show --hash 0
expect "entry 0 has seq 0" '"seq":0,' "$T/out"
expect "entry 0 chains to zeros" '"prev":"0{64}"' "$T/out"
expect "leaf hash printed" '^leaf_hash [0-9a-f]{64}$' "$T/out"
check "show 1" "$CAIRN" show 1
leaf0=$("$CAIRN" show --hash 0 | sed -n 's/^leaf_hash //p')
expect "entry 1 chains to entry 0" "\"prev\":\"$leaf0\"" "$T/out"
refuse "show past the end" 'no entry' "$CAIRN" show 100000
refuse "show non-number" 'not a non-negative integer' "$CAIRN" show abc

check "checkpoint" "$CAIRN" checkpoint
expect "checkpoint has the tree size" "^$n\$" "$T/out"
expect "checkpoint has stream heads" '^stream realname [0-9]+ ' "$T/out"
expect "checkpoint is signed" '^— test.example/cairn ' "$T/out"
check "checkpoint --latest" "$CAIRN" checkpoint --latest
check "proof of every entry" sh -c "i=0; while [ \$i -lt $n ]; do \"$CAIRN\" proof \$i >/dev/null || exit 1; i=\$((i+1)); done"
check "proof 3 --size 5" "$CAIRN" proof --size 5 3
expect "proof JSON" '^\{"type":"inclusion","index":3,"tree_size":5,"leaf_hash":"[0-9a-f]{64}","root_hash":"[0-9a-f]{64}","path":\[("[0-9a-f]{64}",?)+\]\}$' "$T/out"
refuse "proof outside the tree" 'not in a tree' "$CAIRN" proof --size 3 3
check "consistency 3 $n" "$CAIRN" consistency 3 "$n"
expect "consistency JSON" '^\{"type":"consistency","old_size":3,' "$T/out"
refuse "consistency beyond the tree" 'OLD <= NEW' "$CAIRN" consistency 1 100000
check "verify" "$CAIRN" verify
expect "verify says ok" "^ok: $n entries, 2 checkpoints" "$T/out"
check "verify with the public key" "$CAIRN" verify --pubkey "$T/var/keys/cairn.pub"
"$CAIRN" keygen -o "$T/other" >/dev/null
refuse "verify with a wrong key" 'signature does not verify' "$CAIRN" verify --pubkey "$T/other.pub"

# report and verify-export run cairn-report, beside cairn in a build tree
# (else where make install put it); cairn itself loads no XML library.
check "verify-export runs cairn-report" "$CAIRN" verify-export --help
expect "its help" 'usage: cairn verify-export' "$T/out"
if ldd "$CAIRN" 2>/dev/null | grep -q 'libxml2'; then
	not_ok "cairn does not load libxml2"
else
	ok "cairn does not load libxml2"
fi
mkdir -p "$T/bin"
cp "$CAIRN" "$T/bin/cairn"
refuse "without cairn-report, the export verbs say what they could not run" \
    'cannot run .*/libexec/cairn/cairn-report' "$T/bin/cairn" verify-export x --pubkey x
check "the other verbs do not need it" "$T/bin/cairn" stat
finish
