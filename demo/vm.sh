#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The part of `make demo` that runs inside the test VM (demo/run starts it
# with tests/vm/run). Usage: demo/vm.sh OUTDIR
#
#   peer (10.77.0.1) ---+            curl http://10.77.0.100:8080/stream,
#   A    (10.77.0.2) ---+--- br0     piped into "sockmi-stream check"
#   B    (10.77.0.3) ---+
#   C    (10.77.0.4) ---+            10.77.0.100 starts on A and moves with
#                                    the connection (IP takeover)
#
# One sockmid per host A, B, C, with one shared key. The server
# (demo/sockmi-stream serve) streams a paced, verifiable body; every few
# seconds its connection is exported with `sockmictl export ... to HOST`
# to the next host of A -> B -> C -> A, where "sockmi-stream adopt", started
# beforehand and waiting in import_socket(3), takes it over and carries on
# from the offset the old owner left in the shared work directory. dumpcap
# on the peer records every SYN, FIN and RST of the connection. One line a
# second tells how it goes; at the end everything demo/report needs (the
# checker's verdict, throughput samples, pauses, migrations, the capture,
# the logs) is copied to OUTDIR.
#
# Environment: DEMO_RATE (body bytes/s, default 1000000), DEMO_DWELL
# (seconds on each host, default 5); DEMO_NO_DAEMON=HOST and
# DEMO_CAPTURE_ALL=1, see below.
# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/../tests/netns/lib.sh"

OUT=${1:?usage: demo/vm.sh OUTDIR}
RATE=${DEMO_RATE:-1000000}
DWELL=${DEMO_DWELL:-5}
PORT=8080
SERVICE=10.77.0.100
ROUTE=(A B C A)
STREAM="$REPO/demo/build/sockmi-stream"
SOCKMID="$REPO/userland/sockmid/sockmid"
W=$(mktemp -d /tmp/sockmi-demo.XXXXXX)
chmod 755 "$W"
declare -A DPID=()
PIDS=()
DIAG=()

# mark WHAT: a line of $W/timeline (seconds since the VM booted).
mark() {
	local up
	read -r up _ </proc/uptime
	printf '%s %s\n' "$up" "$*" >>"$W/timeline"
}
say() {
	printf '%s\n' "$*"
	mark "$*"
}
die() {
	say "demo: $*" >&2
	exit 1
}

stop_all() {
	local p
	for p in "${PIDS[@]}" "${DPID[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}" "${DPID[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	PIDS=()
	DPID=()
}
on_exit() {
	local rc=$?
	stop_all
	mkdir -p "$OUT"
	cp -r "$W"/. "$OUT"/ 2>/dev/null || true
	cleanup
	rm -rf "$W"
	exit "$rc"
}
trap on_exit EXIT

# bg HOST CMD...: CMD in HOST's namespace in the background, $! is CMD.
bg() {
	local h=$1
	shift
	ip netns exec "${NS[$h]}" "$@" &
	PIDS+=($!)
}

# Times are integers in microseconds of the epoch: arithmetic stays in bash
# (a fork costs much under emulation).
us() { US=${EPOCHREALTIME/./}; }
exec {NAPFD}<> <(:)
nap() { read -r -t "$1" -u "$NAPFD" _ || true; }

# poll_until SECONDS CMD...: run CMD every 50 ms until it succeeds, keeping
# the live line going; fails after SECONDS.
poll_until() {
	local end
	us
	end=$((US + $1 * 1000000))
	shift
	until "$@"; do
		tick
		us
		((US < end)) || return 1
		nap 0.05
	done
}

# wait_ticking UNTIL: sleep until the time UNTIL, keeping the live line going.
wait_ticking() {
	us
	while ((US < $1)); do
		tick
		nap 0.1
		us
	done
}

# fmt VAR N: VAR = N / 1e6 with one decimal; fmt2: with two.
fmt() {
	local v=$(($2 / 100000))
	printf -v "$1" '%d.%d' $((v / 10)) $((v % 10))
}
fmt2() {
	local v=$(($2 / 10000))
	printf -v "$1" '%d.%02d' $((v / 100)) $((v % 100))
}

# owner_is HOST: the connection's owner (DIR/owner) runs on HOST.
owner_is() {
	local h=
	[[ -e $W/owner ]] && read -r _ _ h _ <"$W/owner"
	[[ $h == "$1" ]]
}

# follow NAME FILE: read the lines FILE got since the last call into the
# array NAME_NEW, keeping a partial last line for the next call.
declare -A FOLLOW_FD=() FOLLOW_PART=()
follow() {
	local -n out=$1_NEW
	local line fd
	out=()
	if [[ -z ${FOLLOW_FD[$1]:-} ]]; then
		[[ -e $2 ]] || return 0
		exec {fd}<"$2"
		FOLLOW_FD[$1]=$fd
	fi
	while IFS= read -r -u "${FOLLOW_FD[$1]}" line; do
		out+=("${FOLLOW_PART[$1]:-}$line")
		FOLLOW_PART[$1]=
	done
	FOLLOW_PART[$1]+=$line
}

# logged FILE REGEX: FILE got a line matching REGEX; it is in LOGGED.
logged() {
	local l
	follow LOG "$1"
	for l in "${LOG_NEW[@]}"; do
		if [[ $l =~ $2 ]]; then
			LOGGED=$l
			return 0
		fi
	done
	return 1
}

# ----------------------------------------------------------- live line
T0=
NEXT_TICK=
PREV_T=
PREV_B=0
LAST_B=0
LAST_T=
SERVING=A
LAST_MOVE=
LAST_T_EXPORT=
LAST_T_DONE=
LAST_TEXT="-"
GAP_S=()
GAP_E=()

# stall T_START T_DONE: the longest pause of the body the peer saw that
# began between the export command and 2 s after the new owner took over
# (a retransmission timeout of the new host counts; demo/report uses the
# same rule), in STALL (microseconds).
stall() {
	local i
	STALL=0
	for ((i = ${#GAP_S[@]} - 1; i >= 0; i--)); do
		((GAP_S[i] >= $1)) || break
		((GAP_S[i] > $2 + 2000000 || GAP_E[i] - GAP_S[i] <= STALL)) ||
			STALL=$((GAP_E[i] - GAP_S[i]))
	done
}

tick() {
	local l rate e mb r st
	[[ -n $T0 ]] || return 0
	us
	((US >= NEXT_TICK)) || return 0
	NEXT_TICK=$((NEXT_TICK + 1000000))
	((NEXT_TICK > US)) || NEXT_TICK=$((US + 1000000))
	# The checker's samples and pauses: "SECONDS.MICROS BYTES" and
	# "START END", six decimals each.
	follow SERIES "$W/series"
	for l in "${SERIES_NEW[@]}"; do
		LAST_T=${l%% *}
		LAST_T=${LAST_T/./}
		LAST_B=${l#* }
	done
	follow GAPS "$W/gaps"
	for l in "${GAPS_NEW[@]}"; do
		e=${l#* }
		l=${l%% *}
		GAP_S+=("${l/./}")
		GAP_E+=("${e/./}")
	done
	[[ -n $LAST_T ]] || LAST_T=$US
	[[ -n $PREV_T ]] || PREV_T=$T0
	rate=0
	((LAST_T <= PREV_T)) || rate=$(((LAST_B - PREV_B) * 1000000 / (LAST_T - PREV_T)))
	PREV_T=$LAST_T
	PREV_B=$LAST_B
	if [[ -n $LAST_MOVE ]]; then
		stall "$LAST_T_EXPORT" "$LAST_T_DONE"
		fmt2 st $STALL
		LAST_TEXT="$LAST_MOVE $st s"
	fi
	fmt e $((US - T0))
	fmt mb "$LAST_B"
	fmt r "$rate"
	printf '%6s s  peer received %7s MB  %5s MB/s  served by %-5s  last stall %s\n' \
		"$e" "$mb" "$r" "$SERVING" "$LAST_TEXT"
}

# ----------------------------------------------------------- set-up
need curl dumpcap ip
[[ -x $STREAM && -x $SOCKMID && -x $SOCKMICTL ]] || die "build first (make check-build; make -C demo)"

# file_has FILE TEXT: FILE has a line containing TEXT (no fork).
file_has() {
	local l
	[[ -e $1 ]] || return 1
	while IFS= read -r l || [[ -n $l ]]; do
		[[ $l != *"$2"* ]] || return 0
	done <"$1"
	return 1
}
# wait_file FILE TEXT WHAT: wait up to 60 s for file_has FILE TEXT.
wait_file() {
	local i
	for ((i = 0; i < 600; i++)); do
		file_has "$1" "$2" && return 0
		nap 0.1
	done
	die "$3 did not start: $(cat "$1" 2>/dev/null)"
}

say "demo: peer 10.77.0.1, hosts A B C 10.77.0.2-4 on one bridge; service $SERVICE:$PORT on A"
mark start
# The programs started later load from the host's disk over 9p: slow the
# first time. Warm the cache while the modules load.
(for p in curl tee sha256sum; do "$p" --version; done; dumpcap -v; ss -V) >/dev/null 2>&1 &
modules_load
mark modules loaded
# The peer first: its capture starts (slowly) while A, B and C are built.
topology peer
# Every SYN, FIN and RST the peer sees or sends on the service port.
# (DEMO_CAPTURE_ALL=1: every header, to look into a stall.)
filter="tcp port $PORT and tcp[tcpflags] & (tcp-syn|tcp-fin|tcp-rst) != 0"
[[ -z ${DEMO_CAPTURE_ALL:-} ]] || filter="tcp port $PORT"
bg peer dumpcap -q -i eth0 -s 96 -w "$W/peer.pcapng" -f "$filter" \
	2>"$W/dumpcap.log"
DUMPCAP=$!
add_host A 2
add_host B 3
add_host C 4
mark topology
n A ip addr add "$SERVICE/24" dev eth0
# The peer's receive buffer stays small (256 KiB at most, 0.1 s of the
# stream): the pauses its reader sees are then those of the network, not
# hidden behind seconds of buffered data when the reader is slow (emulated
# CPUs are).
n peer sysctl -qw net.ipv4.tcp_rmem="4096 131072 262144"
(umask 077 && "$SOCKMICTL" genkey >"$W/key")
# DEMO_NO_DAEMON=HOST: no daemon on HOST, to see a move there fail, rolled
# back, the stream going on (and the demo failing).
daemons=()
for h in A B C; do
	[[ $h == "${DEMO_NO_DAEMON:-}" ]] || daemons+=("$h")
done
for h in "${daemons[@]}"; do
	ip netns exec "${NS[$h]}" "$SOCKMID" --foreground --config /dev/null \
		--key "$W/key" --iface eth0 --timeout 3000 \
		--takeover "$SERVICE/24" >"$W/sockmid-$h.log" 2>&1 &
	DPID[$h]=$!
done
bg A "$STREAM" serve "$PORT" "$W" A "$RATE" 2>>"$W/server.log"
for h in "${daemons[@]}"; do
	wait_file "$W/sockmid-$h.log" "started (" "sockmid on $h"
done
say "demo: sockmid runs on ${daemons[*]} (one shared key, multicast on eth0)"
wait_file "$W/server.log" "listening on port" "the server"
wait_file "$W/dumpcap.log" "Capturing on" "dumpcap"
mark capturing

# The peer: an unmodified curl, its body checked byte by byte and hashed.
say "demo: curl on the peer downloads http://$SERVICE:$PORT/stream (paced at $((RATE / 1000)) kB/s by the server)"
us
T0=$US
NEXT_TICK=$((T0 + 1000000))
PREV_T=$T0
# shellcheck disable=SC2016 # expanded by the inner bash
bg peer bash -c '
	curl --silent --show-error --no-buffer --output - "http://$1:$2/stream" |
		tee >(sha256sum >"$3/peer.sha256.tmp"; mv "$3/peer.sha256.tmp" "$3/peer.sha256") |
		"$4" check "$3"
	echo "${PIPESTATUS[*]}" >"$3/peer.rc"' demo "$SERVICE" "$PORT" "$W" "$STREAM" 2>"$W/peer.log"
PEER=$!
poll_until 60 owner_is A || die "the server did not answer: $(cat "$W/server.log" "$W/peer.log")"
mark connected
us
T_CONNECTED=$US

# ----------------------------------------------------------- migrations
: >"$W/migrations"
failed=0
next=$((T_CONNECTED + DWELL * 1000000))
for ((i = 1; i < ${#ROUTE[@]}; i++)); do
	# From wherever the connection is: after a failed move, still there.
	read -r _ _ from _ <"$W/owner"
	to=${ROUTE[i]}
	wait_ticking "$next"
	mark "move $from $to"
	bg "$to" "$STREAM" adopt "$PORT" "$W" "$to" "$RATE" 2>>"$W/server.log"
	adopter=$!
	read -r pid fd _ _ <"$W/owner"
	us
	t_start=$US
	SERVING="$from->$to"
	# The socket freezes before sockmictl returns: t_frozen bounds it.
	# (In the background: the live line goes on meanwhile.)
	rm -f "$W/export.rc"
	(
		ip netns exec "${NS[$from]}" "$SOCKMICTL" export pid "$pid" fd "$fd" \
			to "$(ip4 "$to")" >"$W/export.id" 2>"$W/export.err"
		echo $? >"$W/export.rc"
	) &
	poll_until 60 test -s "$W/export.rc" || echo 124 >"$W/export.rc"
	us
	t_frozen=$US
	read -r rc <"$W/export.rc"
	read -r id <"$W/export.id" || id=
	if [[ $rc -ne 0 ]]; then
		say "demo: migration $from -> $to: sockmictl export failed: $(cat "$W/export.err")"
		echo "$i $from $to - $t_start $t_frozen - - failed-export" >>"$W/migrations"
		failed=$((failed + 1))
		kill "$adopter" 2>/dev/null || true
		SERVING=$from
		continue
	fi
	result=none
	FOLLOW_FD[LOG]=
	FOLLOW_PART[LOG]=
	LOGGED=
	if poll_until 30 logged "$W/sockmid-$from.log" "export id=$id .*result=([a-z]+)"; then
		result=${BASH_REMATCH[1]}
	fi
	us
	t_commit=$US
	if [[ $result != committed ]]; then
		say "demo: migration $from -> $to (export $id) FAILED: $result"
		say "demo:   $LOGGED"
		echo "$i $from $to $id $t_start $t_frozen $t_commit - $result" >>"$W/migrations"
		failed=$((failed + 1))
		kill "$adopter" 2>/dev/null || true
		SERVING=$(read -r _ _ h _ <"$W/owner"; echo "$h")
		us
		next=$((US + DWELL * 1000000))
		continue
	fi
	if ! poll_until 30 owner_is "$to"; then
		say "demo: migration $from -> $to (export $id): committed, but $to never carried on"
		echo "$i $from $to $id $t_start $t_frozen $t_commit - no-adopter" >>"$W/migrations"
		failed=$((failed + 1))
		break
	fi
	us
	t_done=$US
	mark "moved $from $to"
	[[ $LOGGED =~ duration_ms=([0-9]+) ]] && dur=${BASH_REMATCH[1]} || dur=
	[[ $LOGGED =~ \ bytes=([0-9]+) ]] && size=${BASH_REMATCH[1]} || size=
	echo "$i $from $to $id $t_start $t_frozen $t_commit $t_done committed ${dur:--} ${size:--}" >>"$W/migrations"
	# What the new owner's socket looks like (send buffer: skmem tb).
	{ echo "# on $to after $from -> $to"; ip netns exec "${NS[$to]}" ss -Htmi "sport = :$PORT"; } >"$W/ss.$i.log" 2>&1 &
	DIAG+=($!)
	SERVING=$to
	LAST_MOVE="$from->$to"
	LAST_T_EXPORT=$t_start
	LAST_T_DONE=$t_done
	next=$((t_done + DWELL * 1000000))
done

# ----------------------------------------------------------- the end
if [[ $failed -eq 0 ]]; then
	wait_ticking "$next"
fi
us
t_finish=$US
touch "$W/finish"
mark finish
poll_until 30 test -e "$W/peer.rc" || say "demo: the peer did not see the end of the stream"
wait "$PEER" 2>/dev/null || true
poll_until 10 test -e "$W/peer.sha256" || true
tick
LAST_T_DONE=
sleep 0.5
kill -INT "$DUMPCAP" 2>/dev/null || true
wait "$DUMPCAP" 2>/dev/null || true
stop_all
for p in "${DIAG[@]}"; do
	wait "$p" 2>/dev/null || true
done
cat "$W"/ss.*.log >"$W/ss.log" 2>/dev/null && rm -f "$W"/ss.*.log

{
	echo "t0=$T0"
	echo "t_finish=$t_finish"
	echo "rate=$RATE"
	echo "dwell=$DWELL"
	echo "route=\"${ROUTE[*]}\""
	echo "failed=$failed"
	echo "peer_rc=\"$(cat "$W/peer.rc" 2>/dev/null)\""
	echo "final=$(cat "$W/final" 2>/dev/null)"
	echo "peer_sha256=$(cut -d' ' -f1 "$W/peer.sha256" 2>/dev/null)"
	sed 's/ /\n/g' "$W/check" 2>/dev/null | sed 's/^/check_/'
	echo "kernel=$(uname -r)"
} >"$W/results"
rm -f "$W/key" "$W/finish"
us
fmt e $((US - T0))
say "demo: stream closed after $e s; $failed migration(s) failed"
[[ $failed -eq 0 ]]
