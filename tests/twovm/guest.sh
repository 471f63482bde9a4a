#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# One side of tests/twovm/run, inside its VM:
#
#   VM 1: peer (10.77.0.1) --+-- br0 -- NIC ==== QEMU socket ==== NIC -- B (10.77.0.3)   VM 2
#         A    (10.77.0.2) --+
#
#   tests/twovm/guest.sh A|B DIR
#
# DIR is a directory of the shared repository both VMs see; the two sides
# meet there (ready/exported/done files, the stream's state file, the key).
# A owns the service address 10.77.0.100 and a server streaming a pattern
# to the peer; it exports the server's socket by sysctl to B; sockmid on
# both sides carries it over the wire, B takes the address over and a
# process on B imports the socket and finishes the stream. TAP lines.
source "$(dirname "$0")/../netns/lib.sh"
TEST_NAME=twovm-$1

role=$1 dir=$2
T="$REPO/tests/lib/sockmi_test.py"
SOCKMID="$REPO/userland/sockmid/sockmid"
SERVICE=10.77.0.100
BYTES=${TWOVM_BYTES:-3000000}
RATE=200000
PORT=7301

# wait_file F: until F exists, up to 5 minutes (the other VM boots too).
wait_file() {
	local i
	for ((i = 0; i < 3000; i++)); do
		[[ -e $1 ]] && return 0
		sleep 0.1
	done
	echo "# $TEST_NAME: gave up waiting for $1"
	return 1
}

modules_load
nic=$(ip -o link show | awk -F': ' '$2 != "lo" { print $2; exit }')
[[ -n $nic ]] || { not_ok "a network device"; exit 1; }

start_sockmid() {
	ip netns exec "${NS[$1]}" "$SOCKMID" --foreground --config /dev/null \
		--key "$dir/key" --iface eth0 --timeout 10000 \
		--takeover "$SERVICE/24" --no-rules --verbose >"$dir/$1.log" 2>&1 &
	DAEMON=$!
	wait_for grep -q 'started (' "$dir/$1.log" || true
}

case $role in
A)
	# The bridge of this VM joins the peer, A and the wire to VM 2.
	topology peer A
	ip link set "$nic" netns "${NS[sw]}"
	ip -n "${NS[sw]}" link set "$nic" master br0 up
	n A ip addr add "$SERVICE/24" dev eth0
	n A sysctl -qw net.sockmi.export_timeout=600
	start_sockmid A
	check "A: sockmid started" grep -q 'started (' "$dir/A.log"
	check "A: B is ready (the other VM)" wait_file "$dir/B.ready"
	n A python3 "$T" serve $PORT "$dir/s1" "$BYTES" >"$dir/serve.log" 2>&1 &
	srv=$!
	wait_for listening A $PORT
	n peer python3 "$T" peer $SERVICE $PORT "$BYTES" --rate $RATE \
		--release "$dir/s1.go" >"$dir/peer.log" 2>&1 &
	peer=$!
	check "A: the peer streams to the server" wait_file "$dir/s1.owner"
	own=$(cat "$dir/s1.owner")
	pid=$(sed 's/.*"pid": \([0-9]*\).*/\1/' <<<"$own")
	fd=$(sed 's/.*"fd": \([0-9]*\).*/\1/' <<<"$own")
	check "A: exported by sysctl to B" \
		n A sysctl -qw net.sockmi.export="pid=$pid fd=$fd to=10.77.0.3"
	touch "$dir/A.exported"
	check "A: sockmid logged the export" \
		wait_for grep -q "export id=[0-9]* tuple=$SERVICE:$PORT-" "$dir/A.log"
	touch "$dir/s1.go"
	check_wait "A: the server saw its socket go" "$srv"
	check_wait "A: the peer verified every byte both ways" "$peer"
	check "A: the move was committed" \
		grep -Eq "export id=[0-9]+ tuple=$SERVICE:$PORT-10.77.0.1:[0-9]+ .*to=10.77.0.3 .*result=committed$" "$dir/A.log"
	check_not "A: gave the service address up" \
		bash -c "ip -n ${NS[A]} -o addr show dev eth0 | grep -q ' $SERVICE/'"
	expect "A: nothing held or redirected here" \
		"$(n A python3 "$NL_TOOL" send --dump SOCKMI_CMD_GET_FLOW)" "OK 0 messages"
	sed 's/^/#   /' "$dir/peer.log" "$dir/serve.log"
	touch "$dir/A.done"
	;;
B)
	# This VM is host B alone: its NIC is B's eth0.
	add_host B 3
	ip link set "$nic" netns "${NS[B]}" name eth0
	n B ip addr add 10.77.0.3/24 dev eth0
	n B ip addr add fd77::3/64 dev eth0 nodad
	n B ip link set eth0 up
	start_sockmid B
	check "B: sockmid started" grep -q 'started (' "$dir/B.log"
	touch "$dir/B.ready"
	check "B: A exported (the other VM)" wait_file "$dir/A.exported"
	check "B: imported the socket and finished the stream" \
		n B python3 "$T" resume "$dir/s1" "$BYTES"
	check "B: the import was activated" \
		grep -Eq "import id=[0-9]+ tuple=$SERVICE:$PORT-10.77.0.1:[0-9]+ .*to=10.77.0.3 .*result=activated$" "$dir/B.log"
	check "B: holds the service address" \
		bash -c "ip -n ${NS[B]} -o addr show dev eth0 | grep -q ' $SERVICE/'"
	check "B: A finished its side (the other VM)" wait_file "$dir/A.done"
	;;
*)
	echo "usage: $0 A|B DIR" >&2
	exit 2
	;;
esac
kill "$DAEMON" 2>/dev/null
wait "$DAEMON" 2>/dev/null
[[ $T_FAILED -eq 0 ]] || sed "s/^/#   [$role] /" "$dir/$role.log" | tail -n 30
finish
