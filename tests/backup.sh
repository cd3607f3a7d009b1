#!/bin/sh
# Backup and restore of a live store, as README "Operations" says: mdb_copy
# while cairnd writes, verified after restore; a backup older than the
# newest signed checkpoint is refused for writing until an operator
# resolves it, and one taken after the last checkpoint goes on.
. "${top_srcdir:-.}/tests/lib.sh"
command -v mdb_copy >/dev/null || { echo "mdb_copy missing (lmdb-utils)"; exit 77; }
daemon_setup
start_cairnd || exit 1
s=$(post "$(cat "$EXAMPLES")" "$ING" application/x-ndjson)
[ "$s" = 200 ] && ok "events in" || not_ok "events in ($s)"

# A hot backup: mdb_copy is an LMDB reader, cairnd goes on writing.
mkdir -p "$T/backup"
check "mdb_copy of the live store" mdb_copy "$CAIRN_STORE" "$T/backup"
s=$(post "$(sed -n 1p "$EXAMPLES" | jq -c '.id = "after-backup"')")
[ "$s" = 200 ] && ok "cairnd kept writing during and after the copy" || not_ok "writing after the copy ($s)"
check "the backup verifies on its own" "$CAIRN" verify --store "$T/backup"
stop_cairnd

# Restore over a lost store: the newest signed checkpoint (beside the store)
# is ahead of the backup, so the store is refused for writing.
mv "$CAIRN_STORE" "$T/lost"
mkdir -p "$CAIRN_STORE"
cp "$T/backup/data.mdb" "$CAIRN_STORE/"
refuse "verify says the restore is behind the newest signed checkpoint" \
    'has 2[0-9]: it was restored from an old backup' "$CAIRN" verify
refuse "a restore behind the newest checkpoint is refused for writing" \
    'old backup|behind|diverge' "$CAIRN" append "$EXAMPLES"
"$CAIRND" -d -f "$CONF" > "$T/refused.log" 2>&1 &
P=$!; PIDS="$PIDS $P"
n=0
while kill -0 $P 2>/dev/null && [ $n -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
if kill -0 $P 2>/dev/null; then not_ok "cairnd refuses to write the restored store"; kill $P
else expect "cairnd refuses to write the restored store" 'old backup|behind|diverge' "$T/refused.log"; fi

# The operator's resolution: keep the checkpoint file as evidence, accept.
mv "$T/var/store.checkpoint" "$T/evidence.checkpoint"
check "after moving the checkpoint file aside, the store is written again" \
    "$CAIRN" append --source restore-test "$EXAMPLES"
check "and verifies" "$CAIRN" verify
finish
