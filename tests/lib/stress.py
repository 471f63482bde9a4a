#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Many migrations of live, verified streams (tests/netns/stress.sh).

  stress.py drive --ns NAME=NETNS... --addr A=IP --addr B=IP --addr peer=IP
                  --service IP --migrations M --tmp DIR [--local N]
                  [--redirect N] [--takeover N] [--rate B/S]
  stress.py worker [--rate B/S]      (started by drive in a namespace)
  stress.py peer [--rate B/S]        (likewise)

drive starts three long-lived workers -- A1 and A2 on host A, B1 on host
B -- and the peer, each a process in its host's namespace that streams a
fixed pattern both ways on every connection it holds (tests/lib/
sockmi_test.py's pattern, so each byte is checked at its offset), and
then moves the connections, one at a time, until M migrations are done:

  local     A's server socket between A1 and A2 (export to A's address)
  redirect  A -> B -> A, both keeping their addresses: on A a REDIRECT
            to B, on B an ANSWER_AS A (xt_SOCKMI), as tests/netns/
            redirect.sh does by hand
  takeover  every connection to the service address, A -> B -> A, the
            address moving with them (IP takeover)

Every move is: the owner exports its socket itself (it knows to the byte
what it sent and read), the importer takes it with IMPORT and carries on
from those offsets. At the end everything is back on A; the peer closes
its sending half, each server reads to the end and closes, and the peer
reads to the end: drive compares what each side sent with what the other
read. Exit status 0 when M migrations were done and every byte of every
connection arrived once, in order.

Workers and the peer take one command a line on stdin and answer one line
on stdout (wait and finish: several, then "end"); "fatal ..." ends them.
"""

import errno
import json
import os
import select
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sockmi_nl as nl  # noqa: E402
import sockmi_test as st  # noqa: E402

E = st.E
SERVER_SALTS = st.SERVER_SALTS
CLIENT_SALTS = st.CLIENT_SALTS


class Conn:
    """One connection being streamed: what went out and came in so far."""

    def __init__(self, sock, key, tx, rx, salts, rate):
        sock.setblocking(False)
        self.s = sock
        self.key = key
        self.tx, self.rx = tx, rx
        self.salt_tx, self.salt_rx = salts
        self.pacer = st.Pacer(rate)
        self.sending = True
        self.eof = False

    def on_read(self, may_end):
        """Read and check what is there; False at the end of the stream."""
        try:
            data = self.s.recv(65536)
        except (BlockingIOError, InterruptedError):
            return True
        if not data:
            if not may_end:
                raise ConnectionError('%s: unexpected EOF at %d'
                                      % (self.key, self.rx))
            self.eof = True
            return False
        if data != st.pattern(self.rx, len(data), self.salt_rx):
            raise ValueError('%s: corrupt bytes at offset %d'
                             % (self.key, self.rx))
        self.rx += len(data)
        return True

    def want_write(self):
        return self.sending and self.pacer.allowance(16384) > 0

    def on_write(self):
        # A command may have stopped us since select() said writable.
        n = self.pacer.allowance(16384) if self.sending else 0
        if not n:
            return
        try:
            sent = self.s.send(st.pattern(self.tx, n, self.salt_tx))
        except (BlockingIOError, InterruptedError):
            return
        self.tx += sent
        self.pacer.account(sent)


class Endpoint:
    """The command loop shared by workers and the peer."""

    def __init__(self, rate):
        self.rate = rate
        self.conns = {}
        self.listeners = {}
        self.buf = b''
        self.waiting = False
        self.done = []
        os.set_blocking(0, False)

    def reply(self, line):
        sys.stdout.write(line + '\n')
        sys.stdout.flush()

    def run(self):
        while True:
            socks = {c.s: c for c in self.conns.values()}
            rl = [0] + list(socks) + list(self.listeners)
            wl = [c.s for c in self.conns.values() if c.want_write()]
            r, w, _ = select.select(rl, wl, [], 0.02)
            if 0 in r:
                chunk = os.read(0, 65536)
                if not chunk:
                    return
                self.buf += chunk
                while b'\n' in self.buf:
                    line, self.buf = self.buf.split(b'\n', 1)
                    argv = line.decode().split()
                    if argv:
                        try:
                            out = self.command(argv)
                        except OSError as e:
                            out = 'error %s %s' % (
                                errno.errorcode.get(e.errno, e.errno), e)
                        if out is not None:
                            self.reply(out)
            for ls in [x for x in r if x in self.listeners]:
                self.accept(ls)
            for s in w:
                if s in socks and s.fileno() >= 0:
                    self.io(socks[s], socks[s].on_write)
            for s in r:
                c = socks.get(s)
                if c is not None and s.fileno() >= 0 and \
                        not self.io(c, c.on_read, self.may_end(c)):
                    self.ended(c)
            self.check_wait()

    def io(self, c, fn, *args):
        try:
            return fn(*args)
        except OSError as e:
            raise ConnectionError('connection %d at tx %d rx %d: %s'
                                  % (c.key, c.tx, c.rx, e)) from e

    def check_wait(self):
        if self.waiting and not self.conns:
            for line in self.done:
                self.reply(line)
            self.reply('end')
            self.done = []
            self.waiting = False


class Worker(Endpoint):
    """A host's server process: holds, streams, exports, imports."""

    def __init__(self, rate):
        super().__init__(rate)
        self.f = st.Family()

    def may_end(self, c):
        return self.waiting

    def ended(self, c):
        # The peer has sent everything: stop sending, close (a FIN after
        # whatever is still queued).
        c.s.setblocking(True)
        c.s.close()
        del self.conns[c.key]
        self.done.append('done %d %d %d' % (c.key, c.tx, c.rx))

    def accept(self, ls):
        port, want, got = self.listeners[ls]
        s, addr = ls.accept()
        self.conns[addr[1]] = Conn(s, addr[1], 0, 0, SERVER_SALTS, self.rate)
        got.append(addr[1])
        if len(got) == want:
            del self.listeners[ls]
            ls.close()
            self.reply('accepted %d %s' % (port, ' '.join(map(str, got))))

    def command(self, argv):
        cmd, a = argv[0], argv[1:]
        f = self.f
        if cmd == 'listen':
            ls = socket.socket(socket.AF_INET)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind(('', int(a[0])))
            ls.listen(64)
            ls.setblocking(False)
            self.listeners[ls] = (int(a[0]), int(a[1]), [])
            return 'listening %s' % a[0]
        if cmd == 'export':
            # The owner exports its own socket: it knows to the byte what
            # it has written and read. The kernel keeps the file until
            # commit or abort, so our descriptor can go at once.
            c = self.conns[int(a[0])]
            payload = st.u32('SOCKMI_A_FD', c.s.fileno())
            if len(a) > 1:
                payload += nl.encode_attr(
                    'SOCKMI_A_TO=nest:(SOCKMI_ADDR_A_FAMILY=u16:%d,'
                    'SOCKMI_ADDR_A_ADDR=ip:%s)' % (socket.AF_INET, a[1]))
            xid = f.reply_u(f.call('SOCKMI_CMD_EXPORT', payload),
                            'SOCKMI_A_ID', '=Q')
            del self.conns[c.key]
            c.s.close()
            return '%d %d %d' % (xid, c.tx, c.rx)
        if cmd == 'fetch':
            replies = f.call('SOCKMI_CMD_GET_EXPORT',
                             st.u64('SOCKMI_A_ID', int(a[0])), dump=True)
            payload = b''
            for body in replies:
                for atype, raw in f.raw_attrs(body):
                    if atype in (E['SOCKMI_A_STATE'], E['SOCKMI_A_CHILD'],
                                 E['SOCKMI_A_CHUNK']):
                        payload += raw
            with open(a[1], 'wb') as fh:
                fh.write(payload)
            return 'ok %d' % len(payload)
        if cmd == 'stage':
            payload = open(a[0], 'rb').read()
            payload += st.u32('SOCKMI_A_FLAGS', E['SOCKMI_STAGE_F_PENDING'])
            return '%d' % f.reply_u(f.call('SOCKMI_CMD_STAGE', payload),
                                    'SOCKMI_A_ID', '=Q')
        if cmd in ('commit', 'activate'):
            payload = st.u64('SOCKMI_A_ID', int(a[0]))
            if len(a) > 1:
                payload += st.flow_attr(a[1], a[2], a[3],
                                        a[4] if len(a) > 4 else None)
            f.call('SOCKMI_CMD_' + cmd.upper(), payload)
            return 'ok'
        if cmd == 'flow':
            op, action = a[0], a[1]
            payload = st.flow_attr(None if action == 'any' else action,
                                   a[2], a[3], a[4] if len(a) > 4 else None)
            if op == 'replace':
                payload += st.u32('SOCKMI_A_FLAGS',
                                  E['SOCKMI_FLOW_F_REPLACE'])
            f.call('SOCKMI_CMD_DEL_FLOW' if op == 'del'
                   else 'SOCKMI_CMD_NEW_FLOW', payload)
            return 'ok'
        if cmd == 'import':
            port, tx, rx = int(a[0]), int(a[1]), int(a[2])
            s = self.import_port(port)
            self.conns[port] = Conn(s, port, tx, rx, SERVER_SALTS, self.rate)
            return 'ok'
        if cmd == 'wait':
            self.waiting = True
            return None
        raise OSError(errno.EINVAL, 'unknown command %s' % cmd)

    def import_port(self, port):
        match = nl.encode_attr(
            'SOCKMI_A_MATCH=nest:(SOCKMI_MATCH_A_STATES=u32:%d,'
            'SOCKMI_MATCH_A_REMOTE_PORT=u16:%d)'
            % (E['SOCKMI_STATE_CONNECTED'], port))
        end = time.monotonic() + 60
        while True:
            try:
                replies = self.f.call('SOCKMI_CMD_IMPORT', match)
                fd = self.f.reply_u(replies, 'SOCKMI_A_FD', '=I')
                return socket.socket(fileno=fd)
            except OSError as e:
                if e.errno != errno.EAGAIN or time.monotonic() > end:
                    raise
                time.sleep(0.01)


class Peer(Endpoint):
    """The unmodified other end: plain sockets, stream and verify."""

    def __init__(self, rate):
        super().__init__(rate)
        self.finishing = False

    def may_end(self, c):
        return self.finishing

    def ended(self, c):
        c.s.close()
        del self.conns[c.key]
        self.done.append('done %d %d %d' % (c.key, c.tx, c.rx))

    def command(self, argv):
        cmd, a = argv[0], argv[1:]
        if cmd == 'connect':
            ports = []
            for _ in range(int(a[2])):
                s = socket.create_connection((a[0], int(a[1])), timeout=60)
                port = s.getsockname()[1]
                self.conns[port] = Conn(s, port, 0, 0, CLIENT_SALTS, self.rate)
                ports.append(port)
            return 'ports ' + ' '.join(map(str, ports))
        if cmd == 'finish':
            # Our half ends here: whatever send() took goes out, then FIN.
            self.finishing = True
            for c in self.conns.values():
                c.sending = False
                c.s.shutdown(socket.SHUT_WR)
            self.waiting = True
            return None
        raise OSError(errno.EINVAL, 'unknown command %s' % cmd)


class Child:
    """A worker or the peer, in its namespace, driven line by line."""

    def __init__(self, name, netns, role, rate, tmp):
        self.name = name
        self.err = open(os.path.join(tmp, name + '.err'), 'w')
        self.buf = b''
        self.log = open(os.path.join(tmp, 'steps.log'), 'a')
        self.p = subprocess.Popen(
            ['ip', 'netns', 'exec', netns, sys.executable,
             os.path.abspath(__file__), role, '--rate', str(rate)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err)

    def send(self, line):
        self.log.write('%.3f %s < %s\n' % (time.monotonic(), self.name, line))
        self.p.stdin.write(line.encode() + b'\n')
        self.p.stdin.flush()

    def read(self, timeout=300):
        end = time.monotonic() + timeout
        fd = self.p.stdout.fileno()
        while b'\n' not in self.buf:
            r, _, _ = select.select([fd], [], [],
                                    max(0, end - time.monotonic()))
            chunk = os.read(fd, 4096) if r else b''
            if not chunk:
                raise RuntimeError('%s: no answer (%s)' % (
                    self.name, 'exit %s' % self.p.poll() if r else 'timeout'))
            self.buf += chunk
        line, self.buf = self.buf.split(b'\n', 1)
        self.log.write('%.3f %s > %s\n' % (time.monotonic(), self.name,
                                            line.decode()))
        self.log.flush()
        return line.decode().strip()

    def do(self, line):
        self.send(line)
        out = self.read()
        if out.startswith(('error', 'fatal')):
            raise RuntimeError('%s: %s: %s' % (self.name, line, out))
        return out

    def until_end(self, timeout=600):
        lines = []
        while True:
            line = self.read(timeout)
            if line == 'end':
                return lines
            lines.append(line)


def option(args, name, default=None):
    return args[args.index(name) + 1] if name in args else default


def options(args, name):
    return dict(args[i + 1].split('=', 1) for i, x in enumerate(args)
                if x == name)


class Driver:
    def __init__(self, args):
        self.ns = options(args, '--ns')
        self.addr = options(args, '--addr')
        self.service = option(args, '--service')
        self.target = int(option(args, '--migrations', '100'))
        self.tmp = option(args, '--tmp')
        self.rate = int(option(args, '--rate', '8000'))
        self.sizes = {g: int(option(args, '--' + g, d)) for g, d in
                      (('local', 4), ('redirect', 4), ('takeover', 2))}
        self.moves = {'local': 0, 'redirect': 0, 'takeover': 0}
        self.idle = 0
        self.spent = {'local': 0.0, 'redirect': 0.0, 'takeover': 0.0}
        self.w = {}
        self.owner = {}      # peer port -> worker name
        self.group = {}      # peer port -> group
        self.last = {}       # peer port -> (tx, rx) at its last move
        self.lport = {}      # peer port -> the server's port

    def start(self):
        for name, host, role in (('A1', 'A', 'worker'), ('A2', 'A', 'worker'),
                                 ('B1', 'B', 'worker'),
                                 ('peer', 'peer', 'peer')):
            self.w[name] = Child(name, self.ns[host], role, self.rate,
                                 self.tmp)
        groups = (('local', 7201, self.addr['A']),
                  ('redirect', 7202, self.addr['A']),
                  ('takeover', 7203, self.service))
        for g, port, _ in groups:
            if self.sizes[g]:
                self.w['A1'].do('listen %d %d' % (port, self.sizes[g]))
        for g, port, addr in groups:
            if not self.sizes[g]:
                continue
            self.w['peer'].do('connect %s %d %d' % (addr, port,
                                                    self.sizes[g]))
            out = self.w['A1'].read().split()
            assert out[0] == 'accepted', out
            for p in map(int, out[2:]):
                self.owner[p] = 'A1'
                self.group[p] = g
                self.lport[p] = port
                self.last[p] = (0, 0)

    def host(self, p):
        return self.owner[p][0]

    def count(self, g, p, tx, rx):
        """One migration of p done: was the stream moving since the last?"""
        self.moves[g] += 1
        if (tx, rx) == self.last[p]:
            self.idle += 1
        self.last[p] = (tx, rx)

    def local(self, p):
        t0 = time.monotonic()
        self.local_(p)
        self.spent['local'] += time.monotonic() - t0

    def local_(self, p):
        frm = self.owner[p]
        to = 'A2' if frm == 'A1' else 'A1'
        _, tx, rx = map(int, self.w[frm].do('export %d %s'
                                            % (p, self.addr['A'])).split())
        self.w[to].do('import %d %d %d' % (p, tx, rx))
        self.owner[p] = to
        self.count('local', p, tx, rx)

    def tuple_of(self, p, local):
        return '%s:%d %s:%d' % (local, self.lport[p], self.addr['peer'], p)

    def redirect(self, p):
        t0 = time.monotonic()
        self.redirect_(p)
        self.spent['redirect'] += time.monotonic() - t0

    def redirect_(self, p):
        frm = self.w[self.owner[p]]
        t = self.tuple_of(p, self.addr['A'])
        ckpt = os.path.join(self.tmp, 'ckpt')
        xid, tx, rx = frm.do('export %d' % p).split()
        frm.do('fetch %s %s' % (xid, ckpt))
        if self.host(p) == 'A':
            to = self.w['B1']
            sid = to.do('stage ' + ckpt)
            to.do('flow new answer_as %s %s' % (t, self.addr['B']))
            frm.do('commit %s redirect %s %s' % (xid, t, self.addr['B']))
            to.do('activate ' + sid)
        else:
            to = self.w['A1']
            sid = to.do('stage ' + ckpt)
            to.do('flow del redirect ' + t)
            frm.do('commit ' + xid)
            to.do('activate ' + sid)
            frm.do('flow del any ' + t)
        to.do('import %d %s %s' % (p, tx, rx))
        self.owner[p] = to.name
        self.count('redirect', p, int(tx), int(rx))

    def takeover(self, ports):
        """Move every connection of the service address, and the address."""
        t0 = time.monotonic()
        self.takeover_(ports)
        self.spent['takeover'] += time.monotonic() - t0

    def takeover_(self, ports):
        frm_host = self.host(ports[0])
        to_host = 'B' if frm_host == 'A' else 'A'
        to = self.w['B1' if to_host == 'B' else 'A1']
        moved = []
        for p in ports:
            frm = self.w[self.owner[p]]
            ckpt = os.path.join(self.tmp, 'ckpt%d' % p)
            xid, tx, rx = frm.do('export %d' % p).split()
            frm.do('fetch %s %s' % (xid, ckpt))
            moved.append((p, frm, xid, tx, rx, to.do('stage ' + ckpt)))
        for p, frm, xid, _, _, _ in moved:
            # TAKEOVER: the old host's conntrack entry goes, its hold
            # stays until the address has moved.
            frm.do('commit %s takeover %s'
                   % (xid, self.tuple_of(p, self.service)))
        self.ip(frm_host, 'addr', 'del', self.service + '/24', 'dev', 'eth0')
        self.ip(to_host, 'addr', 'add', self.service + '/24', 'dev', 'eth0')
        self.ip('peer', 'neigh', 'flush', 'dev', 'eth0')
        for p, frm, _, tx, rx, sid in moved:
            # The old host no longer has the address: its hold can go.
            frm.do('flow del any ' + self.tuple_of(p, self.service))
            to.do('activate ' + sid)
            to.do('import %d %s %s' % (p, tx, rx))
            self.owner[p] = to.name
            self.count('takeover', p, int(tx), int(rx))

    def ip(self, host, *args):
        log = self.w['A1'].log
        log.write('%.3f ip -n %s %s\n' % (time.monotonic(), host,
                                           ' '.join(args)))
        subprocess.run(['ip', '-n', self.ns[host]] + list(args), check=True)
        log.write('%.3f ip done\n' % time.monotonic())

    def total(self):
        return sum(self.moves.values())

    def run(self):
        self.start()
        by_group = {g: sorted(p for p in self.group if self.group[p] == g)
                    for g in self.moves}
        shown = 0
        while self.total() < self.target:
            for p in by_group['local']:
                if self.total() < self.target:
                    self.local(p)
            for p in by_group['redirect']:
                if self.total() < self.target:
                    self.redirect(p)
            if by_group['takeover'] and self.total() < self.target:
                self.takeover(by_group['takeover'])
            if self.total() >= shown + 100:
                shown = self.total()
                print('# %d migrations' % shown, flush=True)
        # Home again: no flow may be left behind by the test itself.
        for p in by_group['redirect']:
            if self.host(p) == 'B':
                self.redirect(p)
        if by_group['takeover'] and self.host(by_group['takeover'][0]) == 'B':
            self.takeover(by_group['takeover'])
        # Tell the test the moves are over; end the streams when it says.
        open(os.path.join(self.tmp, 'moved'), 'w').close()
        go = os.path.join(self.tmp, 'finish')
        end = time.monotonic() + 600
        while not os.path.exists(go) and time.monotonic() < end:
            time.sleep(0.1)
        return self.finish()

    def finish(self):
        for name in ('A1', 'A2', 'B1'):
            self.w[name].send('wait')
        self.w['peer'].send('finish')
        server = {}
        for name in ('A1', 'A2', 'B1'):
            for line in self.w[name].until_end():
                _, p, tx, rx = line.split()
                server[int(p)] = (int(tx), int(rx))
        client = {}
        for line in self.w['peer'].until_end():
            _, p, tx, rx = line.split()
            client[int(p)] = (int(tx), int(rx))
        bad = 0
        total = 0
        for p in sorted(self.group):
            s, c = server.get(p), client.get(p)
            ok = s is not None and c is not None and s[0] == c[1] \
                and s[1] == c[0]
            total += (s[0] + s[1]) if ok else 0
            if not ok:
                bad += 1
                print('# connection %d: server sent/read %s, peer %s'
                      % (p, s, c))
        for c in self.w.values():
            c.p.stdin.close()
            c.p.wait(timeout=60)
        print(json.dumps({'migrations': self.total(), 'moves': self.moves,
                          'connections': len(self.group),
                          'verified': len(self.group) - bad,
                          'bytes': total, 'idle_moves': self.idle,
                          'seconds': {g: round(v, 1) for g, v in
                                      self.spent.items()}}))
        return 0 if not bad and self.total() >= self.target else 1


def main(argv):
    cmd, args = argv[0], argv[1:]
    rate = int(option(args, '--rate', '8000'))
    if cmd == 'worker':
        Worker(rate).run()
        return 0
    if cmd == 'peer':
        Peer(rate).run()
        return 0
    if cmd == 'drive':
        d = Driver(args)
        try:
            return d.run()
        finally:
            for c in d.w.values():
                if c.p.poll() is None:
                    c.p.kill()
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv[1:]))
    except Exception as e:  # noqa: BLE001 - a worker says why it stopped
        print('fatal %s: %s' % (type(e).__name__, e), flush=True)
        print('fatal %s: %s' % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)
