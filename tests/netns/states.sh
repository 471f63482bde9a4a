#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every connected TCP state, over IPv4, IPv6 and v4-mapped IPv6, handed from
# one process to another with data in the queues:
#
#   peer (10.77.0.1, fd77::1) --- br0 --- A (10.77.0.2, fd77::2)
#
# tests/lib/states.py drives the peer and both server processes; the peer
# is plain Python sockets. Each case: every byte verified both ways, EOF
# exactly where due, the old descriptor dead, nothing left staged or held.
source "$(dirname "$0")/lib.sh"

need python3

S="$REPO/tests/lib/states.py"
T="$REPO/tests/lib/sockmi_test.py"
modules_load
topology peer A
port=7100

# run_case SCENARIO FAMILY: v4, v6 or mapped (IPv6 server, IPv4 peer).
run_case() {
	local scenario=$1 fam=$2 d srv peer imp own pid fd id v6= dst to
	d=$(mktemp -d)
	port=$((port + 1))
	case $fam in
	v4) dst=$(ip4 A) to=$(ip4 A) ;;
	v6) dst=$(ip6 A) to=$(ip6 A) v6=--v6 ;;
	mapped) dst=$(ip4 A) to=$(ip4 A) v6=--v6 ;;
	esac
	n A python3 "$S" owner "$scenario" $port "$d" $v6 >"$d/owner.log" 2>&1 &
	srv=$!
	wait_for listening A $port
	n peer python3 "$S" peer "$scenario" "$dst" $port "$d" >"$d/peer.log" 2>&1 &
	peer=$!
	if ! wait_long test -e "$d/owner"; then
		not_ok "$scenario/$fam: the connection reached its state"
		sed 's/^/#   /' "$d"/*.log
		kill $srv $peer 2>/dev/null
		return
	fi
	own=$(cat "$d/owner")
	pid=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["pid"])' "$own")
	fd=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["fd"])' "$own")
	id=$(n A python3 "$T" export "$pid" "$fd" "$to" 2>&1) || true
	expect "$scenario/$fam: exported and staged in one step" "$id" "[0-9]*"
	# shellcheck disable=SC2053
	if [[ $id != [0-9]* ]]; then
		# What became of the connection: both ends, as TCP sees them.
		echo "#   A: $(n A ss -Htanoi "sport = :$port" | tr '\n\t' '  ')"
		echo "#   peer: $(n peer ss -Htanoi "dport = :$port" | tr '\n\t' '  ')"
		n A nstat -az TcpExtTCPAbortOnData TcpExtTCPAbortOnClose TcpOutRsts TcpEstabResets 2>&1 | sed 's/^/#   A: /' || true
	fi
	n A python3 "$S" importer "$scenario" "$d" >"$d/importer.log" 2>&1 &
	imp=$!
	check_wait "$scenario/$fam: importer verified its side" $imp
	check_wait "$scenario/$fam: peer verified its side, EOF where due" $peer
	check_wait "$scenario/$fam: old descriptor dead" $srv
	expect "$scenario/$fam: nothing staged or held" \
		"$(n A python3 "$NL_TOOL" send --dump SOCKMI_CMD_GET_STAGED) $(n A python3 "$NL_TOOL" send --dump SOCKMI_CMD_GET_FLOW)" \
		"OK 0 messages OK 0 messages"
	[[ $T_FAILED -eq 0 ]] || sed 's/^/#   /' "$d"/*.log
	rm -rf "$d"
}

for scenario in est close_wait fin_wait1 fin_wait2 last_ack; do
	for fam in v4 v6 mapped; do
		run_case $scenario $fam
	done
done

finish
