#!/bin/sh
# cairnd's sandbox: once it has dropped privileges it runs with
# no_new_privs and its seccomp filter (Seccomp: 2 in /proc/PID/status, in
# every thread) unless cairn.conf says seccomp = no; it serves as before.
# The filter itself (collector/sandbox.c, loaded by tests/seccomptest)
# answers execve, fork, unshare, setuid and netlink or packet sockets with
# EPERM, and leaves files, threads and inet and unix sockets alone.
. "${top_srcdir:-.}/tests/lib.sh"
: "${SECCOMPTEST:=$(pwd)/tests/seccomptest}"

command -v curl >/dev/null 2>&1 || { echo "SKIP: no curl"; exit 77; }
grep -q '^Seccomp:' /proc/self/status 2>/dev/null ||
    { echo "SKIP: this kernel reports no seccomp state"; exit 77; }
daemon_setup
ev() {
	printf '{"id":"%s","type":"account.created","time":"2026-11-29T08:00:00Z","account":"u-5","account_kind":"personal"}' "$1"
}
# field NAME: NAME's value in cairnd's /proc status.
field() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$CAIRND_PID/status"; }

# --- The default: the filter is on ----------------------------------------
check "cairnd starts with the default configuration" start_cairnd
check "Seccomp: 2 (a filter) by default" test "$(field Seccomp)" = 2
check "NoNewPrivs: 1" test "$(field NoNewPrivs)" = 1
bad=0
for st in /proc/$CAIRND_PID/task/*/status; do
	grep -Eq '^Seccomp:[[:space:]]+2$' "$st" || bad=$((bad + 1))
done
n=$(ls /proc/$CAIRND_PID/task | wc -l)
[ "$bad" -eq 0 ] && ok "all $n threads run under the filter" ||
    not_ok "$bad of $n threads without the filter"
expect "the log says so" 'seccomp filter installed: [0-9]+ system calls denied' "$T/cairnd.log"
code=$(post "$(ev sandboxed-1)")
[ "$code" = 200 ] && ok "an event is stored under the filter" || not_ok "POST: $code"
kill -HUP $CAIRND_PID
n=0
while [ $n -lt 100 ] && ! grep -q 'reloaded' "$T/cairnd.log"; do sleep 0.05; n=$((n + 1)); done
expect "SIGHUP reloads under the filter" 'reloaded [0-9]+ tokens' "$T/cairnd.log"
check "a checkpoint is signed on demand" curl -sf -X POST \
    -H "Authorization: Bearer $ADM" "http://127.0.0.1:$HTTP_PORT/v1/checkpoint"
check "cairnd answers queries" curl -sf -H "Authorization: Bearer $QRY" \
    "http://127.0.0.1:$HTTP_PORT/v1/accounts/u-5/events"
expect "... with the event" 'sandboxed-1' "$T/out"
kill -TERM $CAIRND_PID
wait $CAIRND_PID
rc=$?
[ "$rc" -eq 0 ] && ok "cairnd stops cleanly under the filter" || not_ok "cairnd exited $rc"
expect "... after committing everything" 'stopped' "$T/cairnd.log"

# --- seccomp = no ---------------------------------------------------------
cp "$CONF" "$CONF.on"
echo "seccomp = no" >> "$CONF"
check "cairnd -n takes seccomp = no" "$CAIRND" -n -f "$CONF"
check "cairnd starts with seccomp = no" start_cairnd
check "Seccomp: 0 with seccomp = no" test "$(field Seccomp)" = 0
check "NoNewPrivs: 1 all the same" test "$(field NoNewPrivs)" = 1
expect "the log warns" 'running without the system call filter' "$T/cairnd.log"
stop_cairnd
cp "$CONF.on" "$CONF"
echo "seccomp = maybe" >> "$CONF"
refuse "seccomp takes yes or no only" "$CONF:[0-9]+: seccomp: 'maybe' \\(yes or no\\)" \
    "$CAIRND" -n -f "$CONF"
cp "$CONF.on" "$CONF"
check "the store verifies" "$CAIRN" verify
check "the event is there once" test "$(entries_with sandboxed-1)" = 1

# --- The filter itself ----------------------------------------------------
# Without it, the probes that must be denied succeed here (so a filter that
# denies nothing fails below); packet sockets need root, so not that one.
check "seccomptest off" "$SECCOMPTEST" off
cp "$T/out" "$T/off"
for p in files thread listen_inet socket_inet6 socket_unix socket_netlink \
    unshare setuid fork; do
	expect "without the filter, $p works" "^$p=ok\$" "$T/off"
done
expect "without the filter, execve runs /bin/echo" '^execve=ran$' "$T/off"
check "seccomptest on" "$SECCOMPTEST" on
cp "$T/out" "$T/on"
expect "its status says Seccomp 2" '^Seccomp:[[:space:]]+2$' "$T/on"
expect "and NoNewPrivs 1" '^NoNewPrivs:[[:space:]]+1$' "$T/on"
for p in files thread listen_inet socket_inet6 socket_unix clock getrandom; do
	expect "under the filter, $p still works" "^$p=ok\$" "$T/on"
done
for p in socket_netlink socket_packet unshare setuid execve; do
	expect "under the filter, $p gets EPERM" "^$p=EPERM\$" "$T/on"
done
check "execve did not run /bin/echo" sh -c "! grep -q '^execve=ran' '$T/on'"
if grep -q '^sanitized=1$' "$T/on"; then
	# LeakSanitizer's exit-time scan needs to fork (sandbox.h).
	echo "# sanitizer build: fork stays allowed"
else
	expect "under the filter, fork gets EPERM" '^fork=EPERM$' "$T/on"
fi
if grep -Eq 'Sanitizer|runtime error' "$T/cairnd.log" 2>/dev/null; then
	not_ok "sanitizer report in cairnd's log"
	grep -E -A 30 'Sanitizer|runtime error' "$T/cairnd.log" | head -n 60 | sed 's/^/    /'
fi
finish
