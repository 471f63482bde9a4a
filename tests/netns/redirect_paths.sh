#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Cross-host redirection on other paths than redirect.sh's single bridge:
#
# 1. The peer behind a router:
#
#      peer (10.78.0.1, fd78::1) --- R --- br0 --- A (10.77.0.1)
#                                               +-- B (10.77.0.2)
#
#    The server's socket moves A -> B -> A (IPv4) and A -> B (IPv6) while a
#    real peer streams both ways through R; the peer only ever sees A's
#    address, no RST and no FIN before the last byte.
#
# 2. Both ends of one connection moved: a client on C talks to a server on
#    A; the server's end moves A -> B and the client's end C -> D, both
#    hosts of each pair keeping their addresses (A and C redirect, B answers
#    as A and D as C), then both come home. Every byte, both ways, checked
#    by the two programs that own the ends in turn.
source "$(dirname "$0")/lib.sh"

need python3 conntrack iptables ip6tables dumpcap tshark

XTABLES_LIBDIR="$REPO/userland/iptables:$(pkg-config --variable=xtlibdir xtables 2>/dev/null ||
	echo /usr/lib/x86_64-linux-gnu/xtables)"
export XTABLES_LIBDIR
T="$REPO/tests/lib/sockmi_test.py"
BYTES=${REDIRECT_BYTES:-2000000}
RATE=${REDIRECT_RATE:-40000}
TMO=${REDIRECT_TIMEOUT:-300}
tmp=$(mktemp -d)
modules_load
topology A B C D R
source "$REPO/tests/lib/redirect.bash"

# The peer, behind R (not on the bridge).
NS[peer]="sockmi-peer-$SUFFIX"
ip netns add "${NS[peer]}"
ip -n "${NS[peer]}" link set lo up
ip -n "${NS[peer]}" link add eth0 type veth peer name eth1 netns "${NS[R]}"
ip -n "${NS[peer]}" addr add 10.78.0.1/24 dev eth0
ip -n "${NS[peer]}" addr add fd78::1/64 dev eth0 nodad
ip -n "${NS[peer]}" link set eth0 up
ip -n "${NS[peer]}" route add default via 10.78.0.254
ip -n "${NS[peer]}" -6 route add default via fd78::fe
ip -n "${NS[R]}" addr add 10.78.0.254/24 dev eth1
ip -n "${NS[R]}" addr add fd78::fe/64 dev eth1 nodad
ip -n "${NS[R]}" link set eth1 up
n R sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
for h in A B C D; do
	n "$h" ip route add 10.78.0.0/24 via "$(ip4 R)"
	n "$h" ip -6 route add fd78::/64 via "$(ip6 R)"
	n "$h" iptables -t raw -A PREROUTING -j SOCKMI
	n "$h" ip6tables -t raw -A PREROUTING -j SOCKMI
	# Exports are committed by hand, slowly under emulation.
	n "$h" sysctl -qw net.sockmi.export_timeout=600
done
PEER4=10.78.0.1
PEER6=fd78::1

# peer_port PORT: the peer's port of its connection to PORT.
peer_port() { n peer ss -Htn "dport = :$1" | awk '{ n = split($4, a, ":"); print a[n] }'; }

# --- 1. The peer behind a router, IPv4: A -> B -> A -------------------------
echo "# $SECONDS s: set up"
FAMILY=4
PORT=7201
capture_start $PORT
n A timeout "$TMO" python3 "$T" serve $PORT "$tmp/s1" "$BYTES" --rate "$RATE" >"$tmp/serve.log" 2>&1 &
srv=$!
wait_for listening A $PORT
n peer timeout "$TMO" python3 "$T" peer "$(ip4 A)" $PORT "$BYTES" --rate "$RATE" \
	--release "$tmp/release4" >"$tmp/peer.log" 2>&1 &
peer=$!
wait_long test -e "$tmp/s1.owner"
L=$(endpoint "$(ip4 A)" $PORT)
R=$(endpoint $PEER4 "$(peer_port $PORT)")

move "routed v4 A->B" A B "$tmp/s1.owner" "$tmp/s2" "$L" "$R" commit --rate "$RATE"
check_wait "routed v4 A->B: A's owner saw its socket go" "$srv"
expect "routed v4 A->B: A redirects via B" "$(flows A)" "redirect $L $R $(ip4 B) *;"
expect "routed v4 A->B: B answers as A" "$(flows B)" "answer_as $L $R $(ip4 B) *;"
wait_long test -e "$tmp/s2.owner"
move "routed v4 B->A" B A "$tmp/s2.owner" "" "$L" "$R" home
touch "$tmp/release4"
check_wait "routed v4: A (home) finished the stream" "$RESUMED"
check_wait "routed v4: the peer verified every byte both ways" "$peer"
expect "routed v4: no flow left on A" "$(flows A)" ""
expect "routed v4: none on B" "$(flows B)" ""
capture_check "routed v4" $PORT "$(ip4 A)" "$BYTES"
sed 's/^/#   /' "$tmp"/peer.log "$tmp"/resume.log "$tmp"/serve.log
echo "# $SECONDS s: routed v4 checked"

# --- 1b. The peer behind a router, IPv6: A -> B -----------------------------
FAMILY=6
PORT=7202
: >"$tmp/resume.log"
capture_start $PORT
n A timeout "$TMO" python3 "$T" serve $PORT "$tmp/v1" "$BYTES" --v6 --rate "$RATE" >"$tmp/serve.log" 2>&1 &
srv=$!
wait_for listening A $PORT
n peer timeout "$TMO" python3 "$T" peer "$(ip6 A)" $PORT "$BYTES" --rate "$RATE" \
	--release "$tmp/release6" >"$tmp/peer.log" 2>&1 &
peer=$!
wait_long test -e "$tmp/v1.owner"
L=$(endpoint "$(ip6 A)" $PORT)
R=$(endpoint $PEER6 "$(peer_port $PORT)")

move "routed v6 A->B" A B "$tmp/v1.owner" "" "$L" "$R" commit --rate "$RATE"
check_wait "routed v6 A->B: A's owner saw its socket go" "$srv"
expect "routed v6 A->B: A redirects via B" "$(flows A)" "redirect ${L//[\[\]]/} ${R//[\[\]]/} $(ip6 B) *;"
touch "$tmp/release6"
check_wait "routed v6: B finished the stream" "$RESUMED"
check_wait "routed v6: the peer verified every byte both ways" "$peer"
capture_check "routed v6" $PORT "$(ip6 A)" "$BYTES"
check "routed v6: A's REDIRECT removed after the close" \
	n A python3 "$T" flow del redirect "$L" "$R"
check "routed v6: B's ANSWER_AS removed after the close" \
	n B python3 "$T" flow del answer_as "$L" "$R"
sed 's/^/#   /' "$tmp"/peer.log "$tmp"/resume.log "$tmp"/serve.log
echo "# $SECONDS s: routed v6 checked"

# --- 2. Both ends moved: server A -> B, client C -> D, then home ------------
FAMILY=4
PORT=7203
: >"$tmp/resume.log"
# Neither end is the unmoved peer of the other tests: every owner, moved
# or not, keeps its last byte back until the test releases the stream.
REL=(--rate "$RATE" --release "$tmp/releasee")
n A timeout "$TMO" python3 "$T" serve $PORT "$tmp/e1" "$BYTES" "${REL[@]}" >"$tmp/serve.log" 2>&1 &
srv=$!
wait_for listening A $PORT
n C timeout "$TMO" python3 "$T" client "$(ip4 A)" $PORT "$tmp/k1" "$BYTES" "${REL[@]}" \
	>"$tmp/client.log" 2>&1 &
cli=$!
wait_long test -e "$tmp/e1.owner"
wait_long test -e "$tmp/k1.owner"
cport=$(n C ss -Htn "dport = :$PORT" | awk '{ n = split($4, a, ":"); print a[n] }')
LS=$(endpoint "$(ip4 A)" $PORT)
LC=$(endpoint "$(ip4 C)" "$cport")

move "ends: server A->B" A B "$tmp/e1.owner" "$tmp/e2" "$LS" "$LC" commit "${REL[@]}"
server_b=$RESUMED
check_wait "ends: A's server saw its socket go" "$srv"
move "ends: client C->D" C D "$tmp/k1.owner" "$tmp/k2" "$LC" "$LS" commit "${REL[@]}" --client
client_d=$RESUMED
check_wait "ends: C's client saw its socket go" "$cli"
expect "ends: A redirects via B" "$(flows A)" "redirect $LS $LC $(ip4 B) *;"
expect "ends: C redirects via D" "$(flows C)" "redirect $LC $LS $(ip4 D) *;"
expect "ends: B answers as A" "$(flows B)" "answer_as $LS $LC $(ip4 B) *;"
expect "ends: D answers as C" "$(flows D)" "answer_as $LC $LS $(ip4 D) *;"
# Both moved ends talk to each other, through A and C, before going home.
wait_long test -e "$tmp/e2.owner"
wait_long test -e "$tmp/k2.owner"
move "ends: server B->A" B A "$tmp/e2.owner" "" "$LS" "$LC" home "${REL[@]}"
server_home=$RESUMED
move "ends: client D->C" D C "$tmp/k2.owner" "" "$LC" "$LS" home "${REL[@]}" --client
client_home=$RESUMED
touch "$tmp/releasee"
check_wait "ends: B's importer saw its socket go" "$server_b"
check_wait "ends: D's importer saw its socket go" "$client_d"
check_wait "ends: A (home) finished and verified the server's stream" "$server_home"
check_wait "ends: C (home) finished and verified the client's stream" "$client_home"
for h in A B C D; do
	expect "ends: no flow left on $h" "$(flows $h)" ""
done
sed 's/^/#   /' "$tmp"/client.log "$tmp"/resume.log "$tmp"/serve.log
echo "# $SECONDS s: both ends checked"

rm -rf "$tmp"
finish
