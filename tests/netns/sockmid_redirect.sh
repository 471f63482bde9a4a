#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sockmid, redirection mode: both hosts keep their own addresses.
#
#   peer (10.77.0.1) ---+
#   A    (10.77.0.2) ---+--- br0     peer -> A -> (B|C), (B|C) -> peer
#   B    (10.77.0.3) ---+
#   C    (10.77.0.4) ---+
#
# One sockmid on A, B and C, with a key, no takeover address: every move is
# redirected by xt_SOCKMI. The daemons install their -j SOCKMI rules.
#   1. Rules: each daemon adds "-t raw -A PREROUTING -j SOCKMI" for iptables
#      and ip6tables, once (C's administrator added the IPv4 one already:
#      not duplicated, and left in place at exit); a missing extension is
#      a clear start-up error.
#   2. A live stream, paced both ways, its server socket moved
#      A -> W (sockmictl export without "to": any host) -> the other one
#      (A, the address owner, is asked to redirect there) -> A (home: A's
#      REDIRECT goes). Checked: every byte arrives once and in order both
#      ways; the peer's capture shows only A's address as the server's
#      source (in frames B and C sent themselves too), no RST, and no FIN
#      before the last byte; the flows on every host after every move.
#   2b. The same with an IPv6 connection (IPv4 daemons): A -> B -> A.
#   3. The importer's daemon is killed after the confirm, its copy staged:
#      A rolls back, the stream carries on at A; the copy never goes live,
#      the next daemon on B drops it.
#   4. At exit the daemons remove the rules they added, only those;
#      --no-rules (here as a configuration key) leaves them alone.
source "$(dirname "$0")/lib.sh"

need python3 iptables ip6tables dumpcap tshark

XTABLES_LIBDIR="$REPO/userland/iptables:$(pkg-config --variable=xtlibdir xtables 2>/dev/null ||
	echo /usr/lib/x86_64-linux-gnu/xtables)"
export XTABLES_LIBDIR
T="$REPO/tests/lib/sockmi_test.py"
SOCKMID="$REPO/userland/sockmid/sockmid"
BYTES=${SOCKMID_REDIRECT_BYTES:-1500000}
# Paced both ways until the moves are done (release), so that the stream
# is live during each of them however slow or fast the VM is.
RATE=${SOCKMID_REDIRECT_RATE:-8000}
KBYTES6=600000
TIMEOUT_MS=2000
TMO=600
tmp=$(mktemp -d)
declare -A DPID=()

modules_load
topology peer A B C

stop_daemons() {
	local h
	for h in "${!DPID[@]}"; do
		kill "${DPID[$h]}" 2>/dev/null && wait "${DPID[$h]}" 2>/dev/null
	done
	return 0
}
on_exit() {
	local rc=$? f
	stop_daemons
	if [[ $rc -ne 0 || $T_FAILED -ne 0 ]]; then
		for f in "$tmp"/*.log "$tmp"/*.serve "$tmp"/*.peer "$tmp"/*.resume; do
			[[ -e $f ]] || continue
			echo "# --- $(basename "$f")"
			sed 's/^/#   /' "$f" | tail -n 60
		done
	fi
	cleanup
	rm -rf "$tmp"
}
trap on_exit EXIT

(umask 077 && "$SOCKMICTL" genkey >"$tmp/key")

# start_daemon HOST [ARGS...]: sockmid in HOST, logging to $tmp/HOST.log.
start_daemon() {
	local h=$1 lines=0
	shift
	[[ ! -e $tmp/$h.log ]] || lines=$(wc -l <"$tmp/$h.log")
	pretty "$h" "$SOCKMID --foreground $*"
	ip netns exec "${NS[$h]}" "$SOCKMID" --foreground "$@" >>"$tmp/$h.log" 2>&1 &
	DPID[$h]=$!
	wait_long bash -c "tail -n +$((lines + 1)) '$tmp/$h.log' | grep -q 'started ('"
}
start_default() {
	start_daemon "$1" --config /dev/null --key "$tmp/key" --iface eth0 \
		--timeout "$TIMEOUT_MS" --verbose "${@:2}"
}
stop_daemon() {
	kill -"$2" "${DPID[$1]}"
	wait "${DPID[$1]}" 2>/dev/null || true
	unset "DPID[$1]"
}
# rules HOST iptables|ip6tables: how many -j SOCKMI rules raw PREROUTING has.
rules() { n "$1" "$2" -t raw -S PREROUTING | grep -c -- '-j SOCKMI' || true; }
json() { sed -n "s/.*\"$2\": \([0-9]*\).*/\1/p" "$1"; }
owner_pid() { json "$tmp/$1.owner" pid; }
owner_fd() { json "$tmp/$1.owner" fd; }
export_line() {
	wait_long grep -Eq "^sockmid: (warning: )?export id=$2 " "$tmp/$1.log" &&
		grep -E "^sockmid: (warning: )?export id=$2 " "$tmp/$1.log" | tail -n 1
}
import_line() {
	wait_long grep -Eq "^sockmid: (warning: )?import id=$2 " "$tmp/$1.log" &&
		grep -E "^sockmid: (warning: )?import id=$2 " "$tmp/$1.log" | tail -n 1
}
# flows HOST: "ACTION LOCAL REMOTE VIA;" for each flow (holds too).
flows() {
	n "$1" "$SOCKMICTL" flows | awk 'NR > 1 { print $3, $1, $2, $4 }' |
		sort | tr '\n' ';'
}
# staged HOST: how many sockets are staged or being exported.
staged() { n "$1" "$SOCKMICTL" list | tail -n +2 | wc -l; }
mac() { n "$1" cat /sys/class/net/eth0/address; }
listening() { [[ -n $(n "$1" ss -Hltn "sport = :$2") ]]; }
host_of() {
	case $1 in
	10.77.0.2) echo A ;;
	10.77.0.3) echo B ;;
	10.77.0.4) echo C ;;
	*) echo none ;;
	esac
}

# --- 1. Rules ---------------------------------------------------------------
echo "# $SECONDS s: set up"
out=$(XTABLES_LIBDIR=$tmp/nowhere n A "$SOCKMID" --foreground --config /dev/null \
	--key "$tmp/key" --iface eth0 2>&1) && rc=0 || rc=$?
expect "rules: without the extension sockmid refuses to start, naming it" \
	"$rc: $out" "1: *iptables cannot find its SOCKMI extension (libxt_SOCKMI.so) in XTABLES_LIBDIR=$tmp/nowhere*"
expect "rules: and added nothing" "$(rules A iptables) $(rules A ip6tables)" "0 0"

n C iptables -t raw -A PREROUTING -j SOCKMI
for h in A B C; do
	start_default "$h"
done
for h in A B C; do
	expect "rules: $h has one IPv4 and one IPv6 -j SOCKMI rule" \
		"$(rules "$h" iptables) $(rules "$h" ip6tables)" "1 1"
done
check "rules: C found the administrator's IPv4 rule and kept out of it" \
	grep -q "iptables -t raw PREROUTING -j SOCKMI: present, left to the administrator" "$tmp/C.log"
check "rules: C added only the IPv6 one" \
	grep -q "added ip6tables -t raw -A PREROUTING -j SOCKMI" "$tmp/C.log"
check_not "rules: ... not the IPv4 one" \
	grep -q "added iptables -t raw -A PREROUTING -j SOCKMI" "$tmp/C.log"

# --- 2. A -> W -> V -> A, a live stream -----------------------------------
echo "# $SECONDS s: daemons started"
PORT=7201
ip netns exec "${NS[peer]}" timeout "$TMO" dumpcap -q -s 128 -i eth0 \
	-f "tcp port $PORT" -w "$tmp/cap.pcapng" >"$tmp/dumpcap.log" 2>&1 &
CAPTURE=$!
check "capture: dumpcap runs on the peer" wait_long grep -q Capturing "$tmp/dumpcap.log"
n A timeout "$TMO" python3 "$T" serve $PORT "$tmp/s1" "$BYTES" --rate "$RATE" \
	--release "$tmp/go" >"$tmp/s1.serve" 2>&1 &
srv=$!
check "server on A listening" wait_long listening A $PORT
n peer timeout "$TMO" python3 "$T" peer "$(ip4 A)" $PORT "$BYTES" --rate "$RATE" \
	--release "$tmp/go" >"$tmp/stream.peer" 2>&1 &
peer=$!
wait_long test -e "$tmp/s1.owner"
pport=$(n peer ss -Htn "dport = :$PORT" | awk '{ n = split($4, a, ":"); print a[n] }')
L="$(ip4 A):$PORT"
R="$(ip4 peer):$pport"

echo "# $SECONDS s: stream flowing, hop 1"
id=$(n A "$SOCKMICTL" export pid "$(owner_pid s1)" fd "$(owner_fd s1)") || true
expect "hop 1: sockmictl export without a target" "$id" "[0-9]*"
line=$(export_line A "$id") || true
expect "hop 1: A committed it" "$line" "*tuple=$L-$R from=10.77.0.2 to=10.77.0.* result=committed"
W=$(host_of "$(sed -n 's/.* to=\([0-9.]*\) .*/\1/p' <<<"$line")")
expect "hop 1: B or C imported it" "$W" "[BC]"
[[ $W == C ]] && V=B || V=C
n "$W" timeout "$TMO" python3 "$T" resume "$tmp/s1" "$BYTES" --next "$tmp/s2" \
	--rate "$RATE" --release "$tmp/go" >"$tmp/s1.resume" 2>&1 &
res1=$!
check_wait "hop 1: A's owner saw its socket go" "$srv"
check "hop 1: $W imported it" wait_long test -e "$tmp/s2.owner"
expect "hop 1: A redirects to $W" "$(flows A)" "redirect $L $R $(ip4 "$W");"
expect "hop 1: $W answers as A" "$(flows "$W")" "answer-as $L $R $(ip4 "$W");"
expect "hop 1: nothing on $V" "$(flows "$V")" ""

# The address owner's daemon is stopped: W cannot have A redirect to V, so
# it rolls back; A, woken up, finds the REROUTE withdrawn (UNDO, hang-up).
echo "# $SECONDS s: hop 2, A's daemon stopped"
kill -STOP "${DPID[A]}"
id=$(n "$W" "$SOCKMICTL" export pid "$(owner_pid s2)" fd "$(owner_fd s2)" to "$(ip4 "$V")") || true
line=$(export_line "$W" "$id") || true
kill -CONT "${DPID[A]}"
expect "owner stopped: $W rolled back, A did not answer" "$line" \
	"*to=$(ip4 "$V") * result=aborted reason=\"timed out in state reroute\""
check "owner stopped: $V dropped its copy" \
	wait_long grep -Eq "import id=$id .* result=unstaged" "$tmp/$V.log"
check "owner stopped: A, woken up, saw the REROUTE withdrawn and left the flow alone" \
	wait_long grep -q "flow $L-$R: $(ip4 "$W"):[0-9]* asked to redirect it, then withdrew before we read it: nothing changed" "$tmp/A.log"
expect "owner stopped: A redirects to $W still" "$(flows A)" "redirect $L $R $(ip4 "$W");"
expect "owner stopped: nothing on $V" "$(flows "$V")" ""
expect "owner stopped: $W's process kept its socket" "$(staged "$W")" 0
echo "# $SECONDS s: hop 2"
id=$(n "$W" "$SOCKMICTL" export pid "$(owner_pid s2)" fd "$(owner_fd s2)" to "$(ip4 "$V")") || true
expect "hop 2: $W exported it to $V" "$id" "[0-9]*"
line=$(export_line "$W" "$id") || true
expect "hop 2: $W committed it" "$line" "*tuple=$L-$R from=$(ip4 "$W") to=$(ip4 "$V") * result=committed"
expect "hop 2: A, the address owner, redirected to $V when asked" \
	"$(grep -c "flow $L-$R: redirected to $(ip4 "$V") instead of $(ip4 "$W"), asked by $(ip4 "$W")" "$tmp/A.log")" 1
n "$V" timeout "$TMO" python3 "$T" resume "$tmp/s2" "$BYTES" --next "$tmp/s3" \
	--rate "$RATE" --release "$tmp/go" >"$tmp/s2.resume" 2>&1 &
res2=$!
check_wait "hop 2: $W's process saw its socket go" "$res1"
check "hop 2: $V imported it" wait_long test -e "$tmp/s3.owner"
expect "hop 2: A redirects to $V" "$(flows A)" "redirect $L $R $(ip4 "$V");"
expect "hop 2: $V answers as A" "$(flows "$V")" "answer-as $L $R $(ip4 "$V");"
expect "hop 2: nothing left on $W" "$(flows "$W")" ""

echo "# $SECONDS s: home"
id=$(n "$V" "$SOCKMICTL" export pid "$(owner_pid s3)" fd "$(owner_fd s3)" to "$(ip4 A)") || true
expect "home: $V exported it to A" "$id" "[0-9]*"
line=$(export_line "$V" "$id") || true
expect "home: $V committed it" "$line" "*tuple=$L-$R from=$(ip4 "$V") to=10.77.0.2 * result=committed"
n A timeout "$TMO" python3 "$T" resume "$tmp/s3" "$BYTES" --rate "$RATE" \
	--release "$tmp/go" >"$tmp/s3.resume" 2>&1 &
res3=$!
check_wait "home: $V's process saw its socket go" "$res2"
check "home: A logged the homecoming" grep -q "home again, no longer redirected" "$tmp/A.log"
expect "home: no flow left on A" "$(flows A)" ""
expect "home: none on $V" "$(flows "$V")" ""
touch "$tmp/go"
echo "# $SECONDS s: moves done, released"
check_wait "home: A finished the stream" "$res3"
check_wait "stream: the peer verified every byte both ways" "$peer"
sed 's/^/#   /' "$tmp/stream.peer" "$tmp"/s[123].resume
check "owner stopped: $W's process saw the freeze, then the thaw" \
	grep -q "socket given back" "$tmp/s1.resume"
expect "stream: nothing staged anywhere" "$(staged A) $(staged B) $(staged C)" "0 0 0"

kill -INT "$CAPTURE" || true
wait "$CAPTURE" || true
tshark -r "$tmp/cap.pcapng" -o tcp.relative_sequence_numbers:TRUE \
	-T fields -E separator=, -e eth.src -e ip.src -e tcp.srcport \
	-e tcp.dstport -e tcp.flags.reset -e tcp.flags.fin -e tcp.nxtseq \
	2>/dev/null | sed 's/True/1/g; s/False/0/g' >"$tmp/cap.txt"
expect "capture: the peer captured the stream" "$(wc -l <"$tmp/cap.txt")" "[1-9][0-9][0-9]*"
expect "capture: the server side's source is always A" \
	"$(awk -F, -v p="$PORT" '$3 == p { print $2 }' "$tmp/cap.txt" | sort -u)" "$(ip4 A)"
expect "capture: no RST either way" "$(awk -F, '$5 == 1' "$tmp/cap.txt" | wc -l)" 0
expect "capture: a FIN each way, only after the last byte" \
	"$(awk -F, '$6 == 1 { print $3, $7 }' "$tmp/cap.txt" | sort -u |
	awk '{ print $2 }' | tr '\n' ' ')" "$((BYTES + 2)) $((BYTES + 2)) "
for h in B C; do
	expect "capture: frames as A sent by $h itself" \
		"$(awk -F, -v mac="$(mac "$h")" -v p="$PORT" '$1 == mac && $3 == p' \
		"$tmp/cap.txt" | wc -l)" "[1-9]*"
done

echo "# $SECONDS s: stream checked"

# --- 2b. IPv6 connection, IPv4 daemons: A -> B -> A ------------------------
# B takes the peer's packets at its IPv6 address (the transfer is IPv4).
PORT=7203
n A timeout "$TMO" python3 "$T" serve $PORT "$tmp/v1" "$KBYTES6" --v6 --rate "$RATE" \
	--release "$tmp/go6" >"$tmp/v1.serve" 2>&1 &
srv=$!
check "v6: server on A listening" wait_long listening A $PORT
n peer timeout "$TMO" python3 "$T" peer "$(ip6 A)" $PORT "$KBYTES6" --rate "$RATE" \
	--release "$tmp/go6" >"$tmp/v6.peer" 2>&1 &
peer=$!
wait_long test -e "$tmp/v1.owner"
pport=$(n peer ss -Htn "dport = :$PORT" | awk '{ n = split($4, a, ":"); print a[n] }')
L6="[$(ip6 A)]:$PORT"
R6="[$(ip6 peer)]:$pport"
# The same as patterns of expect (brackets are literal).
L6p="\\[$(ip6 A)\\]:$PORT"
R6p="\\[$(ip6 peer)\\]:$pport"
id=$(n A "$SOCKMICTL" export pid "$(owner_pid v1)" fd "$(owner_fd v1)" to "$(ip4 B)") || true
line=$(export_line A "$id") || true
expect "v6: A committed it to B" "$line" "*tuple=$L6p-$R6p from=10.77.0.2 to=10.77.0.3 * result=committed"
n B timeout "$TMO" python3 "$T" resume "$tmp/v1" "$KBYTES6" --next "$tmp/v2" \
	--rate "$RATE" --release "$tmp/go6" >"$tmp/v1.resume" 2>&1 &
res1=$!
check "v6: B imported it" wait_long test -e "$tmp/v2.owner"
expect "v6: A redirects to B's IPv6 address" "$(flows A)" "redirect $L6p $R6p $(ip6 B);"
expect "v6: B answers as A there" "$(flows B)" "answer-as $L6p $R6p $(ip6 B);"
id=$(n B "$SOCKMICTL" export pid "$(owner_pid v2)" fd "$(owner_fd v2)" to "$(ip4 A)") || true
line=$(export_line B "$id") || true
expect "v6: B sent it home" "$line" "*tuple=$L6p-$R6p from=10.77.0.3 to=10.77.0.2 * result=committed"
n A timeout "$TMO" python3 "$T" resume "$tmp/v2" "$KBYTES6" --rate "$RATE" \
	--release "$tmp/go6" >"$tmp/v2.resume" 2>&1 &
res2=$!
check_wait "v6: B's process saw its socket go" "$res1"
touch "$tmp/go6"
check_wait "v6: A finished the stream" "$res2"
check_wait "v6: the peer verified every byte both ways" "$peer"
expect "v6: no flow left on A or B" "$(flows A)$(flows B)" ""
echo "# $SECONDS s: v6 checked"
# --- 3. The importer's daemon dies after the confirm --------------------------
# B's answers on the transfer (STAGED) never leave B, its ACKs do: B stages
# the copy, then its daemon is killed before A hears of it.
PORT=7202
n B iptables -A OUTPUT -p tcp --sport 8877 -m length --length 100:65535 -j DROP
KBYTES=600000
n A timeout "$TMO" python3 "$T" serve $PORT "$tmp/k1" "$KBYTES" --rate "$RATE" \
	--release "$tmp/kgo" >"$tmp/k1.serve" 2>&1 &
srv=$!
check "server on A listening" wait_long listening A $PORT
n peer timeout "$TMO" python3 "$T" peer "$(ip4 A)" $PORT "$KBYTES" --rate "$RATE" \
	--release "$tmp/kgo" >"$tmp/k.peer" 2>&1 &
peer=$!
wait_long test -e "$tmp/k1.owner"
since=$(wc -l <"$tmp/B.log")
id=$(n A "$SOCKMICTL" export pid "$(owner_pid k1)" fd "$(owner_fd k1)" to "$(ip4 B)") || true
expect "importer killed: exported to B" "$id" "[0-9]*"
check "importer killed: B staged the copy, pending" \
	wait_long bash -c "tail -n +$((since + 1)) '$tmp/B.log' | grep -q 'import of export $id: stage-ok: stage -> staged'"
stop_daemon B KILL
echo "# $SECONDS s: B's daemon killed"
line=$(export_line A "$id") || true
expect "importer killed: A rolled back" "$line" "*to=10.77.0.3 bytes=[1-9]* result=aborted*"
touch "$tmp/kgo"
expect "importer killed: B's copy stays pending, never live" \
	"$(n B "$SOCKMICTL" list | awk 'NR > 1 { print $2, $6 }')" "connected pending"
n B iptables -D OUTPUT -p tcp --sport 8877 -m length --length 100:65535 -j DROP
start_default B
echo "# $SECONDS s: B's daemon restarted"
check "importer killed: B's next daemon dropped the pending copy" \
	grep -q "was left pending by a previous sockmid: unstaged" "$tmp/B.log"
expect "importer killed: nothing staged on B" "$(staged B)" 0
expect "importer killed: nor its answer-as flow" "$(flows B)" ""
check "importer killed: B's next daemon took over the rules the killed one left" \
	grep -q "ip6tables -t raw PREROUTING -j SOCKMI: left by a previous sockmid, kept" "$tmp/B.log"
expect "importer killed: still one rule each on B" \
	"$(rules B iptables) $(rules B ip6tables)" "1 1"
expect "importer killed: A redirects nothing" "$(flows A)" ""
check_wait "importer killed: A's owner finished the stream" "$srv"
check "importer killed: A's owner saw the freeze, then the thaw" \
	grep -q "socket given back" "$tmp/k1.serve"
check_wait "importer killed: the peer verified every byte both ways" "$peer"

echo "# $SECONDS s: rollback checked"
# --- 4. Rules at exit, --no-rules ---------------------------------------------
for h in A B C; do
	stop_daemon "$h" TERM
done
expect "exit: A removed both its rules" "$(rules A iptables) $(rules A ip6tables)" "0 0"
expect "exit: B too" "$(rules B iptables) $(rules B ip6tables)" "0 0"
expect "exit: C removed its IPv6 rule, left the administrator's IPv4 one" \
	"$(rules C iptables) $(rules C ip6tables)" "1 0"
printf 'key %s\niface eth0\nno-rules\n' "$tmp/key" >"$tmp/norules.conf"
n A iptables -t raw -A PREROUTING -j SOCKMI
start_daemon A --config "$tmp/norules.conf"
expect "no-rules: sockmid started and added no rule" \
	"$(rules A iptables) $(rules A ip6tables)" "1 0"
stop_daemon A TERM
expect "no-rules: and removed none at exit" \
	"$(rules A iptables) $(rules A ip6tables)" "1 0"
check "no-rules: the daemon said so" \
	grep -q "no-rules: the -j SOCKMI rules are the administrator's" "$tmp/A.log"

for h in A B C; do
	check "no errors in $h's log" bash -c "! grep -q '^sockmid: error' '$tmp/$h.log'"
done
finish
