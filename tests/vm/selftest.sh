#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/vm/selftest.sh - prove that tests/vm/run works: exit status, argv,
# cwd, stdout/stderr, a writable repository, and that a kernel WARNING, a
# BUG and a hang fail the run.  TAP-like output; exits non-zero on a failure.
#
#   tests/vm/selftest.sh
#
# Environment: KVER / KDIR (kernel to build the test module against, default
# /usr/src/linux-headers-$KVER), VMRUN_OPTS (extra options for tests/vm/run,
# e.g. "--kernel /path/to/bzImage").

set -uo pipefail

HERE=$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")" && pwd -P)
REPO=$(cd -- "$HERE/../.." && pwd -P)
RUN=$HERE/run
MODDIR=$HERE/warn_test
read -r -a OPTS <<<"${VMRUN_OPTS:-}"

if [[ -z ${KVER:-} ]]; then
	KVER=$(printf '%s\n' /boot/vmlinuz-*-amd64 | sort -V | tail -n 1)
	KVER=${KVER#/boot/vmlinuz-}
fi
KDIR=${KDIR:-/usr/src/linux-headers-$KVER}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vm-selftest.XXXXXX") || exit 1
trap 'rm -rf -- "$TMP"' EXIT

N=0
FAILED=0
OUT=$TMP/out
ERR=$TMP/err
RC=0

# vmrun [run options] -- CMD...: run in the VM, capture stdout/stderr/status
vmrun() {
	RC=0
	"$RUN" ${OPTS[@]+"${OPTS[@]}"} "$@" >"$OUT" 2>"$ERR" || RC=$?
}

# result OK DESCRIPTION: print the TAP line; on failure show the last output
result() {
	N=$((N + 1))
	if [[ $1 == 0 ]]; then
		echo "ok $N - $2"
	else
		echo "not ok $N - $2"
		FAILED=$((FAILED + 1))
		echo "#   exit status $RC; stdout:"
		tail -n 20 -- "$OUT" | sed 's/^/#     /'
		echo "#   stderr:"
		tail -n 40 -- "$ERR" | sed 's/^/#     /'
	fi
}

check() {			# check DESCRIPTION CONDITION...
	local desc=$1
	shift
	if "$@"; then result 0 "$desc"; else result 1 "$desc"; fi
}

# Build the test module (out-of-tree, against the VM's kernel).
ko=$MODDIR/sockmi_warntest.ko
if [[ ! -e $ko || $MODDIR/sockmi_warntest.c -nt $ko ]]; then
	if [[ ! -d $KDIR ]]; then
		echo "Bail out! no kernel build tree at $KDIR: apt-get install linux-headers-$KVER (or set KDIR)"
		exit 1
	fi
	if ! make -s -C "$KDIR" M="$MODDIR" modules >"$TMP/build.log" 2>&1; then
		sed 's/^/# /' "$TMP/build.log"
		echo "Bail out! cannot build $ko"
		exit 1
	fi
fi

cd "$REPO" || exit 1

# No VM needed: usage errors.
vmrun
check "no command is a usage error (status 2)" test "$RC" -eq 2
vmrun --no-such-option -- true
check "an unknown option is a usage error (status 2)" test "$RC" -eq 2

vmrun -- true
check "'run -- true' exits 0" test "$RC" -eq 0

vmrun -- false
check "'run -- false' exits non-zero" test "$RC" -ne 0

vmrun -- sh -c 'exit 7'
check "'run -- sh -c \"exit 7\"' exits 7" test "$RC" -eq 7

vmrun -- printf '%s|' 'a b' "c'd"
check "argv with spaces and quotes round-trips" \
	test "$RC" -eq 0 -a "$(cat "$OUT")" = "a b|c'd|"

# One boot for cwd, stdout/stderr separation and the writable repository.
cd "$MODDIR" || exit 1
keep=.vm-selftest-keep.$$
gone=.vm-selftest-gone.$$
rm -f -- "$keep" "$gone"
# shellcheck disable=SC2016  # expanded in the guest
vmrun -- bash -c 'pwd; echo to-stderr >&2
	echo written-in-guest >"$1" && echo x >"$2" && rm "$2" && echo repo-rw-ok' \
	bash "$keep" "$gone"
check "cwd is preserved" test "$RC" -eq 0 -a "$(head -n 1 "$OUT")" = "$MODDIR"
check "stdout and stderr stay apart" \
	test "$(sed -n 2p "$OUT")" = repo-rw-ok -a "$(cat "$ERR")" = to-stderr
check "the repository is writable from the guest" \
	test "$(cat -- "$keep" 2>/dev/null)" = written-in-guest -a ! -e "$gone"
rm -f -- "$keep" "$gone"

vmrun -- sh -c 'insmod sockmi_warntest.ko && rmmod sockmi_warntest'
check "insmod/rmmod of a clean module exits 0" test "$RC" -eq 0

vmrun -- insmod sockmi_warntest.ko warn=1
check "a kernel WARNING fails the run although insmod exits 0" \
	test "$RC" -ne 0
check "the failure names the WARNING" \
	grep -q "^vm-run: KERNEL: .*WARNING: .*sockmi_warntest" "$ERR"

vmrun -- insmod sockmi_warntest.ko bug=1
bug_reported() {
	[[ $RC -ne 0 ]] &&
		grep -q "without reporting an exit status" "$ERR" &&
		grep -q "^vm-run: KERNEL: .*kernel BUG at" "$ERR"
}
check "a kernel BUG (panic) fails the run, with its log" bug_reported

vmrun --timeout 10 -- sleep 600
timed_out() {
	[[ $RC -eq 124 ]] && grep -q "timed out" "$ERR"
}
check "--timeout kills a hung guest (status 124)" timed_out

echo "1..$N"
if [[ $FAILED -ne 0 ]]; then
	echo "# $FAILED of $N failed"
	exit 1
fi
echo "# all $N passed"
