#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Craft sockmid negotiation messages, good and bad, and see which ones a
daemon answers. The sealing is libsodium's, called through ctypes; the
format is the one of userland/sockmid/wire.h.

  sockmid_wire.py probe KEYFILE ADDR PORT [WRONG_KEYFILE]

sends REQUESTs for a socket of ADDR to the daemon at ADDR:PORT, all from
one UDP socket, and waits for an OFFER to each:

  valid      sealed with the key                   -> an offer
  replayed   the valid datagram, byte for byte     -> nothing
  tampered   one ciphertext byte flipped           -> nothing
  wrong-key  sealed with another key               -> nothing
  stale      the key, but a time 60 s in the past  -> nothing
  future     the key, but a time 60 s ahead        -> nothing

and prints one line per probe: "NAME offer" or "NAME silent".
"""

import ctypes
import ctypes.util
import os
import socket
import struct
import sys
import time

MAGIC = b'SKMD'
VERSION = 1
REQUEST, OFFER = 1, 2
REQ_TO = 1
NONCE_LEN, TAG_LEN, HDR_LEN = 24, 16, 60

_lib = ctypes.CDLL(ctypes.util.find_library('sodium') or 'libsodium.so.23')
if _lib.sodium_init() < 0:
    raise OSError('libsodium does not initialize')


def read_key(path):
    """The message key derived from a `sockmictl genkey` file."""
    import base64
    shared = base64.b64decode(open(path).read().strip(), validate=True)
    assert len(shared) == 32
    sub = ctypes.create_string_buffer(32)
    if _lib.crypto_kdf_derive_from_key(sub, ctypes.c_size_t(32),
                                       ctypes.c_uint64(1), b'sockmid1',
                                       shared):
        raise OSError('crypto_kdf_derive_from_key failed')
    return sub.raw


def header(mtype, sender, xid, time_ms, nonce, seq=0):
    return (MAGIC + bytes([VERSION, mtype]) + b'\0\0' +
            struct.pack('>IQQQ', seq, sender, xid, time_ms) + nonce)


def seal(key, mtype, sender, xid, body, time_ms=None):
    nonce = os.urandom(NONCE_LEN)
    if time_ms is None:
        time_ms = int(time.time() * 1000)
    hdr = header(mtype, sender, xid, time_ms, nonce)
    out = ctypes.create_string_buffer(len(body) + TAG_LEN)
    olen = ctypes.c_ulonglong()
    _lib.crypto_aead_xchacha20poly1305_ietf_encrypt(
        out, ctypes.byref(olen), body, ctypes.c_ulonglong(len(body)),
        hdr, ctypes.c_ulonglong(len(hdr)), None, nonce, key)
    return hdr + out.raw[:olen.value]


def unseal(key, data):
    """(type, sender, xid, body) or None when it does not authenticate."""
    if len(data) < HDR_LEN + TAG_LEN or data[:4] != MAGIC:
        return None
    hdr, ct = data[:HDR_LEN], data[HDR_LEN:]
    out = ctypes.create_string_buffer(len(ct))
    olen = ctypes.c_ulonglong()
    if _lib.crypto_aead_xchacha20poly1305_ietf_decrypt(
            out, ctypes.byref(olen), None, ct, ctypes.c_ulonglong(len(ct)),
            hdr, ctypes.c_ulonglong(len(hdr)), hdr[36:60], key):
        return None
    _, sender, xid, _ = struct.unpack('>IQQQ', hdr[8:36])
    return hdr[5], sender, xid, out.raw[:olen.value]


def request_body(addr):
    """A REQUEST for an established socket of ADDR, named to ADDR."""
    a = socket.inet_aton(addr)
    return (struct.pack('>IB', REQ_TO, 1) +
            bytes([4]) + a + struct.pack('>H', 7999) +
            bytes([1, 4]) + socket.inet_aton('10.77.0.1') +
            struct.pack('>H', 40000) + bytes([4]) + a)


def probe(s, key, data, sender, xid, dest, wait=1.5):
    """Send DATA; did an OFFER for (sender, xid) come back?"""
    s.sendto(data, dest)
    s.settimeout(0.1)
    end = time.time() + wait
    while time.time() < end:
        try:
            reply = s.recv(2048)
        except socket.timeout:
            continue
        m = unseal(key, reply)
        if (m and m[0] == OFFER and m[2] == xid and
                struct.unpack('>Q', m[3][:8])[0] == sender):
            return True
    return False


def cmd_probe(args):
    key = read_key(args[0])
    dest = (args[1], int(args[2]))
    wrong = read_key(args[3]) if len(args) > 3 else os.urandom(32)
    body = request_body(args[1])
    sender = struct.unpack('>Q', os.urandom(8))[0] | 1
    now = int(time.time() * 1000)
    valid = seal(key, REQUEST, sender, 1001, body)
    tampered = bytearray(seal(key, REQUEST, sender, 1002, body))
    tampered[HDR_LEN + 3] ^= 0x01
    probes = [
        ('valid', valid, 1001),
        ('replayed', valid, 1001),
        ('tampered', bytes(tampered), 1002),
        ('wrong-key', seal(wrong, REQUEST, sender, 1003, body), 1003),
        ('stale', seal(key, REQUEST, sender, 1004, body, now - 60000), 1004),
        ('future', seal(key, REQUEST, sender, 1005, body, now + 60000), 1005),
    ]
    # One socket: an accepted replay would be answered at the same place.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('', 0))
    for name, data, xid in probes:
        got = probe(s, key, data, sender, xid, dest)
        print('%s %s' % (name, 'offer' if got else 'silent'), flush=True)


def main(argv):
    if len(argv) >= 4 and argv[0] == 'probe':
        cmd_probe(argv[1:])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
