#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: every SockMi figure of issue 8 against a baseline measured
# in the same VM boot, run inside the test VM:
#
#   tests/vm/run -- tests/bench/bench.sh
#
#   peer (10.77.0.1) ---+--- br0 ---+--- A (10.77.0.2)
#                                   +--- B (10.77.0.3)
#   R: no link; 10.77.0.2/32 on a dummy device (restores of item 1)
#
# 1. checkpoint+restore of one socket (sockmi-bench ckpt) vs TCP_REPAIR
#    from user space (same tool) vs criu dump + criu restore; the
#    throughput recovery of a bulk sender after a move, against the same
#    move by TCP_REPAIR (sockmi-bench recover, netem delay 10 and 50 ms);
# 2. the peer-visible stall of a move A -> B with netem delay on the
#    peer's link (sockmi-bench stall);
# 3. sockets/s for a batch (sockmi-bench batch);
# 4. per-packet cost through xt_SOCKMI (redirect-cost.sh);
# 5. memory per staged socket and per flow (from 1, 3 and 4).
# Raw results go to $BENCH_OUT/raw.jsonl, one JSON object a line;
# report.py turns them into the Markdown table (stdout) and
# $BENCH_OUT/bench.json. Smaller counts: BENCH_QUICK=1 (the table says so).
source "$(dirname "$0")/../netns/lib.sh"

need python3 gcc tc iptables-legacy

XTABLES_LIBDIR="$REPO/userland/iptables:$(pkg-config --variable=xtlibdir xtables 2>/dev/null ||
	echo /usr/lib/x86_64-linux-gnu/xtables)"
export XTABLES_LIBDIR
OUT=${BENCH_OUT:-$REPO/bench-out}
QUICK=${BENCH_QUICK:-0}
if [[ $QUICK == 1 ]]; then
	CKPT_REPS=3 CRIU_REPS=1 STALL_REPS=1 RECOVER_REPS=1 BATCH="100 1000"
else
	CKPT_REPS=${BENCH_CKPT_REPS:-9} CRIU_REPS=${BENCH_CRIU_REPS:-1}
	RECOVER_REPS=${BENCH_RECOVER_REPS:-3}
	STALL_REPS=${BENCH_STALL_REPS:-3} BATCH=${BENCH_BATCH:-"1000 10000"}
fi
ITEMS=${BENCH_ITEMS:-"1 2 3 4"}
mkdir -p "$OUT"
RAW="$OUT/raw.jsonl"
: >"$RAW"
tmp=$(mktemp -d)
log() { echo "# $SECONDS s: $*" >&2; }
record() { echo "$1" >>"$RAW"; }
# record_error ITEM MESSAGE
record_error() {
	python3 -c 'import json, sys; print(json.dumps({"item": sys.argv[1], "error": sys.argv[2]}))' \
		"$1" "$2" >>"$RAW"
}
# run ITEM CMD...: CMD's JSON lines into $RAW (prefixed with $EXTRA); if it
# fails, an error record with its last message instead of a silent gap.
run() {
	local item=$1 rc=0
	shift
	"$@" 2>"$tmp/err" >"$tmp/out" || rc=$?
	sed "s/^{/{${EXTRA:-}/" "$tmp/out" >>"$RAW"
	sed 's/^/#   /' "$tmp/err" >&2
	if [[ $rc != 0 ]]; then
		record_error "$item" "${EXTRA:-}exit $rc: $(tail -n 1 "$tmp/err")"
	fi
}

# The tools, built by `make bench` on the host (fast) or here (slow under
# emulation) when they are missing or older than their source.
BIN=$REPO/tests/bench/build
CFLAGS=(-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I"$REPO/uapi")
for tool in sockmi-bench criu-holder tcpblast; do
	if [[ $BIN/$tool -nt $REPO/tests/bench/$tool.c ]]; then
		cp "$BIN/$tool" "$tmp/$tool"
	else
		log "building $tool in the VM"
		gcc "${CFLAGS[@]}" -o "$tmp/$tool" "$REPO/tests/bench/$tool.c" -lpthread
	fi
done
export TCPBLAST=$tmp/tcpblast SOCKMI_BENCH=$tmp/sockmi-bench
record "{\"item\": \"meta\", \"kernel\": \"$(uname -r)\", \"cpus\": $(nproc), \"quick\": $QUICK, \"ckpt_reps\": $CKPT_REPS, \"criu_reps\": $CRIU_REPS, \"stall_reps\": $STALL_REPS, \"recover_reps\": $RECOVER_REPS, \"items\": \"$ITEMS\"}"

modules_load
modprobe sch_netem 2>/dev/null || true
topology peer A B
AA=$(ip4 A)
BB=$(ip4 B)
# R: where item 1 restores, A's address on a dummy device.
NS[R]="sockmi-R-$SUFFIX"
ip netns add "${NS[R]}"
n R ip link set lo up
n R ip link add dummy0 type dummy
n R ip addr add "$AA/32" dev dummy0
n R ip link set dummy0 up
n R ip route add 10.77.0.0/24 dev dummy0
for h in A B; do
	n "$h" iptables-legacy -t raw -A PREROUTING -j SOCKMI
	n "$h" sysctl -qw net.sockmi.export_timeout=3600 net.sockmi.max_connected=100000 \
		net.core.somaxconn=4096
done
n peer ping -c 1 -q "$AA" >/dev/null
n peer ping -c 1 -q "$BB" >/dev/null
n A ping -c 1 -q "$BB" >/dev/null

# --- 1. checkpoint + restore of one socket ------------------------------
criu_one() {
	local q=$1 port=$2 dir=$tmp/criu-$1 holder
	mkdir -p "$dir/img"
	# The holder and criu share one mount namespace: one "ip netns exec".
	n A bash -c '
		set -u
		dir=$1 q=$2 port=$3 holder=$4 addr=$5
		setsid "$holder" "$addr" "$port" </dev/null >/dev/null 2>&1 &
		pid=$!
		for i in $(seq 100); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
		echo "$pid" >"$dir/pid"
		touch "$dir/listening"
		for i in $(seq 600); do [[ -e $dir/sent ]] && break; sleep 0.1; done
		for i in $(seq 600); do
			rq=$(ss -Htn state established "( sport = :$port )" | awk "{ print \$1 }")
			[[ $rq == "$q" ]] && break
			sleep 0.1
		done
		echo "recvq_before=$rq" >"$dir/result"
		t0=$(date +%s%N)
		criu dump -t "$pid" -D "$dir/img" --tcp-established -o dump.log -v2 >/dev/null 2>&1
		rc=$?
		t1=$(date +%s%N)
		echo "dump_rc=$rc dump_ns=$((t1 - t0))" >>"$dir/result"
		[[ $rc == 0 ]] || exit 0
		t0=$(date +%s%N)
		criu restore -D "$dir/img" --tcp-established -d -o restore.log -v2 >/dev/null 2>&1
		rc=$?
		t1=$(date +%s%N)
		echo "restore_rc=$rc restore_ns=$((t1 - t0))" >>"$dir/result"
		rq=$(ss -Htnp state established "( sport = :$port )")
		echo "after=$rq" >>"$dir/result"
		kill -9 "$pid" 2>/dev/null
		exit 0
	' _ "$dir" "$q" "$port" "$tmp/criu-holder" "$AA" &
	holder=$!
	wait_long test -e "$dir/listening"
	n peer python3 -c '
import socket, sys, time, os
q, addr, port, flag = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, 32, 64 << 20)
s.connect((addr, port))
s.sendall(bytes(i % 251 for i in range(q)))
open(flag, "w").close()
time.sleep(600)
' "$q" "$AA" "$port" "$dir/sent" &
	local peer=$!
	wait "$holder" || true
	kill "$peer" 2>/dev/null || true
	wait "$peer" 2>/dev/null || true
	cat "$dir/result"
	echo "--- dump.log (last lines)"
	tail -n 5 "$dir/img/dump.log" 2>/dev/null || true
	echo "--- restore.log (last lines)"
	tail -n 5 "$dir/img/restore.log" 2>/dev/null || true
}

if [[ " $ITEMS " == *" 1 "* ]]; then
	port=7200
	for q in 0 65536 4194304; do
		port=$((port + 1))
		log "1: sockmi and TCP_REPAIR, $q bytes queued, $CKPT_REPS runs each"
		EXTRA="\"queued\": $q, " run ckpt "$tmp/sockmi-bench" ckpt "${NS[peer]}" "${NS[A]}" "${NS[R]}" "$AA" $port "$q" "$CKPT_REPS"
	done
	for d in 10 50; do
		log "1: throughput recovery of a bulk sender, netem delay $d ms, $RECOVER_REPS moves each"
		n peer tc qdisc replace dev eth0 root netem delay "${d}ms" limit 100000
		EXTRA="\"delay_ms\": $d, " run recover "$tmp/sockmi-bench" recover "${NS[peer]}" "${NS[A]}" \
			"$(ip4 peer)" $((7250 + d)) "$RECOVER_REPS"
	done
	n peer tc qdisc del dev eth0 root
	if command -v criu >/dev/null; then
		criu --version >"$tmp/criu-version" 2>&1 || true
		for q in 0 65536 4194304; do
			for ((r = 0; r < CRIU_REPS; r++)); do
				port=$((7300 + r))
				log "1: criu dump + restore, $q bytes queued, run $((r + 1))"
				criu_one "$q" "$port" >"$tmp/criu.out" 2>&1 || true
				python3 "$REPO/tests/bench/report.py" --criu "$q" "$tmp/criu.out" "$tmp/criu-version" >>"$RAW"
				sed 's/^/#   /' "$tmp/criu.out" >&2
			done
		done
	else
		record_error criu "criu is not installed (make deps installs it)"
	fi
fi

# --- 2. stall of a move A -> B -------------------------------------------
if [[ " $ITEMS " == *" 2 "* ]]; then
	for d in 0 1 10; do
		log "2: stall with netem delay $d ms on the peer's link, $STALL_REPS moves"
		n peer tc qdisc replace dev eth0 root netem delay "${d}ms"
		EXTRA="\"delay_ms\": $d, " run stall "$tmp/sockmi-bench" stall "${NS[peer]}" "${NS[A]}" \
			"${NS[B]}" "$AA" "$BB" $((7400 + d * 2)) "$STALL_REPS"
	done
	n peer tc qdisc del dev eth0 root
fi

# --- 3. batch -------------------------------------------------------------
if [[ " $ITEMS " == *" 3 "* ]]; then
	port=7500
	for nb in $BATCH; do
		port=$((port + 1))
		log "3: batch of $nb connections"
		EXTRA="\"n\": $nb, " run batch "$tmp/sockmi-bench" batch "${NS[peer]}" "${NS[A]}" "${NS[B]}" \
			"$AA" $port "$nb"
	done
fi

# --- 4. per-packet cost, and flow-table memory -----------------------------
if [[ " $ITEMS " == *" 4 "* ]]; then
	log "4: per-packet cost through xt_SOCKMI (redirect-cost.sh)"
	# It reloads xt_SOCKMI: nothing here may use it any more.
	for h in A B; do
		n "$h" iptables-legacy -t raw -F
	done
	rc=0
	# Counts that keep the whole run within 15 minutes under TCG.
	BENCH_JSON="$RAW" BENCH_COUNT=${BENCH_COUNT:-6000} \
		BENCH_NAIVE_COUNT=${BENCH_NAIVE_COUNT:-1000} bash "$REPO/tests/bench/redirect-cost.sh" 2>&1 |
		tee "$tmp/redirect.log" | sed 's/^/#   /' >&2 || rc=$?
	grep -q '^not ok' "$tmp/redirect.log" && rc=1
	[[ $rc == 0 ]] ||
		record_error perpacket "redirect-cost.sh failed: $(grep -v '^#\|^ok' "$tmp/redirect.log" | tail -n 2 | tr '\n' ' ')"
fi

log "done"
python3 "$REPO/tests/bench/report.py" "$RAW" "$OUT/bench.json"
