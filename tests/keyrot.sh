#!/bin/sh
# Key rotation: cairn rotate-key announces the new key in the log
# (system.key_rotated) and signs that tree's checkpoint with both keys;
# cairn verify follows the chain of keys; cairnd refuses the retired key;
# an export across the rotation verifies with both keys and not with one.
# The must-fail cases are refused and leave the store as it was.
. "${top_srcdir:-.}/tests/lib.sh"
OLD="$T/var/keys/cairn"
NEW="$T/new"
OUT="$T/exports"
mkdir -p "$OUT"
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
entries() { "$CAIRN" stat | sed -n 's/^entries *//p'; }
keyid() { sed -n 's/^untrusted comment: minisign public key //p' "$1"; }
# re TEXT: TEXT as a literal in an extended regular expression.
re() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|]/\\&/g'; }

FROM=$(now)
sleep 1
daemon_setup
"$CAIRN" append "$EXAMPLES" >/dev/null 2>&1 || exit 1
"$CAIRN" checkpoint >/dev/null || exit 1
check "keygen makes the new key" "$CAIRN" keygen -o "$NEW" --origin test.example/cairn
"$CAIRN" keygen -o "$T/stranger" --origin test.example/cairn >/dev/null || exit 1

# Must-fail cases first: none of them may write anything.
N0=$(entries)
refuse "rotating to the same key is refused" 'same key' \
    "$CAIRN" rotate-key --new-key "$OLD.key"
refuse "rotating with a key that is not the store's is refused" \
    'not the current key' "$CAIRN" rotate-key --key "$T/stranger.key" --new-key "$NEW.key"
chmod 644 "$NEW.key"
refuse "a new key readable by others (0644) is refused" 'readable by nobody else' \
    "$CAIRN" rotate-key --new-key "$NEW.key"
chmod 600 "$NEW.key"
refuse "rotate-key needs --new-key" 'usage' "$CAIRN" rotate-key
check "the refusals wrote nothing" test "$(entries)" = "$N0"
start_cairnd || exit 1
refuse "rotation while cairnd holds the store is refused" 'stop cairnd' \
    "$CAIRN" rotate-key --new-key "$NEW.key"
stop_cairnd
N1=$(entries)
check "nor did the refusal while cairnd ran" \
    test "$("$CAIRN" dump | grep -c key_rotated)" = 0

cp "$T/var/store/data.mdb" "$T/before.mdb"	# a backup, no writer running
check "rotate-key" sh -c "\"$CAIRN\" rotate-key --new-key \"$NEW.key\" > \"$T/rot.note\""
expect "it names both key ids" "$(keyid "$OLD.pub") replaced by key $(keyid "$NEW.pub")" "$T/err"
R=$(sed -n 2p "$T/rot.note")
check "the rotation appended one entry" test "$R" = $((N1 + 1)) -a "$(entries)" = "$R"
check "the rotation checkpoint carries two signature lines" \
    test "$(grep -c '^— test.example/cairn ' "$T/rot.note")" = 2
check "the checkpoint file beside the store is the rotation checkpoint" \
    cmp "$T/rot.note" "$T/var/store.checkpoint"
# Rollback protection across the rotation: the backup from before it,
# put back, is behind the checkpoint file the old key also signed.
cp "$T/var/store/data.mdb" "$T/after.mdb"
cp "$T/before.mdb" "$T/var/store/data.mdb"
refuse "a store restored from before the rotation is refused" 'old backup' \
    "$CAIRN" checkpoint --key "$OLD.key"
refuse "and fails verification" 'FAILED.*old backup' "$CAIRN" verify
cp "$T/after.mdb" "$T/var/store/data.mdb"

# The log announces the new key: the rotated tree's last entry.
"$CAIRN" show $((R - 1)) > "$T/rotentry"
expect "the rotated tree ends with system.key_rotated" \
    '"type":"system.key_rotated"' "$T/rotentry"
expect "it names the new and the previous key id" \
    "\"key_id\":\"$(keyid "$NEW.pub")\",\"previous_key_id\":\"$(keyid "$OLD.pub")\"" "$T/rotentry"
expect "it carries the new public key" "\"public_key\":\"$(re "$(tail -n 1 "$NEW.pub")")\"" "$T/rotentry"

# The rotation checkpoint, as a Go note verifier would check it: with the
# old key's verifier key string and with the new one; not with another.
"$CAIRN" proof --size "$R" $((R - 1)) > "$T/rotproof"
check "the rotation checkpoint verifies with the old verifier key" \
    "$CAIRN" verify-proof --key "$(cat "$OLD.vkey")" --checkpoint "$T/rot.note" "$T/rotproof"
check "and with the new verifier key" \
    "$CAIRN" verify-proof --key "$(cat "$NEW.vkey")" --checkpoint "$T/rot.note" "$T/rotproof"
refuse "but not with a stranger's" 'does not verify' \
    "$CAIRN" verify-proof --key "$(cat "$T/stranger.vkey")" --checkpoint "$T/rot.note" "$T/rotproof"

check "cairn verify passes after the rotation" "$CAIRN" verify
check "verify trusting the old public key follows the chain" "$CAIRN" verify --pubkey "$OLD.pub"
check "verify trusting the new public key" "$CAIRN" verify --pubkey "$NEW.pub"
refuse "verify trusting a stranger's key fails" 'signature does not verify' \
    "$CAIRN" verify --pubkey "$T/stranger.pub"
"$CAIRN" stat > "$T/stat"
expect "stat shows the new verifier key" "^verifier key $(re "$(cat "$NEW.vkey")")\$" "$T/stat"
expect "and the retired key with the sizes it signed" \
    "^retired key +$(re "$(cat "$OLD.vkey")")\$" "$T/stat"
expect "up to the rotation's" "signed tree sizes 0 to $R\$" "$T/stat"

# After the rotation: the old key signs nothing, rotating back is refused.
refuse "a checkpoint with the retired key is refused" 'does not belong' "$CAIRN" checkpoint
refuse "rotating back to a retired key is refused" 'was once' \
    "$CAIRN" rotate-key --key "$NEW.key" --new-key "$OLD.key"
sleep 1
AFTER=$(now)
sleep 1

# cairnd with key = still the old one refuses to start; with the new one runs.
refuse "cairnd refuses the retired key" 'not the current signing key' \
    timeout 20 "$CAIRND" -d -f "$CONF"
sed -i "s|^key = .*|key = $NEW.key|" "$CONF"
start_cairnd || exit 1
check "cairnd takes events after the rotation" test "$(post \
    '{"id":"after-1","type":"account.created","account_kind":"personal","time":"2026-11-29T08:00:00+08:00","account":"u-9001"}')" = 200
check "cairnd signs a checkpoint with the new key" sh -c \
    "\"$CAIRN\" checkpoint > \"$T/cp2\""
stop_cairnd
check "that checkpoint verifies with the new verifier key" sh -c \
    "\"$CAIRN\" proof --size $(sed -n 2p "$T/cp2") 0 | \"$CAIRN\" verify-proof --key \"$(cat "$NEW.vkey")\" --checkpoint \"$T/cp2\""
refuse "and not with the old one" 'does not verify' sh -c \
    "\"$CAIRN\" proof --size $(sed -n 2p "$T/cp2") 0 | \"$CAIRN\" verify-proof --key \"$(cat "$OLD.vkey")\" --checkpoint \"$T/cp2\""
check "cairn verify passes with checkpoints by both keys" "$CAIRN" verify
check "the store opens for writing (checkpoint file across the rotation)" \
    "$CAIRN" checkpoint --key "$NEW.key"

# An export whose period spans the rotation: start checkpoint by the old
# key, end checkpoint by the new one.
sleep 1
TO=$(now)
check "report across the rotation" "$CAIRN" report account --from "$FROM" \
    --to "$TO" --out "$OUT" --name span --key "$NEW.key"
check "it verifies with both keys" "$CAIRN" verify-export "$OUT/span.xml.zst" \
    --pubkey "$OLD.pub" --pubkey "$NEW.pub"
expect "the start checkpoint is the old key's" \
    "start checkpoint +tree size 0, .*signed by key id $(keyid "$OLD.pub")" "$T/out"
expect "the end checkpoint is the new key's" \
    "end checkpoint +tree size .*signed by key id $(keyid "$NEW.pub")" "$T/out"
refuse "with the new key alone it fails, naming what is missing" \
    'start checkpoint +signed by none of the keys given.*tree size 0 .*is missing' \
    "$CAIRN" verify-export "$OUT/span.xml.zst" --pubkey "$NEW.pub"
refuse "with the old key alone it fails" \
    'signature .*by key id '"$(keyid "$NEW.pub")"', which is not the key given' \
    "$CAIRN" verify-export "$OUT/span.xml.zst" --pubkey "$OLD.pub"
refuse "with the old key and a stranger's it fails" 'FAIL' \
    "$CAIRN" verify-export "$OUT/span.xml.zst" --pubkey "$OLD.pub" --pubkey "$T/stranger.pub"
# A period after the rotation starts at the rotation checkpoint, which the
# new key signs too: the new key alone is enough.
check "report after the rotation" "$CAIRN" report account --from "$AFTER" \
    --to "$TO" --out "$OUT" --name after --key "$NEW.key"
check "it verifies with the new key alone" "$CAIRN" verify-export \
    "$OUT/after.xml.zst" --pubkey "$NEW.pub"
expect "its start checkpoint is the rotation checkpoint" \
    "start checkpoint +tree size $R," "$T/out"
if command -v minisign >/dev/null 2>&1; then
	check "minisign -V accepts the export with the new public key" \
	    minisign -Vm "$OUT/span.xml.zst" -p "$NEW.pub"
fi

# A second rotation, to an encrypted key: its passphrase from its own file.
export CAIRN_SCRYPT_TEST_LIMITS=1
printf 'third key\n' > "$T/pass3"
"$CAIRN" keygen -o "$T/third" --encrypt --passphrase-file "$T/pass3" >/dev/null || exit 1
refuse "an encrypted new key needs its passphrase" 'wrong passphrase' \
    "$CAIRN" rotate-key --key "$NEW.key" --new-key "$T/third.key" \
    --new-passphrase-file "$T/stat"
check "a second rotation, to an encrypted key" "$CAIRN" rotate-key \
    --key "$NEW.key" --new-key "$T/third.key" --new-passphrase-file "$T/pass3"
check "cairn verify follows both rotations" "$CAIRN" verify --pubkey "$OLD.pub"
check "stat lists two retired keys" test "$("$CAIRN" stat | grep -c '^retired key')" = 2
finish
