#!/bin/sh
# The wall clock steps back two hours under a running cairnd (an LD_PRELOAD
# shim moves CLOCK_REALTIME only, as a real step leaves monotonic time
# alone): received stays non-decreasing, checkpoints stay ordered, the
# writer keeps its pace, and the step is recorded as system.clock_step.
. "${top_srcdir:-.}/tests/lib.sh"

if ! ${CC:-cc} -shared -fPIC -O1 -o "$T/clockshim.so" \
    "$top_srcdir/tests/clockshim.c" -ldl 2>"$T/cc.err"; then
	echo "# no C compiler for the shim: skipped"; cat "$T/cc.err"; exit 77
fi
echo 0 > "$T/offset"
cat > "$T/cairnd-shim" <<SH
#!/bin/sh
CLOCKSHIM_FILE="$T/offset" LD_PRELOAD="$T/clockshim.so" \
ASAN_OPTIONS="\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}verify_asan_link_order=0" \
exec "$CAIRND" "\$@"
SH
chmod +x "$T/cairnd-shim"
CAIRND="$T/cairnd-shim"

daemon_setup
check "cairnd starts under the clock shim" start_cairnd
ev() {
	printf '{"id":"%s","type":"account.created","account_kind":"personal","time":"2026-11-29T08:00:00Z","account":"u-1"}' "$1"
}
check "an event before the step" test "$(post "$(ev c-1)")" = 200
echo -7200 > "$T/offset"
sleep 2.5
check "an event after the clock stepped back two hours" test "$(post "$(ev c-2)")" = 200
code=$(curl -s -o "$T/cp" -w '%{http_code}' -X POST -H "Authorization: Bearer $ADM" \
    "http://127.0.0.1:$HTTP_PORT/v1/checkpoint")
check "a checkpoint after the step" test "$code" = 200
stop_cairnd
check "the store verifies (received non-decreasing, checkpoints in order)" "$CAIRN" verify
check "dump" "$CAIRN" dump
expect "the step is recorded" '"step_us":-7[12][0-9]{8},.*"type":"system.clock_step"' "$T/out"
r1=$(grep '"id":"c-1"' "$T/out" | sed 's/.*"received":"\([^"]*\)".*/\1/')
r2=$(grep '"id":"c-2"' "$T/out" | sed 's/.*"received":"\([^"]*\)".*/\1/')
check "received did not go back ($r1 <= $r2)" test "$(printf '%s\n%s\n' "$r1" "$r2" | sort | head -n 1)" = "$r1"
finish
