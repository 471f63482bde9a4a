#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Drive the sockmi family from tests: export, move a checkpoint between
namespaces, stage, commit, import, and stream verifiable bytes.

  sockmi_test.py export FD_OWNER_PID FD [TO]     prints the export id
  sockmi_test.py fetch ID FILE                   GET_EXPORT into FILE
  sockmi_test.py stage FILE [--pending]          STAGE the checkpoint in FILE
  sockmi_test.py commit|abort|activate|unstage ID
  sockmi_test.py peer HOST PORT BYTES            client: stream both ways, verify
  sockmi_test.py serve PORT STATEFILE BYTES      server: accept, stream until
                                                 the socket is taken away
  sockmi_test.py resume STATEFILE BYTES [--active]
                                                 import the socket, carry on

The byte streams are a fixed pattern, so every side can check that each
byte arrives exactly once and in order. Exit status 0 means verified.
"""

import errno
import json
import os
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sockmi_nl as nl  # noqa: E402

E = nl.ENUMS
NLM_F_DUMP = nl.NLM_F_DUMP
SO_SNDBUFFORCE, SO_RCVBUFFORCE = 32, 33


def pattern(offset, n, salt):
    """Bytes [offset, offset+n) of an endless stream that never repeats
    within 251 * 256 bytes."""
    return bytes(((i % 251) ^ ((i // 251) & 0xff) ^ salt) & 0xff
                 for i in range(offset, offset + n))


class Family:
    def __init__(self):
        self.g = nl.Genl()
        for opt in (SO_SNDBUFFORCE, SO_RCVBUFFORCE):
            self.g.sock.setsockopt(socket.SOL_SOCKET, opt, 64 << 20)
        self.fid, self.groups = self.g.resolve('sockmi')

    def call(self, cmd, payload=b'', dump=False):
        err, ext, replies = self.g.request(self.fid, E[cmd], payload,
                                           NLM_F_DUMP if dump else 0)
        if err:
            raise OSError(-err, nl.describe_error(err, ext))
        return replies

    @staticmethod
    def raw_attrs(body):
        """(type, raw TLV bytes) of each attribute after the genl header."""
        data, out = body[4:], []
        while len(data) >= 4:
            alen, atype = struct.unpack('=HH', data[:4])
            out.append((atype & 0x3fff, data[:(alen + 3) & ~3]))
            data = data[(alen + 3) & ~3:]
        return out

    def reply_u(self, replies, attr, fmt):
        for atype, raw in self.raw_attrs(replies[0]):
            if atype == E[attr]:
                return struct.unpack(fmt, raw[4:4 + struct.calcsize(fmt)])[0]
        raise KeyError(attr)


def u64(name, v):
    return nl.nla(E[name], struct.pack('=Q', v))


def u32(name, v):
    return nl.nla(E[name], struct.pack('=I', v))


def cmd_export(args):
    f = Family()
    pid, fd = int(args[0]), int(args[1])
    payload = u32('SOCKMI_A_FD', fd)
    if pid:
        payload += u32('SOCKMI_A_PID', pid)
    if len(args) > 2:
        fam = socket.AF_INET6 if ':' in args[2] else socket.AF_INET
        payload += nl.encode_attr(
            'SOCKMI_A_TO=nest:(SOCKMI_ADDR_A_FAMILY=u16:%d,SOCKMI_ADDR_A_ADDR=ip:%s)'
            % (fam, args[2]))
    print(f.reply_u(f.call('SOCKMI_CMD_EXPORT', payload), 'SOCKMI_A_ID', '=Q'))


def cmd_fetch(args):
    """Write export ID's checkpoint (STATE and CHUNK attributes) to FILE."""
    f = Family()
    replies = f.call('SOCKMI_CMD_GET_EXPORT', u64('SOCKMI_A_ID', int(args[0])),
                     dump=True)
    payload = b''
    for body in replies:
        for atype, raw in f.raw_attrs(body):
            if atype in (E['SOCKMI_A_STATE'], E['SOCKMI_A_CHUNK']):
                payload += raw
    with open(args[1], 'wb') as fh:
        fh.write(payload)
    print(len(payload))


def cmd_stage(args):
    """Stage the checkpoint in FILE in this namespace."""
    payload = open(args[0], 'rb').read()
    if '--pending' in args:
        payload += u32('SOCKMI_A_FLAGS', E['SOCKMI_STAGE_F_PENDING'])
    f = Family()
    print(f.reply_u(f.call('SOCKMI_CMD_STAGE', payload), 'SOCKMI_A_ID', '=Q'))


def cmd_by_id(cmd, args):
    Family().call('SOCKMI_CMD_' + cmd.upper(), u64('SOCKMI_A_ID', int(args[0])))


def stream(sock, tx, rx, total, salt_tx, salt_rx, on_error=None):
    """Send our pattern from tx and check theirs from rx until both reach
    total. Returns (tx, rx); on a socket error calls on_error(tx, rx)."""
    sock.setblocking(False)
    while tx < total or rx < total:
        want_w = [sock] if tx < total else []
        r, w, _ = select.select([sock], want_w, [], 0.05)
        try:
            if w:
                n = sock.send(pattern(tx, min(16384, total - tx), salt_tx))
                tx += n
            if r or not w:
                data = sock.recv(65536)
                if r and not data:
                    raise ConnectionError('unexpected EOF at %d' % rx)
                if data != pattern(rx, len(data), salt_rx):
                    raise ValueError('corrupt bytes at offset %d' % rx)
                rx += len(data)
        except BlockingIOError:
            continue
        except OSError as e:
            if on_error:
                return on_error(tx, rx, e)
            raise
    return tx, rx


def cmd_peer(args):
    host, port, total = args[0], int(args[1]), int(args[2])
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    s = socket.create_connection((host, port), timeout=30)
    assert s.family == fam
    tx, rx = stream(s, 0, 0, total, 0x5a, 0xa5)
    # The server closes after the last byte: a clean FIN now.
    s.setblocking(True)
    s.settimeout(30)
    tail = s.recv(1)
    print('peer: sent %d received %d verified%s' %
          (tx, rx, '' if not tail else ' EXTRA BYTES'))
    sys.exit(1 if tail else 0)


def save_state(path, tx, rx, fd):
    tmp = path + '.tmp'
    with open(tmp, 'w') as fh:
        json.dump({'tx': tx, 'rx': rx, 'fd': fd, 'pid': os.getpid()}, fh)
    os.rename(tmp, path)


def cmd_serve(args):
    """Accept one peer, stream; when the socket is taken away (export
    freezes it: EPERM/EINVAL, then ECONNABORTED), save the offsets."""
    port, statefile, total = int(args[0]), args[1], int(args[2])
    ls = socket.socket(socket.AF_INET6 if '--v6' in args else socket.AF_INET)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('', port))
    ls.listen(1)
    s, _ = ls.accept()
    ls.close()
    # Tell the test who we are, then stream until frozen.
    save_state(statefile + '.owner', 0, 0, s.fileno())

    def frozen(tx, rx, e):
        if e.errno not in (errno.EPERM, errno.EINVAL, errno.ECONNABORTED):
            raise e
        save_state(statefile, tx, rx, s.fileno())
        # Frozen: a zero-length send fails with EINVAL. Thawed (the export
        # was aborted): it works, and we carry on. Committed: the socket
        # reports ECONNABORTED and we are done.
        while True:
            try:
                s.send(b'')
            except OSError as e2:
                if e2.errno == errno.EINVAL:
                    time.sleep(0.05)
                    continue
                print('serve: socket taken away at tx=%d rx=%d (%s)' %
                      (tx, rx, errno.errorcode.get(e2.errno)))
                sys.exit(0)
            os.unlink(statefile)
            print('serve: socket given back at tx=%d rx=%d' % (tx, rx))
            return stream(s, tx, rx, total, 0xa5, 0x5a, on_error=frozen)
    tx, rx = stream(s, 0, 0, total, 0xa5, 0x5a, on_error=frozen)
    if tx >= total and rx >= total:
        s.close()
        print('serve: finished without migration')


def cmd_resume(args):
    """Import the socket and finish the stream from the saved offsets."""
    statefile, total = args[0], int(args[1])
    for _ in range(600):
        if os.path.exists(statefile):
            break
        time.sleep(0.05)
    st = json.load(open(statefile))
    f = Family()
    match = nl.encode_attr('SOCKMI_A_MATCH=nest:(SOCKMI_MATCH_A_STATES=u32:%d)'
                           % E['SOCKMI_STATE_CONNECTED'])
    for _ in range(600):
        try:
            replies = f.call('SOCKMI_CMD_IMPORT', match)
            break
        except OSError as e:
            if e.errno != errno.EAGAIN:
                raise
            time.sleep(0.05)
    fd = f.reply_u(replies, 'SOCKMI_A_FD', '=I')
    s = socket.socket(fileno=fd)
    tx, rx = stream(s, st['tx'], st['rx'], total, 0xa5, 0x5a)
    s.setblocking(True)
    s.close()
    print('resume: took over at tx=%d rx=%d, finished %d/%d' %
          (st['tx'], st['rx'], tx, rx))


def main(argv):
    cmd, args = argv[0], argv[1:]
    if cmd == 'export':
        cmd_export(args)
    elif cmd == 'fetch':
        cmd_fetch(args)
    elif cmd == 'stage':
        cmd_stage(args)
    elif cmd in ('commit', 'abort', 'activate', 'unstage'):
        cmd_by_id(cmd, args)
    elif cmd == 'peer':
        cmd_peer(args)
    elif cmd == 'serve':
        cmd_serve(args)
    elif cmd == 'resume':
        cmd_resume(args)
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv[1:]))
    except OSError as e:
        print('ERROR %s' % e, file=sys.stderr)
        sys.exit(1)
