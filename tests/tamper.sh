#!/bin/sh
# Must-fail cases: a flipped byte, a truncated log, an altered checkpoint,
# a wrong key.  Each must be detected and the first bad seq named.
. "${top_srcdir:-.}/tests/lib.sh"

fresh() {
	rm -rf "$T/var"
	new_store
	"$CAIRN" append "$EXAMPLES" 2>/dev/null || exit 1
	"$STORETOOL" append "$CAIRN_STORE" 3 100 >/dev/null || exit 1
	"$CAIRN" checkpoint >/dev/null || exit 1
	N=$("$CAIRN" stat | sed -n 's/^entries *//p')
}

fresh
check "a fresh store verifies" "$CAIRN" verify

# One flipped bit in one entry, written behind the library's back.
"$STORETOOL" flip "$CAIRN_STORE" 57
refuse "flipped byte detected, seq named" '^FAILED at seq 57: .*altered' "$CAIRN" verify
refuse "show reports the altered entry" 'does not match its stored leaf hash' "$CAIRN" show 57

fresh
"$STORETOOL" flip "$CAIRN_STORE" 0
refuse "flipped byte in the first entry" '^FAILED at seq 0:' "$CAIRN" verify

fresh
"$STORETOOL" flip "$CAIRN_STORE" $((N - 1))
refuse "flipped byte in the last entry" "^FAILED at seq $((N - 1)):" "$CAIRN" verify

# The newest entries removed behind a signed checkpoint.
fresh
"$STORETOOL" truncate "$CAIRN_STORE" $((N - 10))
refuse "truncated log detected" 'FAILED' "$CAIRN" verify
expect "truncation is explained" 'checkpoint|behind' "$T/out"
refuse "truncated store refused for writing" 'behind|truncated' "$CAIRN" append "$EXAMPLES"

# A stored checkpoint altered.
fresh
"$STORETOOL" cpalter "$CAIRN_STORE"
refuse "altered checkpoint detected" 'FAILED.*checkpoint' "$CAIRN" verify

# A key that is not the store's.
fresh
"$CAIRN" keygen -o "$T/stranger" >/dev/null
refuse "wrong key detected" 'signature does not verify' "$CAIRN" verify --pubkey "$T/stranger.pub"
refuse "checkpoint with a stranger's key refused" 'does not belong' "$CAIRN" checkpoint --key "$T/stranger.key"
finish
