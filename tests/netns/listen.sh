#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Listening sockets move with their accept queue, bound sockets move and
# can then listen() or connect():
#
#   peer (10.77.0.1, fd77::1) ---+
#   A    (10.77.0.2, fd77::2) ---+--- br0
#   B    (10.77.0.3, fd77::3) ---+
#
# A listener with 3 connections that completed their handshake and sent
# data but were not accepted is handed from one process of A to another
# (IPv4, IPv6, dual-stack with IPv4 clients), and from A to B with B taking
# over A's address. The importer is an unmodified socket-activated program
# started by `sockmictl import state listen`: it must accept all 3 and read
# their bytes exactly, then a 4th connection made after the move. ABORT
# gives the listener back with its queue. The peer is plain Python sockets
# (tests/lib/states.py).
source "$(dirname "$0")/lib.sh"

need python3 ss

S="$REPO/tests/lib/states.py"
T="$REPO/tests/lib/sockmi_test.py"
N=3
# What each client leaves queued: a 4-byte index and its bytes.
QUEUED=$((N * (4 + 70000)))
modules_load
topology peer A B
n A ip addr add 10.77.0.100/24 dev eth0
port=7200

owner_get() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1/owner" "$2"
}

# queued HOST PORT BYTES: the connections to PORT hold BYTES unread.
queued() {
	[[ $(n "$1" ss -Htn state established "( sport = :$2 )" |
		awk '{ s += $1 } END { print s + 0 }') == "$3" ]]
}

nothing_left() {
	expect "$1: nothing staged or held on $2" \
		"$(nl "$2" send --dump SOCKMI_CMD_GET_STAGED) $(nl "$2" send --dump SOCKMI_CMD_GET_FLOW)" \
		"OK 0 messages OK 0 messages"
}

# start_listener NAME BIND DST: owner on A, N clients from the peer.
start_listener() {
	local name=$1 bind=$2 dst=$3
	port=$((port + 1))
	d=$(mktemp -d)
	n A python3 "$S" lowner "$bind" $port "$d" listen >"$d/owner.log" 2>&1 &
	own=$!
	wait_long test -e "$d/owner"
	n peer python3 "$S" lpeer "$dst" $port $N "$d" >"$d/peer.log" 2>&1 &
	peer=$!
	check "$name: $N clients queued their bytes, unaccepted" \
		wait_long queued A $port $QUEUED
}

# local_case NAME BIND DST LOCAL: hand-over between two processes of A.
local_case() {
	local name=$1 bind=$2 dst=$3 local=$4 id imp
	start_listener "$name" "$bind" "$dst"
	id=$(n A python3 "$T" export "$(owner_get "$d" pid)" "$(owner_get "$d" fd)" \
		"$(ip4 A)" 2>&1) || true
	expect "$name: exported and staged in one step" "$id" "[0-9]*"
	expect "$name: staged on the listen list" \
		"$(n A "$SOCKMICTL" list)" "*listen*LISTEN*"
	echo moved >"$d/decided"
	n A "$SOCKMICTL" import state listen local "$local" timeout 60000 -- \
		python3 "$S" lserve $((N + 1)) "$d" >"$d/importer.log" 2>&1 &
	imp=$!
	check_wait "$name: importer accepted all $((N + 1)), every byte verified" $imp
	check_wait "$name: every client verified its reply" $peer
	check_wait "$name: the old listener accepts nothing" $own
	nothing_left "$name" A
	[[ $T_FAILED -eq 0 ]] || sed 's/^/#   /' "$d"/*.log
	rm -rf "$d"
}

local_case "v4" "$(ip4 A)" "$(ip4 A)" "$(ip4 A):$((port + 1))"
local_case "v6" "$(ip6 A)" "$(ip6 A)" "[$(ip6 A)]:$((port + 1))"
local_case "dual-stack" "::" "$(ip4 A)" "[::]:$((port + 1))"

# ABORT: the owner gets its listener back, queue included.
start_listener abort "$(ip4 A)" "$(ip4 A)"
id=$(n A python3 "$T" export "$(owner_get "$d" pid)" "$(owner_get "$d" fd)" 2>&1) || true
expect "abort: exported without a target" "$id" "[0-9]*"
expect "abort: held while exporting" \
	"$(nl A send --dump SOCKMI_CMD_GET_FLOW)" "OK 1 messages"
check "abort: ABORT" n A python3 "$T" abort "$id"
echo $((N + 1)) >"$d/n"
echo aborted >"$d/decided"
touch "$d/go"
check_wait "abort: the owner accepted all $((N + 1)), every byte verified" $own
check_wait "abort: every client verified its reply" $peer
nothing_left abort A
[[ $T_FAILED -eq 0 ]] || sed 's/^/#   /' "$d"/*.log
rm -rf "$d"

# A to B, B taking over A's address.
start_listener takeover 10.77.0.100 10.77.0.100
id=$(n A python3 "$T" export "$(owner_get "$d" pid)" "$(owner_get "$d" fd)" 2>&1) || true
expect "takeover: exported from A" "$id" "[0-9]*"
check "takeover: checkpoint fetched" n A python3 "$T" fetch "$id" "$d/ckpt"
sid=$(n B python3 "$T" stage "$d/ckpt" --pending 2>&1) || true
expect "takeover: staged in B, pending" "$sid" "[0-9]*"
check "takeover: commit on A" n A python3 "$T" commit "$id"
echo moved >"$d/decided"
n A ip addr del 10.77.0.100/24 dev eth0
n B ip addr add 10.77.0.100/24 dev eth0
n peer ip neigh flush dev eth0
check "takeover: activate on B" n B python3 "$T" activate "$sid"
n B "$SOCKMICTL" import state listen local 10.77.0.100:$port timeout 60000 -- \
	python3 "$S" lserve $((N + 1)) "$d" >"$d/importer.log" 2>&1 &
imp=$!
check_wait "takeover: B accepted all $((N + 1)), every byte verified" $imp
check_wait "takeover: every client verified its reply" $peer
check_wait "takeover: the old listener accepts nothing" $own
expect "takeover: A still holds the listener's port" \
	"$(nl A send --dump SOCKMI_CMD_GET_FLOW)" "OK 1 messages*"
check "takeover: the hold goes with DEL_FLOW" nl A send SOCKMI_CMD_DEL_FLOW \
	"SOCKMI_A_FLOW=nest:(SOCKMI_FLOW_A_TUPLE=nest:(SOCKMI_TUPLE_A_FAMILY=u16:2,SOCKMI_TUPLE_A_LOCAL_ADDR=ip:10.77.0.100,SOCKMI_TUPLE_A_LOCAL_PORT=u16:$port))"
nothing_left takeover A
nothing_left takeover B
[[ $T_FAILED -eq 0 ]] || sed 's/^/#   /' "$d"/*.log
rm -rf "$d"

# bound_case NAME BIND MODE LOCAL: a bound socket handed over in A, then
# listen()ing (a client from the peer) or connect()ing (to the peer).
bound_case() {
	local name=$1 bind=$2 mode=$3 local=$4 id imp arg
	port=$((port + 1))
	d=$(mktemp -d)
	echo "{\"port\": $port}" >"$d/bound"
	n A python3 "$S" lowner "$bind" $port "$d" bound >"$d/owner.log" 2>&1 &
	own=$!
	wait_long test -e "$d/owner"
	if [[ $mode == listen ]]; then
		arg=1
		n peer python3 "$S" lpeer "$bind" $port 0 "$d" >"$d/peer.log" 2>&1 &
	else
		arg="[$(ip6 peer)]:$((port + 1000))"
		[[ $bind == *:* ]] || arg="$(ip4 peer):$((port + 1000))"
		n peer python3 "$S" lpeerserve $((port + 1000)) 1 >"$d/peer.log" 2>&1 &
	fi
	peer=$!
	id=$(n A python3 "$T" export "$(owner_get "$d" pid)" "$(owner_get "$d" fd)" \
		"$(ip4 A)" 2>&1) || true
	expect "$name: exported and staged in one step" "$id" "[0-9]*"
	expect "$name: staged on the bound list" \
		"$(n A "$SOCKMICTL" list)" "*bound*"
	echo moved >"$d/decided"
	n A "$SOCKMICTL" import state bound local "$local" timeout 60000 -- \
		python3 "$S" bserve "$mode" "$arg" "$d" >"$d/importer.log" 2>&1 &
	imp=$!
	check_wait "$name: the imported socket has the port and can $mode" $imp
	check_wait "$name: the peer verified every byte" $peer
	check_wait "$name: the old owner let it go" $own
	nothing_left "$name" A
	[[ $T_FAILED -eq 0 ]] || sed 's/^/#   /' "$d"/*.log
	rm -rf "$d"
}

bound_case "bound v4, listen" "$(ip4 A)" listen "$(ip4 A):$((port + 1))"
bound_case "bound v6, connect" "$(ip6 A)" connect "[$(ip6 A)]:$((port + 1))"
bound_case "bound v4, connect" "$(ip4 A)" connect "$(ip4 A):$((port + 1))"

# A bound socket's export aborted: it still listens where it was bound.
port=$((port + 1))
d=$(mktemp -d)
n A python3 "$S" lowner "$(ip4 A)" $port "$d" bound >"$d/owner.log" 2>&1 &
own=$!
wait_long test -e "$d/owner"
n peer python3 "$S" lpeer "$(ip4 A)" $port 0 "$d" >"$d/peer.log" 2>&1 &
peer=$!
id=$(n A python3 "$T" export "$(owner_get "$d" pid)" "$(owner_get "$d" fd)" 2>&1) || true
expect "bound abort: exported" "$id" "[0-9]*"
expect "bound abort: no hold for a bound socket" \
	"$(nl A send --dump SOCKMI_CMD_GET_FLOW)" "OK 0 messages"
check "bound abort: ABORT" n A python3 "$T" abort "$id"
echo aborted >"$d/decided"
check_wait "bound abort: the owner listened on its port and served" $own
check_wait "bound abort: the peer verified every byte" $peer
nothing_left "bound abort" A
[[ $T_FAILED -eq 0 ]] || sed 's/^/#   /' "$d"/*.log
rm -rf "$d"

# The owner listen()s on its bound socket while it is exported: COMMIT is
# refused (the checkpoint is out of date), ABORT gives it the listener.
port=$((port + 1))
d=$(mktemp -d)
n A python3 "$S" lowner "$(ip4 A)" $port "$d" bound >"$d/owner.log" 2>&1 &
own=$!
wait_long test -e "$d/owner"
n peer python3 "$S" lpeer "$(ip4 A)" $port 0 "$d" >"$d/peer.log" 2>&1 &
peer=$!
id=$(n A python3 "$T" export "$(owner_get "$d" pid)" "$(owner_get "$d" fd)" 2>&1) || true
expect "stale: exported" "$id" "[0-9]*"
echo stale >"$d/decided"
check "stale: the owner listen()s on the frozen socket" wait_long test -e "$d/listened"
out=$(n A python3 "$T" commit "$id" 2>&1) || true
expect "stale: COMMIT refused, the checkpoint is out of date" "$out" \
	"*ESTALE*changed the socket after its checkpoint*"
check "stale: ABORT" n A python3 "$T" abort "$id"
touch "$d/go"
check_wait "stale: the owner served on its listener" $own
check_wait "stale: the peer verified every byte" $peer
nothing_left stale A
[[ $T_FAILED -eq 0 ]] || sed 's/^/#   /' "$d"/*.log
rm -rf "$d"

# Malformed listening and bound states: each refused with its errno and
# message, nothing built, nothing held, nothing staged.
LT="SOCKMI_TUPLE_A_FAMILY=u16:2,SOCKMI_TUPLE_A_LOCAL_ADDR=ip:10.77.0.2,SOCKMI_TUPLE_A_LOCAL_PORT=u16:7300"
CT="SOCKMI_TUPLE_A_FAMILY=u16:2,SOCKMI_TUPLE_A_LOCAL_ADDR=ip:10.77.0.2,SOCKMI_TUPLE_A_LOCAL_PORT=u16:7300,SOCKMI_TUPLE_A_REMOTE_ADDR=ip:10.77.0.9,SOCKMI_TUPLE_A_REMOTE_PORT=u16:40000"
CT_PORT="SOCKMI_TUPLE_A_FAMILY=u16:2,SOCKMI_TUPLE_A_LOCAL_ADDR=ip:10.77.0.2,SOCKMI_TUPLE_A_LOCAL_PORT=u16:7301,SOCKMI_TUPLE_A_REMOTE_ADDR=ip:10.77.0.9,SOCKMI_TUPLE_A_REMOTE_PORT=u16:40001"
V="SOCKMI_STATE_A_VERSION=u32:1"
LISTEN="$V,SOCKMI_STATE_A_TUPLE=nest:($LT),SOCKMI_STATE_A_TCP_STATE=u8:10"
BOUND="$V,SOCKMI_STATE_A_TUPLE=nest:($LT),SOCKMI_STATE_A_TCP_STATE=u8:7"
SEQS="SOCKMI_STATE_A_SND_UNA=u32:1000,SOCKMI_STATE_A_SND_NXT=u32:1000,SOCKMI_STATE_A_WRITE_SEQ=u32:1000,SOCKMI_STATE_A_RCV_NXT=u32:2004,SOCKMI_STATE_A_COPIED_SEQ=u32:2000,SOCKMI_STATE_A_SND_WL1=u32:2000,SOCKMI_STATE_A_SND_WND=u32:60000,SOCKMI_STATE_A_MAX_WINDOW=u32:60000,SOCKMI_STATE_A_RCV_WND=u32:60000,SOCKMI_STATE_A_RCV_WUP=u32:2000,SOCKMI_STATE_A_MSS=u16:1460,SOCKMI_STATE_A_OPTIONS=u32:0,SOCKMI_STATE_A_SENDQ_LEN=u32:0,SOCKMI_STATE_A_UNSENT_LEN=u32:0,SOCKMI_STATE_A_RECVQ_LEN=u32:4"
CHILD="SOCKMI_A_CHILD=nest:($V,SOCKMI_STATE_A_TUPLE=nest:($CT),SOCKMI_STATE_A_TCP_STATE=u8:1,$SEQS)"
CHUNK="SOCKMI_A_CHUNK=nest:(SOCKMI_CHUNK_A_QUEUE=u8:0,SOCKMI_CHUNK_A_CHILD=u32:0,SOCKMI_CHUNK_A_OFFSET=u32:0,SOCKMI_CHUNK_A_DATA=bin:61626364)"
ONE="SOCKMI_STATE_A_BACKLOG=u32:8,SOCKMI_STATE_A_NCHILDREN=u32:1"

bad=(
	"listener without backlog|SOCKMI_A_STATE=nest:($LISTEN,SOCKMI_STATE_A_NCHILDREN=u32:0)|ERROR EINVAL: Missing attribute SOCKMI_STATE_A_BACKLOG*"
	"missing child|SOCKMI_A_STATE=nest:($LISTEN,$ONE)|ERROR EINVAL: Fewer SOCKMI_A_CHILD than SOCKMI_STATE_A_NCHILDREN says*"
	"child not announced|SOCKMI_A_STATE=nest:($LISTEN,SOCKMI_STATE_A_BACKLOG=u32:8,SOCKMI_STATE_A_NCHILDREN=u32:0) $CHILD $CHUNK|ERROR E2BIG: More SOCKMI_A_CHILD than SOCKMI_STATE_A_NCHILDREN says*"
	"too many children|SOCKMI_A_STATE=nest:($LISTEN,SOCKMI_STATE_A_BACKLOG=u32:8,SOCKMI_STATE_A_NCHILDREN=u32:1025)|ERROR ERANGE: *"
	"child that listens|SOCKMI_A_STATE=nest:($LISTEN,$ONE) SOCKMI_A_CHILD=nest:($LISTEN,$ONE)|ERROR EINVAL: An accept-queue child must be ESTABLISHED or CLOSE_WAIT*"
	"child on another port|SOCKMI_A_STATE=nest:($LISTEN,$ONE) SOCKMI_A_CHILD=nest:($V,SOCKMI_STATE_A_TUPLE=nest:($CT_PORT),SOCKMI_STATE_A_TCP_STATE=u8:1,$SEQS) $CHUNK|ERROR EINVAL: An accept-queue child must have its listener's family, local address and port*"
	"child's queue missing|SOCKMI_A_STATE=nest:($LISTEN,$ONE) $CHILD|ERROR EMSGSIZE: Queue of an accept-queue child shorter than declared*"
	"child's queue oversized|SOCKMI_A_STATE=nest:($LISTEN,$ONE) $CHILD SOCKMI_A_CHUNK=nest:(SOCKMI_CHUNK_A_QUEUE=u8:0,SOCKMI_CHUNK_A_CHILD=u32:0,SOCKMI_CHUNK_A_OFFSET=u32:0,SOCKMI_CHUNK_A_DATA=bin:6162636465)|ERROR EMSGSIZE: Queue longer than declared*"
	"chunk of a child that does not exist|SOCKMI_A_STATE=nest:($LISTEN,$ONE) $CHILD $CHUNK SOCKMI_A_CHUNK=nest:(SOCKMI_CHUNK_A_QUEUE=u8:0,SOCKMI_CHUNK_A_CHILD=u32:1,SOCKMI_CHUNK_A_OFFSET=u32:0,SOCKMI_CHUNK_A_DATA=bin:61)|ERROR EINVAL: Chunk for an accept-queue child that does not exist*"
	"child index beyond SOCKMI_CHILDREN_MAX|SOCKMI_A_STATE=nest:($LISTEN,$ONE) $CHILD SOCKMI_A_CHUNK=nest:(SOCKMI_CHUNK_A_QUEUE=u8:0,SOCKMI_CHUNK_A_CHILD=u32:1024,SOCKMI_CHUNK_A_OFFSET=u32:0,SOCKMI_CHUNK_A_DATA=bin:61)|ERROR ERANGE: *"
	"children of a bound socket|SOCKMI_A_STATE=nest:($BOUND) $CHILD $CHUNK|ERROR EINVAL: Only a listening socket has accept-queue children*"
	"bound socket with a backlog|SOCKMI_A_STATE=nest:($BOUND,SOCKMI_STATE_A_BACKLOG=u32:8)|ERROR EINVAL: Only a listening socket has a backlog and children*"
	"bound socket with a remote end|SOCKMI_A_STATE=nest:($V,SOCKMI_STATE_A_TUPLE=nest:($CT),SOCKMI_STATE_A_TCP_STATE=u8:7)|ERROR EINVAL: A bound or listening socket has a local port and no remote end*"
	"listener with sequence numbers|SOCKMI_A_STATE=nest:($LISTEN,$ONE,SOCKMI_STATE_A_SND_UNA=u32:1) $CHILD $CHUNK|ERROR EINVAL: Only a connected socket has sequence numbers*"
	"listener with a queue of its own|SOCKMI_A_STATE=nest:($LISTEN,$ONE) $CHILD $CHUNK SOCKMI_A_CHUNK=nest:(SOCKMI_CHUNK_A_QUEUE=u8:0,SOCKMI_CHUNK_A_OFFSET=u32:0,SOCKMI_CHUNK_A_DATA=bin:61)|ERROR EMSGSIZE: Chunk for a queue declared empty*"
	"SYN_SENT|SOCKMI_A_STATE=nest:($V,SOCKMI_STATE_A_TUPLE=nest:($LT),SOCKMI_STATE_A_TCP_STATE=u8:2)|ERROR EOPNOTSUPP: Only bound, listening and connected sockets can be staged*"
)
for c in "${bad[@]}"; do
	IFS='|' read -r what attrs want <<<"$c"
	# shellcheck disable=SC2086
	expect "malformed: $what" "$(nl A send SOCKMI_CMD_STAGE $attrs)" "$want"
done
expect "malformed: nothing staged or held, no socket built" \
	"$(nl A send --dump SOCKMI_CMD_GET_STAGED) $(nl A send --dump SOCKMI_CMD_GET_FLOW) $(n A ss -Htan 'sport = :7300' | wc -l)" \
	"OK 0 messages OK 0 messages 0"

# The same state well formed: staged pending, then live with its child
# queued, and each time dropped by UNSTAGE without a trace.
for flags in "SOCKMI_A_FLAGS=u32:1" ""; do
	# shellcheck disable=SC2086
	out=$(nl A send SOCKMI_CMD_STAGE "SOCKMI_A_STATE=nest:($LISTEN,$ONE)" "$CHILD" "$CHUNK" $flags)
	expect "well formed (${flags:-active}): staged" "$out" "OK*"
	expect "well formed (${flags:-active}): listening with its child" \
		"$(n A ss -Htan 'sport = :7300' | awk '{ print $1 }' | sort | tr '\n' ' ')" "ESTAB LISTEN "
	sid=$(n A "$SOCKMICTL" list | awk '$2 == "listen" { print $1 }')
	check "well formed (${flags:-active}): UNSTAGE" n A python3 "$T" unstage "$sid"
	expect "well formed (${flags:-active}): nothing left" \
		"$(nl A send --dump SOCKMI_CMD_GET_STAGED) $(nl A send --dump SOCKMI_CMD_GET_FLOW) $(n A ss -Htan 'sport = :7300' | wc -l)" \
		"OK 0 messages OK 0 messages 0"
done

# The same listener where another socket listens: refused, nothing built.
n A python3 -c 'import socket, time
s = socket.socket()
s.bind(("10.77.0.2", 7300))
s.listen()
time.sleep(120)' &
other=$!
wait_long n A ss -Hltn 'sport = :7300'
expect "port taken: refused" \
	"$(nl A send SOCKMI_CMD_STAGE "SOCKMI_A_STATE=nest:($LISTEN,$ONE)" "$CHILD" "$CHUNK")" \
	"ERROR EADDRINUSE: Another socket listens on this address and port*"
expect "port taken: nothing staged or held, only the other listener" \
	"$(nl A send --dump SOCKMI_CMD_GET_STAGED) $(nl A send --dump SOCKMI_CMD_GET_FLOW) $(n A ss -Htan 'sport = :7300' | wc -l)" \
	"OK 0 messages OK 0 messages 1"
kill $other
wait $other 2>/dev/null || true

finish
