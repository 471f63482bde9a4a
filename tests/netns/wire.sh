#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What the peer sees on the wire while the server end of its connection
# moves (issue 4):
#
#   peer (10.77.0.1, fd77::1) ---+
#   A    (10.77.0.2, fd77::2) ---+--- br0     service 10.77.0.100, fd77::100
#   B    (10.77.0.3, fd77::3) ---+
#   X    (not on the bridge: lo holds the service and the peer addresses)
#
# The peer is plain Python sockets (tests/lib/sockmi_test.py peer and
# tests/lib/wire.py); every byte is a fixed pseudo-random stream checked by
# its receiver, both ways. A capture on the peer proves no RST, no FIN before
# the last byte, the server's TSval never going back, and the options of
# the handshake. Cases:
#   1. 100 hand-overs X->Y->X... of one stream between two processes of A
#      (20 over IPv6);
#   2. a partially acknowledged head of the send queue at the checkpoint;
#   3. a receive queue larger than the default receive buffer;
#   4. timestamps, SACK, window scaling off at the peer, window scale 0
#      (small listener buffer) and 14 (huge tcp_rmem): same options after
#      every move;
#   5. staging a connection whose 4-tuple is in use in the importing
#      namespace fails with EADDRNOTAVAIL and its message, both connections
#      keep working;
#   6. the peer's segments reaching a frozen socket are neither acknowledged
#      (capture while frozen) nor lost (the importer on B reads them); IPv4
#      only, for time.
# Zero windows both ways are tests/netns/states.sh's "est" case.
source "$(dirname "$0")/lib.sh"

need python3 iptables ip6tables dumpcap tshark

T="$REPO/tests/lib/sockmi_test.py"
W="$REPO/tests/lib/wire.py"
TMO=300
tmp=$(mktemp -d)
modules_load
modprobe xt_string 2>/dev/null || true
topology peer A B
n A ip addr add 10.77.0.100/24 dev eth0
n A ip addr add fd77::100/64 dev eth0 nodad
# Exports are committed by hand, slowly under emulation.
n A sysctl -qw net.sockmi.export_timeout=600
n B sysctl -qw net.sockmi.export_timeout=600
# X: the importer of case 5, alone, with the 4-tuple already in use.
NS[X]=sockmi-X-$SUFFIX
ip netns add "${NS[X]}"
n X ip link set lo up
for a in 10.77.0.100/32 10.77.0.1/32 fd77::100/128 fd77::1/128; do
	n X ip addr add "$a" dev lo
done

# WIRE_CASES: the cases to run (numbers, default all), to debug one.
CASES=${WIRE_CASES:-1 2 3 4 5 6}
want() { [[ " $CASES " == *" $1 "* ]]; }
# took WHAT: how long a case took, for the suite's time budget.
took() { echo "# $TEST_NAME: $1 took $((SECONDS - START)) s"; START=$SECONDS; }
START=$SECONDS

# json FILE KEY: a number from the JSON an owner wrote (no Python: it
# starts slowly under emulation).
json() { sed "s/.*\"$2\": \([0-9]*\).*/\1/" "$1"; }
svc() { if [[ $1 == 6 ]]; then echo fd77::100; else echo 10.77.0.100; fi; }
own() { if [[ $1 == 6 ]]; then ip6 A; else ip4 A; fi; }
ipt() { if [[ $1 == 6 ]]; then echo ip6tables; else echo iptables; fi; }

# cap_start FILE PORT: dumpcap on the peer into FILE; $CAP is its pid.
cap_start() {
	# Not through n(): $! must be the capture itself, to stop it.
	ip netns exec "${NS[peer]}" timeout "$TMO" dumpcap -q -s 128 -i eth0 \
		-f "tcp port $2" -w "$1" >"$1.log" 2>&1 &
	CAP=$!
	wait_for grep -q Capturing "$1.log" || wait_for grep -q Capturing "$1.log"
}

# cap_stop FILE OUT [ABSOLUTE]: stop $CAP; OUT gets one line a frame:
# srcport,seq,len,ack,syn,rst,fin,nxtseq,tsval,option kinds;wscale
# (sequence numbers relative, or absolute with ABSOLUTE).
cap_stop() {
	local rel=TRUE
	[[ -z ${3:-} ]] || rel=FALSE
	# dumpcap drops what it has not read yet when told to stop.
	sleep 2
	kill -INT "$CAP" 2>/dev/null || true
	wait "$CAP" || true
	tshark -r "$1" -o "tcp.relative_sequence_numbers:$rel" -T fields \
		-E separator=, -E aggregator=';' -e tcp.srcport -e tcp.seq \
		-e tcp.len -e tcp.ack -e tcp.flags.syn -e tcp.flags.reset \
		-e tcp.flags.fin -e tcp.nxtseq -e tcp.options.timestamp.tsval \
		-e tcp.option_kind -e tcp.options.wscale.shift 2>/dev/null |
		sed 's/True/1/g; s/False/0/g' >"$2"
}

# syn_opts CAPTXT PORT: "SYN-options SYNACK-options", each as ws=N,sack,ts.
syn_opts() {
	awk -F, -v p="$2" '$5 == 1 {
		k = ";" $10 ";"; o = ""
		if (k ~ /;3;/) o = o "ws=" $11
		if (k ~ /;4;/) o = o (o == "" ? "" : ",") "sack"
		if (k ~ /;8;/) o = o (o == "" ? "" : ",") "ts"
		if (o == "") o = "none"
		if ($1 == p) synack = o; else syn = o
	} END { print syn, synack }' "$1"
}

# wire_checks WHAT CAPTXT PORT SRVBYTES PEERBYTES: no RST, each FIN right
# after its side's last byte, the server's TSval never going back.
wire_checks() {
	local what=$1 c=$2 port=$3 back
	expect "$what: peer captured the stream" "$(wc -l <"$c")" "[1-9][0-9]*"
	# An RST the peer sends after both FINs were exchanged and its own
	# acknowledged (its socket is gone) answers a second ACK of its FIN:
	# most likely the importer's TIME_WAIT answering the peer's last pure
	# ACK, reordered behind its FIN by veth (README, "Limits that
	# remain"). Counted apart and shown, not hidden; any other RST fails.
	local rst late
	read -r rst late < <(awk -F, -v p="$port" '
		$1 != p && $7 == 1 { pfin = $8 }
		$1 == p && $7 == 1 { sfin = 1 }
		$1 == p && pfin != "" && $4 == pfin && sfin { closed = 1 }
		$6 == 1 { if (closed && $1 != p) late++; else rst++ }
		END { print rst + 0, late + 0 }' "$c")
	expect "$what: no RST either way" "$rst" 0
	[[ $late -eq 0 ]] ||
		echo "# $TEST_NAME: $what: $late RST(s) from the peer after the close, answering a second ACK of its FIN (see README)"
	# Which side, and what came just before: the frames around each RST.
	awk -F, '{ l[NR] = $0; if ($6 == 1) for (j = NR - 6; j <= NR; j++) w[j] = 1 }
		END { for (j = 1; j <= NR; j++) if (j in w) print "#   frame " j ": " l[j] }' "$c"
	expect "$what: the server's FIN only after its last byte" \
		"$(awk -F, -v p="$port" '$1 == p && $7 == 1 { print $8 }' "$c" | sort -u | tr '\n' ' ')" \
		"$(($4 + 2)) "
	expect "$what: the peer's FIN only after its last byte" \
		"$(awk -F, -v p="$port" '$1 != p && $7 == 1 { print $8 }' "$c" | sort -u | tr '\n' ' ')" \
		"$(($5 + 2)) "
	# veth may deliver two segments out of their order (per-CPU backlogs):
	# a segment is wrong only if its TSval is below one already seen while
	# it is not older (in ACK and in sequence) than the segment that
	# carried that TSval.
	back=$(awk -F, -v p="$port" '$1 == p && $9 != "" {
		if (seen && $9 + 0 < max && $4 + 0 >= mack && $8 + 0 >= mnxt &&
		    ($4 + 0 > mack || $8 + 0 > mnxt))
			printf "frame %d: %s after frame %d: %s\n", NR, $0, mnr, mline
		if (!seen || $9 + 0 >= max) {
			max = $9 + 0; mack = $4 + 0; mnxt = $8 + 0; mnr = NR; mline = $0
		}
		seen = 1
	}' "$c" | head -n 3)
	expect "$what: the server's TSval never goes back" "$back" ""
}

# 1. and 4. pingpong WHAT FAMILY PORT ROUNDS BYTES SYNOPTS [--rcvbuf N]:
# ROUNDS hand-overs between two processes of A; the handshake's options
# must be SYNOPTS ("SYN SYNACK", see syn_opts).
pingpong() {
	local what=$1 fam=$2 port=$3 rounds=$4 bytes=$5 want=$6 d addr v6='' srv peer
	local got ws snd rcv
	shift 6
	d=$tmp/$what
	mkdir -p "$d"
	addr=$(own "$fam")
	[[ $fam == 4 ]] || v6=--v6
	cap_start "$d/cap.pcapng" "$port"
	n A timeout "$TMO" python3 "$W" pingpong "$port" "$addr" "$bytes" "$rounds" \
		"$d" $v6 "$@" >"$d/server.log" 2>&1 &
	srv=$!
	wait_for listening A "$port"
	n peer timeout "$TMO" python3 "$T" peer "$addr" "$port" "$bytes" >"$d/peer.log" 2>&1 &
	peer=$!
	check_wait "$what: $rounds hand-overs, the server verified every byte" $srv
	check_wait "$what: the peer verified every byte both ways" $peer
	cap_stop "$d/cap.pcapng" "$d/cap.txt"
	wire_checks "$what" "$d/cap.txt" "$port" "$bytes" "$bytes"
	got=$(syn_opts "$d/cap.txt" "$port")
	expect "$what: handshake options" "$got" "$want"
	# The first socket's window scales, which every import kept, are the
	# handshake's (0 without the option).
	read -r snd rcv _ <"$d/wscale" || true
	ws=$(awk -v g="$got" 'BEGIN {
		split(g, s, " ")
		for (i = 1; i <= 2; i++)
			v[i] = match(s[i], /ws=[0-9]+/) ? substr(s[i], RSTART + 3, RLENGTH - 3) : 0
		if (s[1] !~ /ws=/ || s[2] !~ /ws=/)
			v[1] = v[2] = 0
		print v[1], v[2]
	}')
	expect "$what: window scales kept across every move are the handshake's" \
		"$snd $rcv" "$ws"
	[[ $T_FAILED -eq 0 ]] || sed 's/^/#   /' "$d"/*.log
}

if want 1; then
	pingpong v4-100-moves 4 7401 100 3000000 "ws=7,sack,ts ws=7,sack,ts"
	took "v4-100-moves"
	pingpong v6-10-moves 6 7402 10 500000 "ws=7,sack,ts ws=7,sack,ts"
	took "v6-10-moves"
fi

# 2. partial FAMILY PORT
partial() {
	local v6=()
	[[ $1 == 4 ]] || v6=(--v6)
	local fam=$1 port=$2 what="v$1-partial-ack" d addr ipt srv peer imp mark c
	d=$tmp/$what
	mkdir -p "$d"
	addr=$(own "$fam")
	ipt=$(ipt "$fam")
	mark=$(python3 "$W" marker)
	n A sysctl -qw net.ipv4.tcp_autocorking=0
	cap_start "$d/cap.pcapng" "$port"
	n A timeout "$TMO" python3 "$W" partial-owner "$port" "$addr" "$d" \
		"${v6[@]}" >"$d/owner.log" 2>&1 &
	srv=$!
	wait_for listening A "$port"
	n peer timeout "$TMO" python3 "$W" partial-peer "$addr" "$port" "$d" >"$d/peer.log" 2>&1 &
	peer=$!
	n A timeout "$TMO" python3 "$W" partial-importer "$d" >"$d/importer.log" 2>&1 &
	imp=$!
	wait_for test -e "$d/connected"
	check "$what: the peer drops its ACKs" \
		n peer "$ipt" -I OUTPUT -p tcp --dport "$port" -j DROP
	check "$what: the peer drops the segments with the marker" \
		n peer "$ipt" -I INPUT -p tcp --sport "$port" -m string \
		--hex-string "$mark" --algo bm -j DROP
	touch "$d/send"
	check "$what: the owner retransmitted" wait_for test -e "$d/retransmitted"
	n peer "$ipt" -D OUTPUT -p tcp --dport "$port" -j DROP
	touch "$d/speak"
	check "$what: the owner exported itself once its head was partly acknowledged" \
		wait_for test -e "$d/owner"
	n peer "$ipt" -D INPUT -p tcp --sport "$port" -m string \
		--hex-string "$mark" --algo bm -j DROP
	check_wait "$what: the importer read the peer's bytes and replied" $imp
	check_wait "$what: the peer got every byte once, in order" $peer
	check_wait "$what: the old owner ended" $srv
	expect "$what: exported with the chunks before the hole acknowledged" \
		"$(cat "$d/owner.log")" "*exported with 300 of 1000 bytes acknowledged*"
	n A sysctl -qw net.ipv4.tcp_autocorking=1
	c=$d/cap.txt
	cap_stop "$d/cap.pcapng" "$c"
	expect "$what: a retransmission carried acknowledged and unacknowledged bytes in one segment" \
		"$(awk -F, -v p="$port" '$1 == p && $2 < 301 && $2 + $3 > 301' "$c" | wc -l)" "[1-9]*"
	expect "$what: the peer acknowledged up to the hole only" \
		"$(awk -F, -v p="$port" '$1 != p && $4 == 301' "$c" | wc -l)" "[1-9]*"
	wire_checks "$what" "$c" "$port" 51000 1000
	[[ $T_FAILED -eq 0 ]] || sed 's/^/#   /' "$d"/*.log
}

if want 2; then
	partial 4 7411
	partial 6 7412
	took "partial-ack"
fi

# 3. bigrcv FAMILY PORT
bigrcv() {
	local v6=()
	[[ $1 == 4 ]] || v6=(--v6)
	local fam=$1 port=$2 what="v$1-big-receive-queue" d addr srv peer imp q
	d=$tmp/$what
	mkdir -p "$d"
	addr=$(own "$fam")
	cap_start "$d/cap.pcapng" "$port"
	n A timeout "$TMO" python3 "$W" bigrcv-owner "$port" "$addr" "$d" \
		"${v6[@]}" >"$d/owner.log" 2>&1 &
	srv=$!
	wait_for listening A "$port"
	n peer timeout "$TMO" python3 "$W" bigrcv-peer "$addr" "$port" "$d" >"$d/peer.log" 2>&1 &
	peer=$!
	recvq() { q=$(n A ss -Htn "sport = :$port" | awk '{ print $2 }'); [[ ${q:-0} -ge $1 ]]; }
	check "$what: more than four times the default receive buffer queued" \
		wait_for recvq $((4 * 131072))
	n A timeout "$TMO" python3 "$W" bigrcv-importer "$d" >"$d/importer.log" 2>&1 &
	imp=$!
	touch "$d/move"
	check_wait "$what: the importer read every byte once, in order" $imp
	check_wait "$what: the peer verified the reply" $peer
	check_wait "$what: the old owner ended" $srv
	cap_stop "$d/cap.pcapng" "$d/cap.txt"
	wire_checks "$what" "$d/cap.txt" "$port" 50000 1200000
	[[ $T_FAILED -eq 0 ]] || sed 's/^/#   /' "$d"/*.log
}

if want 3; then
	bigrcv 4 7421
	bigrcv 6 7422
	took "big-receive-queue"
fi

# 4. Options off at the peer, extreme window scales.
if want 4; then
	n peer sysctl -qw net.ipv4.tcp_timestamps=0
	pingpong v4-timestamps-off 4 7431 2 150000 "ws=7,sack ws=7,sack"
	n peer sysctl -qw net.ipv4.tcp_timestamps=1
	n peer sysctl -qw net.ipv4.tcp_sack=0
	pingpong v4-sack-off 4 7432 2 150000 "ws=7,ts ws=7,ts"
	n peer sysctl -qw net.ipv4.tcp_sack=1
	n peer sysctl -qw net.ipv4.tcp_window_scaling=0
	pingpong v6-window-scaling-off 6 7433 2 150000 "sack,ts sack,ts"
	n peer sysctl -qw net.ipv4.tcp_window_scaling=1
	pingpong v4-wscale-0 4 7434 2 150000 "ws=7,sack,ts ws=0,sack,ts" --rcvbuf 60000
	rmem=$(n A sysctl -n net.ipv4.tcp_rmem)
	n A sysctl -qw net.ipv4.tcp_rmem="4096 131072 1073741824"
	n peer sysctl -qw net.ipv4.tcp_rmem="4096 131072 1073741824"
	pingpong v4-wscale-14 4 7435 2 150000 "ws=14,sack,ts ws=14,sack,ts"
	n A sysctl -qw net.ipv4.tcp_rmem="$rmem"
	n peer sysctl -qw net.ipv4.tcp_rmem="$rmem"
	took "options"
fi

# 5. conflict FAMILY PORT: the 4-tuple is taken in X.
conflict() {
	local v6=()
	[[ $1 == 4 ]] || v6=(--v6)
	local fam=$1 port=$2 what="v$1-tuple-in-use" d addr peeraddr srv peer pair id out
	d=$tmp/$what
	mkdir -p "$d"
	addr=$(svc "$fam")
	peeraddr=$(if [[ $fam == 6 ]]; then ip6 peer; else ip4 peer; fi)
	n A timeout "$TMO" python3 "$T" serve "$port" "$d/s" 200000 --rate 100000 \
		"${v6[@]}" >"$d/serve.log" 2>&1 &
	srv=$!
	wait_for listening A "$port"
	n peer timeout "$TMO" python3 "$T" peer "$addr" "$port" 200000 --rate 100000 \
		--release "$d/go" >"$d/peer.log" 2>&1 &
	peer=$!
	check "$what: the server accepted" wait_for test -e "$d/s.owner"
	n X timeout "$TMO" python3 "$W" pair "$addr" "$port" "$peeraddr" \
		"$(json "$d/s.owner" port)" "$d" >"$d/pair.log" 2>&1 &
	pair=$!
	check "$what: X has a connection with the same 4-tuple" wait_for test -e "$d/pair"
	id=$(n A python3 "$T" export "$(json "$d/s.owner" pid)" "$(json "$d/s.owner" fd)" 2>&1) || true
	expect "$what: exported from A" "$id" "[0-9]*"
	check "$what: checkpoint fetched" n A python3 "$T" fetch "$id" "$d/ckpt"
	out=$(n X python3 "$T" stage "$d/ckpt" 2>&1) || true
	expect "$what: stage refused with EADDRNOTAVAIL and why" "$out" \
		"*EADDRNOTAVAIL*The connection already exists in this namespace*"
	out=$(n X python3 "$T" stage "$d/ckpt" --pending 2>&1) || true
	expect "$what: pending stage refused the same way" "$out" \
		"*EADDRNOTAVAIL*The connection already exists in this namespace*"
	expect "$what: nothing staged or held in X" \
		"$(nl X send --dump SOCKMI_CMD_GET_STAGED) $(nl X send --dump SOCKMI_CMD_GET_FLOW)" \
		"OK 0 messages OK 0 messages"
	check "$what: the export aborted on A" n A python3 "$T" abort "$id"
	touch "$d/go" "$d/pair-go"
	check_wait "$what: A's owner finished its stream" $srv
	check_wait "$what: the peer verified every byte both ways" $peer
	check_wait "$what: X's connection carried its bytes both ways" $pair
	[[ $T_FAILED -eq 0 ]] || sed 's/^/#   /' "$d"/*.log
}

if want 5; then
	conflict 4 7441
	conflict 6 7442
	took "tuple-in-use"
fi

# 6. frozen FAMILY PORT: A to B with IP takeover, the peer sending all along.
frozen() {
	local v6=()
	[[ $1 == 4 ]] || v6=(--v6)
	local fam=$1 port=$2 what="v$1-frozen" d addr plen=24 srv peer res id sid nxt c
	local fc pport lt rt
	d=$tmp/$what
	mkdir -p "$d"
	addr=$(svc "$fam")
	local nodad=()
	[[ $fam == 4 ]] || plen=64 nodad=(nodad)
	cap_start "$d/cap.pcapng" "$port"
	local capall=$CAP
	n A timeout "$TMO" python3 "$T" serve "$port" "$d/s" 300000 --rate 100000 \
		"${v6[@]}" >"$d/serve.log" 2>&1 &
	srv=$!
	wait_for listening A "$port"
	n peer timeout "$TMO" python3 "$T" peer "$addr" "$port" 300000 --rate 100000 \
		--release "$d/go" >"$d/peer.log" 2>&1 &
	peer=$!
	check "$what: the server accepted" wait_for test -e "$d/s.owner"
	pport=$(json "$d/s.owner" port)
	id=$(n A python3 "$T" export "$(json "$d/s.owner" pid)" "$(json "$d/s.owner" fd)" 2>&1) || true
	expect "$what: exported (frozen) on A" "$id" "[0-9]*"
	# Checkpoint fetched and staged first: the peer, once it has sent to
	# the frozen socket, backs off its retransmissions; the move then
	# takes only the commit and the activation.
	check "$what: checkpoint fetched" n A python3 "$T" fetch "$id" "$d/ckpt"
	nxt=$(python3 "$W" rcvnxt "$d/ckpt")
	sid=$(n B python3 "$T" stage "$d/ckpt" --pending 2>&1) || true
	expect "$what: staged on B, pending" "$sid" "[0-9]*"
	cap_start "$d/freeze.pcapng" "$port"
	# The peer has been retransmitting to the frozen socket, backing off;
	# the capture must see one more of its segments, whenever it comes.
	retrans_bytes() {
		n peer ss -Htin "dport = :$port" | grep -o 'bytes_retrans:[0-9]*' | cut -d: -f2
	}
	local r0
	r0=$(retrans_bytes) || true
	# The peer kept its last byte back until now: it sends it to the
	# frozen socket.
	touch "$d/go"
	peer_resent() {
		local r
		r=$(retrans_bytes) || return 1
		[[ ${r:-0} -gt ${r0:-0} ]]
	}
	check "$what: the peer sent to the frozen socket and resent" wait_for peer_resent
	cap_stop "$d/freeze.pcapng" "$d/freeze.txt" absolute
	fc=$d/freeze.txt
	# The peer's data reached the frozen socket: bytes the checkpoint
	# holds already (received, never acknowledged) when the freeze caught
	# them in flight, else bytes beyond its rcv_nxt. Either way B must
	# read each once (checked below), and none may be acknowledged.
	expect "$what: while frozen, the peer's data segments reached it" \
		"$(awk -F, -v p="$port" '$1 != p && $3 > 0 { c++ } END { print c + 0 }' "$fc")" "[1-9]*"
	# Sequence space wraps: differences modulo 2^32, signed.
	echo "#   while frozen: $(awk -F, -v p="$port" -v n="$nxt" '$1 != p && $3 > 0 {
		d = ($2 + $3 - n) % 4294967296; if (d < 0) d += 4294967296
		if (d > 0 && d < 2147483648) c++; else h++ }
		END { printf "%d peer segments beyond rcv_nxt, %d within", c, h }' "$fc")"
	expect "$what: while frozen, no ACK from the server beyond rcv_nxt" \
		"$(awk -F, -v p="$port" -v n="$nxt" '$1 == p && $4 != "" {
			d = ($4 - n) % 4294967296; if (d < 0) d += 4294967296
			if (d > 0 && d < 2147483648) c++ } END { print c + 0 }' "$fc")" 0
	check "$what: commit on A" n A python3 "$T" commit "$id"
	n A ip addr del "$addr/$plen" dev eth0
	n B ip addr add "$addr/$plen" dev eth0 "${nodad[@]}"
	n peer ip neigh flush dev eth0
	check "$what: activate on B" n B python3 "$T" activate "$sid"
	n B timeout "$TMO" python3 "$T" resume "$d/s" 300000 >"$d/resume.log" 2>&1 &
	res=$!
	check_wait "$what: B read every byte once, in order, and finished" $res
	check_wait "$what: the peer verified every byte both ways" $peer
	check_wait "$what: the old owner saw its socket go" $srv
	CAP=$capall
	cap_stop "$d/cap.pcapng" "$d/cap.txt"
	wire_checks "$what" "$d/cap.txt" "$port" 300000 300000
	if [[ $fam == 4 ]]; then
		lt="$addr:$port" rt="$(ip4 peer):$pport"
	else
		lt="[$addr]:$port" rt="[$(ip6 peer)]:$pport"
	fi
	check "$what: A's hold lifted" n A python3 "$T" flow del any "$lt" "$rt"
	n B ip addr del "$addr/$plen" dev eth0
	n A ip addr add "$addr/$plen" dev eth0 "${nodad[@]}"
	[[ $T_FAILED -eq 0 ]] || sed 's/^/#   /' "$d"/*.log
}

if want 6; then
	frozen 4 7451
	took "frozen"
fi

rm -rf "$tmp"
finish
