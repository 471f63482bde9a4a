#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Drive the sockmi family from tests: export, move a checkpoint between
namespaces, stage, commit, import, and stream verifiable bytes.

  sockmi_test.py export FD_OWNER_PID FD [TO]     prints the export id
  sockmi_test.py fetch ID FILE                   GET_EXPORT into FILE
  sockmi_test.py stage FILE [--pending]          STAGE the checkpoint in FILE
  sockmi_test.py commit|abort|activate|unstage ID
  sockmi_test.py commit ID ACTION LOCAL REMOTE [VIA]
                                                 commit, installing a flow
  sockmi_test.py flow new|replace|del ACTION LOCAL REMOTE [VIA]
                                                 NEW_FLOW (replace: with
                                                 SOCKMI_FLOW_F_REPLACE) or
                                                 DEL_FLOW
  sockmi_test.py flows                           one line per flow: ACTION
                                                 LOCAL REMOTE VIA PACKETS
  sockmi_test.py batch                           the commands on stdin, one a
                                                 line; prints for each its
                                                 output (one line) or OK, or
                                                 ERROR <ERRNO>: <message>
  sockmi_test.py mpeer HOST PORT N BYTES         N connections, each verified
  sockmi_test.py mserve PORT N DIR BYTES [--v6]  N accepted; DIR/c<peer port>
                                                 [.owner] as for serve
  sockmi_test.py mresume DIR N BYTES             import those N, finish all
  sockmi_test.py peer HOST PORT BYTES [--rate B/S [--release FILE]]
                                                 client: stream both ways, verify
  sockmi_test.py serve PORT STATEFILE BYTES [--v6] [--rate B/S]
                                                 server: accept, stream until
                                                 the socket is taken away
  sockmi_test.py client HOST PORT STATEFILE BYTES [--rate B/S]
                                                 client: connect, stream until
                                                 the socket is taken away
  sockmi_test.py resume STATEFILE BYTES [--next STATEFILE2] [--rate B/S]
                    [--client]                   import the socket, carry on;
                                                 with --next, until it is
                                                 taken away again; --client:
                                                 it is a client's socket

ACTION is hold, redirect, answer_as, takeover (or any, for del). LOCAL and
REMOTE are ADDR:PORT, [ADDR]:PORT for IPv6; VIA is an address. --rate
paces what a side sends, so that migrations happen mid-stream, until the
file given by --release FILE exists.

The byte streams are a fixed pattern, so every side can check that each
byte arrives exactly once and in order. Exit status 0 means verified.
"""

import contextlib
import errno
import io
import json
import os
import select
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sockmi_nl as nl  # noqa: E402

E = nl.ENUMS
NLM_F_DUMP = nl.NLM_F_DUMP
SO_SNDBUFFORCE, SO_RCVBUFFORCE = 32, 33


PERIOD = 251 * 256
_periods = {}


def pattern(offset, n, salt):
    """Bytes [offset, offset+n) of an endless stream that repeats only
    every 251 * 256 bytes."""
    buf = _periods.get(salt)
    if buf is None:
        one = bytes(((i % 251) ^ ((i // 251) & 0xff) ^ salt) & 0xff
                    for i in range(PERIOD))
        buf = _periods[salt] = one * 2
    out = []
    while n > 0:
        start = offset % PERIOD
        take = min(n, PERIOD)
        out.append(buf[start:start + take])
        offset += take
        n -= take
    return b''.join(out)


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
    """Write export ID's checkpoint (STATE, CHILD and CHUNK attributes) to
    FILE."""
    f = Family()
    replies = f.call('SOCKMI_CMD_GET_EXPORT', u64('SOCKMI_A_ID', int(args[0])),
                     dump=True)
    payload = b''
    for body in replies:
        for atype, raw in f.raw_attrs(body):
            if atype in (E['SOCKMI_A_STATE'], E['SOCKMI_A_CHILD'],
                         E['SOCKMI_A_CHUNK']):
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


def endpoint(text):
    """'10.0.0.1:80' or '[fd00::1]:80' -> (family, addr, port)."""
    addr, _, port = text.rpartition(':')
    addr = addr.strip('[]')
    fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
    return fam, addr, int(port)


def flow_attr(action, local, remote, via=None):
    """The SOCKMI_A_FLOW nest of a flow; action None: no action."""
    fam, laddr, lport = endpoint(local)
    _, raddr, rport = endpoint(remote)
    spec = ('SOCKMI_A_FLOW=nest:(SOCKMI_FLOW_A_TUPLE=nest:('
            'SOCKMI_TUPLE_A_FAMILY=u16:%d,SOCKMI_TUPLE_A_LOCAL_ADDR=ip:%s,'
            'SOCKMI_TUPLE_A_LOCAL_PORT=u16:%d,SOCKMI_TUPLE_A_REMOTE_ADDR=ip:%s,'
            'SOCKMI_TUPLE_A_REMOTE_PORT=u16:%d)'
            % (fam, laddr, lport, raddr, rport))
    if action is not None:
        spec += ',SOCKMI_FLOW_A_ACTION=u8:%d' % (
            int(action) if action.isdigit() else
            E['SOCKMI_FLOW_' + action.upper()])
    if via:
        spec += (',SOCKMI_FLOW_A_VIA=nest:(SOCKMI_ADDR_A_FAMILY=u16:%d,'
                 'SOCKMI_ADDR_A_ADDR=ip:%s)' % (fam, via))
    return nl.encode_attr(spec + ')')


def cmd_commit(args):
    """commit ID [ACTION LOCAL REMOTE [VIA]]"""
    payload = u64('SOCKMI_A_ID', int(args[0]))
    if len(args) > 1:
        payload += flow_attr(args[1], args[2], args[3],
                             args[4] if len(args) > 4 else None)
    Family().call('SOCKMI_CMD_COMMIT', payload)


def cmd_flow(args):
    """flow new|replace|del ACTION LOCAL REMOTE [VIA]"""
    op, action = args[0], args[1]
    payload = flow_attr(None if action == 'any' else action, args[2], args[3],
                        args[4] if len(args) > 4 else None)
    f = Family()
    cmd = 'SOCKMI_CMD_DEL_FLOW' if op == 'del' else 'SOCKMI_CMD_NEW_FLOW'
    if op == 'replace':
        payload += u32('SOCKMI_A_FLAGS', E['SOCKMI_FLOW_F_REPLACE'])
    f.call(cmd, payload)


def format_addr(fam, raw):
    return socket.inet_ntop(socket.AF_INET6 if len(raw) == 16 else
                            socket.AF_INET, raw)


def cmd_flows(args):
    """Print GET_FLOW: ACTION LOCAL REMOTE VIA PACKETS, one flow a line."""
    f = Family()
    names = {E[n]: n[len('SOCKMI_FLOW_'):].lower() for n in
             ('SOCKMI_FLOW_HOLD', 'SOCKMI_FLOW_REDIRECT',
              'SOCKMI_FLOW_ANSWER_AS', 'SOCKMI_FLOW_TAKEOVER')}
    for body in f.call('SOCKMI_CMD_GET_FLOW', dump=True):
        top = nl.parse_attrs(body[4:])
        flow = nl.parse_attrs(top[E['SOCKMI_A_FLOW']][0])
        t = nl.parse_attrs(flow[E['SOCKMI_FLOW_A_TUPLE']][0])

        def port(a):
            return struct.unpack('=H', t[E[a]][0][:2])[0]

        def addr(a):
            return format_addr(0, t[E[a]][0])
        local = '%s:%d' % (addr('SOCKMI_TUPLE_A_LOCAL_ADDR'),
                           port('SOCKMI_TUPLE_A_LOCAL_PORT'))
        remote = '%s:%d' % (addr('SOCKMI_TUPLE_A_REMOTE_ADDR'),
                            port('SOCKMI_TUPLE_A_REMOTE_PORT'))
        via = '-'
        if E['SOCKMI_FLOW_A_VIA'] in flow:
            v = nl.parse_attrs(flow[E['SOCKMI_FLOW_A_VIA']][0])
            via = format_addr(0, v[E['SOCKMI_ADDR_A_ADDR']][0])
        packets = struct.unpack('=Q', flow[E['SOCKMI_FLOW_A_PACKETS']][0])[0]
        action = struct.unpack('=B', flow[E['SOCKMI_FLOW_A_ACTION']][0][:1])[0]
        print(names.get(action, str(action)), local, remote, via, packets)


def option(args, name, default=None):
    """The value of --name VALUE in args, or default."""
    if name in args:
        return args[args.index(name) + 1]
    return default


class Pacer:
    """Lets through at most rate bytes a second since it was made (no limit
    when rate is None), until the file release exists; until then it also
    keeps back the stream's last byte, so that no stream can end (and its
    connection close) before the test releases it, however slow the run."""

    def __init__(self, rate, release=None):
        self.rate = float(rate) if rate else None
        self.release = release
        self.start = self.checked = time.monotonic()
        self.sent = 0

    def allowance(self, want, left=None):
        """How many of want bytes may go now; left: what remains of the
        stream (want included)."""
        if self.rate is None:
            return want
        now = time.monotonic()
        if self.release and now - self.checked > 0.2:
            self.checked = now
            if os.path.exists(self.release):
                self.rate = None
                return want
        room = int(self.rate * (now - self.start)) - self.sent
        if self.release and left is not None:
            room = min(room, left - 1)
        return max(0, min(want, room))

    def account(self, n):
        self.sent += n


def stream(sock, tx, rx, total, salt_tx, salt_rx, on_error=None, pacer=None):
    """Send our pattern from tx and check theirs from rx until both reach
    total. Returns (tx, rx); on a socket error calls on_error(tx, rx)."""
    sock.setblocking(False)
    pacer = pacer or Pacer(None)
    while tx < total or rx < total:
        chunk = pacer.allowance(min(16384, total - tx), total - tx)
        want_w = [sock] if chunk else []
        r, w, _ = select.select([sock], want_w, [], 0.05)
        try:
            if w:
                n = sock.send(pattern(tx, chunk, salt_tx))
                tx += n
                pacer.account(n)
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


# How long the peer waits for its server without a byte. A long freeze
# (many exports at once, under emulation) leaves the peer's own
# retransmission timer backed off to TCP_RTO_MAX (120 s): only its next
# retransmission moves the stream again.
PEER_IDLE = 150


def peer_one(s, total, args):
    """The client's side of one connection; True when verified."""
    s.settimeout(PEER_IDLE)
    tx, rx = stream(s, 0, 0, total, 0x5a, 0xa5,
                    pacer=Pacer(option(args, '--rate'),
                                option(args, '--release')))
    # The server closes after the last byte: a clean FIN now.
    s.setblocking(True)
    s.settimeout(PEER_IDLE)
    tail = s.recv(1)
    print('peer: sent %d received %d verified%s' %
          (tx, rx, '' if not tail else ' EXTRA BYTES'))
    return not tail


def cmd_peer(args):
    host, port, total = args[0], int(args[1]), int(args[2])
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    s = socket.create_connection((host, port), timeout=30)
    assert s.family == fam
    sys.exit(0 if peer_one(s, total, args) else 1)


def in_threads(fns):
    """Run the callables at once; True if every one returned True."""
    results = [False] * len(fns)

    def run(i):
        try:
            results[i] = fns[i]()
        except Exception as e:  # noqa: BLE001 - reported, counted as failed
            print('ERROR %s' % e)
    threads = [threading.Thread(target=run, args=(i,))
               for i in range(len(fns))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return all(results)


def cmd_mpeer(args):
    """mpeer HOST PORT N BYTES: N connections at once, each verified."""
    host, port, n, total = args[0], int(args[1]), int(args[2]), int(args[3])
    socks = [socket.create_connection((host, port), timeout=30)
             for _ in range(n)]
    ok = in_threads([lambda s=s: peer_one(s, total, args) for s in socks])
    print('mpeer: %d connections %s' % (n, 'verified' if ok else 'FAILED'))
    sys.exit(0 if ok else 1)


def cmd_mserve(args):
    """mserve PORT N DIR BYTES: accept N connections and stream each until
    done or taken away; DIR/c<peer port>[.owner] are their state files."""
    port, n, statedir, total = int(args[0]), int(args[1]), args[2], int(args[3])
    ls = socket.socket(socket.AF_INET6 if '--v6' in args else socket.AF_INET)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('', port))
    ls.listen(n)
    socks = [ls.accept()[0] for _ in range(n)]
    ls.close()

    def one(s):
        path = os.path.join(statedir, 'c%d' % s.getpeername()[1])
        until_taken(s, 0, 0, total, path, Pacer(option(args, '--rate')))
        return True
    ok = in_threads([lambda s=s: one(s) for s in socks])
    sys.exit(0 if ok else 1)


def import_port(f, port):
    """Import the staged connection whose peer uses port; its socket."""
    match = nl.encode_attr('SOCKMI_A_MATCH=nest:(SOCKMI_MATCH_A_STATES=u32:%d,'
                           'SOCKMI_MATCH_A_REMOTE_PORT=u16:%d)'
                           % (E['SOCKMI_STATE_CONNECTED'], port))
    for _ in range(600):
        try:
            replies = f.call('SOCKMI_CMD_IMPORT', match)
            return socket.socket(fileno=f.reply_u(replies, 'SOCKMI_A_FD', '=I'))
        except OSError as e:
            if e.errno != errno.EAGAIN:
                raise
            time.sleep(0.05)
    raise TimeoutError('nothing staged for peer port %d' % port)


def cmd_mresume(args):
    """mresume DIR N BYTES: import the N connections whose state files
    (DIR/c<peer port>) the old owners saved, and finish every stream."""
    statedir, n, total = args[0], int(args[1]), int(args[2])
    for _ in range(600):
        names = [x for x in os.listdir(statedir)
                 if x.startswith('c') and '.' not in x]
        if len(names) >= n:
            break
        time.sleep(0.05)
    f = Family()
    states = [json.load(open(os.path.join(statedir, x))) for x in names]
    socks = [import_port(f, st['port']) for st in states]

    def one(s, st):
        tx, rx = stream(s, st['tx'], st['rx'], total, 0xa5, 0x5a)
        s.setblocking(True)
        s.close()
        return tx == total and rx == total
    ok = in_threads([lambda s=s, st=st: one(s, st)
                     for s, st in zip(socks, states)])
    print('mresume: %d connections %s' % (len(socks),
                                          'finished' if ok else 'FAILED'))
    sys.exit(0 if ok else 1)


def save_state(path, tx, rx, fd, port=0):
    """What the importer (tx, rx) and the exporter (pid, fd) need; port:
    the peer's, to tell connections apart."""
    tmp = path + '.tmp'
    with open(tmp, 'w') as fh:
        json.dump({'tx': tx, 'rx': rx, 'fd': fd, 'pid': os.getpid(),
                   'port': port}, fh)
    os.rename(tmp, path)


SERVER_SALTS = (0xa5, 0x5a)
CLIENT_SALTS = (0x5a, 0xa5)


def until_taken(s, tx, rx, total, statefile, pacer, salts=SERVER_SALTS):
    """Stream until done or until the socket is taken away: export freezes
    it (EPERM/EINVAL), then commit aborts it (ECONNABORTED). Frozen, the
    offsets are saved to statefile for the importer; given back (abort),
    the stream carries on. Returns (tx, rx, taken)."""
    port = s.getpeername()[1]
    save_state(statefile + '.owner', tx, rx, s.fileno(), port)

    def norm(out):
        return out if len(out) == 3 else out + (False,)

    def frozen(tx, rx, e):
        if e.errno not in (errno.EPERM, errno.EINVAL, errno.ECONNABORTED):
            raise e
        save_state(statefile, tx, rx, s.fileno(), port)
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
                print('socket taken away at tx=%d rx=%d (%s)' %
                      (tx, rx, errno.errorcode.get(e2.errno)))
                return tx, rx, True
            os.unlink(statefile)
            print('socket given back at tx=%d rx=%d' % (tx, rx))
            return norm(stream(s, tx, rx, total, *salts,
                               on_error=frozen, pacer=pacer))
    return norm(stream(s, tx, rx, total, *salts, on_error=frozen,
                       pacer=pacer))


def cmd_serve(args):
    """Accept one peer, stream until done or taken away."""
    port, statefile, total = int(args[0]), args[1], int(args[2])
    ls = socket.socket(socket.AF_INET6 if '--v6' in args else socket.AF_INET)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('', port))
    ls.listen(1)
    s, _ = ls.accept()
    ls.close()
    tx, rx, taken = until_taken(s, 0, 0, total, statefile,
                                Pacer(option(args, '--rate'),
                                      option(args, '--release')))
    if not taken:
        s.close()
        print('serve: finished without migration')


def cmd_client(args):
    """Connect, stream as the client until done or taken away; the socket
    can be moved like a server's (the peer port in the state file is then
    the server's)."""
    host, port, statefile, total = args[0], int(args[1]), args[2], int(args[3])
    s = socket.create_connection((host, port), timeout=30)
    tx, rx, taken = until_taken(s, 0, 0, total, statefile,
                                Pacer(option(args, '--rate'),
                                      option(args, '--release')),
                                CLIENT_SALTS)
    if not taken:
        s.setblocking(True)
        s.close()
        print('client: finished without migration')


def cmd_resume(args):
    """Import the socket and finish the stream from the saved offsets, or
    (--next STATEFILE2) until it is taken away again."""
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
    pacer = Pacer(option(args, '--rate'), option(args, '--release'))
    salts = CLIENT_SALTS if '--client' in args else SERVER_SALTS
    nxt = option(args, '--next')
    if nxt:
        tx, rx, taken = until_taken(s, st['tx'], st['rx'], total, nxt, pacer,
                                    salts)
        if taken:
            return
    else:
        tx, rx = stream(s, st['tx'], st['rx'], total, *salts, pacer=pacer)
    s.setblocking(True)
    s.close()
    print('resume: took over at tx=%d rx=%d, finished %d/%d' %
          (st['tx'], st['rx'], tx, rx))


def cmd_batch(args):
    """Run the commands read from stdin in this one process (Python starts
    slowly in the test VM); one result line per command."""
    for line in sys.stdin:
        argv = line.split()
        if not argv or argv[0].startswith('#'):
            continue
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                main(argv)
            print(out.getvalue().strip().replace('\n', ' ') or 'OK')
        except OSError as e:
            print(e.strerror if e.strerror and e.strerror.startswith('ERROR')
                  else 'ERROR %s' % e)
        except (KeyError, IndexError, ValueError) as e:
            print('ERROR usage: %r' % e)
        sys.stdout.flush()


def main(argv):
    cmd, args = argv[0], argv[1:]
    if cmd == 'export':
        cmd_export(args)
    elif cmd == 'fetch':
        cmd_fetch(args)
    elif cmd == 'stage':
        cmd_stage(args)
    elif cmd == 'commit':
        cmd_commit(args)
    elif cmd in ('abort', 'activate', 'unstage'):
        cmd_by_id(cmd, args)
    elif cmd == 'flow':
        cmd_flow(args)
    elif cmd == 'flows':
        cmd_flows(args)
    elif cmd == 'batch':
        cmd_batch(args)
    elif cmd == 'mpeer':
        cmd_mpeer(args)
    elif cmd == 'mserve':
        cmd_mserve(args)
    elif cmd == 'mresume':
        cmd_mresume(args)
    elif cmd == 'peer':
        cmd_peer(args)
    elif cmd == 'serve':
        cmd_serve(args)
    elif cmd == 'resume':
        cmd_resume(args)
    elif cmd == 'client':
        cmd_client(args)
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
