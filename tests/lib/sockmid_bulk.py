#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A connection whose server reads nothing, so that its receive queue is
full -- a checkpoint of many transfer records -- when it moves.

  sockmid_bulk.py serve PORT OWNERFILE   accept one connection with a 1 MiB
                                         receive buffer, write {"pid", "fd"}
                                         to OWNERFILE, read nothing, wait
                                         until the socket is taken away
  sockmid_bulk.py client HOST PORT BYTES send BYTES of a pattern, then
                                         expect "OK BYTES" back
  sockmid_bulk.py import BYTES           import the connected socket staged
                                         here, read BYTES, check each, answer
                                         "OK BYTES"

Exit status 0 means every byte arrived once and in order.
"""

import errno
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sockmi_test as st  # noqa: E402

SALT = 0x33


def cmd_serve(args):
    port, owner = int(args[0]), args[1]
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    ls.bind(('', port))
    ls.listen(1)
    s, _ = ls.accept()
    ls.close()
    st.save_state(owner, 0, 0, s.fileno())
    # Until it is committed away (ECONNABORTED) or the test ends.
    for _ in range(1200):
        try:
            s.send(b'')
        except OSError as e:
            if e.errno == errno.ECONNABORTED:
                print('serve: socket taken away')
                return 0
        time.sleep(0.05)
    print('serve: socket never taken away')
    return 1


def cmd_client(args):
    host, port, total = args[0], int(args[1]), int(args[2])
    s = socket.create_connection((host, port), timeout=60)
    sent = 0
    while sent < total:
        sent += s.send(st.pattern(sent, min(65536, total - sent), SALT))
    reply = b''
    while not reply.endswith(b'\n'):
        data = s.recv(64)
        if not data:
            break
        reply += data
    ok = reply == b'OK %d\n' % total
    print('client: sent %d, got %r%s' % (sent, reply, '' if ok else ' WRONG'))
    return 0 if ok else 1


def cmd_import(args):
    total = int(args[0])
    f = st.Family()
    match = st.nl.encode_attr('SOCKMI_A_MATCH=nest:(SOCKMI_MATCH_A_STATES=u32:%d)'
                              % st.E['SOCKMI_STATE_CONNECTED'])
    for _ in range(600):
        try:
            replies = f.call('SOCKMI_CMD_IMPORT', match)
            break
        except OSError as e:
            if e.errno != errno.EAGAIN:
                raise
            time.sleep(0.05)
    else:
        print('import: nothing to import')
        return 1
    s = socket.socket(fileno=f.reply_u(replies, 'SOCKMI_A_FD', '=I'))
    s.settimeout(60)
    got = 0
    while got < total:
        data = s.recv(min(1 << 16, total - got))
        if not data:
            print('import: EOF at %d' % got)
            return 1
        if data != st.pattern(got, len(data), SALT):
            print('import: corrupt bytes at offset %d' % got)
            return 1
        got += len(data)
    s.sendall(b'OK %d\n' % got)
    s.close()
    print('import: %d bytes verified' % got)
    return 0


def main(argv):
    cmds = {'serve': cmd_serve, 'client': cmd_client, 'import': cmd_import}
    if not argv or argv[0] not in cmds:
        sys.stderr.write(__doc__)
        return 2
    return cmds[argv[0]](argv[1:])


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
