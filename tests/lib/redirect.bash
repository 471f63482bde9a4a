# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers of the redirection tests (tests/netns/redirect*.sh), sourced after
# tests/netns/lib.sh. They expect T (tests/lib/sockmi_test.py), TMO (seconds
# a stream may take), tmp (a scratch directory) and, for capture_check and
# ipof, FAMILY (4 or 6).

# owner_pid|owner_fd FILE: from the JSON an owner of the socket wrote.
owner_pid() { sed 's/.*"pid": \([0-9]*\).*/\1/' "$1"; }
owner_fd() { sed 's/.*"fd": \([0-9]*\).*/\1/' "$1"; }
owner_port() { sed 's/.*"port": \([0-9]*\).*/\1/' "$1"; }
mac() { n "$1" cat /sys/class/net/eth0/address; }
# ct_count HOST PEERPORT: conntrack entries of the peer's connection.
ct_count() { n "$1" conntrack -L -p tcp 2>/dev/null | grep -c "port=$2 " || true; }
ct_state() { n "$1" conntrack -L -p tcp 2>/dev/null | grep "port=$2 " | awk '{ print $4 }'; }
# invalid HOST iptables|ip6tables: packets the firewall found INVALID.
invalid() {
	n "$1" "$2" -L INPUT -v -x -n | awk '/INVALID/ { s += $1 } END { print s + 0 }'
	n "$1" "$2" -L OUTPUT -v -x -n | awk '/INVALID/ { s += $1 } END { print s + 0 }'
}
flows() { n "$1" python3 "$T" flows 2>&1 | sort | tr '\n' ';'; }

# move WHAT FROM TO OWNERFILE NEXT LOCAL REMOTE HOW [RESUME_ARGS...]: move
# the socket of OWNERFILE's process from FROM to TO; the importer carries on
# with NEXT as its state file (empty: to the end). HOW says what redirects
# the peer's packets afterwards:
#   commit  FROM is the address owner: REDIRECT via TO, installed by COMMIT
#   replace A redirects: its REDIRECT is replaced by one via TO
#   home    TO is the address owner: its REDIRECT is deleted
move() {
	local what=$1 from=$2 to=$3 owner=$4 next=$5 local=$6 remote=$7 how=$8
	local id sid via
	shift 8
	via=$(ipof "$to")
	id=$(n "$from" python3 "$T" export "$(owner_pid "$owner")" "$(owner_fd "$owner")" 2>&1) || true
	expect "$what: export from $from" "$id" "[0-9]*"
	check "$what: checkpoint fetched" n "$from" python3 "$T" fetch "$id" "$tmp/ckpt"
	sid=$(n "$to" python3 "$T" stage "$tmp/ckpt" --pending 2>&1) || true
	expect "$what: staged on $to, pending" "$sid" "[0-9]*"
	case $how in
	commit)
		check "$what: ANSWER_AS on $to" \
			n "$to" python3 "$T" flow new answer_as "$local" "$remote" "$via"
		check "$what: commit on $from with REDIRECT via $to" \
			n "$from" python3 "$T" commit "$id" redirect "$local" "$remote" "$via"
		;;
	replace)
		check "$what: ANSWER_AS on $to" \
			n "$to" python3 "$T" flow new answer_as "$local" "$remote" "$via"
		check "$what: A's REDIRECT replaced, via $to" \
			n A python3 "$T" flow replace redirect "$local" "$remote" "$via"
		check "$what: commit on $from" n "$from" python3 "$T" commit "$id"
		;;
	home)
		check "$what: A's REDIRECT deleted" \
			n "$to" python3 "$T" flow del redirect "$local" "$remote"
		check "$what: commit on $from" n "$from" python3 "$T" commit "$id"
		;;
	esac
	check "$what: activate on $to" n "$to" python3 "$T" activate "$sid"
	n "$to" timeout "$TMO" python3 "$T" resume "${owner%.owner}" "$BYTES" ${next:+--next "$next"} "$@" \
		>>"$tmp/resume.log" 2>&1 &
	RESUMED=$!
	if [[ $how != commit ]]; then
		check "$what: $from's flows deleted" \
			n "$from" python3 "$T" flow del any "$local" "$remote"
	fi
}

# capture_start PORT: dumpcap on the peer, ready when this returns.
capture_start() {
	# Not through n(): $! must be the capture itself, to stop it.
	ip netns exec "${NS[peer]}" timeout "$TMO" dumpcap -q -s 128 -i eth0 \
		-f "tcp port $1" -w "$tmp/cap$1.pcapng" >"$tmp/dumpcap$1.log" 2>&1 &
	CAPTURE=$!
	wait_for grep -q Capturing "$tmp/dumpcap$1.log" ||
		wait_for grep -q Capturing "$tmp/dumpcap$1.log"
}

# capture_check WHAT PORT ADDR BYTES HOST=MAC...: what the peer saw.
capture_check() {
	local what=$1 port=$2 addr=$3 bytes=$4 m src=ip.src back
	shift 4
	[[ $FAMILY == 4 ]] || src=ipv6.src
	# dumpcap drops what it has not read yet when told to stop: give it a
	# moment for the closing segments the peer has just seen.
	sleep 2
	kill -INT "$CAPTURE"
	wait "$CAPTURE" || true
	# eth.src,src,sport,dport,rst,fin,nxtseq (a FIN counts one),tsval,ack;
	# booleans as 1/0 or True/False.
	tshark -r "$tmp/cap$port.pcapng" -o tcp.relative_sequence_numbers:TRUE \
		-T fields -E separator=, -e eth.src -e "$src" -e tcp.srcport \
		-e tcp.dstport -e tcp.flags.reset -e tcp.flags.fin -e tcp.nxtseq \
		-e tcp.options.timestamp.tsval -e tcp.ack \
		2>/dev/null | sed 's/True/1/g; s/False/0/g' >"$tmp/cap.txt"
	expect "$what: peer captured the stream" "$(wc -l <"$tmp/cap.txt")" "[1-9][0-9][0-9]*"
	expect "$what: the server side's source is always $addr" \
		"$(awk -F, -v p="$port" '$3 == p { print $2 }' "$tmp/cap.txt" | sort -u)" "$addr"
	expect "$what: no RST either way" "$(awk -F, '$5 == 1' "$tmp/cap.txt" | wc -l)" 0
	# Whichever host sends as the server, its TSval goes on from the last
	# one the peer saw (PAWS would drop the segments otherwise). veth may
	# deliver two segments out of their order (per-CPU backlogs): a
	# segment is wrong only if its TSval is below one already seen while
	# it is not older, in sequence and in ACK, than the one that carried
	# it. On failure, the segments that went back and the ones before them.
	back=$(awk -F, -v p="$port" '$3 == p && $8 != "" {
		if (seen && $8 + 0 < max && $7 + 0 >= mnxt && $9 + 0 >= mack &&
		    ($7 + 0 > mnxt || $9 + 0 > mack))
			printf "frame %d: %s after frame %d: %s\n", NR, $0, mnr, mline
		if (!seen || $8 + 0 >= max) {
			max = $8 + 0; mnxt = $7 + 0; mack = $9 + 0; mnr = NR; mline = $0
		}
		seen = 1
	} END { if (!seen) print "no timestamps" }' "$tmp/cap.txt" | head -n 3)
	expect "$what: the server side's TSval never goes back" "$back" ""
	expect "$what: a FIN each way, only after the last byte" \
		"$(awk -F, '$6 == 1 { print $3, $7 }' "$tmp/cap.txt" | sort -u |
		awk '{ print $2 }' | tr '\n' ' ')" "$((bytes + 2)) $((bytes + 2)) "
	for m in "$@"; do
		expect "$what: frames as $addr sent by ${m%%=*} itself" \
			"$(awk -F, -v mac="${m#*=}" -v p="$port" '$1 == mac && $3 == p' \
			"$tmp/cap.txt" | wc -l)" "[1-9]*"
	done
}

ipof() { if [[ $FAMILY == 6 ]]; then ip6 "$1"; else ip4 "$1"; fi; }
# Tuples as the server's socket sees them.
endpoint() { if [[ $FAMILY == 6 ]]; then echo "[$1]:$2"; else echo "$1:$2"; fi; }
