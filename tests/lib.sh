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

# nice_of /proc/PID[/task/TID]/stat: that process's or thread's nice value.
nice_of() { sed 's/.*) //' "$1" | awk '{ print $17 }'; }
# flip_byte FILE OFFSET: inverts bit 0 of one byte in place, so the byte
# always changes whatever it held.
flip_byte() {
	_b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	[ -n "$_b" ] || { not_ok "flip_byte: $1 has no byte $2"; return 1; }
	printf "\\$(printf %o $((_b ^ 1)))" |
	    dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
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

# --- the daemon -----------------------------------------------------------
: "${CAIRND:=$(pwd)/collector/cairnd}"
: "${LOADCLIENT:=$(pwd)/tests/loadclient}"

# free_port: a TCP and UDP port on loopback nobody listens on.
free_port() {
	# Below the kernel's range for outgoing connections (32768 and up).
	p=$(( 10000 + ($$ * 37 + ${1:-0} * 101 + $(od -An -N2 -tu2 /dev/urandom)) % 22000 ))
	while ss -Hltun 2>/dev/null | awk '{print $5}' | grep -q ":$p\$"; do
		p=$((p + 1))
	done
	echo $p
}

# daemon_setup: a store, a key, tokens (ingest, query, admin), ports.
daemon_setup() {
	new_store
	ING=$("$CAIRN" token add platform --roles ingest --file "$T/var/tokens" 2>/dev/null)
	QRY=$("$CAIRN" token add responder --roles query --file "$T/var/tokens" 2>/dev/null)
	ADM=$("$CAIRN" token add operator --roles admin --file "$T/var/tokens" 2>/dev/null)
	HTTP_PORT=$(free_port 1)
	SYSLOG_PORT=$(free_port 2)
	RELP_PORT=$(free_port 3)
	CONF="$T/cairn.conf"
	cat > "$CONF" <<CONF
store = $T/var/store
key = $T/var/keys/cairn.key
tokens = $T/var/tokens
user = root
listen http 127.0.0.1:$HTTP_PORT
listen syslog-udp 127.0.0.1:$SYSLOG_PORT
listen syslog-tcp 127.0.0.1:$SYSLOG_PORT
listen relp 127.0.0.1:$RELP_PORT
CONF
}

# start_cairnd: runs cairnd in the foreground (background job), waits ready.
start_cairnd() {
	: >> "$T/cairnd.log"	# exists before the first grep below
	"$CAIRND" -d -f "$CONF" >> "$T/cairnd.log" 2>&1 &
	CAIRND_PID=$!
	PIDS="$PIDS $CAIRND_PID"
	n=0
	while [ $n -lt 200 ]; do
		if ! kill -0 $CAIRND_PID 2>/dev/null; then
			echo "cairnd exited:"; tail -n 20 "$T/cairnd.log"; return 1
		fi
		[ "$(grep -c 'ready: store' "$T/cairnd.log")" -gt "${READY_SEEN:-0}" ] && break
		sleep 0.05
		n=$((n + 1))
	done
	READY_SEEN=$(grep -c 'ready: store' "$T/cairnd.log")
}
# stop_cairnd [SIGNAL]: stops it and waits.
stop_cairnd() {
	kill -"${1:-TERM}" $CAIRND_PID 2>/dev/null
	wait $CAIRND_PID 2>/dev/null
}
# alive WHAT: cairnd (started by start_cairnd) runs and answers /healthz;
# ends the test if not.
alive() {
	if kill -0 "$CAIRND_PID" 2>/dev/null &&
	    curl -sf --max-time 5 "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null; then
		ok "cairnd alive and answering after $1"
	else
		not_ok "cairnd after $1"; tail -n 20 "$T/cairnd.log"
		finish
	fi
}
# post BODY [TOKEN] [TYPE]: POST /v1/events; prints the status then the body.
post() {
	curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer ${2:-$ING}" \
		-H "Content-Type: ${3:-application/json}" --data-binary "$1" \
		"http://127.0.0.1:$HTTP_PORT/v1/events"
}
# entries_with ID: how many stored entries carry event id ID.
entries_with() {
	"$CAIRN" dump | grep -c "\"id\":\"$1\""
}
