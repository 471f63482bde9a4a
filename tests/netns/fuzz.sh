#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The "sockmi" genl family under fuzzing, with live connections around.
#
#   peer (10.77.0.1) ---+--- br0 ---+--- A (10.77.0.2)
#
# Two connections peer -> A stream a verifiable pattern both ways, paced
# (200 B/s: they would last over an hour) until released after the
# fuzzing, then run at full speed to the end.  The second one is exported
# once, its checkpoint fetched (the "real blob") and the export aborted.
# Then tests/fuzz/nlfuzz.py sends FUZZ_NL_ITER (default 1000) random and
# mutated messages to every command of the family from inside A, where
# the connections live.  Afterwards: the fuzzer never saw the kernel hang,
# left nothing staged, the kernel logged no report, both connections are
# still established, and once released each finishes with every byte
# verified.  make fuzz runs the same with many more messages.
source "$(dirname "$0")/lib.sh"

need python3 ss

T="$REPO/tests/lib/sockmi_test.py"
FUZZ="$REPO/tests/fuzz/nlfuzz.py"
ITER=${FUZZ_NL_ITER:-1000}
BYTES=${FUZZ_NL_BYTES:-1000000}
RATE=${FUZZ_NL_RATE:-200}
tmp=$(mktemp -d)
modules_load
topology peer A
# The real checkpoint's export is aborted by hand after its fetch, which a
# debug kernel under emulation can stretch past the default 60 s.
n A sysctl -qw net.sockmi.export_timeout=600
dmesg_start=$(dmesg | wc -l)
t0=$SECONDS
phase() { echo "# $TEST_NAME: $* at $((SECONDS - t0)) s"; }

# wait_slow CMD...: poll up to 300 s (other VMs may share the 2 cores)
wait_slow() {
	local i
	for ((i = 0; i < 3000; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
wait_file() { wait_slow test -e "$1"; }
# listening PORT: A has a listener there (ss itself succeeds either way)
listening() { [[ -n $(n A ss -Hltn "sport = :$1") ]]; }
# owner FILE KEY: a number of the JSON state file sockmi_test.py serve writes
owner() { grep -o "\"$2\": [0-9]*" "$1" | grep -o '[0-9]*$'; }

declare -A srv=() peer=()
trap 'kill "${srv[@]}" "${peer[@]}" 2>/dev/null || true; cleanup' EXIT
for c in 1 2; do
	port=$((7100 + c))
	n A python3 "$T" serve "$port" "$tmp/s$c" "$BYTES" --rate "$RATE" \
		--release "$tmp/release" >"$tmp/serve$c.log" 2>&1 &
	srv[$c]=$!
	check "connection $c: server listening" wait_slow listening "$port"
	n peer python3 "$T" peer "$(ip4 A)" "$port" "$BYTES" --rate "$RATE" \
		--release "$tmp/release" >"$tmp/peer$c.log" 2>&1 &
	peer[$c]=$!
	if wait_file "$tmp/s$c.owner"; then
		ok "connection $c: accepted"
	else
		not_ok "connection $c: accepted"
		sed 's/^/#   /' "$tmp/serve$c.log" "$tmp/peer$c.log"
		exit 1
	fi
done

# A real checkpoint to mutate: export connection 2, fetch it, give it back.
id=$(n A python3 "$T" export "$(owner "$tmp/s2.owner" pid)" "$(owner "$tmp/s2.owner" fd)" 2>&1) || true
check "blob: connection 2 exported (id $id)" test "$id" -gt 0
check "blob: checkpoint fetched" n A python3 "$T" fetch "$id" "$tmp/blob"
check "blob: export aborted, connection 2 given back" n A python3 "$T" abort "$id"

phase "fuzzing starts"
blob=()
[[ ! -s $tmp/blob ]] || blob=(--blob "$tmp/blob")
protect=()
for p in "$(owner "$tmp/s1.owner" pid)" "$(owner "$tmp/s2.owner" pid)" "${srv[@]}" "${peer[@]}"; do
	protect+=(--protect-pid "$p")
done
if n A python3 "$FUZZ" --iterations "$ITER" ${FUZZ_NL_SEED:+--seed "$FUZZ_NL_SEED"} \
	"${blob[@]}" "${protect[@]}" >"$tmp/fuzz.log" 2>&1; then
	ok "nlfuzz: $ITER messages to every command, no hang, nothing left staged"
else
	not_ok "nlfuzz: $ITER messages to every command, no hang, nothing left staged"
fi
sed 's/^/#   /' "$tmp/fuzz.log"
phase "fuzzing done"

expect "nothing staged or exported left in A" \
	"$(nl A send --dump SOCKMI_CMD_GET_STAGED)" "OK 0 messages"
reports=$(dmesg | tail -n +"$((dmesg_start + 1))" |
	grep -E 'WARNING:|BUG:|Oops|KASAN|UBSAN|refcount_t:|general protection|lockdep|circular locking|Call Trace:' || true)
expect "no kernel report during the fuzzing" "$reports" ""
for c in 1 2; do
	s=${srv[$c]} p=${peer[$c]}
	est=$(n A ss -Htn state established "( sport = :$((7100 + c)) )")
	if kill -0 "$s" 2>/dev/null && kill -0 "$p" 2>/dev/null && [[ -n $est ]]; then
		ok "connection $c: still established after the fuzzing"
	else
		not_ok "connection $c: still established after the fuzzing"
		echo "#   server $s: $(kill -0 "$s" 2>&1 && echo alive), peer $p: $(kill -0 "$p" 2>&1 && echo alive)"
		n A ss -tan | sed 's/^/#   ss: /'
	fi
done

touch "$tmp/release"
phase "streams released"
for c in 1 2; do
	check_wait "connection $c: peer verified every byte both ways" "${peer[$c]}"
	check_wait "connection $c: server finished its stream" "${srv[$c]}"
done
expect "connection 1: never migrated" "$(cat "$tmp/serve1.log")" "*finished without migration*"
sed 's/^/#   /' "$tmp"/peer*.log "$tmp"/serve*.log
phase "streams done"
rm -rf "$tmp"
finish
