#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The socket options a checkpoint carries (tests/netns/sockopts.sh).

  sockopts.py HOST PORT SET [--v6]

Connects to an echo server at HOST:PORT (socat, in the peer's namespace),
and sets the options of SET ("user": every option SockMi carries, at values
no default has; "force": SO_SNDBUFFORCE/SO_RCVBUFFORCE past
net.core.[wr]mem_max), echoes some bytes, and reads every
option back. Then the socket is handed over inside this namespace (EXPORT
with SOCKMI_A_TO = its own local address, then IMPORT) and the options are
read from the imported socket. Prints, per option, "same NAME VALUE" or
"differs NAME BEFORE AFTER", then "echo ok N" once N more bytes went
through the imported socket and came back unchanged. Exit status 0 only if
everything was the same and the echo came back.
"""

import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sockmi_nl as nl  # noqa: E402
from sockmi_test import E, Family, import_port, pattern, u32  # noqa: E402

SOL_TCP = socket.IPPROTO_TCP
TCP_USER_TIMEOUT, TCP_CONGESTION = 18, 13
SO_SNDBUFFORCE, SO_RCVBUFFORCE = 32, 33
TIMEOUT = 150    # s: past TCP_RTO_MAX, as the other tests' peers wait

# name, level, option, value to set (int, or bytes for a struct/string),
# size to read back (0: an int)
USER = [
    ('SO_KEEPALIVE', socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1, 0),
    ('TCP_KEEPIDLE', SOL_TCP, socket.TCP_KEEPIDLE, 77, 0),
    ('TCP_KEEPINTVL', SOL_TCP, socket.TCP_KEEPINTVL, 13, 0),
    ('TCP_KEEPCNT', SOL_TCP, socket.TCP_KEEPCNT, 4, 0),
    ('TCP_NODELAY', SOL_TCP, socket.TCP_NODELAY, 1, 0),
    ('SO_RCVBUF', socket.SOL_SOCKET, socket.SO_RCVBUF, 100000, 0),
    ('SO_SNDBUF', socket.SOL_SOCKET, socket.SO_SNDBUF, 150000, 0),
    ('SO_LINGER', socket.SOL_SOCKET, socket.SO_LINGER,
     struct.pack('ii', 1, 7), 8),
    ('TCP_USER_TIMEOUT', SOL_TCP, TCP_USER_TIMEOUT, 12345, 0),
    ('TCP_CONGESTION', SOL_TCP, TCP_CONGESTION, b'reno', 16),
    ('SO_MARK', socket.SOL_SOCKET, socket.SO_MARK, 0x77, 0),
    ('SO_PRIORITY', socket.SOL_SOCKET, socket.SO_PRIORITY, 5, 0),
    ('SO_REUSEADDR', socket.SOL_SOCKET, socket.SO_REUSEADDR, 1, 0),
]
TOS4 = ('IP_TOS', socket.IPPROTO_IP, socket.IP_TOS, 0x10, 0)
TOS6 = ('IPV6_TCLASS', socket.IPPROTO_IPV6, socket.IPV6_TCLASS, 0x28, 0)
# Set before connect(): it bounds the MSS the handshake offers.
MAXSEG = ('TCP_MAXSEG', SOL_TCP, socket.TCP_MAXSEG, 1200, 0)
FORCE = [
    ('SO_SNDBUFFORCE', socket.SOL_SOCKET, SO_SNDBUFFORCE, 8 << 20, 0),
    ('SO_RCVBUFFORCE', socket.SOL_SOCKET, SO_RCVBUFFORCE, 6 << 20, 0),
]
# What is read back: SO_*BUFFORCE are set-only; their effect is SO_*BUF.
READ = {'SO_SNDBUFFORCE': socket.SO_SNDBUF, 'SO_RCVBUFFORCE': socket.SO_RCVBUF}


def read(s, opts):
    out = {}
    for name, level, opt, _, size in opts:
        opt = READ.get(name, opt)
        out[name] = (s.getsockopt(level, opt, size) if size
                     else s.getsockopt(level, opt))
        if name == 'TCP_CONGESTION':
            out[name] = out[name].rstrip(b'\0')
    return out


def echo(s, n, salt):
    """n bytes through the echo server, a chunk at a time: a block larger
    than both ends' buffers together would deadlock writer and echo."""
    data = pattern(0, n, salt)
    for off in range(0, n, 16384):
        chunk = data[off:off + 16384]
        s.sendall(chunk)
        got = b''
        while len(got) < len(chunk):
            part = s.recv(len(chunk) - len(got))
            if not part:
                raise ConnectionError('the echo ended after %d bytes' %
                                      (off + len(got)))
            got += part
        if got != chunk:
            raise ValueError('the echo came back changed at %d' % off)


def main(argv):
    host, port, which = argv[1], int(argv[2]), argv[3]
    v6 = '--v6' in argv
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET)
    # A broken hand-over fails the test; it never hangs it.
    s.settimeout(TIMEOUT)
    opts = {'user': USER + [TOS6 if v6 else TOS4, MAXSEG],
            'force': FORCE}[which]
    for name, level, opt, value, _ in opts:
        if name == 'TCP_MAXSEG':
            s.setsockopt(level, opt, value)
    s.connect((host, port))
    for name, level, opt, value, _ in opts:
        if name != 'TCP_MAXSEG':
            s.setsockopt(level, opt, value)
    echo(s, 100000, 1)
    before = read(s, opts)

    f = Family()
    local, rport = s.getsockname()[0], s.getpeername()[1]
    payload = u32('SOCKMI_A_FD', s.fileno()) + nl.encode_attr(
        'SOCKMI_A_TO=nest:(SOCKMI_ADDR_A_FAMILY=u16:%d,SOCKMI_ADDR_A_ADDR=ip:%s)'
        % (s.family, local))
    f.call('SOCKMI_CMD_EXPORT', payload)
    t = import_port(f, rport)
    t.settimeout(TIMEOUT)
    after = read(t, opts)

    ok = True
    for name, *_ in opts:
        if before[name] == after[name]:
            print('same %s %r' % (name, before[name]))
        else:
            ok = False
            print('differs %s %r %r' % (name, before[name], after[name]))
    echo(t, 300000, 2)
    print('echo ok 300000')
    s.close()
    t.close()
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
