#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Checkpoint/restore of live TCP connections:
#
#   peer (10.77.0.1) ---+--- br0 ---+--- A (10.77.0.2, service 10.77.0.100)
#                                   +--- B (10.77.0.3)
#
# A real peer streams a verifiable pattern both ways (tests/lib/
# sockmi_test.py) while its server's socket is:
#   1. handed from one process to another on A (export to A's own address);
#   2. exported from A and given back (abort): the owner carries on;
#   3. moved from A to B with the service address (IP takeover);
# The peer checks that every byte arrived once, in order, and that no RST
# or FIN cut the stream short.
source "$(dirname "$0")/lib.sh"

need python3

T="$REPO/tests/lib/sockmi_test.py"
BYTES=${MIGRATE_BYTES:-3000000}
# Paced, and the peer keeps its last byte back until released (goN), so the
# stream is still flowing when the socket moves, however slow the run.
RATE=${MIGRATE_RATE:-300000}
tmp=$(mktemp -d)
modules_load
topology peer A B
n A ip addr add 10.77.0.100/24 dev eth0
# Exports are committed by hand, slowly under emulation: the kernel must
# not abort them on its own meanwhile.
n A sysctl -qw net.sockmi.export_timeout=600
n B sysctl -qw net.sockmi.export_timeout=600

# wait_file F: until F exists.
wait_file() { wait_long test -e "$1"; }
owner_fd() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fd"])' "$1"; }
owner_pid() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$1"; }

# 1. Between two processes of A.
n A python3 "$T" serve 7001 "$tmp/s1" "$BYTES" --rate "$RATE" >"$tmp/serve1.log" 2>&1 &
srv=$!
wait_for listening A 7001
n peer python3 "$T" peer 10.77.0.100 7001 "$BYTES" --rate "$RATE" \
	--release "$tmp/go1" >"$tmp/peer1.log" 2>&1 &
peer=$!
check "process hand-over: the server accepted" wait_file "$tmp/s1.owner"
id=$(n A python3 "$T" export "$(owner_pid "$tmp/s1.owner")" \
	"$(owner_fd "$tmp/s1.owner")" 10.77.0.100 2>&1) || true
expect "process hand-over: export to own address" "$id" "[0-9]*"
n A python3 "$T" resume "$tmp/s1" "$BYTES" >"$tmp/resume1.log" 2>&1 &
res=$!
touch "$tmp/go1"
check_wait "process hand-over: importer finished the stream" "$res"
check_wait "process hand-over: peer verified every byte both ways" "$peer"
check_wait "process hand-over: old owner saw its socket go" "$srv"
expect "process hand-over: nothing left staged" \
	"$(n A python3 "$NL_TOOL" send --dump SOCKMI_CMD_GET_STAGED)" "OK 0 messages"
sed 's/^/#   /' "$tmp"/peer1.log "$tmp"/resume1.log "$tmp"/serve1.log

# 2. Export, then abort: the owner keeps a working connection.
n A python3 "$T" serve 7002 "$tmp/s2" "$BYTES" --rate "$RATE" >"$tmp/serve2.log" 2>&1 &
srv=$!
wait_for listening A 7002
n peer python3 "$T" peer 10.77.0.100 7002 "$BYTES" --rate "$RATE" \
	--release "$tmp/go2" >"$tmp/peer2.log" 2>&1 &
peer=$!
check "abort: the server accepted" wait_file "$tmp/s2.owner"
id=$(n A python3 "$T" export "$(owner_pid "$tmp/s2.owner")" \
	"$(owner_fd "$tmp/s2.owner")") || true
expect "abort: export without a target" "$id" "[0-9]*"
expect "abort: listed as exporting" \
	"$(n A python3 "$NL_TOOL" send --dump SOCKMI_CMD_GET_STAGED)" "OK 1 messages"
check "abort: owner noticed the freeze" wait_file "$tmp/s2"
check "abort: ABORT" n A python3 "$T" abort "$id"
touch "$tmp/go2"
check_wait "abort: owner finished the stream" "$srv"
check_wait "abort: peer verified every byte both ways" "$peer"
expect "abort: hold released" \
	"$(n A python3 "$NL_TOOL" send --dump SOCKMI_CMD_GET_FLOW)" "OK 0 messages"
sed 's/^/#   /' "$tmp"/peer2.log "$tmp"/serve2.log

# 3. A to B with IP takeover of the service address.
n A python3 "$T" serve 7003 "$tmp/s3" "$BYTES" --rate "$RATE" >"$tmp/serve3.log" 2>&1 &
srv=$!
wait_for listening A 7003
n peer python3 "$T" peer 10.77.0.100 7003 "$BYTES" --rate "$RATE" \
	--release "$tmp/go3" >"$tmp/peer3.log" 2>&1 &
peer=$!
check "takeover: the server accepted" wait_file "$tmp/s3.owner"
n peer ss -Htn 'dport = :7003' | awk '{ split($4, a, ":"); print a[2] }' >"$tmp/peer3.port"
id=$(n A python3 "$T" export "$(owner_pid "$tmp/s3.owner")" \
	"$(owner_fd "$tmp/s3.owner")") || true
expect "takeover: export from A" "$id" "[0-9]*"
check "takeover: checkpoint fetched from A" n A python3 "$T" fetch "$id" "$tmp/ckpt3"
sid=$(n B python3 "$T" stage "$tmp/ckpt3" --pending 2>&1) || true
expect "takeover: staged in B, pending" "$sid" "[0-9]*"
check "takeover: pending socket not importable" \
	bash -c "[[ \$(ip netns exec ${NS[B]} python3 $NL_TOOL send SOCKMI_CMD_IMPORT \
	'SOCKMI_A_MATCH=nest:(SOCKMI_MATCH_A_STATES=u32:7)') == 'ERROR EAGAIN'* ]]"
check "takeover: commit on A" n A python3 "$T" commit "$id"
n A ip addr del 10.77.0.100/24 dev eth0
n B ip addr add 10.77.0.100/24 dev eth0
n peer ip neigh flush dev eth0
check "takeover: activate on B" n B python3 "$T" activate "$sid"
n B python3 "$T" resume "$tmp/s3" "$BYTES" >"$tmp/resume3.log" 2>&1 &
res=$!
touch "$tmp/go3"
check_wait "takeover: B finished the stream" "$res"
check_wait "takeover: peer verified every byte both ways" "$peer"
check_wait "takeover: old owner saw its socket go" "$srv"
expect "takeover: A still holds the moved flow after commit" \
	"$(n A python3 "$NL_TOOL" send --dump SOCKMI_CMD_GET_FLOW)" "OK 1 messages"
pport=$(cat "$tmp/peer3.port")
check "takeover: A's hold lifted with DEL_FLOW" n A python3 "$NL_TOOL" send SOCKMI_CMD_DEL_FLOW \
	"SOCKMI_A_FLOW=nest:(SOCKMI_FLOW_A_TUPLE=nest:(SOCKMI_TUPLE_A_FAMILY=u16:2,SOCKMI_TUPLE_A_LOCAL_ADDR=ip:10.77.0.100,SOCKMI_TUPLE_A_LOCAL_PORT=u16:7003,SOCKMI_TUPLE_A_REMOTE_ADDR=ip:10.77.0.1,SOCKMI_TUPLE_A_REMOTE_PORT=u16:$pport))"
sed 's/^/#   /' "$tmp"/peer3.log "$tmp"/resume3.log "$tmp"/serve3.log

rm -rf "$tmp"
finish
