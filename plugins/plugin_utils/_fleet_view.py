# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the fleet report's page shows, as text: one card view per host and the summary's charts. Private.

The views hold only display text and geometry, already formatted by the shared formatting module, so
the page's two renderers of a card, the Jinja2 template (the first page, readable without JavaScript)
and the page script (every other page, from the embedded data), only place text and never compute.
Lists are positional to keep the embedded data small; their layouts are named where they are built.
"""

from __future__ import annotations

from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import alert_counts, io_rate
from ansible_collections.hostops.fleet.plugins.plugin_utils._format import (
    NA, fmt_num, fmt_pct, human_bytes, text,
)

SEVERITY_LABELS = {'critical': 'CRITICAL', 'warning': 'WARNING', 'info': 'INFO', 'ok': 'OK'}
ALERTS_SHOWN = 6
FILESYSTEMS_SHOWN = 4
IO_ROWS_SHOWN = 3

# The detail tables: their column labels, and which columns hold long text (cut with an ellipsis).
TABLES = {
    'cpu': (('PID', 'USER', '%CPU', '%MEM', 'RSS', 'COMMAND'), (5,)),
    'io': (('PID', 'USER', 'READ/s', 'WRITE/s', 'COMMAND', 'FILE'), (4, 5)),
    'fs': (('MOUNT', 'TYPE', 'SIZE', 'USED', 'USE%', 'IUSE%'), (0,)),
    'ns': (('TYPE', 'NS', 'PROCS', 'OWNER', 'PINNED BY', 'COMMAND'), (4, 5)),
    'containers': (('ID', 'RUNTIME', 'MEM', 'LIMIT', 'CPU s', 'PIDS'), ()),
}


def level(pct, warn, crit):
    """The colour of a meter: good, warn, crit, or na when there is no value."""
    if pct is None:
        return 'na'
    return 'crit' if pct >= crit else ('warn' if pct >= warn else 'good')


def meter(pct, colour, title):
    """A meter: [width in % as text, colour, tooltip]."""
    width = 0.0 if pct is None else max(0.0, min(100.0, pct))
    return ['%.1f' % width, colour, title]


def search_text(record):
    """What the page's filter box matches: name, state, severity, alerts and the hottest processes."""
    return ' '.join([record['name'], record['state'], record['severity']] + [a['message'] for a in record['alerts']]
                    + [p['command'] or '' for p in record['top_cpu'][:1] + record['top_memory'][:1]
                       + record['top_io'][:1]]).lower()


# ---------------------------------------------------------------- a host's card

def _metrics(record):
    """[label, value, meter, sub] for memory, load, CPU and disk."""
    memory = record['memory'] or {}
    avail = memory.get('available_pct')
    # The bar is what is left: short and red is bad, as the module's 20 % rule says.
    avail_level = 'na' if avail is None else ('crit' if avail < 10 else ('warn' if avail < 20 else 'good'))
    load = record['load'] or [None, None, None]
    load_pct = None if record['load_per_cpu'] is None else record['load_per_cpu'] * 100.0
    cpu = record['cpu'] or {}
    busy = record['cpu_busy_pct']
    disk = record['busiest_disk'] or {}
    util = disk.get('util_pct')
    return [
        ['memory available', fmt_pct(avail), meter(avail, avail_level, 'memory available'),
         '%s of %s available, swap used %s' % (human_bytes(memory.get('available')), human_bytes(memory.get('total')),
                                               human_bytes(memory.get('swap_used')))],
        ['load / CPUs', '%s / %s' % (fmt_num(load[0], 2), fmt_num(record['cpu_count'], 0)),
         meter(load_pct, level(load_pct, 100, 200), 'load per CPU'),
         '5 min %s, 15 min %s' % (fmt_num(load[1], 2), fmt_num(load[2], 2))],
        ['CPU busy', fmt_pct(busy), meter(busy, level(busy, 80, 95), 'CPU busy'),
         'us %s sy %s wa %s' % (fmt_num(cpu.get('us')), fmt_num(cpu.get('sy')), fmt_num(cpu.get('wa')))],
        ['iowait · busiest disk', '%s · %s %s' % (fmt_pct(record['iowait_pct']), text(disk.get('name')), fmt_pct(util)),
         meter(util, level(util, 70, 90), 'disk utilisation'),
         'r/s %s w/s %s wkB/s %s' % (fmt_num(disk.get('r_s')), fmt_num(disk.get('w_s')), fmt_num(disk.get('wkb_s'), 0))],
    ]


def _hogs(record):
    """[label, css class, command, the rest] of the top CPU, memory and I/O process; [label, class] when none."""
    top_cpu = record['top_cpu'][0] if record['top_cpu'] else None
    top_mem = record['top_memory'][0] if record['top_memory'] else None
    top_io = record['top_io'][0] if record['top_io'] else None
    return [
        ['top CPU', 'hog-cpu'] + ([text(top_cpu['command']), 'pid %s · %s %%' % (
            text(top_cpu['pid']), fmt_num(top_cpu['cpu_pct']))] if top_cpu else []),
        ['top memory', 'hog-mem'] + ([text(top_mem['command']), 'pid %s · %s' % (
            text(top_mem['pid']), human_bytes((top_mem['rss_kb'] or 0) * 1024.0))] if top_mem else []),
        ['top I/O', 'hog-io'] + ([text(top_io['command']), 'pid %s · %s' % (
            text(top_io['pid']), human_bytes(io_rate(top_io), '/s'))] if top_io else []),
    ]


def _filesystem_rows(record):
    """[tooltip, mount point, meter, use %, used / size] of the fullest filesystems."""
    return [['%s on %s (%s)' % (text(m['mount_point']), text(m['device']), text(m['fstype'])), text(m['mount_point']),
             meter(m['use_pct'], level(m['use_pct'], 80, 90), 'use'), fmt_pct(m['use_pct']),
             '%s / %s' % (human_bytes(m['used']), human_bytes(m['size']))]
            for m in record['filesystems'][:FILESYSTEMS_SHOWN]]


def _process_cells(p):
    return [text(p['pid']), text(p['user']), fmt_num(p['cpu_pct']), fmt_num(p['mem_pct']),
            human_bytes(None if p['rss_kb'] is None else p['rss_kb'] * 1024.0), text(p['args'])]


def _io_cells(p):
    return [text(p['pid']), text(p['user']), human_bytes(p['read_bytes_s']), human_bytes(p['write_bytes_s']),
            text(p['args']), text(p['file'])]


def _fs_cells(m):
    return [text(m['mount_point']), text(m['fstype']), human_bytes(m['size']), human_bytes(m['used']),
            fmt_pct(m['use_pct']), fmt_pct(m['inodes_use_pct'])]


def _ns_cells(n):
    return [text(n.get('type')), text(n.get('inode')), text(n.get('nprocs')), text(n.get('owner')),
            text(n.get('pinned_by')), text(n.get('command') or n.get('row'))]


def _container_cells(c):
    return [text(c['id']), text(c['runtime']), human_bytes(c['memory_usage_bytes']),
            human_bytes(c['memory_limit_bytes']) if c['memory_limit_bytes'] else 'none',
            fmt_num(c['cpu_usage_seconds']), fmt_num(c['pids_current'], 0)]


def _tables(record):
    """[title, table kind (a key of TABLES), rows of cell texts] for the details fold."""
    tables = [
        ['top CPU', 'cpu', [_process_cells(p) for p in record['top_cpu']]],
        ['top memory', 'cpu', [_process_cells(p) for p in record['top_memory']]],
        ['top I/O', 'io', [_io_cells(p) for p in record['top_io'][:IO_ROWS_SHOWN]]],
        ['filesystems', 'fs', [_fs_cells(m) for m in record['filesystems']]],
    ]
    namespaces = record['namespaces']
    if namespaces is not None:
        kinds = ', '.join('%s %d' % item for item in sorted(namespaces['by_type'].items())) or 'none'
        tables.append(['non-default namespaces (%d; %s)' % (namespaces['count'], kinds), 'ns',
                       [_ns_cells(n) for n in namespaces['entries']]])
    containers = record['containers']
    if containers is not None:
        tables.append(['containers (%d)' % containers['count'], 'containers',
                       [_container_cells(c) for c in containers['entries']]])
    return tables


def card_view(record):
    """Everything the card of one host shows, as text; hosts without facts have only the header and alerts."""
    counts = alert_counts(record)
    state = record['state']
    view = {
        'name': record['name'], 'rank': record['rank'], 'severity': record['severity'], 'state': state,
        'badge': SEVERITY_LABELS[record['severity']],
        'state_label': '' if state == 'ok' else state.replace('_', ' ').upper(),
        'counts': [[kind, counts[kind]] for kind in ('critical', 'warning', 'info') if counts[kind]],
        'alerts': [[a['severity'], a['subset'], a['message']] for a in record['alerts'][:ALERTS_SHOWN]],
        'more_alerts': max(0, len(record['alerts']) - ALERTS_SHOWN),
    }
    if state != 'ok':
        return view
    namespaces, containers, tasks = record['namespaces'], record['containers'], record['tasks'] or {}
    view.update(
        metrics=_metrics(record),
        hogs=_hogs(record),
        filesystems=_filesystem_rows(record),
        details='details: processes, filesystems, I/O, %s namespace(s), %s container(s)' % (
            namespaces['count'] if namespaces else NA, containers['count'] if containers else NA),
        tables=_tables(record),
        findings=record['findings'],
        footnote='tasks %s total, %s running, %s zombie, %s in D · collected %s · interval %s s' % (
            fmt_num(tasks.get('total'), 0), fmt_num(tasks.get('running'), 0), fmt_num(tasks.get('zombie'), 0),
            fmt_num(tasks.get('uninterruptible'), 0), text(record['collected_at']), fmt_num(record['interval'])),
    )
    return view
