#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sockmid: daemons negotiating, transferring and committing migrations.
#
#   peer (10.77.0.1) ---+
#   A    (10.77.0.2) ---+--- br0     service addresses 10.77.0.100/24 and
#   B    (10.77.0.3) ---+            fd77::100/64, on A at first, move
#   C    (10.77.0.4) ---+            with their connections (IP takeover)
#
# One sockmid on A, B and C, all with one key, multicast on eth0; C reads
# its settings from a configuration file. A real peer streams a verifiable
# pattern both ways (tests/lib/sockmi_test.py), and checks every byte,
# while its server's socket
#   1.  moves A -> B, exported by sysctl, to a named host; then, over IPv6
#       (service address fd77::100), A -> C;
#   2.  moves B -> A or C, exported by SOCKMI_CMD_EXPORT (sockmi_test.py),
#       to any host; then a connection with a full receive queue (a
#       checkpoint of many transfer records) moves from there back to B;
#   3.  is exported (sockmictl export, from here on) to a host whose daemon
#       is dead: no answer, rolled back;
#   4.  is exported, then its daemon gets SIGTERM: rolled back;
#   5.  is exported, then its daemon is killed and restarted: rolled back;
#   6.  is exported to a host whose staging list is full: rolled back;
#   7.  (crafted messages -- wrong key, tampered, replayed, stale, from the
#       future -- sent to a daemon are ignored and logged;)
#   8.  (SIGHUP reloads C's configuration file, a broken one is refused;)
#   9.  moves B -> A with the daemons in unicast mode (--peer) choosing the
#       least loaded host, C holding more connections than A;
#   10. (a daemon without a key refuses to start, one run --insecure says
#       so loudly.)
source "$(dirname "$0")/lib.sh"

need python3 iptables ip6tables

# The daemons add their -j SOCKMI rules: iptables must find the extension.
XTABLES_LIBDIR="$REPO/userland/iptables:$(pkg-config --variable=xtlibdir xtables 2>/dev/null ||
	echo /usr/lib/x86_64-linux-gnu/xtables)"
export XTABLES_LIBDIR
T="$REPO/tests/lib/sockmi_test.py"
W="$REPO/tests/lib/sockmid_wire.py"
BULK="$REPO/tests/lib/sockmid_bulk.py"
BULK_BYTES=1000000
SOCKMID="$REPO/userland/sockmid/sockmid"
BYTES=${SOCKMID_BYTES:-1500000}
# The peer is paced until the migration is decided (release NAME), so the
# stream is still flowing when it is exported, however fast the VM is.
RATE=${SOCKMID_RATE:-200000}
TIMEOUT_MS=2000
SERVICE=10.77.0.100
SERVICE6=fd77::100
tmp=$(mktemp -d)
declare -A DPID=()

modules_load
topology peer A B C
n A ip addr add "$SERVICE/24" dev eth0
n A ip addr add "$SERVICE6/64" dev eth0 nodad

# wait_long CMD...: poll until CMD succeeds, up to 30 s (emulated VMs
# on a busy machine start python slowly).
wait_long() {
	local i
	for ((i = 0; i < 300; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

stop_daemons() {
	local h
	for h in "${!DPID[@]}"; do
		kill "${DPID[$h]}" 2>/dev/null && wait "${DPID[$h]}" 2>/dev/null
	done
	return 0
}
# On an early exit, show what the daemons said.
on_exit() {
	local rc=$? h
	stop_daemons
	if [[ $rc -ne 0 ]]; then
		for f in "$tmp"/*.log "$tmp"/*.serve "$tmp"/*.peer "$tmp"/*.resume \
			"$tmp"/bulk.*; do
			[[ -e $f ]] || continue
			echo "# --- $(basename "$f")"
			sed 's/^/#   /' "$f" | tail -n 40
		done
	fi
	cleanup
	rm -rf "$tmp"
}
trap on_exit EXIT

(umask 077 && "$SOCKMICTL" genkey >"$tmp/key")
(umask 077 && "$SOCKMICTL" genkey >"$tmp/other.key")
cat >"$tmp/C.conf" <<EOF
# sockmid on C: the same settings as the others, from a file
key $tmp/key
iface = eth0
timeout $TIMEOUT_MS
takeover $SERVICE/24
takeover $SERVICE6/64
verbose
EOF

# start_daemon HOST [ARGS...]: sockmid in HOST, logging to $tmp/HOST.log.
start_daemon() {
	local h=$1 lines=0
	shift
	[[ ! -e $tmp/$h.log ]] || lines=$(wc -l <"$tmp/$h.log")
	pretty "$h" "$SOCKMID --foreground $*"
	# Not through n(): $! must be the daemon itself (ip execs it).
	ip netns exec "${NS[$h]}" "$SOCKMID" --foreground "$@" >>"$tmp/$h.log" 2>&1 &
	DPID[$h]=$!
	wait_long bash -c "tail -n +$((lines + 1)) '$tmp/$h.log' | grep -q 'started ('"
}
start_default() {
	case $1 in
	C) start_daemon C --config "$tmp/C.conf" ;;
	*) start_daemon "$1" --config /dev/null --key "$tmp/key" --iface eth0 \
		--timeout "$TIMEOUT_MS" --takeover "$SERVICE/24" \
		--takeover "$SERVICE6/64" --verbose ;;
	esac
}
# stop_daemon HOST SIGNAL
stop_daemon() {
	kill -"$2" "${DPID[$1]}"
	wait "${DPID[$1]}" 2>/dev/null || true
	unset "DPID[$1]"
}

listening() { [[ -n $(n "$1" ss -Hltn "sport = :$2") ]]; }
mac() { n "$1" cat /sys/class/net/eth0/address; }
neigh_mac() { n peer ip neigh show "$1" | awk '{ print $5 }'; }
has_addr() { n "$1" ip -o addr show dev eth0 | grep -q " $2/"; }
staged() { n "$1" python3 "$NL_TOOL" send --dump SOCKMI_CMD_GET_STAGED; }
# json FILE KEY: a number of the flat JSON object sockmi_test.py writes
# (no python: the stream must still be running when it is exported).
json() { sed -n "s/.*\"$2\": \([0-9]*\).*/\1/p" "$1"; }
# The "export id=ID ..." line of HOST's log, once there.
export_line() {
	wait_long grep -Eq "^sockmid: (warning: )?export id=$2 " "$tmp/$1.log" &&
		grep -E "^sockmid: (warning: )?export id=$2 " "$tmp/$1.log" | tail -n 1
}
dump_logs() { sed 's/^/#   /' "$@"; }

# stream HOST PORT NAME ADDR: a server on HOST, the peer connecting to
# ADDR, paced until release NAME; sets SRV, PEER; the owner's pid and fd
# are in $tmp/NAME.owner.
stream() {
	local v6=()
	[[ $4 != *:* ]] || v6=(--v6)
	n "$1" python3 "$T" serve "$2" "$tmp/$3" "$BYTES" "${v6[@]}" \
		>"$tmp/$3.serve" 2>&1 &
	SRV=$!
	wait_long listening "$1" "$2"
	n peer python3 "$T" peer "$4" "$2" "$BYTES" --rate "$RATE" \
		--release "$tmp/$3.go" >"$tmp/$3.peer" 2>&1 &
	PEER=$!
	wait_long test -e "$tmp/$3.owner"
}
owner_pid() { json "$tmp/$1.owner" pid; }
release() { touch "$tmp/$1.go"; }
owner_fd() { json "$tmp/$1.owner" fd; }

for h in A B C; do
	start_default "$h"
done
for h in A B C; do
	check "$h's daemon started (C from its configuration file)" \
		grep -q "started (.*): multicast group 239.255.77.1 port 8877 on eth0" "$tmp/$h.log"
done

# 1. sysctl, to a named host: A -> B, the service address with it.
stream A 7101 s1 "$SERVICE"
check "sysctl: export written to net.sockmi.export" \
	n A sysctl -qw net.sockmi.export="pid=$(owner_pid s1) fd=$(owner_fd s1) to=$(ip4 B)"
wait_long grep -q "export id=[0-9]* tuple=$SERVICE:7101-" "$tmp/A.log"
release s1
n B python3 "$T" resume "$tmp/s1" "$BYTES" >"$tmp/s1.resume" 2>&1 &
res=$!
check_wait "sysctl: B imported the socket and finished the stream" "$res"
check_wait "sysctl: peer verified every byte both ways" "$PEER"
check_wait "sysctl: A's owner saw its socket go" "$SRV"
check "sysctl: A logged one line: id, tuple, from, to, bytes, duration, committed" \
	grep -Eq "export id=[0-9]+ tuple=$SERVICE:7101-10.77.0.1:[0-9]+ from=10.77.0.2 to=10.77.0.3 bytes=[1-9][0-9]* duration_ms=[0-9]+ result=committed$" "$tmp/A.log"
check "sysctl: B logged the import as activated" \
	grep -Eq "import id=[0-9]+ tuple=$SERVICE:7101-10.77.0.1:[0-9]+ from=10.77.0.2 to=10.77.0.3 bytes=[1-9][0-9]* duration_ms=[0-9]+ result=activated$" "$tmp/B.log"
check "takeover: B holds the service address" has_addr B "$SERVICE"
check_not "takeover: A gave it up" has_addr A "$SERVICE"
expect "takeover: the peer's neighbour entry points at B (gratuitous ARP)" \
	"$(neigh_mac "$SERVICE")" "$(mac B)"
expect "takeover: A's hold on the moved flow was lifted" \
	"$(n A python3 "$NL_TOOL" send --dump SOCKMI_CMD_GET_FLOW)" "OK 0 messages"
expect "sysctl: nothing left staged on B" "$(staged B)" "OK 0 messages"

# 1b. IPv6: A -> C, fd77::100 with it, announced by neighbour advertisement.
stream A 7111 s11 "$SERVICE6"
check "v6: export written to net.sockmi.export" \
	n A sysctl -qw net.sockmi.export="pid=$(owner_pid s11) fd=$(owner_fd s11) to=$(ip6 C)"
wait_long grep -q "export id=[0-9]* tuple=\[$SERVICE6\]:7111-" "$tmp/A.log"
release s11
n C python3 "$T" resume "$tmp/s11" "$BYTES" >"$tmp/s11.resume" 2>&1 &
res=$!
check_wait "v6: C imported the socket and finished the stream" "$res"
check_wait "v6: peer verified every byte both ways" "$PEER"
check_wait "v6: A's owner saw its socket go" "$SRV"
check "v6: A logged the move to C" \
	grep -Eq "export id=[0-9]+ tuple=\[$SERVICE6\]:7111-\[fd77::1\]:[0-9]+ from=10.77.0.2 to=10.77.0.4 .* result=committed$" "$tmp/A.log"
check "v6: C holds fd77::100" has_addr C "$SERVICE6"
check_not "v6: A gave it up" has_addr A "$SERVICE6"
expect "v6: the peer's neighbour entry points at C (unsolicited advertisement)" \
	"$(neigh_mac "$SERVICE6")" "$(mac C)"

# 2. SOCKMI_CMD_EXPORT, to any host: B -> A or C.
stream B 7102 s2 "$SERVICE"
id=$(n B python3 "$T" export "$(owner_pid s2)" "$(owner_fd s2)") || true
expect "any: exported by SOCKMI_CMD_EXPORT" "$id" "[0-9]*"
line=$(export_line B "$id") || true
release s2
expect "any: B committed it" "$line" "*result=committed"
to=$(sed -n 's/.* to=\([0-9.]*\) .*/\1/p' <<<"$line")
case $to in
10.77.0.2) winner=A ;;
10.77.0.4) winner=C ;;
*) winner=none ;;
esac
expect "any: A or C imported it" "$winner" "[AC]"
if [[ $winner != none ]]; then
	n "$winner" python3 "$T" resume "$tmp/s2" "$BYTES" >"$tmp/s2.resume" 2>&1 &
	res=$!
	check_wait "any: $winner finished the stream" "$res"
	check "any: $winner holds the service address" has_addr "$winner" "$SERVICE"
	check_not "any: B gave it up" has_addr B "$SERVICE"
	loser=$([[ $winner == A ]] && echo C || echo A)
	expect "any: $loser staged nothing" "$(staged "$loser")" "OK 0 messages"
else
	kill "$SRV" 2>/dev/null
	release s2
fi
check_wait "any: peer verified every byte both ways" "$PEER"
check_wait "any: B's owner saw its socket go" "$SRV"

# 2b. A full receive queue: the checkpoint spans many records.
recvq_over() { [[ $(n "$1" ss -Htn "sport = :$2" | awk '{ print $2 }') -ge $3 ]]; }
if [[ $winner != none ]]; then
	n "$winner" python3 "$BULK" serve 7107 "$tmp/bulk.owner" >"$tmp/bulk.serve" 2>&1 &
	bsrv=$!
	wait_long listening "$winner" 7107
	n peer python3 "$BULK" client "$SERVICE" 7107 "$BULK_BYTES" >"$tmp/bulk.client" 2>&1 &
	bcli=$!
	check "bulk: the server's receive queue filled up" \
		wait_long recvq_over "$winner" 7107 300000
	id=$(n "$winner" python3 "$T" export "$(json "$tmp/bulk.owner" pid)" \
		"$(json "$tmp/bulk.owner" fd)" "$(ip4 B)") || true
	n B python3 "$BULK" import "$BULK_BYTES" >"$tmp/bulk.import" 2>&1 &
	bimp=$!
	check_wait "bulk: B read every byte, in order" "$bimp"
	check_wait "bulk: the client got B's answer" "$bcli"
	check_wait "bulk: $winner's server saw its socket go" "$bsrv"
	line=$(export_line "$winner" "$id") || true
	expect "bulk: committed with a checkpoint of many records" "$line" \
		"*to=10.77.0.3 bytes=[1-9][0-9][0-9][0-9][0-9][0-9]* duration_ms=* result=committed"
	check "bulk: B holds the service address again" has_addr B "$SERVICE"
fi

# 3. No answer: C's daemon is dead; the owner keeps its socket.
stop_daemon C KILL
stream B 7103 s3 "$(ip4 B)"
id=$(n B "$SOCKMICTL" export pid "$(owner_pid s3)" fd "$(owner_fd s3)" to "$(ip4 C)") || true
expect "no answer: exported to C" "$id" "[0-9]*"
line=$(export_line B "$id") || true
release s3
check_wait "no answer: the owner got its socket back and finished" "$SRV"
check_wait "no answer: peer verified every byte both ways" "$PEER"
check "no answer: the owner saw the freeze, then the thaw" grep -q "given back" "$tmp/s3.serve"
expect "no answer: B logged the rollback" "$line" \
	"*to=- bytes=0 duration_ms=* result=aborted reason=\"no importer answered within $TIMEOUT_MS ms\""

# 4. SIGTERM with an export pending: rolled back before the daemon goes.
stream B 7104 s4 "$(ip4 B)"
id=$(n B "$SOCKMICTL" export pid "$(owner_pid s4)" fd "$(owner_fd s4)" to "$(ip4 C)") || true
wait_long grep -q "export $id .*looking for an importer" "$tmp/B.log"
stop_daemon B TERM
expect "SIGTERM: the pending export was rolled back" "$(export_line B "$id")" \
	"*result=aborted reason=\"sockmid is shutting down\""
release s4
expect "SIGTERM: nothing left exporting on B" "$(staged B)" "OK 0 messages"
check_wait "SIGTERM: the owner got its socket back and finished" "$SRV"
check_wait "SIGTERM: peer verified every byte both ways" "$PEER"
start_default B

# 5. The exporter's daemon dies mid-way and restarts: rolled back at start.
stream B 7105 s5 "$(ip4 B)"
id=$(n B "$SOCKMICTL" export pid "$(owner_pid s5)" fd "$(owner_fd s5)" to "$(ip4 C)") || true
wait_long grep -q "export $id .*looking for an importer" "$tmp/B.log"
stop_daemon B KILL
expect "restart: the export outlives its daemon, frozen" "$(staged B)" "OK 1 messages"
start_default B
expect "restart: the new daemon rolled it back" "$(export_line B "$id")" \
	"*result=aborted reason=\"left in progress by a previous sockmid: rolled back\""
release s5
check_wait "restart: the owner got its socket back and finished" "$SRV"
check_wait "restart: peer verified every byte both ways" "$PEER"

# 6. The importer's staging list is full: STAGE fails, rolled back.
start_default C
max=$(n C sysctl -n net.sockmi.max_connected)
n C sysctl -qw net.sockmi.max_connected=0
stream B 7106 s6 "$(ip4 B)"
id=$(n B "$SOCKMICTL" export pid "$(owner_pid s6)" fd "$(owner_fd s6)" to "$(ip4 C)") || true
line=$(export_line B "$id") || true
release s6
expect "list full: B rolled back, saying why" "$line" \
	"*to=10.77.0.4 bytes=[1-9]* result=aborted reason=\"the importer refused: STAGE failed: No space left on device*"
check "list full: C logged the refusal" \
	grep -Eq "import id=$id tuple=10.77.0.3:7106-.* result=refused reason=\"STAGE failed: No space left" "$tmp/C.log"
expect "list full: nothing staged on C" "$(staged C)" "OK 0 messages"
check_wait "list full: the owner got its socket back and finished" "$SRV"
check_wait "list full: peer verified every byte both ways" "$PEER"
n C sysctl -qw net.sockmi.max_connected="$max"

# 7. Crafted messages: only the authentic, fresh, first copy is answered.
out=$(n peer python3 "$W" probe "$tmp/key" "$(ip4 B)" 8877 "$tmp/other.key" 2>&1) || true
expect "crafted: a valid request gets an offer" "$(grep '^valid ' <<<"$out")" "valid offer"
expect "crafted: a replayed request is ignored" "$(grep '^replayed ' <<<"$out")" "replayed silent"
expect "crafted: a tampered request is ignored" "$(grep '^tampered ' <<<"$out")" "tampered silent"
expect "crafted: a request under another key is ignored" "$(grep '^wrong-key ' <<<"$out")" "wrong-key silent"
expect "crafted: a stale request is ignored" "$(grep '^stale ' <<<"$out")" "stale silent"
expect "crafted: a request from the future is ignored" "$(grep '^future ' <<<"$out")" "future silent"
check "crafted: B logged the forgeries" \
	grep -q "dropped a message from 10.77.0.1:[0-9]*: authentication failed" "$tmp/B.log"
check "crafted: B logged the replay" \
	grep -q "dropped a request message from 10.77.0.1:[0-9]*: replayed" "$tmp/B.log"
check "crafted: B logged the stale one" \
	grep -q "dropped a request message from 10.77.0.1:[0-9]*: stale" "$tmp/B.log"

# 8. SIGHUP reloads the configuration; a bad one is refused, kept running.
sed -i "s/^timeout .*/timeout 2500/" "$tmp/C.conf"
kill -HUP "${DPID[C]}"
check "SIGHUP: C reloaded its configuration" \
	wait_long grep -q "configuration reloaded (.*timeout 2500 ms" "$tmp/C.log"
echo "bogus key" >>"$tmp/C.conf"
kill -HUP "${DPID[C]}"
check "SIGHUP: a broken file is refused, the old settings stay" \
	wait_long grep -q "reload failed, the running configuration stays: $tmp/C.conf:[0-9]*: unknown key 'bogus'" "$tmp/C.log"
check "SIGHUP: C still runs" kill -0 "${DPID[C]}"

# 9. Unicast, least loaded: C holds more connections than A.
for h in A B C; do
	stop_daemon "$h" TERM
done
for h in A B C; do
	peers=()
	for p in A B C; do
		[[ $p == "$h" ]] || peers+=(--peer "$(ip4 "$p")")
	done
	start_daemon "$h" --config /dev/null --key "$tmp/key" --iface eth0 \
		--timeout "$TIMEOUT_MS" --takeover "$SERVICE/24" --verbose \
		--policy least-loaded --window 1000 "${peers[@]}"
done
check "unicast: the daemons run in unicast mode" \
	grep -q "started (.*): unicast to 2 peers, port 8877, policy least-loaded" "$tmp/B.log"
# Not through n(): $! must be python itself, to be killed.
ip netns exec "${NS[C]}" python3 -c '
import socket, sys, time
l = socket.socket(); l.bind(("127.0.0.1", 9000)); l.listen(8)
c = [socket.create_connection(("127.0.0.1", 9000)) for _ in range(3)]
a = [l.accept() for _ in range(3)]
open(sys.argv[1], "w").close()
time.sleep(120)' "$tmp/load.ready" &
loader=$!
check "unicast: C holds 6 more established connections" wait_long test -e "$tmp/load.ready"
stream B 7110 s10 "$SERVICE"
id=$(n B "$SOCKMICTL" export pid "$(owner_pid s10)" fd "$(owner_fd s10)") || true
line=$(export_line B "$id") || true
release s10
expect "unicast: the least loaded host, A, imported it" "$line" \
	"*to=10.77.0.2 bytes=* result=committed"
check "unicast: chosen among the offers of A and C" \
	grep -q "export $id: 10.77.0.2:8877 chosen among 2 offers" "$tmp/B.log"
n A python3 "$T" resume "$tmp/s10" "$BYTES" >"$tmp/s10.resume" 2>&1 &
res=$!
check_wait "unicast: A finished the stream" "$res"
check_wait "unicast: peer verified every byte both ways" "$PEER"
check_wait "unicast: B's owner saw its socket go" "$SRV"
check "unicast: A holds the service address" has_addr A "$SERVICE"
kill "$loader" 2>/dev/null; wait "$loader" 2>/dev/null || true

# 10. No key, no start; --insecure is loud.
out=$(n peer "$SOCKMID" --foreground --iface eth0 2>&1) && rc=0 || rc=$?
expect "no key: sockmid refuses to start" "$rc: $out" "2: sockmid: no key: give key FILE*"
out=$(n peer "$SOCKMID" --foreground --key "$tmp/nonexistent" 2>&1) && rc=0 || rc=$?
expect "no key: a missing key file is named" "$rc: $out" "2: sockmid: key file $tmp/nonexistent: No such file or directory"
start_daemon peer --insecure --iface eth0
check "insecure: logged loudly" grep -q "warning: INSECURE: running without a key" "$tmp/peer.log"

stop_daemons
DPID=()
for h in A B C; do
	check "no errors in $h's log (but the refused reload)" \
		bash -c "! grep -E '^sockmid: error' '$tmp/$h.log' | grep -v 'reload failed'"
done
if [[ $T_FAILED -ne 0 ]]; then
	for h in A B C peer; do
		echo "# --- $h.log"
		dump_logs "$tmp/$h.log"
	done
	for f in "$tmp"/*.serve "$tmp"/*.peer "$tmp"/*.resume "$tmp"/bulk.*; do
		[[ -e $f ]] && { echo "# --- $(basename "$f")"; dump_logs "$f"; }
	done
fi
finish
