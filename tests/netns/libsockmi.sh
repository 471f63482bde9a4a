#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# libsockmi and `sockmictl import`, as programs use them:
#
#   peer (10.77.0.1) ---- br0 ---- A (10.77.0.2, fd77::2)
#
# libsockmi is installed into a temporary prefix; the test program
# (tests/lib/libsockmi_test.c) and the examples are built from that
# installation alone, with `pkg-config sockmi`. Then, on A:
#   1. the API on staged sockets: every import_req field, criteria that
#      must not match, timeouts, threads, export_socket's errors;
#   2. a live connection moves between two processes by the API alone;
#   3. `sockmictl import --stdio -- socat STDIO PIPE` carries on an echo;
#   4. `sockmictl import -- PROGRAM` hands it over by LISTEN_FDS;
#   5. the same with sockmi-counter, which takes its state along;
#   6. a command that cannot run gives the socket back to the next one;
#   7. `sockmictl import` times out, or refuses, as it says.
# In 2-6 the peer streams all along and verifies every byte that comes back
# (tests/lib/libsockmi_peer.py).
source "$(dirname "$0")/lib.sh"

need python3 socat pkg-config cc

PEER="$REPO/tests/lib/libsockmi_peer.py"
tmp=$(mktemp -d)
prefix=$tmp/prefix
modules_load
topology peer A B
A=$(ip4 A)
# The service address of the two-host case (8.), on A until it moves.
SERVICE=10.77.0.100
n A ip addr add "$SERVICE/24" dev eth0

# bg HOST CMD...: CMD in the background in HOST; $! is CMD's own pid
# (ip netns exec execs it), so it can be signalled.
bg() {
	local h=$1
	shift
	pretty "$h" "$* &"
	ip netns exec "${NS[$h]}" "$@" &
}

# relay CMD...: CMD prints "ok WHAT" / "not ok WHAT" lines; count them.
relay() {
	local line rc=0 got=0
	while IFS= read -r line; do
		case $line in
		"ok "*"# SKIP "*)
			line=${line#ok }
			skip "${line%% # SKIP *}" "${line#* # SKIP }"
			got=1 ;;
		"ok "*) ok "${line#ok }"; got=1 ;;
		"not ok "*) not_ok "${line#not ok }"; got=2 ;;
		"exit "*) rc=${line#exit } ;;
		*) echo "#   $line" ;;
		esac
	done < <("$@" 2>&1; echo "exit $?")
	# A failure it did not report as one.
	if [[ $got == 0 || ($rc != 0 && $got != 2) ]]; then
		not_ok "$* exited $rc"
	fi
}

# A stream through a migration: START_SERVER, wait for the peer to be
# under way, START_IMPORTER, SIGUSR1 to the server, then let the peer end.
# stream NAME MODE PORT "server cmd" "importer cmd" [ADDR [IMPORTER_HOST]]
# (the server runs on A, the peer connects to ADDR, default A's address;
# the importer runs on IMPORTER_HOST, default A)
stream() {
	local name=$1 mode=$2 port=$3 addr=${6:-$A} ihost=${7:-A}
	local server importer srv imp peer
	read -r -a server <<<"$4"
	read -r -a importer <<<"$5"
	rm -f "$tmp/$name.progress" "$tmp/$name.stop"
	bg A "${server[@]}" >"$tmp/$name.server" 2>&1
	srv=$!
	wait_for listening A $port
	bg peer python3 "$PEER" "$mode" "$addr" "$port" "$tmp/$name.progress" \
		"$tmp/$name.stop" >"$tmp/$name.peer" 2>&1
	peer=$!
	if ! wait_for test -e "$tmp/$name.progress"; then
		not_ok "$name: the stream did not get going"
		kill "$srv" "$peer" 2>/dev/null
		return
	fi
	bg "$ihost" "${importer[@]}" >"$tmp/$name.importer" 2>&1
	imp=$!
	sleep 0.2
	kill -USR1 "$srv" || true
	check_wait "$name: the old owner handed the connection over" "$srv"
	touch "$tmp/$name.stop"
	check_wait "$name: the peer verified every byte, before and after" "$peer"
	check_wait "$name: the new owner finished the stream" "$imp"
	sed 's/^/#   /' "$tmp/$name".{server,peer,importer}
}

# 0. Install, and build against the installation only.
check "make lib-install PREFIX=<temporary>" \
	make -s -C "$REPO/userland" lib-install PREFIX="$prefix"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
expect "pkg-config finds the installed sockmi" \
	"$(pkg-config --variable=includedir sockmi)" "$prefix/include"
# shellcheck disable=SC2046
check "the test program builds from <sockmi.h> and pkg-config alone" \
	cc -std=c11 -O1 -Wall -Wextra -Werror -o "$tmp/libsockmi_test" \
	"$REPO/tests/lib/libsockmi_test.c" -pthread \
	$(pkg-config --cflags --libs sockmi) -Wl,-rpath,"$prefix/lib"
check "the examples build with their Makefile and pkg-config alone" \
	make -s -C "$REPO/userland/examples" OUT="$tmp" \
	CFLAGS="-O1 -Wall -Wextra -Werror" LDFLAGS="-Wl,-rpath,$prefix/lib"
T=$tmp/libsockmi_test

# 1. The API.
relay n A "$T" api "$A" "$(ip6 A)"

# 2. Between two processes, by the API alone: the importer waits first.
stream api-handover echo 7101 "$T echo-serve 7101 $A" "$T echo-adopt 7101"

# 3. An unmodified program by inetd's convention.
stream stdio echo 7102 "$tmp/sockmi-echo serve 7102 $A" \
	"$SOCKMICTL import state connected local $A:7102 timeout 60000 --stdio -- socat STDIO PIPE"

# 4. By systemd's socket activation protocol.
stream listen-fds echo 7103 "$tmp/sockmi-echo serve 7103 $A" \
	"$SOCKMICTL import local $A:7103 -- $T listen-fds-echo"

# 5. With application state: the line counter goes on counting.
mkdir "$tmp/state"
stream counter lines 7104 "$tmp/sockmi-counter serve 7104 $A $tmp/state" \
	"$SOCKMICTL import state connected remote $(ip4 peer) -- $tmp/sockmi-counter adopt $tmp/state"
expect "counter: the state file was consumed" "$(ls "$tmp/state")" ""

# 6. A command that cannot be executed gives the socket back: the next
# importer carries on.
printf 'not a program\n' >"$tmp/broken"
chmod +x "$tmp/broken"
cat >"$tmp/giveback.sh" <<EOF
#!/bin/bash
$SOCKMICTL import local $A:7105 -- $tmp/broken
echo "first importer: exit \$?"
exec $SOCKMICTL import local $A:7105 timeout 30000 -- $T listen-fds-echo
EOF
chmod +x "$tmp/giveback.sh"
stream giveback echo 7105 "$tmp/sockmi-echo serve 7105 $A" "$tmp/giveback.sh"
expect "giveback: the broken command failed with 126, socket staged again" \
	"$(grep -h 'first importer\|staged again' "$tmp/giveback.importer" | xargs)" \
	"sockmictl: import: the socket is staged again first importer: exit 126"

# 7. sockmictl import's failures.
t0=$(date +%s%N)
rc=0
out=$(n A "$SOCKMICTL" import local "$A:9" timeout 300 -- true 2>&1) || rc=$?
t1=$((($(date +%s%N) - t0) / 1000000))
expect "sockmictl import: timeout expires with status 1" "$rc" 1
expect "sockmictl import: and says so" "$out" "*no matching socket within 300 ms*"
check "sockmictl import: after the timeout, not before ($t1 ms)" test "$t1" -ge 300
rc=0
out=$(n A "$SOCKMICTL" import timeout 0 -- /nonexistent/cmd 2>&1) || rc=$?
expect "sockmictl import: a missing command is status 127, before importing" \
	"$rc:$out" "127:*/nonexistent/cmd*"
rc=0
out=$(n A "$SOCKMICTL" import state nowhere -- true 2>&1) || rc=$?
expect "sockmictl import: a usage error is status 2" "$rc:$out" "2:*invalid state 'nowhere'*"
expect "nothing is left staged" \
	"$(n A python3 "$NL_TOOL" send --dump SOCKMI_CMD_GET_STAGED)" "OK 0 messages"

# 8. Between two hosts, by the API alone: export_socket(-1, fd, AF_INET, B)
# on A, import_socket() on B; a sockmid on each host carries the socket
# and the service address over (IP takeover).
(umask 077 && "$SOCKMICTL" genkey >"$tmp/key")
DPIDS=()
for h in A B; do
	ip netns exec "${NS[$h]}" "$REPO/userland/sockmid/sockmid" --foreground \
		--config /dev/null --key "$tmp/key" --iface eth0 --timeout 5000 \
		--takeover "$SERVICE/24" --no-rules >"$tmp/sockmid.$h" 2>&1 &
	DPIDS+=($!)
	check "two hosts: sockmid on $h started" wait_for grep -q 'started (' "$tmp/sockmid.$h"
done
stream two-hosts echo 7106 "$T echo-serve 7106 $(ip4 B)" "$T echo-adopt 7106" \
	"$SERVICE" B
check "two hosts: B holds the service address" \
	bash -c "ip -n ${NS[B]} -o addr show dev eth0 | grep -q ' $SERVICE/'"
check "two hosts: A logged the move as committed" \
	grep -Eq "export id=[0-9]+ tuple=$SERVICE:7106-.* to=$(ip4 B) .*result=committed" "$tmp/sockmid.A"
kill "${DPIDS[@]}" 2>/dev/null
wait "${DPIDS[@]}" 2>/dev/null

rm -rf "$tmp"
finish
