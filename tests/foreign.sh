#!/bin/sh
# A corrupted or foreign file where the store should be: cairn and cairnd
# refuse it with a message and never write to it.
. "${top_srcdir:-.}/tests/lib.sh"
daemon_setup
S="$CAIRN_STORE/data.mdb"
sum() { sha256sum "$S" | cut -d' ' -f1; }
# untouched DESCRIPTION: the file still has the hash it had.
untouched() {
	[ "$(sum)" = "$before" ] && ok "$1: the file is untouched" ||
	    not_ok "$1: the file was changed"
}
try_all() {
	what=$1
	before=$(sum)
	refuse "$what: cairn verify refuses" '.' "$CAIRN" verify
	refuse "$what: cairn append refuses" '.' "$CAIRN" append "$EXAMPLES"
	refuse "$what: cairn init will not overwrite it" 'exists|already|holds|refus' \
	    "$CAIRN" init --origin test.example/cairn
	refuse "$what: cairnd -n or cairnd refuses to start" '.' timeout 30 "$CAIRND" -d -f "$CONF"
	untouched "$what"
}

# Random bytes.
rm -rf "$CAIRN_STORE"; mkdir -p "$CAIRN_STORE"
head -c 65536 /dev/urandom > "$S"
try_all "random bytes"
expect "the message names the store" "$CAIRN_STORE|data.mdb|store" "$T/err"

# An empty file.
: > "$S"
try_all "an empty file"

# Another program's LMDB environment (no Cairn metadata).
rm -f "$S" "$CAIRN_STORE/lock.mdb"
printf 'VERSION=3\nformat=bytevalue\ntype=btree\nmapsize=1048576\nHEADER=END\n 6b6579\n 76616c7565\nDATA=END\n' |
    mdb_load -f /dev/stdin "$CAIRN_STORE" 2>"$T/load.err" || cat "$T/load.err"
if [ -s "$S" ]; then
	try_all "a foreign LMDB environment"
	expect "it says this is not a Cairn store" 'not a Cairn store|format|version|meta' "$T/err"
else
	not_ok "could not make a foreign LMDB environment"
fi

# A store made fine, then its first page damaged.
rm -rf "$CAIRN_STORE" "$T/var/store.checkpoint"
"$CAIRN" init --origin test.example/cairn --key "$T/var/keys/cairn.key" >/dev/null ||
    not_ok "a new store"
"$CAIRN" append "$EXAMPLES" >/dev/null 2>&1
printf 'XXXXXXXXXXXXXXXX' | dd of="$S" bs=1 seek=16 conv=notrunc 2>/dev/null
try_all "a damaged meta page"
finish
