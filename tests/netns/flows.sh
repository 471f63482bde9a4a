#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The flow commands of the family with xt_SOCKMI (no socket moves here):
#
#   peer (10.77.0.1, fd77::1) ---+--- br0 ---+--- A (10.77.0.2, fd77::2)
#                                            +--- B (10.77.0.3, fd77::3)
#
# What each action accepts and refuses, and why (extack messages); one flow
# per connection, replaced atomically on request; deletion by tuple and
# action; holds and flows in one dump, across many messages; conntrack
# entries deleted by exact tuple, other connections' left alone; without
# xt_SOCKMI, every action but HOLD says that it needs it.
source "$(dirname "$0")/lib.sh"

need python3 conntrack iptables ip6tables socat

XTABLES_LIBDIR="$REPO/userland/iptables:$(pkg-config --variable=xtlibdir xtables 2>/dev/null ||
	echo /usr/lib/x86_64-linux-gnu/xtables)"
export XTABLES_LIBDIR
T="$REPO/tests/lib/sockmi_test.py"
modules_load
topology peer A B

# batch HOST "COMMAND|PATTERN"...: the sockmi_test.py commands in one
# process on HOST (Python starts slowly in the VM), one check each.
batch() {
	local h=$1 c i out
	local -a cmds=() pats=()
	shift
	for c in "$@"; do
		cmds+=("${c%%|*}")
		pats+=("${c#*|}")
	done
	mapfile -t out < <(printf '%s\n' "${cmds[@]}" | n "$h" python3 "$T" batch 2>&1)
	for i in "${!cmds[@]}"; do
		expect "$h: ${cmds[i]}" "${out[i]-(no answer)}" "${pats[i]}"
	done
}
flows() { n "$1" python3 "$T" flows 2>&1 | sort | tr '\n' ';'; }

L=10.77.0.2:80
R=10.77.0.1:5555
L6='[fd77::2]:80'
R6='[fd77::1]:5555'

batch A \
	"flow new redirect $L $R 10.77.0.3|ERROR ENOENT: No 'iptables -t raw -A PREROUTING -j SOCKMI' rule in this namespace" \
	"flow new takeover $L $R|OK" \
	"flow del takeover $L $R|OK"
for h in A B; do
	n "$h" iptables -t raw -A PREROUTING -j SOCKMI
done

batch A \
	"flow new redirect $L $R 10.77.0.3|OK" \
	"flow new redirect $L $R 10.77.0.3|ERROR EEXIST: The connection has a flow already*" \
	"flow new takeover $L $R|ERROR EEXIST: *" \
	"flow replace redirect $L $R 10.77.0.9|OK" \
	"flow new redirect 10.77.0.2:81 $R 10.77.0.2|ERROR EINVAL: A flow cannot be redirected to this host" \
	"flow new redirect 10.77.0.7:80 $R 10.77.0.3|ERROR EADDRNOTAVAIL: Only the host that has the flow's local address can redirect it" \
	"flow new answer_as 10.77.0.2:82 $R 10.77.0.2|ERROR EINVAL: The flow's local address is this host's: that is a TAKEOVER" \
	"flow new redirect $L6 $R6 fd77::3|ERROR ENOENT: No 'ip6tables -t raw -A PREROUTING -j SOCKMI' rule in this namespace" \
	"flow new redirect $L $R|ERROR EINVAL: Missing attribute SOCKMI_FLOW_A_VIA*" \
	"flow new takeover 10.77.0.2:83 $R 10.77.0.3|ERROR EINVAL: Only REDIRECT and ANSWER_AS flows take an address*" \
	"flow new redirect 10.77.0.2:84 $R fd77::3|ERROR EINVAL: Address length does not match its family*" \
	"flow new 9 $L $R|ERROR ERANGE: *" \
	"flow del redirect $L $R 10.77.0.9|ERROR EINVAL: Deleting a flow takes its tuple and action only*" \
	"flow del takeover $L $R|ERROR ENOENT: The connection's flow has another action" \
	"commit 1 answer_as $L $R 10.77.0.2|ERROR EINVAL: ANSWER_AS flows belong on the importer*" \
	"commit 99 redirect $L $R 10.77.0.3|ERROR ENOENT: No export with this id" \
	"flow new hold $L $R|OK" \
	"flow new hold $L $R|ERROR EEXIST: The flow is held already" \
	"flow replace hold $L $R|OK"
expect "A: a hold and a redirect for one connection, side by side" "$(flows A)" \
	"hold $L $R - 0;redirect $L $R 10.77.0.9 0;"
batch A \
	"flow del any $L $R|OK" \
	"flow del any $L $R|ERROR ENOENT: No such flow" \
	"flow new hold $L $R|OK" \
	"flow del hold $L $R|OK" \
	"flow del hold $L $R|ERROR ENOENT: No such flow"

n A ip6tables -t raw -A PREROUTING -j SOCKMI
n B ip6tables -t raw -A PREROUTING -j SOCKMI
batch B \
	"flow new answer_as $L $R 10.77.0.3|OK" \
	"flow new answer_as 10.77.0.5:80 $R 10.77.0.3|ERROR EEXIST: Another flow's packets arrive at the same address and ports" \
	"flow new answer_as 10.77.0.5:80 $R 10.77.0.9|ERROR EADDRNOTAVAIL: The address of an ANSWER_AS flow must be one of this host's" \
	"flow new redirect $L $R 10.77.0.4|ERROR EADDRNOTAVAIL: *" \
	"flow new takeover $L $R|ERROR EEXIST: *" \
	"flow replace answer_as $L $R 10.77.0.3|OK" \
	"flow new answer_as $L6 $R6 fd77::3|OK" \
	"flow new takeover 10.77.0.2:81 $R|OK"
expect "B: its flows, IPv4 and IPv6" "$(flows B)" \
	"answer_as $L $R 10.77.0.3 0;answer_as fd77::2:80 fd77::1:5555 fd77::3 0;takeover 10.77.0.2:81 $R - 0;"

# A dump of many flows spans many messages and loses none.
expect "A: 400 flows entered" "$(for ((i = 0; i < 400; i++)); do
	echo "flow new takeover 10.77.0.2:$((2000 + i)) $R"
done | n A python3 "$T" batch | sort | uniq -c | awk '{ print $1, $2 }')" "400 OK"
expect "A: all 400 dumped" "$(n A python3 "$T" flows | wc -l)" 400
expect "A: the same through the raw tool" \
	"$(nl A send --dump SOCKMI_CMD_GET_FLOW)" "OK 400 messages"

# Conntrack: entering a flow deletes its connection's entry, no other.
n A iptables -A INPUT -m conntrack --ctstate INVALID -j DROP
# Not through n(): the pids must be the processes themselves, to end them;
# their output must not hold the test's.
ip netns exec "${NS[A]}" socat TCP-LISTEN:9000,fork,reuseaddr EXEC:'sleep 30' \
	>/dev/null 2>&1 &
listener=$!
wait_for listening A 9000
ip netns exec "${NS[peer]}" socat -u TCP:10.77.0.2:9000,sourceport=6001 \
	EXEC:'sleep 30' >/dev/null 2>&1 &
c1=$!
ip netns exec "${NS[peer]}" socat -u TCP:10.77.0.2:9000,sourceport=6002 \
	EXEC:'sleep 30' >/dev/null 2>&1 &
c2=$!
ct() { n A conntrack -L -p tcp 2>/dev/null | grep -c "sport=$1 " || true; }
wait_for bash -c "[[ \$(ip netns exec ${NS[A]} conntrack -L -p tcp 2>/dev/null | grep -c 'dport=9000 .*ASSURED') == 2 ]]"
expect "A: two connections tracked" "$(ct 6001) $(ct 6002)" "1 1"
batch A "flow new takeover 10.77.0.2:9000 10.77.0.1:6001|OK"
expect "A: the flow's entry deleted, the other kept" "$(ct 6001) $(ct 6002)" "0 1"
batch A "flow new hold 10.77.0.2:9000 10.77.0.1:6002|OK" \
	"flow del hold 10.77.0.2:9000 10.77.0.1:6002|OK"
expect "A: holds leave conntrack alone" "$(ct 6002)" 1
batch A "flow new redirect 10.77.0.2:9000 10.77.0.1:6002 10.77.0.3|OK"
expect "A: a redirect deletes its entry" "$(ct 6002)" 0
kill "$c1" "$c2" "$listener" 2>/dev/null || true
wait "$c1" "$c2" "$listener" 2>/dev/null || true

# Without xt_SOCKMI: HOLD still works, nothing else does, and says why.
for h in A B; do
	n "$h" iptables -t raw -F
	n "$h" ip6tables -t raw -F
done
check "xt_SOCKMI unloads with flows in its tables" rmmod xt_SOCKMI
batch A \
	"flow new redirect $L $R 10.77.0.3|ERROR EOPNOTSUPP: This flow action needs xt_SOCKMI, which is not loaded" \
	"flow del takeover $L $R|ERROR EOPNOTSUPP: This flow action needs xt_SOCKMI, which is not loaded" \
	"commit 5 takeover $L $R|ERROR ENOENT: No export with this id" \
	"flow new hold $L $R|OK"
expect "A: without xt_SOCKMI the dump has the holds only" "$(flows A)" "hold $L $R - 0;"
batch A "flow del any $L $R|OK"
check "xt_SOCKMI loads again" insmod "$REPO/net/netfilter/xt_SOCKMI.ko"
expect "A: a fresh table" "$(flows A)" ""

finish
