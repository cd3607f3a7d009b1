# lib.sh: shared setup for the shell tests; sourced, never run.
# Each test gets a private directory and its own store, and counts checks.
set -u
: "${CAIRN:=$(pwd)/tools/cairn}"
: "${STORETOOL:=$(pwd)/tests/storetool}"
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
T=$(mktemp -d "${TMPDIR:-/tmp}/cairn-test.XXXXXX")
export CAIRN_STORE="$T/var/store"
unset CAIRN_KEY
PASSED=0
FAILED=0
PIDS=""
cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }

# check DESCRIPTION COMMAND...: the command must succeed.
check() {
	d=$1; shift
	if "$@" >"$T/out" 2>"$T/err"; then ok "$d"; else
		not_ok "$d"; sed 's/^/    /' "$T/out" "$T/err"; fi
}
# refuse DESCRIPTION PATTERN COMMAND...: the command must fail, and say PATTERN.
refuse() {
	d=$1; pat=$2; shift 2
	if "$@" >"$T/out" 2>"$T/err"; then
		not_ok "$d (succeeded, should have failed)"; sed 's/^/    /' "$T/out"
	elif grep -Eq -- "$pat" "$T/out" "$T/err"; then ok "$d"; else
		not_ok "$d (no \"$pat\" in the message)"; sed 's/^/    /' "$T/out" "$T/err"; fi
}
# expect DESCRIPTION PATTERN FILE: FILE must match PATTERN.
expect() {
	if grep -Eq -- "$2" "$3"; then ok "$1"; else
		not_ok "$1 (no \"$2\")"; sed 's/^/    /' "$3"; fi
}
finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
	exit $?
}
# A fresh store with an unencrypted key, quietly.
new_store() {
	"$CAIRN" init --origin test.example/cairn >/dev/null || exit 1
}
EXAMPLES="$top_srcdir/schemas/examples/events.ndjson"
