#!/bin/sh
# smoke.sh TARGET BUILD SECONDS - what `make fuzz-smoke` runs for one target:
# first replay every seed and regression input once (any crash fails), then
# fuzz for SECONDS. Exit status non-zero on a crash, leak, timeout or OOM;
# the log is printed then, and the input that did it is in BUILD/artifacts/.
set -u
t=$1 build=$2 secs=$3
bin=$build/$t
work=$build/work/$t
log=$build/$t.log
mkdir -p "$work" "$build/artifacts"
dirs=""
for d in fuzz/corpus/$t fuzz/regressions/$t; do
	[ -d "$d" ] && dirs="$dirs $d"
done
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
common="-timeout=5 -rss_limit_mb=512 -malloc_limit_mb=512 -artifact_prefix=$build/artifacts/$t-"
# shellcheck disable=SC2086
files=
[ -n "$dirs" ] && files=$(find $dirs -type f 2>/dev/null)
if [ -n "$files" ]; then
	# shellcheck disable=SC2086
	if ! "$bin" $common -runs=0 $dirs > "$log" 2>&1; then
		echo "FAIL $t: replaying the corpus"; tail -60 "$log"; exit 1
	fi
fi
# shellcheck disable=SC2086
if ! "$bin" $common -max_total_time="$secs" -print_final_stats=1 "$work" $dirs >> "$log" 2>&1; then
	echo "FAIL $t"; tail -60 "$log"; exit 1
fi
echo "ok   $t: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | sed 's/.*: *//') runs in ${secs} s, corpus $(ls "$work" | wc -l) new"
