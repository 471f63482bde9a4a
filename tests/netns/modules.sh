#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Module life cycle and per-namespace state:
#
#   A   B   C      three hosts, no links needed
#
# - the three modules load and unload three times in dependency order, with
#   namespaces alive and created while loaded;
# - the family is visible in every namespace, the sysctls are per namespace
#   and bounded; unloading out of order is refused.
source "$(dirname "$0")/lib.sh"

need genl sysctl

family_in() { n "$1" genl ctrl get name sockmi 2>&1; }

modules_unload
add_host A 1
add_host B 2

for cycle in 1 2 3; do
	check "cycle $cycle: load in dependency order" modules_load
	check "cycle $cycle: all three modules present" modules_loaded
	add_host "C$cycle" $((cycle + 2))
	for h in A B "C$cycle"; do
		expect "cycle $cycle: family visible in $h" \
			"$(family_in "$h")" "*Name: sockmi*"
	done
	expect "cycle $cycle: events group listed" \
		"$(family_in A)" "*events*"
	check "cycle $cycle: sysctls in a new namespace" \
		n "C$cycle" sysctl -n net.sockmi.max_bound net.sockmi.max_listen \
		net.sockmi.max_connected
	check_not "cycle $cycle: sockmi.ko refuses to go while sockmi_genl uses it" \
		rmmod sockmi
	check "cycle $cycle: unload in reverse order" modules_unload
	check_not "cycle $cycle: family gone" n A genl ctrl get name sockmi
	check_not "cycle $cycle: sysctls gone" n A sysctl -n net.sockmi.max_bound
done

check_not "sockmi_genl.ko alone fails (needs sockmi.ko)" \
	insmod "$REPO/net/sockmi/sockmi_genl.ko"
modules_load

expect "max_bound defaults to 1024" "$(n A sysctl -n net.sockmi.max_bound)" 1024
check "max_bound set in A" n A sysctl -qw net.sockmi.max_bound=7
expect "max_bound of A changed" "$(n A sysctl -n net.sockmi.max_bound)" 7
expect "max_bound of B untouched" "$(n B sysctl -n net.sockmi.max_bound)" 1024
check_not "max_connected rejects -1" n A sysctl -qw net.sockmi.max_connected=-1
check_not "max_listen rejects more than 2^20" \
	n A sysctl -qw net.sockmi.max_listen=1048577
check "max_listen takes 2^20" n A sysctl -qw net.sockmi.max_listen=1048576
expect "max_connected unchanged after refusal" \
	"$(n A sysctl -n net.sockmi.max_connected)" 1024

# Namespaces that die while the modules are loaded, and after: no leak, no
# warning (the harness fails on any kernel report).
for h in A B C1 C2 C3; do ip netns del "${NS[$h]}"; unset "NS[$h]"; done
add_host D 9
check "unload with a namespace alive" modules_unload
check "load again" modules_load

finish
