#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The table of `make bench` (tests/bench/bench.sh).

  report.py RAW.jsonl OUT.json      Markdown table on stdout, the same rows
                                    as JSON in OUT.json
  report.py --criu QUEUED OUT VERSION
                                    one JSON line from a criu run's output

Every row: what was measured, SockMi's figure, the baseline measured in the
same run, their ratio, the goal and "met" or "missed". A figure that could
not be measured is a row with "not measured" and the reason; nothing is
left out.
"""

import json
import re
import statistics
import sys


def criu_line(queued, out_path, version_path):
    text = open(out_path).read()
    version = open(version_path).read().strip().replace('\n', ' ')
    kv = dict(re.findall(r'(\w+)=(\S*)', text.split('---')[0]))
    rec = {'item': 'criu', 'queued': int(queued), 'version': version}
    if kv.get('dump_rc') == '0' and kv.get('restore_rc') == '0':
        after = re.search(r'after=(.*)', text)
        after = after.group(1) if after else ''
        rq = after.split()[0] if after.split() else ''
        if rq != str(queued):
            rec['error'] = ('restored, but the connection is not there with '
                            '%s bytes queued: %r' % (queued, after))
        rec['dump_ms'] = int(kv['dump_ns']) / 1e6
        rec['restore_ms'] = int(kv['restore_ns']) / 1e6
        rec['ms'] = rec['dump_ms'] + rec['restore_ms']
    else:
        lines = [x.strip() for x in text.splitlines()
                 if 'Error' in x or 'error' in x.lower()]
        rec['error'] = 'criu %s failed (rc %s): %s' % (
            'dump' if kv.get('dump_rc') != '0' else 'restore',
            kv.get('dump_rc') if kv.get('dump_rc') != '0'
            else kv.get('restore_rc'),
            ' | '.join(lines[-3:]) or text.strip()[-300:])
    print(json.dumps(rec))


def fmt_us(us):
    if us >= 1e6:
        return '%.2f s' % (us / 1e6)
    if us >= 1e3:
        return '%.2f ms' % (us / 1e3)
    return '%.0f µs' % us


def steps(rec):
    """'export 21.3 ms, stage 0.4 ms, ...' from a median_step_us dict."""
    return ', '.join('%s %s' % (k, fmt_us(v))
                     for k, v in rec.get('median_step_us', {}).items())


def size(q):
    return {0: '0 B', 65536: '64 KiB', 4194304: '4 MiB'}.get(q, '%d B' % q)


class Table:
    def __init__(self, ran):
        self.rows = []
        self.ran = ran      # the items bench.sh ran (BENCH_ITEMS)

    def add(self, item, what, ours, base, ratio, goal, verdict, note=''):
        self.rows.append({'item': item, 'what': what, 'sockmi': ours,
                          'baseline': base, 'ratio': ratio, 'goal': goal,
                          'verdict': verdict, 'note': note})

    def missing(self, item, what, goal, why, needs=None):
        """A row without a figure: 'not run' when BENCH_ITEMS left out
        the item it needs, else 'missed' with the reason."""
        needs = needs or item
        if needs not in self.ran:
            self.add(item, what, 'not run', '-', '-', goal, 'not run',
                     'item %d is not in BENCH_ITEMS' % needs)
        else:
            self.add(item, what, 'not measured', '-', '-', goal, 'missed',
                     why)


def verdict(ok):
    return 'met' if ok else 'missed'


def main(raw_path, out_path):
    recs = [json.loads(x) for x in open(raw_path) if x.strip()]
    by = {}
    for r in recs:
        by.setdefault(r['item'], []).append(r)
    meta = (by.get('meta') or [{}])[0]
    t = Table({int(x) for x in str(meta.get('items', '1 2 3 4')).split()})

    # 1. checkpoint + restore
    ck = {(r.get('method'), r.get('queued')): r for r in by.get('ckpt', [])
          if 'error' not in r}
    errs = [r for r in by.get('ckpt', []) if 'error' in r]
    criu = {}
    for r in by.get('criu', []):
        criu.setdefault(r.get('queued'), []).append(r)
    for q in (0, 65536, 4194304):
        s, rp = ck.get(('sockmi', q)), ck.get(('repair', q))
        what = 'checkpoint+restore, %s queued, vs TCP_REPAIR' % size(q)
        if s and rp:
            ratio = rp['median_us'] / s['median_us']
            t.add(1, what, fmt_us(s['median_us']), fmt_us(rp['median_us']),
                  '%.2fx' % ratio, '>= 10x faster', verdict(ratio >= 10),
                  'medians of %d runs; SockMi steps: %s; the TCP_REPAIR '
                  'baseline is favoured: its flow is idle so no packet '
                  'blocking is timed, its new socket exists beforehand' %
                  (len(s['us']), steps(s)))
        else:
            why = '; '.join(e['error'] for e in errs
                            if e.get('queued') == q) or 'no result'
            t.missing(1, what, '>= 10x faster', why)
        what = 'checkpoint+restore, %s queued, vs criu dump+restore' % size(q)
        runs = criu.get(q, []) or criu.get(None, [])
        good = [r for r in runs if 'error' not in r]
        if s and good:
            ms = statistics.median(r['ms'] for r in good)
            ratio = ms * 1e3 / s['median_us']
            t.add(1, what, fmt_us(s['median_us']), fmt_us(ms * 1e3),
                  '%.1fx' % ratio, '>= 100x faster', verdict(ratio >= 100),
                  'criu: median of %d run(s) (dump %.0f ms + restore %.0f ms)' %
                  (len(good), statistics.median(r['dump_ms'] for r in good),
                   statistics.median(r['restore_ms'] for r in good)))
        else:
            why = runs[0]['error'] if runs else 'criu not run'
            t.missing(1, what, '>= 100x faster',
                      'criu could not be measured: ' + why)

    # 1. throughput recovery after a move (issue 4)
    rc = {(r.get('method'), r.get('delay_ms')): r
          for r in by.get('recover', []) if 'error' not in r}
    goal = 'faster than TCP_REPAIR'
    for d in sorted({r.get('delay_ms') for r in by.get('recover', [])},
                    key=lambda x: x or 0):
        s, rp = rc.get(('sockmi', d)), rc.get(('repair', d))
        what = ('throughput recovery after a move of a bulk sender (netem '
                '%s ms): time to 90 %% of the rate before, vs TCP_REPAIR' % d)
        if s and rp:
            ratio = rp['median_recover_us'] / max(s['median_recover_us'], 1.0)
            t.add(1, what, fmt_us(s['median_recover_us']),
                  fmt_us(rp['median_recover_us']), '%.1fx' % ratio, goal,
                  verdict(s['median_recover_us'] < rp['median_recover_us']),
                  'medians of %d moves, from the resumption (the first '
                  'possible: %s); rate before %.1f / %.1f MB/s, first second '
                  'after %.1f / %.1f MB/s, the move itself %s / %s (SockMi / '
                  'TCP_REPAIR); a move that never regained the rate counts '
                  'as %s' % (
                      len(s['recover_us']), fmt_us(s['window_us']),
                      s['median_rate_before'], rp['median_rate_before'],
                      statistics.median(s['rate_first_s']),
                      statistics.median(rp['rate_first_s']),
                      fmt_us(s['median_move_us']),
                      fmt_us(rp['median_move_us']), fmt_us(s['limit_us'])))
        else:
            why = '; '.join(e['error'] for e in by['recover']
                            if 'error' in e and e.get('delay_ms') == d)
            t.missing(1, what, goal, why or 'no result')

    # 2. stall
    st = {r.get('delay_ms'): r for r in by.get('stall', []) if 'error' not in r}
    for d in (0, 1, 10):
        r = st.get(d)
        for direction, key in (('download', 'median_download_gap_us'),
                               ('upload', 'median_upload_gap_us')):
            what = ('peer-visible stall, move A->B, netem %d ms, %s' %
                    (d, direction))
            if not r:
                why = '; '.join(e['error'] for e in by.get('stall', [])
                                if 'error' in e and e.get('delay_ms') == d)
                t.missing(2, what, '<= 2x floor', why or 'no result')
                continue
            ratio = r[key] / r['median_floor_us']
            t.add(2, what, fmt_us(r[key]),
                  'floor %s' % fmt_us(r['median_floor_us']),
                  '%.1fx floor' % ratio, '<= 2x floor', verdict(ratio <= 2),
                  'floor = RTT %s + %d B / %.0f MB/s; migration itself %s; '
                  'median of %d; steps: %s' % (
                      fmt_us(r['median_rtt_us']), r['state_bytes'],
                      r['link_bytes_per_s'] / 1e6,
                      fmt_us(r['median_migration_us']), len(r['rtt_us']),
                      steps(r)))

    # 3. batch
    ba = {(r.get('method'), r.get('n')): r for r in by.get('batch', [])
          if 'error' not in r}
    for n in sorted({r.get('n') for r in by.get('batch', [])}):
        s, rp = ba.get(('sockmi', n)), ba.get(('repair', n))
        what = 'batch: sockets/s migrated, %d connections' % n
        if s and rp:
            t.add(3, what, '%.0f/s' % s['per_s'], '%.0f/s' % rp['per_s'],
                  '%.2fx TCP_REPAIR' % (s['per_s'] / rp['per_s']),
                  '>= 10,000/s', verdict(s['per_s'] >= 10000),
                  'SockMi phases (ms): ' + ', '.join(
                      '%s %.0f' % (k, v / 1e3)
                      for k, v in s['phases_us'].items()) +
                  '; TCP_REPAIR baseline (ms): ' + ', '.join(
                      '%s %.0f' % (k, v / 1e3)
                      for k, v in rp['phases_us'].items()) +
                  ', without redirection flows or packet blocking')
        else:
            why = '; '.join(e['error'] for e in by.get('batch', [])
                            if 'error' in e and e.get('n') == n)
            t.missing(3, what, '>= 10,000/s', why or 'no result')

    # 4. per packet
    pp = {r['name']: r for r in by.get('perpacket', [])}

    def ppratio(ours, base, num, den, what, goal, ok):
        if ours in pp and base in pp:
            ratio = pp[num]['ns_per_packet'] / pp[den]['ns_per_packet']
            lost = [k for k in (ours, base)
                    if pp[k]['delivered'] < pp[k]['sent']]
            note = ('%s / %s, medians of %d runs (fastest runs: %.2fx; '
                    'spread %s); packets that reached B: %s' %
                    (num, den, len(pp[num]['runs']),
                     min(pp[num]['runs']) / min(pp[den]['runs']),
                     ', '.join('%s %d-%d ns' % (k, min(pp[k]['runs']),
                                                max(pp[k]['runs']))
                               for k in (num, den)),
                     ', '.join('%s %d/%d' % (k, pp[k]['delivered'],
                                             pp[k]['sent'])
                               for k in (ours, base))))
            if lost:
                note = ('INVALID: packets of %s did not reach B, so the '
                        'path measured is not the one meant; ' %
                        ' and '.join(lost)) + note
            t.add(4, what, '%d ns/packet' % pp[ours]['ns_per_packet'],
                  '%d ns/packet' % pp[base]['ns_per_packet'],
                  '%.2fx' % ratio, goal,
                  verdict(ok(ratio) and not lost), note)
        else:
            why = '; '.join(e['error'] for e in by.get('perpacket', [])
                            if 'error' in e)
            t.missing(4, what, goal, why or 'no result')

    ppratio('ours(100000)', 'ours(10)', 'ours(100000)', 'ours(10)',
            'per packet: xt_SOCKMI with 100,000 flows vs 10', '<= 1.1x',
            lambda r: r <= 1.1)
    ppratio('ours(10000)', 'dnat(10000)', 'dnat(10000)', 'ours(10000)',
            'per packet: xt_SOCKMI vs one DNAT rule per flow (nat table), '
            '10,000 flows', '>= 50x', lambda r: r >= 50)
    ppratio('ours(10000)', 'naive(10000)', 'naive(10000)', 'ours(10000)',
            'per packet: xt_SOCKMI vs one -j SOCKMI rule per flow (raw '
            'table), 10,000 flows', '>= 50x', lambda r: r >= 50)

    # 5. memory
    for q in (0, 65536, 4194304):
        s, rp = ck.get(('sockmi', q)), ck.get(('repair', q))
        what = 'memory: checkpoint size, %s queued' % size(q)
        if s and rp:
            over = s['state_bytes'] - q
            t.add(5, what, '%d B (+%d B)' % (s['state_bytes'], over),
                  '%d B (+%d B)' % (rp['state_bytes'], rp['state_bytes'] - q),
                  '%.2fx' % (s['state_bytes'] / rp['state_bytes']),
                  '<= 256 B overhead', verdict(over <= 256),
                  'overhead = checkpoint - queued bytes; baseline: the '
                  'fields user-space TCP_REPAIR saves')
        else:
            t.missing(5, what, '<= 256 B overhead', 'item 1 failed', 1)
    for n in sorted({r.get('n') for r in by.get('batch', [])}):
        s, rp = ba.get(('sockmi', n)), ba.get(('repair', n))
        what = 'memory: kernel slab per staged socket, %d staged' % n
        if s and rp:
            over = s['slab_bytes_per_socket'] - rp['slab_bytes_per_socket']
            t.add(5, what, '%.0f B' % s['slab_bytes_per_socket'],
                  '%.0f B' % rp['slab_bytes_per_socket'],
                  '%+.0f B' % over, '<= 256 B overhead', verdict(over <= 256),
                  'baseline: a socket restored with TCP_REPAIR (file, '
                  'inode and all); /proc/slabinfo deltas')
        else:
            t.missing(5, what, '<= 256 B overhead', 'item 3 failed', 3)
    fm = {r['name']: r for r in by.get('flowmem', [])}
    if 'flow' in fm and 'dnat_rule' in fm:
        f = fm['flow']['bytes'] / fm['flow']['count']
        d = fm['dnat_rule']['bytes'] / fm['dnat_rule']['count']
        t.add(5, 'memory: per flow-table entry vs per DNAT rule',
              '%.0f B' % f, '%.0f B' % d, '%.2fx' % (f / d), 'none set',
              '-', 'Slab + VmallocUsed + Percpu growth over %d flows / %d '
              'rules' % (fm['flow']['count'], fm['dnat_rule']['count']))
    else:
        t.missing(5, 'memory: per flow-table entry vs per DNAT rule',
                  'none set', 'item 4 failed', 4)

    met = sum(r['verdict'] == 'met' for r in t.rows)
    missed = sum(r['verdict'] == 'missed' for r in t.rows)
    skipped = sum(r['verdict'] == 'not run' for r in t.rows)
    head = ('SockMi benchmark, kernel %s, %s CPUs, QEMU TCG%s. Absolute times '
            'under emulation mean little; the ratios compare methods run in '
            'the same VM boot.' %
            (meta.get('kernel', '?'), meta.get('cpus', '?'),
             ', QUICK run with smaller counts' if meta.get('quick') else ''))
    print(head)
    print()
    print('| # | measure | SockMi | baseline | ratio | goal | verdict | notes |')
    print('|---|---|---|---|---|---|---|---|')
    for r in t.rows:
        print('| %s | %s | %s | %s | %s | %s | **%s** | %s |' % (
            r['item'], r['what'], r['sockmi'], r['baseline'], r['ratio'],
            r['goal'], r['verdict'], r['note'].replace('|', '/')))
    print()
    print('%d goals met, %d missed%s.' % (
        met, missed, ', %d not run' % skipped if skipped else ''))
    with open(out_path, 'w') as fh:
        json.dump({'meta': meta, 'rows': t.rows, 'raw': recs}, fh, indent=1)
        fh.write('\n')


if __name__ == '__main__':
    if sys.argv[1] == '--criu':
        criu_line(*sys.argv[2:5])
    else:
        main(sys.argv[1], sys.argv[2])
