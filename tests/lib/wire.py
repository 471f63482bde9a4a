#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Wire-level cases of tests/netns/wire.sh. Peers are plain sockets; the
server end moves between processes with SockMi.

  wire.py pingpong PORT ADDR TOTAL ROUNDS DIR [--v6] [--rcvbuf N]
        accept one peer (sockmi_test.py peer) in process X, fork Y; the
        holder streams until both directions passed the next round's mark,
        exports its socket to ADDR (a hand-over inside this host) and the
        other process imports it: X, Y, X, ... ROUNDS times, then the last
        holder finishes the stream and closes. Each import must show the
        TCP options and window scales of the first socket; DIR/wscale gets
        "SND RCV OPTIONS" of the first. --rcvbuf: SO_RCVBUF of the listener.

  wire.py partial-owner PORT ADDR DIR [--v6]
  wire.py partial-peer HOST PORT DIR
  wire.py partial-importer DIR
        a partially acknowledged head of the send queue: the owner writes
        CHUNKS small segments while the peer's ACKs are dropped and the
        segment holding the marker (bytes MARK_OFF..) is dropped on its way to the peer; the
        owner's retransmission then carries the first chunks collapsed in
        one segment. Once DIR/speak exists the peer sends PEER_BYTES, whose
        ACK covers only the chunks before HOLE; the owner then exports
        itself at once. The importer reads the peer's bytes, sends REPLY
        more and closes; the peer checks every byte and the end of file.
  wire.py marker     the bytes the firewall drops, as an iptables hex string

  wire.py bigrcv-owner PORT ADDR DIR [--v6]
  wire.py bigrcv-peer HOST PORT DIR
  wire.py bigrcv-importer DIR
        a receive queue larger than the default receive buffer: the owner
        sets SO_RCVBUF to RCVBUF and never reads; the peer sends BIG bytes;
        once DIR/move exists the owner exports itself; the importer reads
        all of them, replies REPLY bytes, closes.

  wire.py pair LADDR PORT RADDR RPORT DIR
        a listener on LADDR:PORT and a client from RADDR:RPORT in this
        namespace: one connection with the 4-tuple of a moved one. Writes
        DIR/pair when connected, then waits for DIR/pair-go, streams
        PAIR_BYTES both ways, verified, and closes.

  wire.py rcvnxt FILE      rcv_nxt of a checkpoint (sockmi_test.py fetch)

Exit status 0: every byte verified.
"""

import errno
import json
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sockmi_test import Family, E, pattern, stream, u32  # noqa: E402
import sockmi_nl as nl  # noqa: E402

SRV_SALT, PEER_SALT = 0xa5, 0x5a   # as sockmi_test.py serve / peer
SO_RCVBUFFORCE = 33
TCPI_OPTIONS, TCPI_WSCALE = 5, 6
TCPI_BYTES_ACKED, TCPI_BYTES_RECEIVED = 120, 128
TCPI_BACKOFF, TCPI_TOTAL_RETRANS, TCPI_BYTES_RETRANS = 4, 100, 208

# Chunk 3 holds the marker: the first bytes the peer does not get.
CHUNK, CHUNKS, HOLE, MARK_OFF, MARK_LEN = 100, 10, 300, 350, 32
PEER_BYTES, REPLY = 1000, 50000
RCVBUF, BIG = 4 << 20, 1200000
PAIR_BYTES = 200000


def log(*a):
    print(*a, flush=True)


def touch(d, name, text=''):
    with open(os.path.join(d, name + '.tmp'), 'w') as fh:
        fh.write(text)
    os.rename(os.path.join(d, name + '.tmp'), os.path.join(d, name))


def wait_path(path, limit=120):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if os.path.exists(path):
            return
        time.sleep(0.02)
    raise TimeoutError(path)


def tcp_info(s):
    return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)


def options_of(s):
    """(snd_wscale, rcv_wscale, tcpi_options) of a socket."""
    i = tcp_info(s)
    return i[TCPI_WSCALE] & 0xf, i[TCPI_WSCALE] >> 4, i[TCPI_OPTIONS]


def listener(port, v6, rcvbuf=None):
    ls = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf:
        ls.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, rcvbuf)
    ls.bind(('', port))
    ls.listen(1)
    return ls


def export_self(f, s, addr):
    """Hand our own socket over inside this host: export it to ADDR."""
    fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
    payload = u32('SOCKMI_A_FD', s.fileno()) + nl.encode_attr(
        'SOCKMI_A_TO=nest:(SOCKMI_ADDR_A_FAMILY=u16:%d,SOCKMI_ADDR_A_ADDR=ip:%s)'
        % (fam, addr))
    f.call('SOCKMI_CMD_EXPORT', payload)


def import_port(f, port, limit=120):
    """The staged connected socket whose peer uses PORT, imported."""
    match = nl.encode_attr('SOCKMI_A_MATCH=nest:(SOCKMI_MATCH_A_STATES=u32:%d,'
                           'SOCKMI_MATCH_A_REMOTE_PORT=u16:%d)'
                           % (E['SOCKMI_STATE_CONNECTED'], port))
    end = time.monotonic() + limit
    while True:
        try:
            replies = f.call('SOCKMI_CMD_IMPORT', match)
            return socket.socket(fileno=f.reply_u(replies, 'SOCKMI_A_FD', '=I'))
        except OSError as e:
            if e.errno != errno.EAGAIN or time.monotonic() > end:
                raise
            time.sleep(0.02)


def recv_exact(s, off, n, salt):
    end = off + n
    while off < end:
        data = s.recv(min(65536, end - off))
        if not data:
            raise ConnectionError('EOF at %d, expected %d' % (off, end))
        if data != pattern(off, len(data), salt):
            raise ValueError('corrupt bytes at offset %d' % off)
        off += len(data)
    return off


def send_all(s, off, n, salt):
    end = off + n
    while off < end:
        off += s.send(pattern(off, min(65536, end - off), salt))
    return off


def expect_eof(s):
    if s.recv(1):
        raise ValueError('bytes after the expected end')


# ---- 1. and 4.: ping-pong between two processes ----

def pingpong(port, addr, total, rounds, d, v6, rcvbuf):
    ls = listener(port, v6, rcvbuf)
    to_y_r, to_y_w = os.pipe()
    to_x_r, to_x_w = os.pipe()
    child = os.fork()
    if child == 0:
        ls.close()
        os.close(to_y_w)
        os.close(to_x_r)
        os._exit(holder(1, to_y_r, to_x_w, None, total, rounds, addr, d))
    os.close(to_y_r)
    os.close(to_x_w)
    s, _ = ls.accept()
    ls.close()
    first = options_of(s)
    touch(d, 'wscale', '%d %d %d' % first)
    rc = holder(0, to_x_r, to_y_w, s, total, rounds, addr, d)
    _, st = os.waitpid(child, 0)
    if rc or st:
        log('pingpong: FAILED (X %d, Y %d)' % (rc, st))
        return 1
    log('pingpong: %d migrations, %d bytes each way verified' % (rounds, total))
    return 0


def holder(me, rfd, wfd, s, total, rounds, addr, d):
    """One of the two processes: hold the socket on my rounds (X the even
    ones), pass it on with the offsets through the pipes."""
    name = 'XY'[me]
    f = Family()
    tx = rx = 0
    rnd = 0
    want = None
    rd = os.fdopen(rfd, 'r')
    wr = os.fdopen(wfd, 'w')
    try:
        while True:
            if s is None:
                line = rd.readline()
                if not line:
                    return 0        # the other one finished
                msg = json.loads(line)
                tx, rx, rnd, want = msg['tx'], msg['rx'], msg['round'], \
                    tuple(msg['opts'])
                s = import_port(f, msg['port'])
                got = options_of(s)
                if got != want:
                    raise RuntimeError('round %d: imported with wscale/options '
                                       '%s, expected %s' % (rnd, got, want))
            if want is None:
                want = options_of(s)
            if rnd >= rounds:
                tx, rx = stream(s, tx, rx, total, SRV_SALT, PEER_SALT)
                s.setblocking(True)
                s.close()
                log('%s: finished at round %d, %d/%d' % (name, rnd, tx, rx))
                wr.close()
                return 0
            mark = (rnd + 1) * total // (rounds + 1)
            tx, rx = stream(s, tx, rx, mark, SRV_SALT, PEER_SALT)
            port = s.getpeername()[1]
            s.setblocking(True)
            export_self(f, s, addr)
            s.close()
            s = None
            wr.write(json.dumps({'tx': tx, 'rx': rx, 'round': rnd + 1,
                                 'port': port, 'opts': list(want)}) + '\n')
            wr.flush()
    except Exception as e:  # noqa: BLE001 - reported, exit status
        log('%s: ERROR at round %d tx=%d rx=%d: %s' % (name, rnd, tx, rx, e))
        wr.close()
        return 1


# ---- 2.: a partially acknowledged head of the send queue ----

def marker():
    m = pattern(MARK_OFF, MARK_LEN, SRV_SALT)
    whole = pattern(0, PEER_BYTES + REPLY, SRV_SALT)
    if whole.count(m) != 1:
        raise RuntimeError('the marker is not unique')
    print('|%s|' % m.hex())


def partial_owner(port, addr, d, v6):
    ls = listener(port, v6)
    s, _ = ls.accept()
    ls.close()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    touch(d, 'accepted')
    wait_path(os.path.join(d, 'send'))
    for i in range(CHUNKS):
        s.send(pattern(i * CHUNK, CHUNK, SRV_SALT))
    # Wait until a retransmission carried more than one chunk (the first
    # chunks collapsed in one segment: possible once the peer has read the
    # ones it got, which frees their data) and the timer backed off twice,
    # so that the next retransmission is far away.
    end = time.monotonic() + 120
    while True:
        i = tcp_info(s)
        count = struct.unpack_from('=I', i, TCPI_TOTAL_RETRANS)[0]
        nbytes = struct.unpack_from('=Q', i, TCPI_BYTES_RETRANS)[0]
        if i[TCPI_BACKOFF] >= 2 and nbytes > CHUNK * count:
            break
        if time.monotonic() > end:
            raise TimeoutError('no collapsed retransmission: %d bytes in %d'
                               % (nbytes, count))
        time.sleep(0.02)
    touch(d, 'retransmitted')
    f = Family()
    end = time.monotonic() + 120
    while struct.unpack_from('=Q', tcp_info(s), TCPI_BYTES_ACKED)[0] < HOLE:
        if time.monotonic() > end:
            raise TimeoutError('no ACK')
        time.sleep(0.001)
    info = tcp_info(s)
    acked = struct.unpack_from('=Q', info, TCPI_BYTES_ACKED)[0]
    port = s.getpeername()[1]
    export_self(f, s, addr)
    touch(d, 'owner', json.dumps({'port': port, 'acked': acked,
                                  'received': struct.unpack_from(
                                      '=Q', info, TCPI_BYTES_RECEIVED)[0]}))
    log('partial-owner: exported with %d of %d bytes acknowledged'
        % (acked, CHUNK * CHUNKS))


def partial_peer(host, port, d):
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(120)
    s.connect((host, port))
    result = []

    def reader():
        try:
            recv_exact(s, 0, CHUNK * CHUNKS + REPLY, SRV_SALT)
            expect_eof(s)
            result.append(True)
        except Exception as e:  # noqa: BLE001 - reported
            log('partial-peer: ERROR %s' % e)
    t = threading.Thread(target=reader)
    t.start()
    touch(d, 'connected')
    wait_path(os.path.join(d, 'speak'))
    send_all(s, 0, PEER_BYTES, PEER_SALT)
    t.join()
    s.close()
    if not result:
        return 1
    log('partial-peer: %d bytes received, %d sent, verified'
        % (CHUNK * CHUNKS + REPLY, PEER_BYTES))
    return 0


def partial_importer(d):
    wait_path(os.path.join(d, 'owner'))
    st = json.load(open(os.path.join(d, 'owner')))
    s = import_port(Family(), st['port'])
    s.settimeout(120)
    recv_exact(s, 0, PEER_BYTES, PEER_SALT)
    send_all(s, CHUNK * CHUNKS, REPLY, SRV_SALT)
    s.shutdown(socket.SHUT_WR)
    expect_eof(s)
    s.close()
    log('partial-importer: %d bytes read, %d more sent' % (PEER_BYTES, REPLY))
    return 0


# ---- 3.: a receive queue larger than the default buffer ----

def bigrcv_owner(port, addr, d, v6):
    ls = listener(port, v6, RCVBUF)
    s, _ = ls.accept()
    ls.close()
    touch(d, 'accepted')
    wait_path(os.path.join(d, 'move'))
    port = s.getpeername()[1]
    queued = len(s.recv(BIG, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    export_self(Family(), s, addr)
    touch(d, 'owner', json.dumps({'port': port, 'queued': queued}))
    log('bigrcv-owner: exported with %d bytes unread' % queued)


def bigrcv_peer(host, port, d):
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(120)
    s.connect((host, port))
    send_all(s, 0, BIG, PEER_SALT)
    # Our FIN only once the connection moved: it is ESTABLISHED there.
    wait_path(os.path.join(d, 'owner'))
    s.shutdown(socket.SHUT_WR)
    recv_exact(s, 0, REPLY, SRV_SALT)
    expect_eof(s)
    s.close()
    log('bigrcv-peer: %d sent, %d received, verified' % (BIG, REPLY))
    return 0


def bigrcv_importer(d):
    wait_path(os.path.join(d, 'owner'))
    st = json.load(open(os.path.join(d, 'owner')))
    s = import_port(Family(), st['port'])
    s.settimeout(120)
    recv_exact(s, 0, BIG, PEER_SALT)
    expect_eof(s)
    send_all(s, 0, REPLY, SRV_SALT)
    s.close()
    log('bigrcv-importer: %d bytes read (%d were queued), %d sent'
        % (BIG, st['queued'], REPLY))
    return 0


# ---- 5.: the 4-tuple of a moved connection taken on the importer ----

def pair(laddr, port, raddr, rport, d):
    fam = socket.AF_INET6 if ':' in laddr else socket.AF_INET
    ls = socket.socket(fam)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((laddr, port))
    ls.listen(1)
    c = socket.socket(fam)
    c.bind((raddr, rport))
    c.settimeout(120)
    c.connect((laddr, port))
    s, _ = ls.accept()
    ls.close()
    touch(d, 'pair')
    wait_path(os.path.join(d, 'pair-go'), 600)
    result = []

    def side(sock, salt_tx, salt_rx):
        try:
            send_all(sock, 0, PAIR_BYTES, salt_tx)
            sock.shutdown(socket.SHUT_WR)
            recv_exact(sock, 0, PAIR_BYTES, salt_rx)
            expect_eof(sock)
            result.append(True)
        except Exception as e:  # noqa: BLE001 - reported
            log('pair: ERROR %s' % e)
    s.settimeout(120)
    threads = [threading.Thread(target=side, args=(s, 1, 2)),
               threading.Thread(target=side, args=(c, 2, 1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if len(result) != 2:
        return 1
    log('pair: %d bytes each way verified' % PAIR_BYTES)
    return 0


def rcvnxt(path):
    with open(path, 'rb') as f:
        top = nl.parse_attrs(f.read())
    st = nl.parse_attrs(top[E['SOCKMI_A_STATE']][0])
    print(struct.unpack('=I', st[E['SOCKMI_STATE_A_RCV_NXT']][0][:4])[0])


def main(argv):
    cmd, a = argv[0], argv[1:]
    v6 = '--v6' in a
    if cmd == 'pingpong':
        rcvbuf = int(a[a.index('--rcvbuf') + 1]) if '--rcvbuf' in a else None
        return pingpong(int(a[0]), a[1], int(a[2]), int(a[3]), a[4], v6,
                        rcvbuf)
    if cmd == 'marker':
        return marker()
    if cmd == 'partial-owner':
        return partial_owner(int(a[0]), a[1], a[2], v6)
    if cmd == 'partial-peer':
        return partial_peer(a[0], int(a[1]), a[2])
    if cmd == 'partial-importer':
        return partial_importer(a[0])
    if cmd == 'bigrcv-owner':
        return bigrcv_owner(int(a[0]), a[1], a[2], v6)
    if cmd == 'bigrcv-peer':
        return bigrcv_peer(a[0], int(a[1]), a[2])
    if cmd == 'bigrcv-importer':
        return bigrcv_importer(a[0])
    if cmd == 'pair':
        return pair(a[0], int(a[1]), a[2], int(a[3]), a[4])
    if cmd == 'rcvnxt':
        return rcvnxt(a[0])
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]) or 0)
