# SPDX-License-Identifier: GPL-2.0
# Rule -> expected result, in the format of iptables' own extension tests:
#   *TABLE and :CHAIN[,CHAIN] lines set where the following rules go;
#   RULE;RESULT;OK|FAIL  RESULT "=" means iptables-save prints RULE itself,
#   empty with FAIL means the rule is refused. Run for iptables and
#   ip6tables, legacy and nft, by tests/netns/xt_sockmi.sh.
*raw
:PREROUTING
-j SOCKMI;=;OK
-j SOCKMI --set-mark 0x1;=;OK
-j SOCKMI --set-mark 0x10/0xff;=;OK
-j SOCKMI --set-mark 1;-j SOCKMI --set-mark 0x1;OK
-j SOCKMI --set-mark 0x5/0xffffffff;-j SOCKMI --set-mark 0x5;OK
-j SOCKMI --set-mark 0xffffffff/0x0;=;OK
-p tcp --dport 443 -j SOCKMI;-p tcp -m tcp --dport 443 -j SOCKMI;OK
-p tcp -m tcp --dport 443 -j SOCKMI --set-mark 0x2;=;OK
-j SOCKMI --set-mark;;FAIL
-j SOCKMI --set-mark foo;;FAIL
-j SOCKMI --set-mark 0x100000000;;FAIL
-j SOCKMI --set-mark 0x1/bar;;FAIL
-j SOCKMI --set-mark 0x1 --set-mark 0x2;;FAIL
-j SOCKMI --bogus;;FAIL
-j SOCKMI extra;;FAIL
:OUTPUT
-j SOCKMI;;FAIL
*mangle
:PREROUTING
-j SOCKMI;;FAIL
*filter
:INPUT,FORWARD,OUTPUT
-j SOCKMI;;FAIL
