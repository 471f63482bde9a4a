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

Listening and bound sockets (tests/netns/listen.sh):
  states.py lpeer HOST PORT N DIR         N clients connect and send (not
                                          accepted yet); after DIR/go one
                                          more; then each reads its reply
  states.py lowner ADDR PORT DIR KIND     a listening (KIND listen) or bound
                                          (KIND bound) socket; writes
                                          DIR/owner, then waits for
                                          DIR/decided: "moved" or "aborted"
                                          (a listener then serves N + 1)
  states.py lserve N DIR                  socket-activated (fd 3): serves N
                                          clients of the imported listener
  states.py bserve listen N DIR           socket-activated bound socket:
                                          listen(), serve N clients
  states.py bserve connect HOST:PORT DIR  socket-activated bound socket:
                                          connect() from its port to HOST
  states.py lpeerserve PORT N             the peer as a server of N clients

A client sends a 4-byte index I and LISTEN_BYTES of pattern salt 0x20 + I;
the server answers REPLY_BYTES of salt 0x80 + I and closes.
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
PEER_RCVBUF = 65536         # the peer's SO_RCVBUF (the kernel doubles it)
FILL_SNDBUF = 262144        # fin_wait1/last_ack: SO_SNDBUF before filling
FILL_BYTES = 2000000        # more than that send buffer and the peer hold
GO_WAIT = 600               # the peer and the owner wait this long for 'go'
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


def fill_beyond_peer(s, salt):
    """Queue more than the peer, which does not read, can ever take.

    The peer's kernel takes at most 2 * PEER_RCVBUF bytes; as long as more
    than that was written, bytes stay in our send queue until the peer
    reads, so a FIN queued behind them is neither sent nor acknowledged.
    A fixed send buffer, as the default one may hold less than the peer
    takes (it grows with cwnd, and not under TCP memory pressure): then
    everything, the FIN included, would be acknowledged before the export.
    """
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, FILL_SNDBUF)
    need = 2 * (2 * PEER_RCVBUF)
    off = 0
    end = time.monotonic() + 120
    while True:
        off = send_until_full(s, off, FILL_BYTES, salt)
        if off > need:
            break
        if time.monotonic() > end:
            raise TimeoutError('only %d bytes queued' % off)
        time.sleep(0.05)
    if off >= FILL_BYTES:
        raise RuntimeError('the peer took %d bytes; it should not read' % off)
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
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, PEER_RCVBUF)
    s.connect((host, port))
    s.settimeout(60)
    go = os.path.join(d, 'go')
    if scenario == 'est':
        tx = send_until_full(s, 0, PEER_BYTES, PEER_SALT)
        open(os.path.join(d, 'peer-ready'), 'w').close()
        wait_path(go, GO_WAIT)
        send_all(s, tx, PEER_BYTES, PEER_SALT)
        s.shutdown(socket.SHUT_WR)
        recv_exact(s, 0, OWNER_BYTES, OWNER_SALT)
        expect_eof(s)
    elif scenario == 'close_wait':
        send_all(s, 0, CLOSE_WAIT_BYTES, PEER_SALT)
        s.shutdown(socket.SHUT_WR)
        wait_path(go, GO_WAIT)
        recv_exact(s, 0, OWNER_BYTES, OWNER_SALT)
        expect_eof(s)
    elif scenario == 'fin_wait1':
        wait_path(go, GO_WAIT)
        recv_exact(s, 0, owner_tx(d), OWNER_SALT)
        expect_eof(s)
        send_all(s, 0, PEER_BYTES // 4, PEER_SALT)
        s.shutdown(socket.SHUT_WR)
    elif scenario == 'fin_wait2':
        recv_exact(s, 0, OWNER_BYTES // 4, OWNER_SALT)
        expect_eof(s)
        send_all(s, 0, PEER_BYTES // 8, PEER_SALT)
        open(os.path.join(d, 'peer-ready'), 'w').close()
        wait_path(go, GO_WAIT)
        send_all(s, PEER_BYTES // 8, PEER_BYTES // 4, PEER_SALT)
        s.shutdown(socket.SHUT_WR)
    elif scenario == 'last_ack':
        send_all(s, 0, PEER_BYTES // 8, PEER_SALT)
        s.shutdown(socket.SHUT_WR)
        wait_path(go, GO_WAIT)
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
        st['tx'] = fill_beyond_peer(s, OWNER_SALT)
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
        st['tx'] = fill_beyond_peer(s, OWNER_SALT)
        s.shutdown(socket.SHUT_WR)
        st['fin'] = True
        wait_state(s, (9,))         # TCP_LAST_ACK
    st.update(pid=os.getpid(), fd=s.fileno(), state=tcp_state(s))
    with open(os.path.join(d, 'owner.tmp'), 'w') as fh:
        json.dump(st, fh)
    os.rename(os.path.join(d, 'owner.tmp'), os.path.join(d, 'owner'))
    # Keep the descriptor until the socket is taken away.
    wait_path(os.path.join(d, 'go'), GO_WAIT)
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


# ---- listening and bound sockets ----

LISTEN_BYTES = 70000       # a client's bytes, queued before accept()
REPLY_BYTES = 50000


def touch(d, name, text=''):
    with open(os.path.join(d, name + '.tmp'), 'w') as fh:
        fh.write(text)
    os.rename(os.path.join(d, name + '.tmp'), os.path.join(d, name))


def client(s, i):
    """Send client I's bytes on connected socket S."""
    s.sendall(struct.pack('!I', i))
    send_all(s, 0, LISTEN_BYTES, 0x20 + i)


def client_finish(s, i):
    recv_exact(s, 0, REPLY_BYTES, 0x80 + i)
    expect_eof(s)
    s.close()


def serve_one(c):
    """Verify one client's bytes on accepted socket C and answer."""
    c.settimeout(60)
    hdr = b''
    while len(hdr) < 4:
        more = c.recv(4 - len(hdr))
        if not more:
            raise ConnectionError('EOF in the header')
        hdr += more
    i = struct.unpack('!I', hdr)[0]
    recv_exact(c, 0, LISTEN_BYTES, 0x20 + i)
    send_all(c, 0, REPLY_BYTES, 0x80 + i)
    c.close()
    return i


def serve(ls, n):
    ls.settimeout(60)
    got = sorted(serve_one(ls.accept()[0]) for _ in range(n))
    if got != list(range(n)):
        raise RuntimeError('served clients %s, expected 0..%d' % (got, n - 1))


def lpeer(host, port, n, d):
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    conns = []
    for i in range(n):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect((host, port))
        client(s, i)
        conns.append(s)
    touch(d, 'clients')
    wait_path(os.path.join(d, 'go'))
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect((host, port))
    client(s, n)
    conns.append(s)
    for i, s in enumerate(conns):
        client_finish(s, i)
    print('lpeer: %d clients verified' % len(conns))


def lowner(addr, port, d, kind):
    fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    if fam == socket.AF_INET6 and addr == '::':
        ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    ls.bind((addr, port))
    if kind == 'listen':
        ls.listen(8)
    touch(d, 'owner', json.dumps({'pid': os.getpid(), 'fd': ls.fileno()}))
    wait_path(os.path.join(d, 'decided'), limit=200)
    what = open(os.path.join(d, 'decided')).read().strip()
    if what == 'stale' and kind == 'bound':
        # Listen while frozen: the checkpoint (a bound socket) is then out
        # of date and must not be committed; aborted, this listener is ours.
        ls.listen(1)
        touch(d, 'listened')
        wait_path(os.path.join(d, 'go'), limit=200)
        serve(ls, 1)
        print('lowner: served after the stale export was aborted')
        return
    if what == 'aborted':
        if kind == 'listen':
            serve(ls, int(open(os.path.join(d, 'n')).read()))
        else:
            ls.listen(1)
            touch(d, 'go')
            serve(ls, 1)
        print('lowner: served after the abort')
        return
    if kind == 'listen':
        ls.settimeout(2)
        try:
            ls.accept()
        except OSError as e:
            print('lowner: old listener gone (%s)' % e)
            return
        raise RuntimeError('the old listener still accepts')
    print('lowner: bound socket moved')


def activated_socket():
    if os.environ.get('LISTEN_FDS') != '1' or \
       os.environ.get('LISTEN_PID') != str(os.getpid()):
        raise RuntimeError('not socket-activated')
    return socket.socket(fileno=3)


def lserve(n, d):
    ls = activated_socket()
    if not ls.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
        raise RuntimeError('fd 3 is not listening')
    touch(d, 'go')
    serve(ls, n)
    print('lserve: %d clients verified' % n)


def bserve(mode, arg, d):
    s = activated_socket()
    want = json.load(open(os.path.join(d, 'bound')))
    name = s.getsockname()
    if name[1] != want['port']:
        raise RuntimeError('imported bound to %s, expected port %d'
                           % (name, want['port']))
    if mode == 'listen':
        s.listen(4)
        touch(d, 'go')
        serve(s, int(arg))
        print('bserve: listened on the moved port and served')
        return
    host, _, port = arg.rpartition(':')
    s.settimeout(60)
    s.connect((host.strip('[]'), int(port)))
    if s.getsockname()[1] != want['port']:
        raise RuntimeError('connected from port %d' % s.getsockname()[1])
    client(s, 0)
    client_finish(s, 0)
    print('bserve: connected from the moved port and verified')


def lpeerserve(port, n):
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('::', port))
    ls.listen(4)
    serve(ls, n)
    print('lpeerserve: %d clients verified' % n)


def main(argv):
    role = argv[0]
    if role == 'lpeer':
        lpeer(argv[1], int(argv[2]), int(argv[3]), argv[4])
        return 0
    if role == 'lowner':
        lowner(argv[1], int(argv[2]), argv[3], argv[4])
        return 0
    if role == 'lserve':
        lserve(int(argv[1]), argv[2])
        return 0
    if role == 'bserve':
        bserve(argv[1], argv[2], argv[3])
        return 0
    if role == 'lpeerserve':
        lpeerserve(int(argv[1]), int(argv[2]))
        return 0
    scenario = argv[1]
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
