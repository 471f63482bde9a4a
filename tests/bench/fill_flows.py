#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Enter many flows in this namespace's xt_SOCKMI table, fast: many
SOCKMI_CMD_NEW_FLOW requests per send(), their acks read afterwards.

  fill_flows.py FROM TO ACTION LOCAL_ADDR REMOTE_ADDR [VIA]

enters flows FROM to TO - 1, where flow i is LOCAL_ADDR:(81 + i // 64000) <-> REMOTE_ADDR:(1024 + i % 64000),
so local port 80 stays free for the flow being measured. Exit status 0
when every request succeeded.
"""

import os
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'lib'))
import sockmi_nl as nl  # noqa: E402

E = nl.ENUMS
BATCH = 256


def flow(action, laddr, lport, raddr, rport, via):
    """The SOCKMI_A_FLOW attribute, built directly (this runs 100,000
    times under emulation)."""
    fam = socket.AF_INET6 if ':' in laddr else socket.AF_INET
    u16 = struct.Struct('=H').pack
    tup = (nl.nla(E['SOCKMI_TUPLE_A_FAMILY'], u16(fam)) +
           nl.nla(E['SOCKMI_TUPLE_A_LOCAL_ADDR'], socket.inet_pton(fam, laddr)) +
           nl.nla(E['SOCKMI_TUPLE_A_LOCAL_PORT'], u16(lport)) +
           nl.nla(E['SOCKMI_TUPLE_A_REMOTE_ADDR'], socket.inet_pton(fam, raddr)) +
           nl.nla(E['SOCKMI_TUPLE_A_REMOTE_PORT'], u16(rport)))
    body = (nl.nla(E['SOCKMI_FLOW_A_TUPLE'] | nl.NLA_F_NESTED, tup) +
            nl.nla(E['SOCKMI_FLOW_A_ACTION'],
                   struct.pack('=B', E['SOCKMI_FLOW_' + action.upper()])))
    if via:
        body += nl.nla(E['SOCKMI_FLOW_A_VIA'] | nl.NLA_F_NESTED,
                       nl.nla(E['SOCKMI_ADDR_A_FAMILY'], u16(fam)) +
                       nl.nla(E['SOCKMI_ADDR_A_ADDR'],
                              socket.inet_pton(fam, via)))
    return nl.nla(E['SOCKMI_A_FLOW'] | nl.NLA_F_NESTED, body)


def main(argv):
    first, n = int(argv[0]), int(argv[1])
    action, laddr, raddr = argv[2], argv[3], argv[4]
    via = argv[5] if len(argv) > 5 else None
    g = nl.Genl()
    g.sock.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE
    g.sock.setsockopt(socket.SOL_SOCKET, 32, 16 << 20)  # SO_SNDBUFFORCE
    fid, _ = g.resolve('sockmi')
    failed = 0
    for start in range(first, n, BATCH):
        buf = b''
        seqs = set()
        for i in range(start, min(n, start + BATCH)):
            body = struct.pack('=BBH', E['SOCKMI_CMD_NEW_FLOW'], 1, 0) + \
                flow(action, laddr, 81 + i // 64000, raddr, 1024 + i % 64000,
                     via)
            seq = i + 1
            seqs.add(seq)
            buf += struct.pack('=IHHII', 16 + len(body), fid,
                               nl.NLM_F_REQUEST | nl.NLM_F_ACK, seq, 0) + body
        g.sock.send(buf)
        while seqs:
            data = g.sock.recv(1 << 20)
            while len(data) >= 16:
                mlen, mtype, _, seq, _ = struct.unpack('=IHHII', data[:16])
                if mtype == nl.NLMSG_ERROR and seq in seqs:
                    seqs.discard(seq)
                    err = struct.unpack('=i', data[16:20])[0]
                    if err and not failed:
                        print('flow %d: %s' % (seq - 1, nl.describe_error(
                            err, nl.parse_attrs(data[36:mlen]))))
                    failed += err != 0
                data = data[(mlen + 3) & ~3:]
    print('%d flows entered, %d refused' % (n - first - failed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
