#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The "sockmi" generic netlink family: permissions and strict validation.
#
#   A      one host
#
# Every command gets malformed requests; each must be refused with the
# right errno and an extack message that says what was wrong.
source "$(dirname "$0")/lib.sh"

need python3 setpriv unshare

modules_load
add_host A 1

# as_nobody CMD...: run CMD as an unprivileged user in A.
as_nobody() { n A setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

expect "admin: GET_STATS works" "$(nl A send SOCKMI_CMD_GET_STATS)" "OK"
expect "admin: GET_STAGED dump, empty" \
	"$(nl A send --dump SOCKMI_CMD_GET_STAGED)" "OK 0 messages"
expect "admin: join events group" "$(nl A join events)" "OK"
expect "unprivileged: GET_STATS refused" \
	"$(as_nobody python3 "$NL_TOOL" send SOCKMI_CMD_GET_STATS)" "ERROR EPERM*"
expect "unprivileged: EXPORT refused" \
	"$(as_nobody python3 "$NL_TOOL" send SOCKMI_CMD_EXPORT SOCKMI_A_FD=u32:0)" \
	"ERROR EPERM*"
expect "unprivileged: dump refused" \
	"$(as_nobody python3 "$NL_TOOL" send --dump SOCKMI_CMD_GET_STAGED)" \
	"ERROR EPERM*"
expect "unprivileged: events group refused" \
	"$(as_nobody python3 "$NL_TOOL" join events)" "ERROR EPERM*"
expect "own user+net namespace: admin there" \
	"$(unshare --user --map-root-user --net python3 "$NL_TOOL" send SOCKMI_CMD_GET_STATS)" \
	"OK"

expect "reserved header byte refused" \
	"$(nl A send --reserved 1 SOCKMI_CMD_GET_STATS)" \
	"ERROR EINVAL: genlmsghdr.reserved field is not 0*"
expect "unknown command refused" "$(nl A send 200)" "ERROR EOPNOTSUPP*"
expect "doit command as dump refused" \
	"$(nl A send --dump SOCKMI_CMD_GET_STATS)" "ERROR EOPNOTSUPP*"

# An address nest with the wrong length for its family.
V4_AS_V6="SOCKMI_ADDR_A_FAMILY=u16:10,SOCKMI_ADDR_A_ADDR=ip:10.0.0.1"
TUPLE_NO_PORT="SOCKMI_TUPLE_A_FAMILY=u16:2,SOCKMI_TUPLE_A_LOCAL_ADDR=ip:10.0.0.1"

# command | request (flags and attributes) | expected answer
malformed=(
	"EXPORT|SOCKMI_CMD_EXPORT SOCKMI_A_PID=u32:1|ERROR EINVAL: Missing attribute SOCKMI_A_FD*"
	"EXPORT|SOCKMI_CMD_EXPORT SOCKMI_A_FD=u16:3|ERROR EINVAL: *length*"
	"EXPORT|SOCKMI_CMD_EXPORT SOCKMI_A_FD=u32:3 SOCKMI_A_TO=nest:($V4_AS_V6)|ERROR EINVAL: Address length does not match its family*"
	"EXPORT|SOCKMI_CMD_EXPORT SOCKMI_A_FD=u32:3 SOCKMI_A_PID=u32:0|ERROR ERANGE: *"
	"EXPORT|SOCKMI_CMD_EXPORT SOCKMI_A_FD=u32:3 SOCKMI_A_STATS=nest:()|ERROR EINVAL: Unsupported attribute*"
	"GET_EXPORT|--dump SOCKMI_CMD_GET_EXPORT|ERROR EINVAL: Missing attribute SOCKMI_A_ID*"
	"GET_EXPORT|--dump SOCKMI_CMD_GET_EXPORT SOCKMI_A_ID=u64:0|ERROR ERANGE: *"
	"COMMIT|SOCKMI_CMD_COMMIT|ERROR EINVAL: Missing attribute SOCKMI_A_ID*"
	"COMMIT|SOCKMI_CMD_COMMIT SOCKMI_A_ID=u64:1 SOCKMI_A_FLOW=nest:(SOCKMI_FLOW_A_TUPLE=nest:($TUPLE_NO_PORT))|ERROR EINVAL: Missing attribute SOCKMI_TUPLE_A_LOCAL_PORT*"
	"ABORT|SOCKMI_CMD_ABORT SOCKMI_A_ID=u32:1|ERROR EINVAL: *length*"
	"STAGE|SOCKMI_CMD_STAGE|ERROR EINVAL: Missing attribute SOCKMI_A_STATE*"
	"STAGE|SOCKMI_CMD_STAGE SOCKMI_A_STATE=nest:(SOCKMI_STATE_A_TCP_STATE=u8:99)|ERROR ERANGE: *"
	"STAGE|SOCKMI_CMD_STAGE SOCKMI_A_STATE=nest:() SOCKMI_A_CHUNK=nest:(SOCKMI_CHUNK_A_DATA=bin:)|ERROR E*: *"
	"STAGE|SOCKMI_CMD_STAGE SOCKMI_A_STATE=nest:() SOCKMI_A_FLAGS=u32:0x80|ERROR EINVAL: *"
	"ACTIVATE|SOCKMI_CMD_ACTIVATE 250=u32:1|ERROR EINVAL: Unknown attribute type*"
	"UNSTAGE|SOCKMI_CMD_UNSTAGE|ERROR EINVAL: Missing attribute SOCKMI_A_ID*"
	"IMPORT|SOCKMI_CMD_IMPORT|ERROR EINVAL: Missing attribute SOCKMI_A_MATCH*"
	"IMPORT|SOCKMI_CMD_IMPORT SOCKMI_A_MATCH=nest:(SOCKMI_MATCH_A_STATES=u32:0x10)|ERROR EINVAL: *"
	"IMPORT|SOCKMI_CMD_IMPORT SOCKMI_A_MATCH=nest:(SOCKMI_MATCH_A_STATES=u32:0)|ERROR EINVAL: No state selected*"
	"IMPORT|SOCKMI_CMD_IMPORT SOCKMI_A_MATCH=nest:(SOCKMI_MATCH_A_STATES=u32:1,SOCKMI_MATCH_A_LOCAL_ADDR=ip:10.0.0.1)|ERROR EINVAL: Missing attribute SOCKMI_MATCH_A_FAMILY*"
	"GET_STAGED|--dump SOCKMI_CMD_GET_STAGED SOCKMI_A_ID=u64:1|ERROR EINVAL: Unsupported attribute*"
	"NEW_FLOW|SOCKMI_CMD_NEW_FLOW SOCKMI_A_FLOW=nest:(SOCKMI_FLOW_A_ACTION=u8:1)|ERROR EINVAL: Missing attribute SOCKMI_FLOW_A_TUPLE*"
	"NEW_FLOW|SOCKMI_CMD_NEW_FLOW SOCKMI_A_FLOW=nest:(SOCKMI_FLOW_A_ACTION=u8:9)|ERROR ERANGE: *"
	"DEL_FLOW|SOCKMI_CMD_DEL_FLOW|ERROR EINVAL: Missing attribute SOCKMI_A_FLOW*"
	"GET_FLOW|--dump SOCKMI_CMD_GET_FLOW SOCKMI_A_FD=u32:1|ERROR EINVAL: Unsupported attribute*"
	"GET_STATS|SOCKMI_CMD_GET_STATS --raw 08000300|ERROR EINVAL: *"
	"GET_STATS|SOCKMI_CMD_GET_STATS --raw 0800|ERROR EINVAL: *"
)

for m in "${malformed[@]}"; do
	IFS='|' read -r what request want <<<"$m"
	# shellcheck disable=SC2086
	got=$(nl A send $request)
	expect "$what malformed: ${request#* }" "$got" "$want"
done

finish
