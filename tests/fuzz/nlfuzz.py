#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Fuzz the "sockmi" generic netlink family from user space.

  nlfuzz.py [--iterations N] [--seed S] [--blob FILE] [--protect-pid PID]...
            [--log FILE]

Sends N messages (default 2000), round-robin over every command of the
family (and a few numbers that are none), each built by one strategy:

  random    random attribute types, lengths and payloads, random nesting
  typed     attributes of the uapi/sockmi.yaml spec with plausible values
            (ids the kernel handed out, our own descriptors, real tuples)
  wrongtype typed attributes with the wrong length or a nest flag flipped
  truncate  a typed message cut short, its nlmsg_len either cut too or
            still claiming the full length (the kernel must see the short
            skb)
  oversize  huge attributes, thousands of attributes, deep nests
  header    bad genl version/reserved bytes, DUMP on doit commands and the
            other way round, no ACK asked
  blob      the STATE/CHUNK attributes of a real checkpoint (FILE, from
            `sockmi_test.py fetch`), mutated: bits flipped, bytes set,
            attributes dropped, duplicated, reordered, lengths altered,
            chunk data cut; sent as STAGE (and some as other commands)

Every message asking for an ACK must be answered within 20 s (else: a hang,
exit 1).  The imported sockets it receives are exported again now and
then, then closed; at the end everything it staged or exported in this
namespace is unstaged or aborted.  Descriptors of the processes given
with --protect-pid are never named in SOCKMI_A_PID.  Prints one summary
line per command (answers by errno) and "nlfuzz: N messages, ..." last.
Exit status 0 unless the kernel hung or the socket broke.
"""

import errno
import os
import random
import socket
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
import sockmi_nl as nl  # noqa: E402

E = nl.ENUMS
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 1, 4, 0x300
NLA_F_NESTED, NLA_F_NET_BYTEORDER = 0x8000, 0x4000
SPEC = os.path.join(HERE, '..', '..', 'uapi', 'sockmi.yaml')


def load_spec():
    """{set name: {attr name: (value, type, nested set)}}, from the YAML
    spec; values are taken from the C header (the contract)."""
    import yaml
    spec = yaml.safe_load(open(SPEC))
    sets = {}
    for s in spec['attribute-sets']:
        prefix = s['name-prefix']
        attrs = {}
        for a in s['attributes']:
            cname = (prefix + a['name']).upper().replace('-', '_')
            if cname not in E or a['type'] in ('unused', 'pad'):
                continue
            attrs[a['name']] = (E[cname], a['type'], a.get('nested-attributes'))
        sets[s['name']] = attrs
    ops = {}
    for op in spec['operations']['list']:
        cname = ('SOCKMI_CMD_' + op['name']).upper().replace('-', '_')
        if cname not in E:
            continue
        kind = 'dump' if 'dump' in op else 'do'
        req = op.get(kind, {}).get('request', {}).get('attributes', [])
        ops[E[cname]] = (op['name'], kind, req)
    return sets, ops


def nla(atype, payload):
    return struct.pack('=HH', 4 + len(payload), atype) + payload + \
        b'\0' * ((4 - len(payload) % 4) % 4)


class Fuzzer:
    def __init__(self, rnd, blob, protect, log):
        self.r = rnd
        self.sets, self.ops = load_spec()
        self.blob = blob
        self.blob_attrs = self.split(blob) if blob else []
        self.protect = set(protect)
        self.log = log
        self.g = nl.Genl()
        for opt in (32, 33):    # SO_SNDBUFFORCE, SO_RCVBUFFORCE
            self.g.sock.setsockopt(socket.SOL_SOCKET, opt, 8 << 20)
        self.fid, _ = self.g.resolve('sockmi')
        self.g.sock.settimeout(20)
        self.seq = 1000
        self.ids = {1, 2}               # ids the kernel handed out
        self.fds = []                   # sockets imported into us
        self.stats = {}                 # cmd -> {answer: count}
        self.sent = 0
        self.cmds = sorted(v for k, v in E.items()
                           if k.startswith('SOCKMI_CMD_') and
                           not k.startswith('SOCKMI_CMD_MAX') and
                           k != 'SOCKMI_CMD_UNSPEC' and v < 64)

    @staticmethod
    def split(data):
        out = []
        while len(data) >= 4:
            alen, _ = struct.unpack('=HH', data[:4])
            if alen < 4:
                break
            out.append(data[:(alen + 3) & ~3])
            data = data[(alen + 3) & ~3:]
        return out

    # ---------------------------------------------------------- values
    def pid(self):
        while True:
            v = self.r.choice([0, 1, os.getpid(), os.getpid(),
                               self.r.randrange(1 << 22, 1 << 31),
                               0xffffffff, self.r.randrange(2, 1 << 16)])
            if v not in self.protect:
                return v

    def int_value(self, aname, size):
        r = self.r
        if aname == 'id':
            return r.choice([0, 1, r.randrange(1 << 64), (1 << 64) - 1] +
                            sorted(self.ids))
        if aname == 'fd':
            return r.choice([0, 1, 2, 3, 0xffffffff, r.randrange(1 << 10)] +
                            self.fds)
        if aname == 'pid':
            return self.pid()
        if aname in ('family',):
            return r.choice([2, 10, 0, 1, 17, 0xffff])
        return r.choice([0, 1, 2, 3, 0x80, (1 << (8 * size)) - 1,
                         r.randrange(1 << (8 * size))])

    def binary_value(self, aname):
        r = self.r
        if 'addr' in aname:
            return r.choice([bytes([10, 77, 0, r.randrange(1, 5)]),
                             bytes([127, 0, 0, 1]), bytes(4),
                             bytes.fromhex('fd77' + '00' * 13 + '02'),
                             bytes(15) + b'\1', bytes(r.randrange(0, 20))])
        n = r.choice([0, 1, 4, 16, 64, r.randrange(0, 2048)])
        return os.urandom(n) if r.random() < .5 else bytes(n)

    # ------------------------------------------------------- attributes
    def typed_attr(self, setname, depth=0, wrong=False):
        attrs = self.sets[setname]
        aname = self.r.choice(sorted(attrs))
        return self.typed_one(setname, aname, depth, wrong)

    def typed_one(self, setname, aname, depth=0, wrong=False):
        val, atype, nested = self.sets[setname][aname]
        sizes = {'u8': 1, 'u16': 2, 'u32': 4, 'u64': 8, 's32': 4}
        r = self.r
        if atype == 'nest' and nested in self.sets and depth < 4:
            body = b''.join(self.typed_attr(nested, depth + 1, wrong and r.random() < .3)
                            for _ in range(r.randrange(0, 7)))
            flag = NLA_F_NESTED if not (wrong and r.random() < .5) else 0
            return nla(val | flag, body)
        if atype in sizes:
            n = sizes[atype]
            if wrong:
                n = r.choice([0, 1, 2, 3, 4, 5, 8, 12, 16])
                return nla(val, bytes(r.randrange(256) for _ in range(n)))
            v = self.int_value(aname, n)
            return nla(val, v.to_bytes(n, 'little'))
        if atype == 'flag':
            return nla(val, b'' if not wrong else b'\1\0\0\0')
        if atype == 'string':
            s = b'x' * r.randrange(0, 40)
            return nla(val, s + (b'\0' if not wrong else b''))
        # binary
        if wrong:
            return nla(val | NLA_F_NESTED, self.binary_value(aname))
        return nla(val, self.binary_value(aname))

    def request_attrs(self, cmd):
        """Plausible attributes for cmd: those its spec lists, maybe more."""
        r = self.r
        if cmd == E['SOCKMI_CMD_EXPORT'] and self.fds and r.random() < .5:
            # one of the sockets imported into us, maybe to ourselves
            out = nla(E['SOCKMI_A_FD'], struct.pack('=I', r.choice(self.fds)))
            if r.random() < .3:
                out += nla(E['SOCKMI_A_TO'] | NLA_F_NESTED, nla(
                    E['SOCKMI_ADDR_A_FAMILY'], struct.pack('=H', 2)) + nla(
                    E['SOCKMI_ADDR_A_ADDR'], bytes([127, 0, 0, 1])))
            return out
        if cmd in (E['SOCKMI_CMD_COMMIT'], E['SOCKMI_CMD_ABORT'],
                   E['SOCKMI_CMD_ACTIVATE'], E['SOCKMI_CMD_UNSTAGE'],
                   E['SOCKMI_CMD_GET_EXPORT']) and r.random() < .5:
            return nla(E['SOCKMI_A_ID'], struct.pack('=Q', r.choice(sorted(self.ids))))
        _, _, req = self.ops.get(cmd, ('?', 'do', []))
        names = list(req) or sorted(self.sets['sockmi'])
        out = b''
        for aname in names:
            if aname in self.sets['sockmi'] and r.random() < .85:
                out += self.typed_one('sockmi', aname)
        if r.random() < .2:
            out += self.typed_attr('sockmi')
        return out

    def random_attrs(self, depth=0):
        r = self.r
        out = b''
        for _ in range(r.randrange(0, 8)):
            t = r.choice([r.randrange(0, 40), r.randrange(0, 1 << 14)])
            if depth < 3 and r.random() < .3:
                out += nla(t | NLA_F_NESTED, self.random_attrs(depth + 1))
            else:
                n = r.choice([0, 1, 2, 4, 8, 16, r.randrange(0, 300)])
                out += nla(t | (NLA_F_NET_BYTEORDER if r.random() < .05 else 0),
                           bytes(r.randrange(256) for _ in range(n)))
        return out

    def port_offsets(self, data, base=0, inside=()):
        """Offsets of the tuple ports in a checkpoint (STATE > TUPLE >
        LOCAL_PORT/REMOTE_PORT, also in CHILD nests)."""
        out = []
        off = 0
        while off + 4 <= len(data):
            alen, atype = struct.unpack_from('=HH', data, off)
            if alen < 4 or off + alen > len(data):
                break
            t = atype & 0x3fff
            if not inside and t in (E['SOCKMI_A_STATE'], E['SOCKMI_A_CHILD']):
                out += self.port_offsets(data[off + 4:off + alen],
                                         base + off + 4, ('state',))
            elif inside == ('state',) and t == E['SOCKMI_STATE_A_TUPLE']:
                out += self.port_offsets(data[off + 4:off + alen],
                                         base + off + 4, ('state', 'tuple'))
            elif inside == ('state', 'tuple') and alen == 6 and t in (
                    E['SOCKMI_TUPLE_A_LOCAL_PORT'], E['SOCKMI_TUPLE_A_REMOTE_PORT']):
                out.append(base + off + 4)
            off += (alen + 3) & ~3
        return out

    def repoint_blob(self):
        """The real checkpoint, moved to other ports: stages for real, so
        that IMPORT, ACTIVATE, EXPORT and COMMIT get live sockets."""
        b = bytearray(self.blob)
        for p in self.port_offsets(self.blob):
            struct.pack_into('=H', b, p, self.r.randrange(20000, 60000))
        return bytes(b)

    def mutate_blob(self):
        r = self.r
        attrs = list(self.blob_attrs)
        for _ in range(r.randrange(1, 4)):
            how = r.randrange(7)
            if not attrs:
                break
            i = r.randrange(len(attrs))
            a = bytearray(attrs[i])
            if how == 0:            # flip bits
                for _ in range(r.randrange(1, 8)):
                    p = r.randrange(len(a))
                    a[p] ^= 1 << r.randrange(8)
            elif how == 1:          # interesting bytes
                p = r.randrange(len(a))
                a[p] = r.choice([0, 1, 0x7f, 0x80, 0xff])
            elif how == 2:          # drop an attribute
                del attrs[i]
                continue
            elif how == 3:          # duplicate
                attrs.insert(r.randrange(len(attrs) + 1), bytes(a))
            elif how == 4:          # reorder
                r.shuffle(attrs)
                continue
            elif how == 5:          # an inner length field
                if len(a) >= 8:
                    p = 4 + 4 * r.randrange((len(a) - 4) // 4)
                    struct.pack_into('=H', a, p, r.choice(
                        [0, 3, 4, 5, 0xffff, r.randrange(0xffff)]))
            else:                   # cut the attribute (its length says so)
                n = r.randrange(4, len(a) + 1)
                a = a[:n]
                struct.pack_into('=H', a, 0, n)
                a += b'\0' * ((4 - n % 4) % 4)
            attrs[i] = bytes(a)
        return b''.join(attrs)

    # ------------------------------------------------------------ sending
    def message(self, cmd):
        """(flags, version, reserved, payload, truncate_to) for cmd."""
        r = self.r
        kind = self.ops.get(cmd, ('?', 'do', []))[1]
        flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_DUMP if kind == 'dump' else 0)
        version, reserved, cut = 1, 0, None
        strategies = ['random', 'typed', 'typed', 'typed', 'wrongtype',
                      'truncate', 'oversize', 'header']
        if self.blob_attrs:
            strategies += ['blob'] * (4 if cmd == E['SOCKMI_CMD_STAGE'] else 1)
            if cmd == E['SOCKMI_CMD_STAGE']:
                strategies += ['realblob'] * 4
        if cmd == E['SOCKMI_CMD_IMPORT']:
            strategies += ['import'] * 4
        how = r.choice(strategies)
        if how == 'random':
            payload = self.random_attrs()
        elif how == 'typed':
            payload = self.request_attrs(cmd)
        elif how == 'wrongtype':
            payload = b''.join(self.typed_attr('sockmi', wrong=True)
                               for _ in range(r.randrange(1, 4)))
        elif how == 'truncate':
            payload = self.request_attrs(cmd) or self.random_attrs()
            cut = r.randrange(0, len(payload) + 1) if payload else 0
        elif how == 'oversize':
            pick = r.randrange(3)
            if pick == 0:
                payload = nla(r.choice(list(self.sets['sockmi'].values()))[0],
                              os.urandom(r.randrange(4000, 60000)))
            elif pick == 1:
                one = self.typed_attr('sockmi')
                payload = one * min(4000, 60000 // max(len(one), 4))
            else:
                payload = b''
                for _ in range(r.randrange(10, 60)):
                    payload = nla(E['SOCKMI_A_STATE'] | NLA_F_NESTED,
                                  payload + self.typed_attr('state'))
                payload = payload[:65000]
        elif how == 'header':
            payload = self.request_attrs(cmd)
            version = r.choice([0, 1, 2, 255])
            reserved = r.choice([0, 0, 1, 0xffff])
            flags = r.choice([NLM_F_REQUEST | NLM_F_ACK,
                              NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP,
                              NLM_F_REQUEST | NLM_F_ACK | 0x20,
                              NLM_F_REQUEST])
        elif how == 'realblob':
            payload = self.repoint_blob()
            if r.random() < .3:
                payload += nla(E['SOCKMI_A_FLAGS'], struct.pack(
                    '=I', E['SOCKMI_STAGE_F_PENDING']))
        elif how == 'import':
            payload = nla(E['SOCKMI_A_MATCH'] | NLA_F_NESTED, nla(
                E['SOCKMI_MATCH_A_STATES'], struct.pack('=I', r.randrange(1, 8))))
            if r.random() < .5:
                payload += nla(E['SOCKMI_A_FLAGS'], struct.pack('=I', 1))
        else:   # blob
            payload = self.mutate_blob()
            if r.random() < .5:
                payload += self.typed_one('sockmi', 'flags')
        return how, flags, version, reserved, payload, cut

    def send(self, cmd, flags, version, reserved, payload, cut=None,
             claim_full=False):
        self.seq += 1
        genl = struct.pack('=BBH', cmd, version, reserved)
        body = genl + payload
        if cut is not None:
            body = body[:4 + cut]
        length = 16 + (4 + len(payload) if claim_full and cut is not None
                       else len(body))
        hdr = struct.pack('=IHHII', length, self.fid, flags, self.seq, 0)
        self.g.sock.send(hdr + body)
        self.sent += 1
        return self.collect(flags)

    def collect(self, flags):
        """Read until the ACK/DONE of our message: (errno, replies)."""
        want_ack = bool(flags & NLM_F_ACK) or (flags & NLM_F_DUMP) == NLM_F_DUMP
        replies = []
        if not want_ack:
            # nothing may come back: give it a moment, do not wait
            self.g.sock.settimeout(0.2)
        try:
            while True:
                try:
                    data = self.g.sock.recv(1 << 20)
                except socket.timeout:
                    if want_ack:
                        raise TimeoutError('no answer within 20 s')
                    return 'noack', replies
                while len(data) >= 16:
                    mlen, mtype, _, seq, _ = struct.unpack('=IHHII', data[:16])
                    if mlen < 16:
                        break
                    body = data[16:mlen]
                    data = data[(mlen + 3) & ~3:]
                    if seq != self.seq:
                        continue
                    if mtype == nl.NLMSG_ERROR:
                        return -struct.unpack('=i', body[:4])[0], replies
                    if mtype == nl.NLMSG_DONE:
                        err = struct.unpack('=i', body[:4])[0] if body else 0
                        return -err, replies
                    replies.append(body)
        finally:
            self.g.sock.settimeout(20)

    def learn(self, replies):
        """Remember the ids and descriptors the kernel gave us."""
        for body in replies:
            for a in self.split(body[4:]):
                alen, atype = struct.unpack('=HH', a[:4])
                atype &= 0x3fff
                if atype == E['SOCKMI_A_ID'] and alen == 12:
                    self.ids.add(struct.unpack('=Q', a[4:12])[0])
                    if len(self.ids) > 64:
                        self.ids.discard(min(self.ids))
                elif atype == E['SOCKMI_A_FD'] and alen == 8:
                    fd = struct.unpack('=I', a[4:8])[0]
                    self.fds.append(fd)

    def tidy_fds(self, keep=4):
        """Close imported sockets beyond the last few (they may be exported
        again first by the fuzzer itself: export of a restored socket)."""
        while len(self.fds) > keep:
            fd = self.fds.pop(0)
            try:
                os.close(fd)
            except OSError:
                pass

    def one(self, cmd):
        how, flags, version, reserved, payload, cut = self.message(cmd)
        claim = how == 'truncate' and self.r.random() < .5
        if claim and cut is not None and 4 + cut < 4 + len(payload):
            # nlmsg_len larger than what is sent: the kernel drops it
            # silently (the skb is shorter); do not wait for an answer
            flags &= ~NLM_F_ACK
            flags &= ~NLM_F_DUMP
        try:
            ans, replies = self.send(cmd, flags, version, reserved, payload,
                                     cut, claim)
        except OSError as e:
            if e.errno in (errno.ENOBUFS, errno.EMSGSIZE):
                ans, replies = 'send:' + errno.errorcode[e.errno], []
            else:
                raise
        self.learn(replies)
        self.tidy_fds()
        key = ans if isinstance(ans, str) else errno.errorcode.get(ans, str(ans)) \
            if ans else 'OK'
        st = self.stats.setdefault(cmd, {})
        st[key] = st.get(key, 0) + 1
        if self.log:
            self.log.write('%d %s %s %s\n' % (cmd, how, key, payload[:64].hex()))

    def cleanup(self):
        """Unstage and abort whatever we left in this namespace."""
        self.tidy_fds(0)
        left = 0
        for _ in range(3):
            _, replies = self.send(E['SOCKMI_CMD_GET_STAGED'],
                                   NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, 1, 0, b'')
            ids = []
            for body in replies:
                idv = lst = None
                for a in self.split(body[4:]):
                    alen, atype = struct.unpack('=HH', a[:4])
                    if atype & 0x3fff == E['SOCKMI_A_ID'] and alen == 12:
                        idv = struct.unpack('=Q', a[4:12])[0]
                    if atype & 0x3fff == E['SOCKMI_A_LIST'] and alen >= 5:
                        lst = a[4]
                if idv is not None:
                    ids.append((idv, lst))
            left = len(ids)
            if not ids:
                break
            for idv, lst in ids:
                cmd = 'SOCKMI_CMD_ABORT' if lst == E['SOCKMI_LIST_EXPORTING'] \
                    else 'SOCKMI_CMD_UNSTAGE'
                self.send(E[cmd], NLM_F_REQUEST | NLM_F_ACK, 1, 0,
                          nla(E['SOCKMI_A_ID'], struct.pack('=Q', idv)))
        return left


def main(argv):
    iters, seed, blob, protect, logf = 2000, None, None, [], None
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == '--iterations':
            iters = int(args.pop(0))
        elif a == '--seed':
            seed = int(args.pop(0))
        elif a == '--blob':
            blob = open(args.pop(0), 'rb').read()
        elif a == '--protect-pid':
            protect.append(int(args.pop(0)))
        elif a == '--log':
            logf = open(args.pop(0), 'w')
        else:
            sys.stderr.write(__doc__)
            return 2
    if seed is None:
        seed = int.from_bytes(os.urandom(4), 'little')
    print('nlfuzz: seed %d, %d messages%s' % (seed, iters,
                                             ', with a real checkpoint' if blob else ''))
    f = Fuzzer(random.Random(seed), blob, protect, logf)
    # every command, plus numbers that are none
    cmds = f.cmds + [0, max(f.cmds) + 1, 200, 255]
    t0 = time.monotonic()
    try:
        for i in range(iters):
            f.one(cmds[i % len(cmds)])
    except TimeoutError as e:
        print('nlfuzz: FAIL after %d messages: %s' % (f.sent, e))
        return 1
    left = f.cleanup()
    for cmd in cmds:
        st = f.stats.get(cmd, {})
        name = next((k for k, v in E.items() if k.startswith('SOCKMI_CMD_')
                     and v == cmd), str(cmd))
        print('nlfuzz: %-26s %s' % (name, ' '.join(
            '%s=%d' % kv for kv in sorted(st.items()))))
    print('nlfuzz: %d messages in %.1f s, seed %d, %d left staged after clean-up'
          % (f.sent, time.monotonic() - t0, seed, left))
    return 0 if left == 0 else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
