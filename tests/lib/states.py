#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Drive a TCP connection into a given state with data in its queues, let
SockMi move the server end to another process, and verify every byte.

  states.py peer  SCENARIO HOST PORT DIR    the unmodified peer
  states.py owner SCENARIO PORT DIR [--v6]  accepts, reaches the state, then
                                            writes DIR/owner (pid, fd, offsets)
                                            and waits to be exported
  states.py importer SCENARIO DIR           imports and finishes the job

Scenarios (server end state at export time):
  est         ESTABLISHED; the peer does not read (our send queue full,
              zero window) and we do not read (its data piles up here)
  close_wait  the peer sent data and FIN; we read part of the data
  fin_wait1   we shut down writing while the peer does not read: data and
              FIN still queued here
  fin_wait2   we shut down writing, the peer read all and acknowledged the
              FIN, then sent data we did not read
  last_ack    the peer closed first; we read to EOF, wrote while it does
              not read, and shut down

DIR/go is created by the test once the socket has moved; the peer waits
for it before reading. Exit status 0: every byte verified, EOF where due.
"""

import json
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sockmi_test import Family, E, pattern  # noqa: E402
import sockmi_nl as nl  # noqa: E402

PEER_SALT, OWNER_SALT = 0x11, 0x77
PEER_BYTES = 600000        # what the peer sends in total
OWNER_BYTES = 500000       # what the server end sends in total
CLOSE_WAIT_BYTES = 120000   # fits in a receive buffer with the FIN
TCP_INFO_STATE = 0          # first byte of struct tcp_info


def wait_path(path, limit=120):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if os.path.exists(path):
            return
        time.sleep(0.05)
    raise TimeoutError(path)


def tcp_state(s):
    return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[TCP_INFO_STATE]


def wait_state(s, states, limit=120):
    """Poll until the socket is in one of states; generous, as everything
    is slow under emulation on a loaded machine."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if tcp_state(s) in states:
            return
        time.sleep(0.01)
    raise TimeoutError('state %d' % tcp_state(s))


def recv_exact(s, off, n, salt):
    """Receive and verify bytes [off, off + n) of a pattern."""
    end = off + n
    while off < end:
        data = s.recv(min(65536, end - off))
        if not data:
            raise ConnectionError('EOF at %d, expected %d' % (off, end))
        if data != pattern(off, len(data), salt):
            raise ValueError('corrupt bytes at offset %d' % off)
        off += len(data)
    return off


def expect_eof(s):
    data = s.recv(1)
    if data:
        raise ValueError('bytes after the expected end')


def send_until_full(s, off, limit, salt):
    """Send without blocking until the queues are full; returns offset."""
    s.setblocking(False)
    try:
        while off < limit:
            off += s.send(pattern(off, min(65536, limit - off), salt))
    except BlockingIOError:
        pass
    s.setblocking(True)
    return off


def send_all(s, off, limit, salt):
    while off < limit:
        off += s.send(pattern(off, min(65536, limit - off), salt))
    return off


# ---- the peer: plain sockets, nothing of ours ----

def owner_tx(d):
    """How much the server end wrote before it shut down writing."""
    return json.load(open(os.path.join(d, 'owner')))['tx']


def peer(scenario, host, port, d):
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.connect((host, port))
    s.settimeout(60)
    go = os.path.join(d, 'go')
    if scenario == 'est':
        tx = send_until_full(s, 0, PEER_BYTES, PEER_SALT)
        open(os.path.join(d, 'peer-ready'), 'w').close()
        wait_path(go)
        send_all(s, tx, PEER_BYTES, PEER_SALT)
        s.shutdown(socket.SHUT_WR)
        recv_exact(s, 0, OWNER_BYTES, OWNER_SALT)
        expect_eof(s)
    elif scenario == 'close_wait':
        send_all(s, 0, CLOSE_WAIT_BYTES, PEER_SALT)
        s.shutdown(socket.SHUT_WR)
        wait_path(go)
        recv_exact(s, 0, OWNER_BYTES, OWNER_SALT)
        expect_eof(s)
    elif scenario == 'fin_wait1':
        wait_path(go)
        recv_exact(s, 0, owner_tx(d), OWNER_SALT)
        expect_eof(s)
        send_all(s, 0, PEER_BYTES // 4, PEER_SALT)
        s.shutdown(socket.SHUT_WR)
    elif scenario == 'fin_wait2':
        recv_exact(s, 0, OWNER_BYTES // 4, OWNER_SALT)
        expect_eof(s)
        send_all(s, 0, PEER_BYTES // 8, PEER_SALT)
        open(os.path.join(d, 'peer-ready'), 'w').close()
        wait_path(go)
        send_all(s, PEER_BYTES // 8, PEER_BYTES // 4, PEER_SALT)
        s.shutdown(socket.SHUT_WR)
    elif scenario == 'last_ack':
        send_all(s, 0, PEER_BYTES // 8, PEER_SALT)
        s.shutdown(socket.SHUT_WR)
        wait_path(go)
        recv_exact(s, 0, owner_tx(d), OWNER_SALT)
        expect_eof(s)
    # Wait for the other side's close: a RST here would raise.
    s.settimeout(60)
    while s.recv(65536):
        raise ValueError('unexpected bytes at the end')
    s.close()
    print('peer %s: verified' % scenario)


# ---- the server end before migration ----

def owner(scenario, port, d, v6):
    ls = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('', port))
    ls.listen(1)
    s, _ = ls.accept()
    ls.close()
    st = {'tx': 0, 'rx': 0}
    if scenario == 'est':
        wait_path(os.path.join(d, 'peer-ready'))
        st['rx'] = recv_exact(s, 0, 100000, PEER_SALT)
        st['tx'] = send_until_full(s, 0, OWNER_BYTES, OWNER_SALT)
        time.sleep(0.5)     # let the peer's data pile up here
    elif scenario == 'close_wait':
        # Read some, so the rest and the FIN fit in our receive buffer.
        st['rx'] = recv_exact(s, 0, 50000, PEER_SALT)
        wait_state(s, (8,))         # TCP_CLOSE_WAIT
    elif scenario == 'fin_wait1':
        st['tx'] = send_until_full(s, 0, OWNER_BYTES, OWNER_SALT)
        if st['tx'] >= OWNER_BYTES:
            raise RuntimeError('the peer drained everything; no FIN_WAIT1')
        s.shutdown(socket.SHUT_WR)  # FIN queued behind the data
        st['fin'] = True
        wait_state(s, (4,))         # TCP_FIN_WAIT1
    elif scenario == 'fin_wait2':
        st['tx'] = send_all(s, 0, OWNER_BYTES // 4, OWNER_SALT)
        s.shutdown(socket.SHUT_WR)
        wait_state(s, (5,))         # TCP_FIN_WAIT2
        wait_path(os.path.join(d, 'peer-ready'))
        time.sleep(0.3)
    elif scenario == 'last_ack':
        st['rx'] = recv_exact(s, 0, PEER_BYTES // 8, PEER_SALT)
        expect_eof(s)
        st['tx'] = send_until_full(s, 0, OWNER_BYTES, OWNER_SALT)
        s.shutdown(socket.SHUT_WR)
        st['fin'] = True
        wait_state(s, (9,))         # TCP_LAST_ACK
    st.update(pid=os.getpid(), fd=s.fileno(), state=tcp_state(s))
    with open(os.path.join(d, 'owner.tmp'), 'w') as fh:
        json.dump(st, fh)
    os.rename(os.path.join(d, 'owner.tmp'), os.path.join(d, 'owner'))
    # Keep the descriptor until the socket is taken away.
    wait_path(os.path.join(d, 'go'))
    try:
        s.recv(1)
    except OSError as e:
        print('owner %s: socket gone (%s)' % (scenario, os.strerror(e.errno)))
        return
    raise RuntimeError('the old socket still works after the migration')


# ---- the server end after migration ----

def importer(scenario, d):
    st = json.load(open(os.path.join(d, 'owner')))
    f = Family()
    match = nl.encode_attr('SOCKMI_A_MATCH=nest:(SOCKMI_MATCH_A_STATES=u32:%d)'
                           % E['SOCKMI_STATE_CONNECTED'])
    replies = f.call('SOCKMI_CMD_IMPORT', match)
    fd = f.reply_u(replies, 'SOCKMI_A_FD', '=I')
    s = socket.socket(fileno=fd)
    if tcp_state(s) != st['state']:
        raise RuntimeError('state %d imported as %d' % (st['state'],
                                                         tcp_state(s)))
    open(os.path.join(d, 'go'), 'w').close()
    s.settimeout(60)
    if scenario == 'est':
        recv_exact(s, st['rx'], PEER_BYTES - st['rx'], PEER_SALT)
        expect_eof(s)
        send_all(s, st['tx'], OWNER_BYTES, OWNER_SALT)
    elif scenario == 'close_wait':
        recv_exact(s, st['rx'], CLOSE_WAIT_BYTES - st['rx'], PEER_SALT)
        expect_eof(s)
        send_all(s, 0, OWNER_BYTES, OWNER_SALT)
    elif scenario == 'fin_wait1':
        recv_exact(s, 0, PEER_BYTES // 4, PEER_SALT)
        expect_eof(s)
    elif scenario == 'fin_wait2':
        recv_exact(s, 0, PEER_BYTES // 4, PEER_SALT)
        expect_eof(s)
    elif scenario == 'last_ack':
        pass
    s.close()
    print('importer %s: verified' % scenario)


def main(argv):
    role, scenario = argv[0], argv[1]
    if role == 'peer':
        peer(scenario, argv[2], int(argv[3]), argv[4])
    elif role == 'owner':
        owner(scenario, int(argv[2]), argv[3], '--v6' in argv)
    elif role == 'importer':
        importer(scenario, argv[2])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
