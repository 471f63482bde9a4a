#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The iptables extension libxt_SOCKMI.so with the kernel target:
#
#   A      one host, no links needed
#
# For iptables and ip6tables, legacy and nft backends: every line of
# userland/iptables/libxt_SOCKMI.t (rule -> what iptables-save prints, or
# refused), -L output, deletion by rule, and iptables-save | iptables-restore
# round trips.
source "$(dirname "$0")/lib.sh"

XTABLES_LIBDIR="$REPO/userland/iptables:$(pkg-config --variable=xtlibdir xtables 2>/dev/null ||
	echo /usr/lib/x86_64-linux-gnu/xtables)"
export XTABLES_LIBDIR
TFILE="$REPO/userland/iptables/libxt_SOCKMI.t"

for t in iptables-legacy ip6tables-legacy iptables-nft ip6tables-nft; do
	need "$t" "$t-save" "$t-restore"
done
[[ -e $REPO/userland/iptables/libxt_SOCKMI.so ]] || {
	skip "$TEST_NAME" "userland/iptables/libxt_SOCKMI.so not built"
	exit 4
}

modules_load
add_host A 1
tmp=$(mktemp -d)

# The rules of the .t file as "TABLE|CHAIN|RULE|EXPECTED|OK-or-FAIL" lines.
cases() {
	local line table='' chains='' rule expected result chain
	while IFS= read -r line; do
		case $line in
		'#'* | '') continue ;;
		'*'*) table=${line#\*}; continue ;;
		:*) chains=${line#:}; continue ;;
		esac
		IFS=';' read -r rule expected result <<<"$line"
		[[ $expected == = ]] && expected=$rule
		for chain in ${chains//,/ }; do
			echo "$table|$chain|$rule|$expected|$result"
		done
	done <"$TFILE"
}

# saved IPT TABLE: the rules iptables-save prints, without counters.
saved() { n A "$1-save" -t "$2" | grep '^-A' || true; }

for ipt in iptables-legacy ip6tables-legacy iptables-nft ip6tables-nft; do
	# Every accepted rule at once, then compare what comes back.
	: >"$tmp/want"
	{
		cases | while IFS='|' read -r table chain rule expected result; do
			[[ $result == OK ]] || continue
			echo "*$table"
			echo "-A $chain $rule"
			echo COMMIT
			echo "-A $chain $expected" >>"$tmp/want"
		done
	} >"$tmp/rules"
	check "$ipt: every OK rule of the .t file loads" \
		n A "$ipt-restore" --noflush "$tmp/rules"
	saved "$ipt" raw >"$tmp/got"
	while IFS= read -r want; do
		expect "$ipt: '$want'" "$(grep -cxF -- "$want" "$tmp/got")" \
			"$(grep -cxF -- "$want" "$tmp/want")"
	done < <(sort -u "$tmp/want")
	expect "$ipt -L shows the target and its mark" \
		"$(n A "$ipt" -t raw -L PREROUTING -n | grep -c 'SOCKMI.*set-mark 0x10/0xff')" 1

	# iptables-save | iptables-restore gives the same rules back.
	n A "$ipt-save" -t raw >"$tmp/save1"
	n A "$ipt" -t raw -F
	expect "$ipt: flushed" "$(saved "$ipt" raw | wc -l)" 0
	check "$ipt: iptables-restore takes iptables-save's output" \
		n A "$ipt-restore" "$tmp/save1"
	expect "$ipt: save, restore, save: the same rules" \
		"$(saved "$ipt" raw | md5sum)" "$(grep '^-A' "$tmp/save1" | md5sum)"

	# Deletion by rule compares what userspace sees of the target.
	check "$ipt: -D by rule with options" \
		n A "$ipt" -t raw -D PREROUTING -j SOCKMI --set-mark 0x10/0xff
	check "$ipt: -D by rule without options" \
		n A "$ipt" -t raw -D PREROUTING -j SOCKMI
	n A "$ipt" -t raw -F

	while IFS='|' read -r table chain rule expected result; do
		[[ $result == FAIL ]] || continue
		# shellcheck disable=SC2086
		check_not "$ipt: refuses -t $table -A $chain $rule" \
			n A "$ipt" -t "$table" -A "$chain" $rule
	done < <(cases)
	expect "$ipt: nothing left behind" \
		"$(saved "$ipt" raw; saved "$ipt" mangle; saved "$ipt" filter)" ""
done

rm -rf "$tmp"
finish
