#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load and faults: many migrations of live streams over lossy links.
#
#   peer (10.77.0.1) ---+
#   A    (10.77.0.2) ---+--- br0     every link: netem delay 10ms,
#        (+ 10.77.0.100, moving)     reorder 25% 50%, loss 5%, on both
#   B    (10.77.0.3) ---+            ends (eth0 and the bridge port)
#
# The peer streams a verified pattern both ways on ten connections to A:
# four are handed between two processes of A (export to A's own address),
# four move A -> B -> A with both hosts keeping their addresses (REDIRECT on
# A, ANSWER_AS on B, "-t raw -A PREROUTING -j SOCKMI" on both), two move
# A -> B -> A with the service address (IP takeover). tests/lib/stress.py
# moves them one after the other until STRESS_MIGRATIONS (default 150;
# `make stress`: 1,000) migrations are done, brings everything home, ends
# the streams and compares, for each connection, what each side sent with
# what the other verified.
#
# Before and after, the leaks a migration could cause:
#   per host (exact, other tests running beside do not matter): nothing
#   staged, exporting or held, no flow; sockets in use ("sockets: used",
#   TCP inuse) back to the baseline; TCP TIME_WAIT only on the peer, at
#   most one per connection; conntrack: no live entry left, at most one
#   closed entry per connection;
#   kernel-wide, once the namespaces are gone (only when no other test
#   runs, else skipped: `make stress` runs this file alone): TCP sockets
#   allocated, the TCP, sock_inode_cache and tw_sock_TCP slabs, TCP
#   memory pages, within max(64, M/4) -- one leaked socket per migration
#   would be M -- and unreclaimable slab memory within 16 MB.
# No timing is asserted.
source "$(dirname "$0")/lib.sh"

need python3 tc conntrack iptables dumpcap tshark

XTABLES_LIBDIR="$REPO/userland/iptables:$(pkg-config --variable=xtlibdir xtables 2>/dev/null ||
	echo /usr/lib/x86_64-linux-gnu/xtables)"
export XTABLES_LIBDIR
S="$REPO/tests/lib/stress.py"
M=${STRESS_MIGRATIONS:-150}
NETEM=${STRESS_NETEM:-delay 10ms reorder 25% 50% loss 5%}
RATE=${STRESS_RATE:-8000}
TMO=${STRESS_TIMEOUT:-3000}
CONNS=10
tmp=$(mktemp -d)
if ! modprobe sch_netem 2>/dev/null; then
	skip "$TEST_NAME" "no sch_netem"
	exit 4
fi
modules_load

# kmem: kernel-wide figures, one "name value" a line.
kmem() {
	awk '$1 == "TCP:" { print "tcp_alloc", $9; print "tcp_mem_pages", $11 }' /proc/net/sockstat
	awk '$1 == "TCP" || $1 == "sock_inode_cache" || $1 == "tw_sock_TCP" {
		print "slab_" $1, $2 }' /proc/slabinfo
	awk '$1 == "SUnreclaim:" { print "sunreclaim_kb", $2 }' /proc/meminfo
}
# others: namespaces of other test files, running beside this one (looked
# at before, during and after the run).
others() { ip netns list | awk '{ print $1 }' | grep '^sockmi-' | grep -vc -- "-$SUFFIX\$" || true; }
# hoststate HOST: what a migration could leave behind in HOST.
hoststate() {
	local h=$1
	echo "staged $(nl "$h" send --dump SOCKMI_CMD_GET_STAGED)"
	echo "flows $(nl "$h" send --dump SOCKMI_CMD_GET_FLOW)"
	n "$h" awk '$1 == "sockets:" { print "sockets_used", $3 }
		$1 == "TCP:" { print "tcp_inuse", $3 }' /proc/net/sockstat
}
mac() { n "$1" cat /sys/class/net/eth0/address; }
tw() { n "$1" awk '$1 == "TCP:" { print $7 }' /proc/net/sockstat; }
# ct_live HOST: conntrack entries other than closed ones.
ct_live() { n "$1" conntrack -L 2>/dev/null | grep -cv ' TIME_WAIT \| CLOSE ' || true; }
ct_all() { n "$1" conntrack -L 2>/dev/null | wc -l; }

others_before=$(others)
kmem >"$tmp/kmem.before"

topology peer A B
n A ip addr add 10.77.0.100/24 dev eth0
for h in A B; do
	n "$h" iptables -t raw -A PREROUTING -j SOCKMI
	# Conntrack on, as on any host with a stateful firewall: a rule that
	# only counts what conntrack finds INVALID.
	n "$h" iptables -A INPUT -m conntrack --ctstate INVALID
done
# shellcheck disable=SC2086
for h in peer A B; do
	n "$h" tc qdisc add dev eth0 root netem $NETEM
	n sw tc qdisc add dev "p${HOST_NUM[$h]}" root netem $NETEM
done
for h in peer A B; do
	hoststate "$h" >"$tmp/$h.before"
	echo "ct $(ct_live "$h") $(ct_all "$h")" >>"$tmp/$h.before"
done
expect "netem on every link, both ends" \
	"$( (for h in peer A B; do n "$h" tc qdisc show dev eth0; done
	    n sw tc qdisc show) | grep -c 'netem.*loss 5%')" 6

# Every RST on the bridge, while the connections move.
ip netns exec "${NS[sw]}" timeout "$TMO" dumpcap -q -i br0 -s 96 \
	-f 'tcp[tcpflags] & tcp-rst != 0' -w "$tmp/rst.pcapng" >"$tmp/dumpcap.log" 2>&1 &
capture=$!
wait_for grep -q Capturing "$tmp/dumpcap.log" || true

echo "# $SECONDS s: set up; $M migrations"
start=$SECONDS
timeout "$TMO" python3 "$S" drive --ns "peer=${NS[peer]}" --ns "A=${NS[A]}" \
	--ns "B=${NS[B]}" --addr "peer=$(ip4 peer)" --addr "A=$(ip4 A)" \
	--addr "B=$(ip4 B)" --service 10.77.0.100 --migrations "$M" \
	--rate "$RATE" --tmp "$tmp" >"$tmp/drive.log" 2>&1 &
drive=$!
# The moves are over (the streams go on): stop the capture, then let the
# streams end. RSTs when connections end are TCP's business, not ours.
while [[ ! -e $tmp/moved ]] && kill -0 "$drive" 2>/dev/null; do
	[[ $(others) == 0 ]] || others_before=1
	sleep 1
done
moved=$((SECONDS - start))
ct_home() { (($(ct_live A) >= CONNS)); }
wait_for ct_home || true
ct_moved="$(ct_live A)"
sleep 2
kill -INT "$capture"
wait "$capture" || true
touch "$tmp/finish"
if wait "$drive"; then
	ok "$M migrations under netem, every byte verified"
else
	not_ok "$M migrations under netem, every byte verified"
	tail -n 20 "$tmp/drive.log" "$tmp"/*.err "$tmp/steps.log" | sed 's/^/#   /'
fi
elapsed=$((SECONDS - start))
result=$(grep '^{' "$tmp/drive.log" || echo '{}')
echo "# $moved s of moves, $elapsed s with the end of the streams: $result"
tshark -r "$tmp/rst.pcapng" -T fields -E separator=' ' -e frame.time_relative \
	-e eth.src -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport -e tcp.seq_raw \
	-e tcp.ack_raw 2>/dev/null >"$tmp/rst.txt" || true
# What a connection could die of: a RST from the peer, or from an address
# the peer talks to. B answers packets that A redirected to it but that
# arrive (netem: late) after the flow went home with a RST from B's own
# address, which matches no connection of the peer: counted, not failed.
expect "no RST from the peer or as A, while the connections moved" \
	"$(awk -v b="$(ip4 B)" '$3 != b' "$tmp/rst.txt" | wc -l)" 0
echo "# RSTs from B's own address (no connection of the peer's): $(awk -v b="$(ip4 B)" '$3 == b' "$tmp/rst.txt" | wc -l)"
sed 's/^/#   /' "$tmp/rst.txt" | head -n 20
for h in peer A B; do echo "#   $h $(mac "$h")"; done
expect "conntrack on A tracked the connections at home ($ct_moved)" "$((ct_moved >= CONNS))" 1
# py EXPR: EXPR of the driver's summary d.
py() { python3 -c "import json,sys; d = json.loads(sys.argv[1]); print($1)" "$result" 2>&1; }
expect "migrations done, some of each kind" \
	"$(py "d['migrations'] >= $M, min(d['moves'].values()) > 0")" "True True"
expect "all $CONNS connections verified both ways" "$(py "d['verified']")" "$CONNS"

# counter HOST NAME: a counter of sockmictl stats.
counter() { n "$1" "$SOCKMICTL" stats 2>/dev/null | awk -v k="$2:" '$1 == k { print $2 }'; }
both() { echo $(($(counter A "$1") + $(counter B "$1"))); }
mig=$(py "d['migrations']")
expect "A and B counted each migration: exports commits imports, aborts" \
	"$(both exports) $(both commits) $(both imports) $(both aborts)" "$mig $mig $mig 0"

# The streams have ended: what is left on each host.
as_before() { [[ $(hoststate "$1") == "$(cat "$tmp/$1.want")" ]]; }
ct_settled() { (($(ct_live "$1") <= $2)); }
for h in peer A B; do
	head -n 4 "$tmp/$h.before" >"$tmp/$h.want"
	wait_for as_before "$h" || true
	expect "$h: nothing staged or held, no flow, sockets back to baseline" \
		"$(hoststate "$h" | diff "$tmp/$h.want" - | grep '^[<>]' | tr '\n' ' ')" ""
	read -r _ live0 all0 < <(grep '^ct ' "$tmp/$h.before")
	wait_for ct_settled "$h" "$live0" || true
	expect "$h: no live conntrack entry left" "$(ct_live "$h")" "$live0"
	all=$(ct_all "$h")
	expect "$h: at most one closed conntrack entry per connection ($all, was $all0)" \
		"$((all <= all0 + CONNS))" 1
done
expect "TIME_WAIT only on the peer, at most one per connection" \
	"$(tw A) $(tw B) $(($(tw peer) <= CONNS))" "0 0 1"

# Kernel-wide: with the namespaces gone, every socket and queue freed.
cleanup
NS=()
tol=$((M / 4 > 64 ? M / 4 : 64))
if [[ $others_before != 0 || $(others) != 0 ]]; then
	skip "kernel memory back to baseline" "other tests running beside (make stress runs this alone)"
else
	# within NAME MAX: kmem's NAME grew by at most MAX since the start.
	within() {
		local b a
		b=$(awk -v k="$1" '$1 == k { print $2 }' "$tmp/kmem.before")
		a=$(kmem | awk -v k="$1" '$1 == k { print $2 }')
		[[ -z $b || -z $a ]] || ((a - b <= $2))
	}
	settled() {
		within tcp_alloc "$tol" && within slab_TCP "$tol" &&
			within slab_tw_sock_TCP "$tol" && within slab_sock_inode_cache "$tol" &&
			within tcp_mem_pages "$tol" && within sunreclaim_kb 16384
	}
	wait_for settled || true
	kmem >"$tmp/kmem.after"
	echo "# kernel-wide before -> after (tolerance $tol, 16384 kB):"
	join "$tmp/kmem.before" "$tmp/kmem.after" | sed 's/^/#   /'
	check "kernel memory back to baseline: sockets, slabs, TCP pages" settled
fi

# STRESS_LOG_DIR: keep the driver's logs there (make stress: stress-out/).
if [[ -n ${STRESS_LOG_DIR:-} ]]; then
	mkdir -p "$STRESS_LOG_DIR"
	cp "$tmp"/*.log "$tmp"/*.err "$tmp"/*.txt "$STRESS_LOG_DIR"/ 2>/dev/null || true
fi
rm -rf "$tmp"
finish
