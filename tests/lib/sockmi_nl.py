#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Raw generic-netlink client for testing the "sockmi" family.

It builds messages attribute by attribute -- including malformed ones, which
libnl would refuse to build -- and prints what the kernel answered, so tests
can assert on the errno and the extack message. Attribute and command names
are read from uapi/linux/sockmi.h, never copied.

  sockmi_nl.py send [--dump] [--reserved N] [--version N] CMD [ATTR...] [--raw HEX]
  sockmi_nl.py join GROUP

ATTR is NAME=TYPE:VALUE with TYPE one of u8 u16 u32 u64 s32 str flag bin
(VALUE in hex) or nest, whose VALUE is (ATTR,ATTR,...). NAME is an enum name
from the header or a number. Output, one line:
  OK [N messages]           the request succeeded
  ERROR <ERRNO>: <message>  [missing <type>] [offset <n>]
"""

import errno
import os
import re
import socket
import struct
import sys

NETLINK_GENERIC = 16
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK, NLM_F_DUMP = 1, 2, 4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_MCAST_GROUPS = 1, 2, 7
CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_MCAST_GRP_ID = 1, 2
SOL_NETLINK, NETLINK_ADD_MEMBERSHIP = 270, 1
NETLINK_EXT_ACK, NETLINK_CAP_ACK = 11, 10
NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS = 1, 2
NLMSGERR_ATTR_MISS_TYPE, NLMSGERR_ATTR_MISS_NEST = 5, 6
NLA_F_NESTED = 0x8000

HEADER = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      '..', '..', 'uapi', 'linux', 'sockmi.h')


def read_enums(path):
    """Map every enumerator and simple #define of the header to its value."""
    text = open(path).read()
    text = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
    names = {}
    for body in re.findall(r'enum\s+\w+\s*{(.*?)}', text, flags=re.S):
        val = -1
        for item in body.split(','):
            item = item.strip()
            if not item:
                continue
            if '=' in item:
                name, expr = (x.strip() for x in item.split('=', 1))
                val = eval_expr(expr, names)
            else:
                name, val = item, val + 1
            names[name] = val
    for m in re.finditer(r'#define\s+(\w+)\s+(.+)', text):
        try:
            names[m.group(1)] = eval_expr(m.group(2), names)
        except (ValueError, SyntaxError, NameError, TypeError):
            pass
    return names


def eval_expr(expr, names):
    expr = re.sub(r'(\d+)U\b', r'\1', ' '.join(expr.split()))
    return int(eval(expr, {'__builtins__': {}}, names))


ENUMS = read_enums(HEADER)


def nla(atype, payload):
    hdr = struct.pack('=HH', 4 + len(payload), atype)
    return hdr + payload + b'\0' * ((4 - len(payload) % 4) % 4)


def split_top(s):
    """Split on commas not inside parentheses."""
    out, depth, cur = [], 0, ''
    for ch in s:
        if ch == ',' and depth == 0:
            out.append(cur)
            cur = ''
            continue
        depth += (ch == '(') - (ch == ')')
        cur += ch
    if cur:
        out.append(cur)
    return out


def encode_attr(spec):
    name, rest = spec.split('=', 1)
    kind, _, value = rest.partition(':')
    atype = int(name, 0) if name[0].isdigit() else ENUMS[name]
    if kind == 'nest':
        inner = value.strip()
        if not (inner.startswith('(') and inner.endswith(')')):
            raise ValueError('nest value must be (ATTR,...): ' + spec)
        body = b''.join(encode_attr(a) for a in split_top(inner[1:-1]))
        return nla(atype | NLA_F_NESTED, body)
    fmt = {'u8': '=B', 'u16': '=H', 'u32': '=I', 'u64': '=Q', 's32': '=i'}
    if kind in fmt:
        v = int(value, 0) if not value[0].isalpha() else ENUMS[value]
        return nla(atype, struct.pack(fmt[kind], v))
    if kind == 'str':
        return nla(atype, value.encode() + b'\0')
    if kind == 'flag':
        return nla(atype, b'')
    if kind == 'bin':
        return nla(atype, bytes.fromhex(value))
    if kind == 'ip':
        fam = socket.AF_INET6 if ':' in value else socket.AF_INET
        return nla(atype, socket.inet_pton(fam, value))
    raise ValueError('unknown attribute type ' + kind)


def parse_attrs(data):
    attrs = {}
    while len(data) >= 4:
        alen, atype = struct.unpack('=HH', data[:4])
        if alen < 4:
            break
        attrs.setdefault(atype & 0x3fff, []).append(data[4:alen])
        data = data[(alen + 3) & ~3:]
    return attrs


class Genl:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                  NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.sock.bind((0, 0))
        self.seq = 0

    def request(self, family, cmd, payload, flags=0, version=1, reserved=0):
        self.seq += 1
        genl = struct.pack('=BBH', cmd, version, reserved)
        msg = genl + payload
        hdr = struct.pack('=IHHII', 16 + len(msg), family,
                          NLM_F_REQUEST | NLM_F_ACK | flags, self.seq, 0)
        self.sock.send(hdr + msg)
        replies = []
        while True:
            data = self.sock.recv(1 << 20)
            while len(data) >= 16:
                mlen, mtype, mflags, seq, _ = struct.unpack('=IHHII',
                                                            data[:16])
                body = data[16:mlen]
                data = data[(mlen + 3) & ~3:]
                if seq != self.seq:
                    continue
                if mtype == NLMSG_ERROR:
                    err = struct.unpack('=i', body[:4])[0]
                    if err == 0 and flags & NLM_F_DUMP == 0:
                        return 0, {}, replies
                    if err == 0:
                        continue
                    tlvs = body[20:] if len(body) > 20 else b''
                    return err, parse_attrs(tlvs), replies
                if mtype == NLMSG_DONE:
                    err = struct.unpack('=i', body[:4])[0] if body else 0
                    tlvs = parse_attrs(body[4:]) if len(body) > 4 else {}
                    return err, tlvs, replies
                replies.append(body)

    def resolve(self, name):
        payload = nla(CTRL_ATTR_FAMILY_NAME, name.encode() + b'\0')
        err, ext, replies = self.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                                         payload)
        if err:
            raise OSError(-err, 'family %s: %s' % (name, os.strerror(-err)))
        attrs = parse_attrs(replies[0][4:])
        fid = struct.unpack('=H', attrs[CTRL_ATTR_FAMILY_ID][0][:2])[0]
        groups = {}
        for grp in parse_attrs(attrs.get(CTRL_ATTR_MCAST_GROUPS, [b''])[0]).values():
            g = parse_attrs(grp[0])
            groups[g[CTRL_ATTR_MCAST_GRP_NAME][0].rstrip(b'\0').decode()] = \
                struct.unpack('=I', g[CTRL_ATTR_MCAST_GRP_ID][0])[0]
        return fid, groups


def errname(num):
    """Linux's name for an errno (Python calls 95 ENOTSUP)."""
    if num == errno.EOPNOTSUPP:
        return 'EOPNOTSUPP'
    return errno.errorcode.get(num, str(num))


def describe_error(err, ext):
    line = 'ERROR %s:' % errname(-err)
    if NLMSGERR_ATTR_MSG in ext:
        line += ' ' + ext[NLMSGERR_ATTR_MSG][0].rstrip(b'\0').decode()
    if NLMSGERR_ATTR_MISS_TYPE in ext:
        line += ' [missing %d]' % struct.unpack('=I', ext[NLMSGERR_ATTR_MISS_TYPE][0])[0]
    if NLMSGERR_ATTR_OFFS in ext:
        line += ' [offset %d]' % struct.unpack('=I', ext[NLMSGERR_ATTR_OFFS][0])[0]
    return line


def main(argv):
    if len(argv) < 2 or argv[0] not in ('send', 'join'):
        sys.stderr.write(__doc__)
        return 2
    g = Genl()
    try:
        fid, groups = g.resolve('sockmi')
    except OSError as e:
        print('ERROR %s: %s' % (errname(e.errno), e))
        return 0
    if argv[0] == 'join':
        try:
            g.sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
                              groups[argv[1]])
            print('OK')
        except OSError as e:
            print('ERROR %s: %s' % (errname(e.errno), e.strerror))
        return 0
    args, flags, version, reserved, raw = argv[1:], 0, 1, 0, b''
    while args and args[0].startswith('--'):
        opt = args.pop(0)
        if opt == '--dump':
            flags |= NLM_F_DUMP
        elif opt == '--version':
            version = int(args.pop(0), 0)
        elif opt == '--reserved':
            reserved = int(args.pop(0), 0)
    cmd = ENUMS[args[0]] if not args[0][0].isdigit() else int(args[0], 0)
    payload = b''
    rest = args[1:]
    while rest:
        a = rest.pop(0)
        if a == '--raw':
            raw += bytes.fromhex(rest.pop(0))
        else:
            payload += encode_attr(a)
    err, ext, replies = g.request(fid, cmd, payload + raw, flags, version,
                                  reserved)
    if err:
        print(describe_error(err, ext))
    elif flags & NLM_F_DUMP:
        print('OK %d messages' % len(replies))
    else:
        print('OK')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
