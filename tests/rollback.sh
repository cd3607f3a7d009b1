#!/bin/sh
# An old copy of the store put back after newer checkpoints were signed is
# refused: the newest signed checkpoint, kept beside the store, is ahead.
. "${top_srcdir:-.}/tests/lib.sh"

new_store
"$CAIRN" append "$EXAMPLES" 2>/dev/null
"$CAIRN" checkpoint >/dev/null
cp -a "$CAIRN_STORE" "$T/backup"
"$STORETOOL" append "$CAIRN_STORE" 2 50 >/dev/null
check "newer checkpoint" "$CAIRN" checkpoint
check "checkpoint file beside the store" test -s "$CAIRN_STORE.checkpoint"

rm -rf "$CAIRN_STORE"
cp -a "$T/backup" "$CAIRN_STORE"
refuse "restored backup refused for append" 'restored from an old backup' "$CAIRN" append "$EXAMPLES"
refuse "restored backup: nothing is signed" 'restored from an old backup' "$CAIRN" checkpoint
refuse "verify reports the rollback" 'FAILED.*(behind|backup)' "$CAIRN" verify

# A rewritten history, longer than the signed one, is refused too.
rm -rf "$T/var"
new_store
cp -a "$CAIRN_STORE" "$T/fork"
"$CAIRN" append "$EXAMPLES" 2>/dev/null
"$CAIRN" checkpoint >/dev/null
cp "$CAIRN_STORE.checkpoint" "$T/cp"
rm -rf "$CAIRN_STORE"
cp -a "$T/fork" "$CAIRN_STORE"
# Other events in the place of the signed ones, and more of them (written
# with the checkpoint file out of the way, as a forger would).
rm -f "$CAIRN_STORE.checkpoint"
check "the forged history is written" "$STORETOOL" append "$CAIRN_STORE" 1 100
cp "$T/cp" "$CAIRN_STORE.checkpoint"
refuse "diverging store refused" 'diverges' "$CAIRN" append "$EXAMPLES"
refuse "verify reports the divergence" 'FAILED.*diverges' "$CAIRN" verify
finish
