#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The out-of-order queue moves with the socket:
#
#   peer (10.77.0.1, fd77::1) ---+
#   A    (10.77.0.2, fd77::2) ---+--- br0     service 10.77.0.100, fd77::100
#   B    (10.77.0.3, fd77::3) ---+
#
# The peer (plain Python sockets, tests/lib/ofo.py) sends four 1000-byte
# segments; a firewall rule on A drops the second one (the only bytes with
# a marker) every time it is sent, so A holds the third and fourth out of
# order and has SACKed them. A's socket is then moved to B with IP
# takeover, where nothing is dropped. The checkpoint must carry the two
# segments as one out-of-order range; B must report them in its SACK
# blocks right away (seen in a capture on the peer); every byte must reach
# the importer exactly once, in order, and the reply the peer. Inconsistent
# out-of-order attributes are refused with ERANGE and stage nothing.
source "$(dirname "$0")/lib.sh"

need python3 iptables ip6tables dumpcap tshark

O="$REPO/tests/lib/ofo.py"
T="$REPO/tests/lib/sockmi_test.py"
modules_load
modprobe xt_string 2>/dev/null || true
topology peer A B
n A ip addr add 10.77.0.100/24 dev eth0
n A ip addr add fd77::100/64 dev eth0 nodad
# Between the export and the commit come a dozen emulated python3 runs.
n A sysctl -qw net.sockmi.export_timeout=600
TMO=300

staged_none() {
	[[ $(nl B send --dump SOCKMI_CMD_GET_STAGED) == "OK 0 messages" ]]
}

# run_case FAMILY PORT
run_case() {
	local fam=$1 port=$2 d addr ep ipt=iptables v6= plen=24 id sid imp peer own
	local cap sack how out failed=$T_FAILED
	d=$(mktemp -d)
	if [[ $fam == v6 ]]; then
		addr=fd77::100 ipt=ip6tables v6=--v6 plen=64 ep="[fd77::100]:$port"
	else
		addr=10.77.0.100 ep="10.77.0.100:$port"
	fi
	check "$fam: A drops the marked segment" n A "$ipt" -I INPUT -p tcp \
		--dport "$port" -m string --string HOLEMARK --algo bm -j DROP
	n A python3 "$O" owner "$port" "$d" $v6 >"$d/owner.log" 2>&1 &
	own=$!
	wait_for listening A "$port"
	n peer python3 "$O" peer "$addr" "$port" "$d" >"$d/peer.log" 2>&1 &
	peer=$!
	check "$fam: four segments sent, the second dropped at A" \
		wait_for test -e "$d/sent"

	id=$(n A python3 "$T" export "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$d/owner")" \
		"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fd"])' "$d/owner")" 2>&1) || true
	expect "$fam: exported from A" "$id" "[0-9]*"
	check "$fam: checkpoint fetched" n A python3 "$T" fetch "$id" "$d/ckpt"
	expect "$fam: the checkpoint holds segments 3 and 4 as one out-of-order range" \
		"$(python3 "$O" blob "$d/ckpt")" "ofoq=2000 ranges=1000+2000 fin=0"
	if [[ $T_FAILED -ne $failed ]]; then
		n A ss -tnie "sport = :$port" | sed 's/^/#   /'
		n A "$ipt" -vnL INPUT | sed 's/^/#   /'
		n A python3 "$T" abort "$id" || true
		touch "$d/go" "$d/done"
		kill "$peer" "$own" 2>/dev/null || true
		wait || true
		n A "$ipt" -D INPUT -p tcp --dport "$port" -m string \
			--string HOLEMARK --algo bm -j DROP
		sed 's/^/#   /' "$d"/*.log
		return
	fi

	for how in at-rcv-nxt overlap touch empty sum no-ranges no-len far fin-before odd; do
		python3 "$O" mutate "$d/ckpt" "$how" "$d/bad" 2>&1
		out=$(n B python3 "$T" stage "$d/bad" --pending 2>&1) || true
		expect "$fam: out-of-order ranges $how: refused" "$out" "*ERANGE*"
	done
	check "$fam: nothing staged by the refused checkpoints" staged_none

	sid=$(n B python3 "$T" stage "$d/ckpt" --pending 2>&1) || true
	expect "$fam: staged in B, pending" "$sid" "[0-9]*"
	check "$fam: commit on A" n A python3 "$T" commit "$id"
	n A ip addr del "$addr/$plen" dev eth0
	n B ip addr add "$addr/$plen" dev eth0 ${v6:+nodad}
	n peer ip neigh flush dev eth0

	# Not through n(): $! must be the capture itself, to stop it.
	ip netns exec "${NS[peer]}" timeout "$TMO" dumpcap -q -s 128 -i eth0 \
		-f "tcp port $port" -w "$d/cap.pcapng" >"$d/dumpcap.log" 2>&1 &
	cap=$!
	check "$fam: capture runs on the peer" wait_for grep -q Capturing "$d/dumpcap.log"

	check "$fam: activate on B" n B python3 "$T" activate "$sid"
	n B timeout "$TMO" "$SOCKMICTL" import state connected local "$ep" \
		timeout 60000 --stdio -- python3 "$O" reader >"$d/reader.log" 2>&1 &
	imp=$!
	touch "$d/go"
	check_wait "$fam: the importer read every byte exactly once, in order" $imp
	check_wait "$fam: the peer verified the reply" $peer
	touch "$d/done"
	check_wait "$fam: the old owner ended" $own

	# dumpcap drops what it has not read yet when told to stop.
	sleep 2
	kill -INT "$cap" 2>/dev/null || true
	wait "$cap" || true
	sack=$(python3 "$O" sack "$d/ckpt")
	tshark -r "$d/cap.pcapng" -o tcp.relative_sequence_numbers:FALSE \
		-T fields -E separator=, -e tcp.srcport -e tcp.flags.reset \
		-e tcp.options.sack_le -e tcp.options.sack_re 2>/dev/null |
		sed 's/True/1/g; s/False/0/g' >"$d/cap.txt"
	expect "$fam: B's first segments SACK the carried range ($sack)" \
		"$(awk -F, -v p="$port" -v le="${sack% *}" -v re="${sack#* }" \
			'$1 == p && $3 ~ "(^|;)" le "($|;)" && $4 ~ "(^|;)" re "($|;)" { n++ }
			 END { print n + 0 }' "$d/cap.txt")" "[1-9]*"
	expect "$fam: no RST seen by the peer" \
		"$(awk -F, '$2 == 1' "$d/cap.txt" | wc -l)" "0"

	n A "$ipt" -D INPUT -p tcp --dport "$port" -m string --string HOLEMARK \
		--algo bm -j DROP
	n B ip addr del "$addr/$plen" dev eth0
	n A ip addr add "$addr/$plen" dev eth0 ${v6:+nodad}
	[[ $T_FAILED -eq $failed ]] || sed 's/^/#   /' "$d"/*.log
	rm -rf "$d"
}

run_case v4 7301
run_case v6 7302
finish
