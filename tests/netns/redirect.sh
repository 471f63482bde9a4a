#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Cross-host redirection, both hosts keeping their addresses (xt_SOCKMI):
#
#   peer (10.77.0.1) ---+
#   A    (10.77.0.2) ---+--- br0        peer -> A -> B, B -> peer
#   B    (10.77.0.3) ---+
#   C    (10.77.0.4) ---+
#
# A, B and C run a stateful firewall (policy DROP, INVALID dropped, only
# SYNs open new connections) with default conntrack sysctls, and one
# "-t raw -A PREROUTING -j SOCKMI" rule per family. A real peer streams a
# verifiable pattern both ways with its server's socket moved:
#   IPv4: A -> B -> C -> A (home again: no redirect left);
#   IPv6: A -> B -> A;
#   20 IPv4 connections at once, A -> B.
# Each move: export, stage (pending) on the importer, ANSWER_AS there,
# REDIRECT on A (at commit for the first move, replaced later), activate.
# Checked: every byte arrives once and in order both ways; a capture on the
# peer shows only A's address as the server's source (also in the frames
# sent by B and C directly), no RST and no FIN but the final ones;
# conntrack on every host holds an entry for the flow only where its socket
# is, and the firewalls never saw the flow as INVALID.
source "$(dirname "$0")/lib.sh"

need python3 conntrack iptables ip6tables dumpcap tshark

XTABLES_LIBDIR="$REPO/userland/iptables:$(pkg-config --variable=xtlibdir xtables 2>/dev/null ||
	echo /usr/lib/x86_64-linux-gnu/xtables)"
export XTABLES_LIBDIR
T="$REPO/tests/lib/sockmi_test.py"
BYTES=${REDIRECT_BYTES:-4000000}
RATE=${REDIRECT_RATE:-40000}
# No stream may hang the suite.
TMO=${REDIRECT_TIMEOUT:-450}
tmp=$(mktemp -d)
modules_load
topology peer A B C

# firewall HOST iptables|ip6tables
firewall() {
	local h=$1 ipt=$2 icmp=icmp
	[[ $ipt == iptables ]] || icmp=ipv6-icmp
	n "$h" "$ipt" -t raw -A PREROUTING -j SOCKMI
	n "$h" "$ipt" -A INPUT -i lo -j ACCEPT
	n "$h" "$ipt" -A INPUT -p tcp --dport 7100:7199 -m conntrack --ctstate INVALID -j DROP
	n "$h" "$ipt" -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
	n "$h" "$ipt" -A INPUT -p tcp --syn --dport 7100:7199 -m conntrack --ctstate NEW -j ACCEPT
	n "$h" "$ipt" -A INPUT -p "$icmp" -j ACCEPT
	n "$h" "$ipt" -P INPUT DROP
	n "$h" "$ipt" -A OUTPUT -p tcp --sport 7100:7199 -m conntrack --ctstate INVALID -j DROP
}
for h in A B C; do
	firewall "$h" iptables
	firewall "$h" ip6tables
	# Exports are committed by hand, step by step, slowly under emulation:
	# the kernel must not abort them on its own meanwhile.
	n "$h" sysctl -qw net.sockmi.export_timeout=600
done

source "$REPO/tests/lib/redirect.bash"

# --- IPv4: A -> B -> C -> A ---------------------------------------------
echo "# $SECONDS s: set up"
FAMILY=4
PORT=7101
capture_start $PORT
n A timeout "$TMO" python3 "$T" serve $PORT "$tmp/s1" "$BYTES" --rate "$RATE" >"$tmp/serve.log" 2>&1 &
srv=$!
wait_for listening A $PORT
n peer timeout "$TMO" python3 "$T" peer "$(ip4 A)" $PORT "$BYTES" --rate "$RATE" \
	--release "$tmp/release4" >"$tmp/peer.log" 2>&1 &
peer=$!
wait_for test -e "$tmp/s1.owner"
pport=$(n peer ss -Htn "dport = :$PORT" | awk '{ n = split($4, a, ":"); print a[n] }')
L=$(endpoint "$(ip4 A)" $PORT)
R=$(endpoint "$(ip4 peer)" "$pport")
expect "v4: conntrack on A tracks the connection" "$(ct_state A "$pport")" ESTABLISHED

move "v4 A->B" A B "$tmp/s1.owner" "$tmp/s2" "$L" "$R" commit --rate "$RATE"
check_wait "v4 A->B: A's owner saw its socket go" "$srv"
expect "v4 A->B: A redirects, nothing held" "$(flows A)" "redirect $L $R $(ip4 B) *;"
expect "v4 A->B: B answers as A" "$(flows B)" "answer_as $L $R $(ip4 B) *;"
expect "v4 A->B: A's conntrack entry is gone" "$(ct_count A "$pport")" 0
wait_for test -e "$tmp/s2.owner"
wait_for bash -c "[[ \$(ip netns exec ${NS[B]} conntrack -L -p tcp 2>/dev/null | grep -c 'port=$pport .*ASSURED') == 1 ]]"
expect "v4 A->B: B tracks the flow, ESTABLISHED" "$(ct_state B "$pport")" ESTABLISHED

move "v4 B->C" B C "$tmp/s2.owner" "$tmp/s3" "$L" "$R" replace --rate "$RATE"
b_resume=$RESUMED
expect "v4 B->C: A redirects to C" "$(flows A)" "redirect $L $R $(ip4 C) *;"
expect "v4 B->C: nothing left on B" "$(flows B)" ""
expect "v4 B->C: no conntrack entry on B" "$(ct_count B "$pport")" 0
expect "v4 B->C: none on A" "$(ct_count A "$pport")" 0
wait_for test -e "$tmp/s3.owner"

move "v4 C->A" C A "$tmp/s3.owner" "" "$L" "$R" home
wait_for bash -c "[[ \$(ip netns exec ${NS[A]} conntrack -L -p tcp 2>/dev/null | grep -c 'port=$pport .*ASSURED') == 1 ]]"
expect "v4 home: A tracks the flow again, ESTABLISHED" "$(ct_state A "$pport")" ESTABLISHED
touch "$tmp/release4"
echo "# $SECONDS s: v4 moves done"
res=$RESUMED
check_wait "v4: A (home) finished the stream" "$res"
check_wait "v4: peer verified every byte both ways" "$peer"
check_wait "v4: B's importer saw its socket go" "$b_resume"
expect "v4 home: no flow left on A" "$(flows A)" ""
expect "v4 home: none on C" "$(flows C)" ""
expect "v4 home: no conntrack entry on B" "$(ct_count B "$pport")" 0
expect "v4 home: none on C" "$(ct_count C "$pport")" 0
for h in A B C; do
	expect "v4: $h's firewall saw nothing INVALID" "$(invalid $h iptables | tr '\n' ' ')" "0 0 "
done
echo "# $SECONDS s: v4 stream done"
capture_check v4 $PORT "$(ip4 A)" "$BYTES" "B=$(mac B)" "C=$(mac C)"
sed 's/^/#   /' "$tmp"/peer.log "$tmp"/resume.log "$tmp"/serve.log
echo "# $SECONDS s: v4 checked"

# --- IPv6: A -> B -> A ----------------------------------------------------
FAMILY=6
PORT=7102
: >"$tmp/resume.log"
capture_start $PORT
n A timeout "$TMO" python3 "$T" serve $PORT "$tmp/v1" "$BYTES" --v6 --rate "$RATE" >"$tmp/serve.log" 2>&1 &
srv=$!
wait_for listening A $PORT
n peer timeout "$TMO" python3 "$T" peer "$(ip6 A)" $PORT "$BYTES" --rate "$RATE" \
	--release "$tmp/release6" >"$tmp/peer.log" 2>&1 &
peer=$!
wait_for test -e "$tmp/v1.owner"
pport=$(n peer ss -Htn "dport = :$PORT" | awk '{ n = split($4, a, ":"); print a[n] }')
L=$(endpoint "$(ip6 A)" $PORT)
R=$(endpoint "$(ip6 peer)" "$pport")

move "v6 A->B" A B "$tmp/v1.owner" "$tmp/v2" "$L" "$R" commit --rate "$RATE"
check_wait "v6 A->B: A's owner saw its socket go" "$srv"
expect "v6 A->B: A redirects" "$(flows A)" "redirect ${L//[\[\]]/} ${R//[\[\]]/} $(ip6 B) *;"
expect "v6 A->B: A's conntrack entry is gone" "$(ct_count A "$pport")" 0
wait_for test -e "$tmp/v2.owner"

move "v6 B->A" B A "$tmp/v2.owner" "" "$L" "$R" home
wait_for bash -c "[[ \$(ip netns exec ${NS[A]} conntrack -L -p tcp 2>/dev/null | grep -c 'port=$pport .*ASSURED') == 1 ]]"
expect "v6 home: A tracks the flow again, ESTABLISHED" "$(ct_state A "$pport")" ESTABLISHED
touch "$tmp/release6"
echo "# $SECONDS s: v6 moves done"
check_wait "v6: A (home) finished the stream" "$RESUMED"
check_wait "v6: peer verified every byte both ways" "$peer"
expect "v6 home: no flow left on A" "$(flows A)" ""
expect "v6 home: no conntrack entry on B" "$(ct_count B "$pport")" 0
for h in A B; do
	expect "v6: $h's firewall saw nothing INVALID" "$(invalid $h ip6tables | tr '\n' ' ')" "0 0 "
done
echo "# $SECONDS s: v6 stream done"
capture_check v6 $PORT "$(ip6 A)" "$BYTES" "B=$(mac B)"
sed 's/^/#   /' "$tmp"/peer.log "$tmp"/resume.log "$tmp"/serve.log

# --- Many connections moved at once, A -> B ---------------------------------
FAMILY=4
PORT=7103
N=${REDIRECT_CONNS:-20}
MBYTES=${REDIRECT_MBYTES:-200000}
mkdir "$tmp/m"
n A timeout "$TMO" python3 "$T" mserve $PORT "$N" "$tmp/m" "$MBYTES" --rate 5000 \
	>"$tmp/serve.log" 2>&1 &
srv=$!
wait_for listening A $PORT
n peer timeout "$TMO" python3 "$T" mpeer "$(ip4 A)" $PORT "$N" "$MBYTES" --rate 5000 \
	--release "$tmp/releasem" >"$tmp/peer.log" 2>&1 &
peer=$!
wait_for bash -c "[[ \$(ls $tmp/m | grep -c 'owner\$') == $N ]]"
owners=("$tmp"/m/c*.owner)
L=$(endpoint "$(ip4 A)" $PORT)
# One batch a host and step: Python starts slowly in the VM.
mapfile -t ids < <(for o in "${owners[@]}"; do
	echo "export $(owner_pid "$o") $(owner_fd "$o")"
done | n A python3 "$T" batch)
expect "$N at once: every export" "$(printf '%s\n' "${ids[@]}" | grep -c '^[0-9][0-9]*$')" "$N"
expect "$N at once: every checkpoint fetched" "$(for i in "${!ids[@]}"; do
	echo "fetch ${ids[i]} $tmp/ckpt$i"
done | n A python3 "$T" batch | grep -c '^[0-9][0-9]*$')" "$N"
mapfile -t sids < <(for i in "${!ids[@]}"; do
	echo "stage $tmp/ckpt$i --pending"
done | n B python3 "$T" batch)
expect "$N at once: every one staged on B" "$(printf '%s\n' "${sids[@]}" | grep -c '^[0-9][0-9]*$')" "$N"
expect "$N at once: ANSWER_AS on B" "$(for o in "${owners[@]}"; do
	echo "flow new answer_as $L $(endpoint "$(ip4 peer)" "$(owner_port "$o")") $(ip4 B)"
done | n B python3 "$T" batch | sort | uniq -c | awk '{ print $1, $2 }')" "$N OK"
expect "$N at once: commits with REDIRECT on A" "$(for i in "${!ids[@]}"; do
	echo "commit ${ids[i]} redirect $L $(endpoint "$(ip4 peer)" "$(owner_port "${owners[i]}")") $(ip4 B)"
done | n A python3 "$T" batch | sort | uniq -c | awk '{ print $1, $2 }')" "$N OK"
expect "$N at once: activated on B" "$(for sid in "${sids[@]}"; do
	echo "activate $sid"
done | n B python3 "$T" batch | sort | uniq -c | awk '{ print $1, $2 }')" "$N OK"
n B timeout "$TMO" python3 "$T" mresume "$tmp/m" "$N" "$MBYTES" >"$tmp/resume.log" 2>&1 &
res=$!
expect "$N at once: A redirects them all" "$(n A python3 "$T" flows | grep -c "^redirect $L ")" "$N"
expect "$N at once: A tracks none of them" "$(n A conntrack -L -p tcp 2>/dev/null | grep -c "port=$PORT ")" 0
touch "$tmp/releasem"
echo "# $SECONDS s: $N moved"
check_wait "$N at once: B finished every stream" "$res"
check_wait "$N at once: the peer verified every byte of each" "$peer"
check_wait "$N at once: A's server saw them all go" "$srv"
expect "$N at once: B's firewall saw nothing INVALID" "$(invalid B iptables | tr '\n' ' ')" "0 0 "
sed 's/^/#   /' "$tmp"/peer.log "$tmp"/resume.log | grep -v '^#   peer: sent' || true
echo "# $SECONDS s: $N checked"

rm -rf "$tmp"
finish
