#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The unmodified peer of tests/netns/libsockmi.sh: it streams to a server
whose end of the connection migrates meanwhile, and verifies every byte.

  libsockmi_peer.py echo HOST PORT PROGRESS STOP
      send a pattern, expect it echoed back byte for byte
  libsockmi_peer.py lines HOST PORT PROGRESS STOP
      send numbered lines (split at random places), expect each back as
      "N line" with N counting from 1 across the whole connection

Streams until the file STOP exists, then a fixed amount more, then closes
its sending side and expects the server to close too. Creates PROGRESS once
the stream is well under way. Exit status 0: all verified.
"""

import collections
import os
import random
import select
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sockmi_test import pattern  # noqa: E402

AFTER_STOP = 256 * 1024		# bytes streamed after STOP appears
WINDOW = 256 * 1024		# at most this much unanswered
DEADLINE = 180			# seconds for the whole run


class Echo:
    """Bytes out, the same bytes back."""

    def __init__(self):
        self.out = b''

    def more(self, tx, n):
        return pattern(tx, n, 0x3c)

    def check(self, rx, data):
        if data != pattern(rx, len(data), 0x3c):
            raise ValueError('echo differs at byte %d' % rx)


class Lines:
    """Line i (from 0) is 'i:' + filler; its answer is '<i+1> ' + line."""

    def __init__(self):
        self.stream = b''	# to send, from byte base_tx on
        self.expect = b''	# expected back, from byte base_rx on
        self.base_tx = self.base_rx = 0
        self.gen_tx = self.gen_rx = 0	# ends of what is generated
        self.ends = collections.deque()	# (tx end, rx end) per line
        self.owed = 0
        self.i = 0

    def _line(self):
        fill = pattern(self.i * 7, random.randint(0, 300), 0x20)
        fill = bytes(0x61 + b % 26 for b in fill)
        line = b'%d:%s\n' % (self.i, fill)
        self.i += 1
        answer = b'%d ' % self.i + line
        self.stream += line
        self.expect += answer
        self.gen_tx += len(line)
        self.gen_rx += len(answer)
        self.ends.append((self.gen_tx, self.gen_rx))

    def more(self, tx, n):
        while self.gen_tx - tx < n:
            self._line()
        # Random cuts: the server often holds half a line when it moves.
        n = random.randint(1, n)
        off = tx - self.base_tx
        return self.stream[off:off + n]

    def check(self, rx, data):
        off = rx - self.base_rx
        if data != self.expect[off:off + len(data)]:
            raise ValueError('answer differs at byte %d: %r' %
                             (rx, data[:80]))

    def trim(self, tx, rx):
        """Forget what is sent and verified (keeps memory flat)."""
        self.stream = self.stream[tx - self.base_tx:]
        self.base_tx = tx
        self.expect = self.expect[rx - self.base_rx:]
        self.base_rx = rx

    def answered(self, tx, rx):
        """Bytes of answers owed for the whole lines sent so far."""
        while self.ends and self.ends[0][0] <= tx:
            self.owed = self.ends.popleft()[1]
        return self.owed


def main(argv):
    mode, host, port, progress, stop = argv[0], argv[1], int(argv[2]), \
        argv[3], argv[4]
    proto = Echo() if mode == 'echo' else Lines()
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    s = socket.create_connection((host, port), timeout=30)
    assert s.family == fam
    s.setblocking(False)
    tx = rx = 0
    end = None		# total to send, once STOP is seen
    start = time.time()
    while True:
        if time.time() - start > DEADLINE:
            raise TimeoutError('tx %d rx %d after %ds' % (tx, rx, DEADLINE))
        if end is None and os.path.exists(stop):
            end = tx + AFTER_STOP
        if rx >= 64 * 1024 and not os.path.exists(progress):
            open(progress, 'w').close()
        owed = tx if mode == 'echo' else proto.answered(tx, rx)
        if end is not None and tx >= end and rx >= owed:
            break
        can_send = (end is None or tx < end) and tx - rx < WINDOW
        r, w, _ = select.select([s], [s] if can_send else [], [], 0.05)
        if w:
            n = 8192 if end is None else min(8192, end - tx)
            try:
                tx += s.send(proto.more(tx, n))
            except BlockingIOError:
                pass
            # Keep it live but not a flood: the migration must catch it.
            time.sleep(0.002)
        if r:
            data = s.recv(65536)
            if not data:
                raise ConnectionError('EOF from the server at rx %d' % rx)
            proto.check(rx, data)
            rx += len(data)
            if mode == 'lines':
                proto.trim(tx, rx)
    s.shutdown(socket.SHUT_WR)
    s.setblocking(True)
    s.settimeout(30)
    tail = s.recv(1)
    if tail:
        raise ValueError('extra bytes after the end: %r' % tail)
    print('peer %s: sent %d, got %d back, all verified, clean close' %
          (mode, tx, rx))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
