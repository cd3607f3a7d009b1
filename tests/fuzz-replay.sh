#!/bin/sh
# Replays every committed fuzz corpus through its target (no libFuzzer
# needed): each input that once mattered must still run clean.
. "${top_srcdir:-.}/tests/lib.sh"
: "${top_builddir:=$(pwd)}"
for t in cjson json_parse catalog rfc3339 minisign note rfc5424 rfc3164 framing config http_events proofline export http_request jview pgread; do
	bin="$top_builddir/fuzz/replay_$t"
	corpus="$top_srcdir/fuzz/corpus/$t"
	if [ ! -d "$corpus" ]; then not_ok "$t: no corpus at $corpus"; continue; fi
	check "replay $t corpus" "$bin" "$corpus"
done
finish
