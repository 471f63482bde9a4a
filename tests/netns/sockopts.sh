#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The socket options a checkpoint carries (issue 4): a connection to an
# echo server (socat) on the peer, its options set by its owner on A, is
# handed over inside A (EXPORT to A's own address, IMPORT); every option
# reads the same on the imported socket, and the echo goes on.
#
#   peer (10.77.0.1, fd77::1) --- br0 --- A (10.77.0.2, fd77::2)
#
# Sets (tests/lib/sockopts.py): "user", every option of the uapi's
# SOCKMI_SOCKOPT_A_* at values no default has (keepalive and its timers,
# TCP_NODELAY, SO_RCVBUF/SO_SNDBUF, SO_LINGER, TCP_USER_TIMEOUT,
# TCP_CONGESTION, SO_MARK, SO_PRIORITY, IP_TOS or IPV6_TCLASS,
# SO_REUSEADDR, TCP_MAXSEG); "force", buffers forced past
# net.core.[wr]mem_max, which the import must not cap.
source "$(dirname "$0")/lib.sh"

need python3 socat

T="$REPO/tests/lib/sockopts.py"
modules_load
topology peer A
ip netns exec "${NS[peer]}" socat TCP6-LISTEN:7100,ipv6only=0,fork,reuseaddr PIPE \
	</dev/null >/dev/null 2>&1 &
echo_pid=$!
wait_for listening peer 7100

for fam in v4 v6; do
	if [[ $fam == v4 ]]; then peer=$(ip4 peer) flag=; else peer=$(ip6 peer) flag=--v6; fi
	for set in user force; do
		rc=0
		out=$(n A python3 "$T" "$peer" 7100 "$set" $flag 2>&1) || rc=$?
		sed 's/^/#   /' <<<"$out"
		for opt in $(awk '$1 == "same" || $1 == "differs" { print $2 }' <<<"$out"); do
			expect "$fam $set: $opt survives the hand-over" \
				"$(awk -v o="$opt" '$2 == o { print $1 }' <<<"$out")" same
		done
		want=2
		[[ $set == force ]] || want=15
		expect "$fam $set: all $want options read back on both sockets" \
			"$(grep -cE '^(same|differs) ' <<<"$out")" "$want"
		expect "$fam $set: the imported socket echoes 300000 bytes" \
			"$(grep '^echo ok' <<<"$out")" "echo ok 300000"
		expect "$fam $set: sockopts.py exit status" "$rc" 0
	done
done
expect "nothing left staged or held on A" \
	"$(n A python3 "$NL_TOOL" send --dump SOCKMI_CMD_GET_STAGED)" "OK 0 messages"
kill "$echo_pid" 2>/dev/null
finish
