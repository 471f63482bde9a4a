# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared helpers for tests/netns/*.sh, sourced, run as root inside the test
# VM (tests/vm/run). Hosts are network namespaces on one bridge:
#
#   peer ---+
#   A    ---+--- br0 (in namespace "sw")
#   B    ---+
#   C    ---+
#
# Host N of the topology has 10.77.0.N/24 and fd77::N/64 on eth0; the names
# get a random suffix so parallel or leftover runs never collide.
#
# Output is TAP-like: "ok - FILE: what" / "not ok - FILE: what" per check,
# "ok - FILE: what # SKIP why" for skips. A file exits 1 if any check
# failed, 4 if it skipped as a whole, else 0.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TEST_NAME=$(basename "$0" .sh)
SUFFIX=$(printf '%04x%04x' $RANDOM $RANDOM)
NL_TOOL="$REPO/tests/lib/sockmi_nl.py"
SOCKMICTL="$REPO/userland/sockmictl/sockmictl"
MODULES=(net/sockmi/sockmi.ko net/sockmi/sockmi_genl.ko net/netfilter/xt_SOCKMI.ko)
declare -A NS=()
declare -A HOST_NUM=()
T_FAILED=0
T_COUNT=0
VERBOSE=${VERBOSE:-0}

pretty() { [[ $VERBOSE == 0 ]] || echo "# [$1] ${*:2}" >&2; }

# n HOST CMD...: run CMD in HOST's namespace.
n() {
	local h=$1
	shift
	pretty "$h" "$*"
	ip netns exec "${NS[$h]}" "$@"
}

# nl [HOST] send|join ...: the raw netlink tool, in HOST's namespace if given.
nl() {
	if [[ -n ${NS[$1]+x} ]]; then
		local h=$1
		shift
		n "$h" python3 "$NL_TOOL" "$@"
	else
		python3 "$NL_TOOL" "$@"
	fi
}

ok() { T_COUNT=$((T_COUNT + 1)); echo "ok - $TEST_NAME: $*"; }
not_ok() { T_COUNT=$((T_COUNT + 1)); T_FAILED=$((T_FAILED + 1)); echo "not ok - $TEST_NAME: $*"; }
skip() { T_COUNT=$((T_COUNT + 1)); echo "ok - $TEST_NAME: $1 # SKIP ${2:-}"; }

# check "what" CMD...: one test, passing if CMD succeeds.
check() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$what"
	else
		not_ok "$what"
		printf '#   command: %s\n' "$*"
		printf '%s\n' "$out" | sed 's/^/#   /' | head -n 20
	fi
}

# check_not "what" CMD...: one test, passing if CMD fails.
check_not() {
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		not_ok "$what"
		printf '#   command succeeded: %s\n' "$*"
	else
		ok "$what"
	fi
}

# check_wait "what" PID: one test, passing if background job PID exits 0.
check_wait() {
	if wait "$2"; then
		ok "$1"
	else
		not_ok "$1 (exit $?)"
	fi
}

# expect "what" GOT PATTERN: GOT must match the glob PATTERN.
expect() {
	# shellcheck disable=SC2053
	if [[ $2 == $3 ]]; then
		ok "$1"
	else
		not_ok "$1"
		printf '#   got:      %s\n#   expected: %s\n' "$2" "$3"
	fi
}

# wait_for CMD...: poll until CMD succeeds, for up to $SOCKMI_WAIT s (60): steps are slow
# under emulation, more so on a loaded machine. Nothing may depend on how
# long it takes.
wait_for() {
	local end=$((SECONDS + ${SOCKMI_WAIT:-60}))
	while ((SECONDS < end)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "# $TEST_NAME: gave up waiting for: $*"
	return 1
}

# wait_long CMD...: the same as wait_for (kept for the tests that say so).
wait_long() { wait_for "$@"; }

# listening HOST PORT: a TCP socket of HOST listens on PORT.
listening() { [[ -n $(n "$1" ss -Hltn "sport = :$2") ]]; }

# need TOOL...: skip the whole file when a tool is missing.
need() {
	local t
	for t in "$@"; do
		if ! command -v "$t" >/dev/null; then
			skip "$TEST_NAME" "$t not installed"
			exit 4
		fi
	done
}

# add_host NAME NUM: a namespace with lo up, attached to the bridge if any.
add_host() {
	local name=$1 num=$2 ns="sockmi-$1-$SUFFIX"
	ip netns add "$ns"
	NS[$name]=$ns
	HOST_NUM[$name]=$num
	ip -n "$ns" link set lo up
	if [[ -n ${NS[sw]+x} ]]; then
		ip -n "$ns" link add eth0 type veth peer name "p$num" netns "${NS[sw]}"
		ip -n "${NS[sw]}" link set "p$num" master br0 up
		ip -n "$ns" addr add "10.77.0.$num/24" dev eth0
		ip -n "$ns" addr add "fd77::$num/64" dev eth0 nodad
		ip -n "$ns" link set eth0 up
	fi
	# Slow kernels (the debug one): exports outlive the tests' own
	# pauses. A file that sets the sysctl itself still does afterwards.
	if [[ -n ${SOCKMI_EXPORT_TIMEOUT:-} && -d /proc/sys/net/sockmi ]]; then
		ip netns exec "$ns" sysctl -qw "net.sockmi.export_timeout=$SOCKMI_EXPORT_TIMEOUT"
	fi
}

# topology HOST...: the bridge and one namespace per host, numbered from 1.
topology() {
	local h num=1
	ip netns add "sockmi-sw-$SUFFIX"
	NS[sw]="sockmi-sw-$SUFFIX"
	ip -n "${NS[sw]}" link add br0 type bridge
	ip -n "${NS[sw]}" link set br0 up
	for h in "$@"; do
		add_host "$h" $num
		num=$((num + 1))
	done
}

ip4() { echo "10.77.0.${HOST_NUM[$1]}"; }
ip6() { echo "fd77::${HOST_NUM[$1]}"; }

modules_loaded() { [[ -d /sys/module/sockmi && -d /sys/module/sockmi_genl && -d /sys/module/xt_SOCKMI ]]; }

# Load the three modules, in dependency order, from this build.
modules_load() {
	local m
	# xt_SOCKMI links against nf_conntrack (selective cleanup); insmod
	# does not resolve dependencies.
	modprobe -a x_tables nf_conntrack
	# Files run in parallel may race to load them: one insmod's EEXIST is
	# fine when the module is there afterwards.
	for m in "${MODULES[@]}"; do
		[[ -d /sys/module/$(basename "$m" .ko) ]] || insmod "$REPO/$m" ||
			[[ -d /sys/module/$(basename "$m" .ko) ]]
	done
}

modules_unload() {
	local i m
	for ((i = ${#MODULES[@]} - 1; i >= 0; i--)); do
		m=$(basename "${MODULES[i]}" .ko)
		[[ ! -d /sys/module/$m ]] || rmmod "$m"
	done
}

cleanup() {
	local h
	for h in "${!NS[@]}"; do
		ip netns del "${NS[$h]}" 2>/dev/null || true
	done
}
trap cleanup EXIT

# finish: the file's exit status.
finish() {
	echo "# $TEST_NAME: $T_COUNT checks, $T_FAILED failed"
	[[ $T_FAILED -eq 0 ]]
}
