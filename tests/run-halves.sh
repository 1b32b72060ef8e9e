#!/bin/sh
# Run the integration test files in two pytest processes at once: the files
# dealt out in turn, sorted by name, so both cores work. For `make valgrind`,
# where every plugin run is CPU-bound under memcheck and one pytest left the
# second core idle (the pass took about 55 of CI's 90 minutes). Each file
# still runs whole in one process; every peer a test starts listens on a
# port of its own, so the two halves do not meet.
#
#   sh tests/run-halves.sh LOG_PREFIX PYTEST_COMMAND...
#
# Exit 0 when both halves pass; each half's output is printed whole.
set -u
log=$1
shift
a=""
b=""
i=0
for f in tests/integration/test_*.py; do
	if [ $((i % 2)) -eq 0 ]; then a="$a $f"; else b="$b $f"; fi
	i=$((i + 1))
done
# shellcheck disable=SC2086 # the file lists split on blanks on purpose
"$@" $a > "$log-1.log" 2>&1 &
first=$!
# shellcheck disable=SC2086
"$@" $b > "$log-2.log" 2>&1
rc2=$?
wait "$first"
rc1=$?
echo "== first half:$a (exit $rc1)"
cat "$log-1.log"
echo "== second half:$b (exit $rc2)"
cat "$log-2.log"
[ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ]
