#!/bin/sh
# Keys: minisign formats both ways, modes, passphrases.
. "${top_srcdir:-.}/tests/lib.sh"
export CAIRN_SCRYPT_TEST_LIMITS=1

check "keygen" "$CAIRN" keygen -o "$T/k" --origin test.example/k
check "secret key 0600" test "$(stat -c %a "$T/k.key")" = 600
refuse "keygen never overwrites" 'exists' "$CAIRN" keygen -o "$T/k"
chmod 640 "$T/k.key"
refuse "group-readable key refused" 'readable by nobody else' "$CAIRN" init --key "$T/k.key" --store "$T/s1"
chmod 600 "$T/k.key"
check "init with an existing key" "$CAIRN" init --key "$T/k.key" --store "$T/s1" --origin test.example/k

printf 'correct horse\n' > "$T/pass"
printf 'wrong horse\n' > "$T/wrong"
check "encrypted keygen" "$CAIRN" keygen -o "$T/e" --encrypt --passphrase-file "$T/pass"
refuse "encrypted key without passphrase" 'encrypted' "$CAIRN" init --key "$T/e.key" --store "$T/s2" </dev/null
refuse "wrong passphrase" 'wrong passphrase' "$CAIRN" init --key "$T/e.key" --store "$T/s2" --passphrase-file "$T/wrong"
check "right passphrase" "$CAIRN" init --key "$T/e.key" --store "$T/s2" --passphrase-file "$T/pass"
check "passphrase from a file descriptor" sh -c "\"$CAIRN\" checkpoint --store \"$T/s2\" --key \"$T/e.key\" --passphrase-fd 3 3<\"$T/pass\""

if command -v minisign >/dev/null 2>&1; then
	check "minisign -G -W makes a key" minisign -G -W -p "$T/m.pub" -s "$T/m.key"
	chmod 600 "$T/m.key"
	check "a minisign key signs our checkpoints" "$CAIRN" init --key "$T/m.key" --store "$T/s3"
	check "and the store verifies with minisign's public key" "$CAIRN" verify --store "$T/s3" --pubkey "$T/m.pub"
	echo "some bytes" > "$T/file"
	check "minisign signs with our secret key" minisign -S -s "$T/k.key" -m "$T/file" -x "$T/file.sig" </dev/null
	check "minisign verifies with our public key" minisign -V -p "$T/k.pub" -m "$T/file" -x "$T/file.sig"
else
	echo "# minisign not installed: interop checks skipped"
fi
finish
