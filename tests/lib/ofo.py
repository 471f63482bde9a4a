#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""An out-of-order queue at the moment of a checkpoint (tests/netns/ofo.sh).

  ofo.py owner PORT DIR [--v6]   accept one connection, write DIR/owner
                                 ({"pid", "fd"}), never read; exit when
                                 DIR/done appears
  ofo.py peer HOST PORT DIR      connect; send block 0, the hole (block 1,
                                 the only bytes with MARK, which a firewall
                                 drops) and blocks 2 and 3 after it, in
                                 their own segments; touch DIR/sent; when DIR/go
                                 appears, send the rest and shut down the
                                 sending side; then read the server's reply
                                 to its end and verify it
  ofo.py reader                  on fds 0/1 (sockmictl import --stdio):
                                 read to end of file, verify every byte,
                                 then send the reply
  ofo.py blob FILE               the out-of-order part of a checkpoint
                                 (sockmi_test.py fetch), as
                                 "ofoq=N ranges=OFF+LEN,... fin=0|1" with
                                 OFF relative to rcv_nxt
  ofo.py sack FILE               "START END": the absolute sequence numbers
                                 of its first range (a SACK block)
  ofo.py mutate FILE HOW OUT     the checkpoint with its out-of-order part
                                 made inconsistent in one way, HOW:
                                 at-rcv-nxt, overlap, touch, empty, sum,
                                 no-ranges, no-len, far, fin-before, odd

Bytes are lower-case letters from a fixed generator, so MARK (upper case)
is found in the hole and nowhere else.
"""

import json
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sockmi_nl  # noqa: E402

MARK = b'HOLEMARK'
BLOCK = 1000
REST = 200000
TOTAL = 4 * BLOCK + REST
REPLY = 100000


def stream(n, salt):
    """n lower-case letters, the same for the same salt."""
    out = bytearray(n)
    x = salt
    for i in range(n):
        x = (x * 1103515245 + 12345) & 0x7fffffff
        out[i] = 97 + (x >> 16) % 26
    return out


def request():
    data = stream(TOTAL, 7)
    data[BLOCK:BLOCK + len(MARK)] = MARK
    return bytes(data)


def wait_path(path, limit=300):
    end = time.monotonic() + limit
    while not os.path.exists(path):
        if time.monotonic() > end:
            sys.exit('gave up waiting for %s' % path)
        time.sleep(0.05)


def touch(path, text=''):
    with open(path + '.tmp', 'w') as f:
        f.write(text)
    os.rename(path + '.tmp', path)


def recv_all(s):
    got = bytearray()
    while True:
        b = s.recv(65536)
        if not b:
            return bytes(got)
        got += b


def owner(port, d, v6):
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('::' if v6 else '0.0.0.0', port))
    ls.listen(1)
    c, _ = ls.accept()
    touch(os.path.join(d, 'owner'),
          json.dumps({'pid': os.getpid(), 'fd': c.fileno()}))
    wait_path(os.path.join(d, 'done'), 600)


def peer(host, port, d):
    data = request()
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.connect((host, port))
    # Blocks 0 and 1 in segments of their own, a little apart so that no
    # write is merged with the next (blocks 2 and 3 may be). All within the
    # first RTO: once it fires, cwnd is 1 and the retransmitted (dropped)
    # hole would hold back blocks 2 and 3.
    for i in range(2):
        s.sendall(data[i * BLOCK:(i + 1) * BLOCK])
        time.sleep(0.05)
    s.sendall(data[2 * BLOCK:4 * BLOCK])
    time.sleep(0.5)
    touch(os.path.join(d, 'sent'))
    wait_path(os.path.join(d, 'go'))
    s.sendall(data[4 * BLOCK:])
    s.shutdown(socket.SHUT_WR)
    got = recv_all(s)
    if got != bytes(stream(REPLY, 11)):
        sys.exit('peer: reply of %d bytes is wrong (want %d)'
                 % (len(got), REPLY))
    print('peer: reply verified, %d bytes' % len(got))


def reader():
    s = socket.socket(fileno=0)
    got = recv_all(s)
    want = request()
    if got != want:
        bad = next((i for i in range(min(len(got), len(want)))
                    if got[i] != want[i]), min(len(got), len(want)))
        sys.exit('reader: %d bytes, want %d; first difference at %d'
                 % (len(got), len(want), bad))
    out = socket.socket(fileno=1) if os.fstat(1).st_ino != os.fstat(0).st_ino \
        else s
    out.sendall(bytes(stream(REPLY, 11)))
    out.shutdown(socket.SHUT_WR)
    print('reader: %d bytes verified' % len(got), file=sys.stderr)


def attrs(data):
    out = {}
    off = 0
    while off + 4 <= len(data):
        alen, atype = struct.unpack_from('=HH', data, off)
        if alen < 4:
            break
        out[atype & 0x3fff] = data[off + 4:off + alen]
        off += (alen + 3) & ~3
    return out


E = sockmi_nl.read_enums(sockmi_nl.HEADER)


def attr_list(data):
    out = []
    off = 0
    while off + 4 <= len(data):
        alen, atype = struct.unpack_from('=HH', data, off)
        if alen < 4:
            break
        out.append([atype, data[off + 4:off + alen]])
        off += (alen + 3) & ~3
    return out


def encode(items):
    out = b''
    for atype, payload in items:
        out += struct.pack('=HH', 4 + len(payload), atype) + payload
        out += b'\0' * (-len(out) % 4)
    return out


def state_of(path):
    with open(path, 'rb') as f:
        top = attrs(f.read())
    return attrs(top[E['SOCKMI_A_STATE']])


def first_range(st):
    return struct.unpack_from('=II', st[E['SOCKMI_STATE_A_OFO_RANGES']])


def sack(path):
    seq, n = first_range(state_of(path))
    print('%d %d' % (seq, (seq + n) & 0xffffffff))


def u32(v):
    return struct.pack('=I', v & 0xffffffff)


def seqs(*v):
    """Pack sequence numbers and lengths; sequence space wraps at 2^32."""
    return b''.join(u32(x) for x in v)


def mutate(path, how, out):
    with open(path, 'rb') as f:
        top = attr_list(f.read())
    nest = next(a for a in top if a[0] & 0x3fff == E['SOCKMI_A_STATE'])
    items = attr_list(nest[1])
    st = {a[0]: a for a in items}
    rcv_nxt = struct.unpack('=I', st[E['SOCKMI_STATE_A_RCV_NXT']][1])[0]
    rng = st[E['SOCKMI_STATE_A_OFO_RANGES']]
    seq, n = struct.unpack_from('=II', rng[1])
    half = n // 2
    if how == 'at-rcv-nxt':
        rng[1] = seqs(rcv_nxt, n)
    elif how == 'overlap':
        rng[1] = seqs(seq, half + 1, seq + half, n - half - 1)
    elif how == 'touch':
        rng[1] = seqs(seq, half, seq + half, n - half)
    elif how == 'empty':
        rng[1] = seqs(seq, n, seq + n + 10, 0)
    elif how == 'sum':
        rng[1] = seqs(seq, n - 1)
    elif how == 'no-ranges':
        items.remove(rng)
    elif how == 'no-len':
        items.remove(st[E['SOCKMI_STATE_A_OFOQ_LEN']])
    elif how == 'far':
        rng[1] = seqs(rcv_nxt + E['SOCKMI_OFO_SPAN_MAX'] - 10, n)
    elif how == 'fin-before':
        items.append([E['SOCKMI_STATE_A_OFO_FIN'], u32(seq + n - 1)])
    elif how == 'odd':
        rng[1] = rng[1] + b'\0\0\0\0'
    else:
        sys.exit('mutate: unknown HOW %s' % how)
    nest[1] = encode(items)
    with open(out, 'wb') as f:
        f.write(encode(top))


def blob(path):
    st = state_of(path)
    rcv_nxt = struct.unpack('=I', st[E['SOCKMI_STATE_A_RCV_NXT']])[0]
    ofoq = st.get(E['SOCKMI_STATE_A_OFOQ_LEN'])
    ranges = st.get(E['SOCKMI_STATE_A_OFO_RANGES'], b'')
    text = []
    for i in range(0, len(ranges), 8):
        seq, n = struct.unpack_from('=II', ranges, i)
        text.append('%d+%d' % ((seq - rcv_nxt) & 0xffffffff, n))
    print('ofoq=%d ranges=%s fin=%d' % (
        struct.unpack('=I', ofoq)[0] if ofoq else 0, ','.join(text) or '-',
        E['SOCKMI_STATE_A_OFO_FIN'] in st))


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ''
    if cmd == 'owner':
        owner(int(argv[2]), argv[3], '--v6' in argv)
    elif cmd == 'peer':
        peer(argv[2], int(argv[3]), argv[4])
    elif cmd == 'reader':
        reader()
    elif cmd == 'blob':
        blob(argv[2])
    elif cmd == 'sack':
        sack(argv[2])
    elif cmd == 'mutate':
        mutate(argv[2], argv[3], argv[4])
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main(sys.argv)
