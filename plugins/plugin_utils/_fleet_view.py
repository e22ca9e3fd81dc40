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

import ipaddress

from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import FleetReportError, alert_counts
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_subsets import io_rate
from ansible_collections.hostops.fleet.plugins.plugin_utils._format import (
    NA, fmt_num, fmt_pct, human_bytes, text, uptime_text,
)

SEVERITY_LABELS = {'critical': 'CRITICAL', 'warning': 'WARNING', 'info': 'INFO', 'ok': 'OK'}
ALERTS_SHOWN = 6
# The texts of hostfacts' warnings shown on a card (the record keeps FINDINGS_KEPT of them, each cut).
WARNINGS_SHOWN = 3
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
    """What the page's filter box matches: name, state, severity, alerts, the hottest processes, the identity."""
    system = record['system'] or {}
    return ' '.join([record['name'], record['state'], record['severity']] + ['stale'] * record['stale']
                    + [a['message'] for a in record['alerts'][:ALERTS_SHOWN]]
                    + [p['command'] or '' for p in record['top_cpu'][:1] + record['top_memory'][:1]
                       + record['top_io'][:1]]
                    + [system.get(key) or '' for key in ('hostname', 'os', 'kernel', 'ipv4', 'ipv6')]).lower()


def identity(record):
    """One line of who the host is: OS, kernel and machine, address and interface, uptime."""
    system = record['system'] or {}
    parts = [system.get('os'), ' '.join(p for p in (system.get('kernel'), system.get('machine')) if p)]
    address = system.get('ipv4') or system.get('ipv6')
    if address:
        parts.append('%s (%s)' % (address, system['interface']) if system.get('interface') else address)
    if record['uptime_seconds'] is not None:
        parts.append('up ' + uptime_text(record['uptime_seconds']))
    return ' · '.join(part for part in parts if part)


def gathered(record):
    """When the facts were gathered, and how long ago: '2026-11-29T10:00:00Z, 1 day(s), 2:00 ago'."""
    if record['gathered_at'] is None:
        return 'gathered n/a'
    age = record['age_seconds']
    return 'gathered %s, %s' % (record['gathered_at'], '%s ago' % uptime_text(age) if age >= 0 else 'in the future')


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
        'name': record['name'], 'severity': record['severity'], 'state': state,
        'badge': SEVERITY_LABELS[record['severity']],
        'state_label': ' '.join(([] if state == 'ok' else [state.replace('_', ' ').upper()])
                                + (['STALE'] if record['stale'] else [])),
        'identity': identity(record),
        'counts': [[kind, counts[kind]] for kind in ('critical', 'warning', 'info') if counts[kind]],
        'alerts': [[a['severity'], a['subset'], a['message']] for a in record['alerts'][:ALERTS_SHOWN]],
        'more_alerts': max(0, len(record['alerts']) - ALERTS_SHOWN),
        'warnings': record['warnings'][:WARNINGS_SHOWN],
        'more_warnings': max(0, len(record['warnings']) - WARNINGS_SHOWN),
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
        footnote='tasks %s total, %s running, %s zombie, %s in D · %s · interval %s s' % (
            fmt_num(tasks.get('total'), 0), fmt_num(tasks.get('running'), 0), fmt_num(tasks.get('zombie'), 0),
            fmt_num(tasks.get('uninterruptible'), 0), gathered(record), fmt_num(record['interval'])),
    )
    return view


# ---------------------------------------------------------------- the table of every host

def _address_key(address):
    """IP addresses sort by number (10.0.0.9 before 10.0.0.10), IPv4 before IPv6; n/a last."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return None
    return float(int(parsed)) + (0.0 if parsed.version == 4 else 2.0 ** 32)


def _fullest(record):
    fullest = record['filesystems'][0] if record['filesystems'] else {}
    if not fullest:
        return [None, NA]
    return [fullest['use_pct'], '%s %s' % (fmt_pct(fullest['use_pct']), text(fullest['mount_point']))]


def _alerts_cell(record):
    counts = alert_counts(record)
    words = ['%d %s' % (counts[kind], kind) for kind in ('critical', 'warning', 'info') if counts[kind]]
    return [counts['critical'] * 1e6 + counts['warning'] * 1e3 + counts['info'], ', '.join(words) or 'none']


def _percent_cell(pct):
    return [pct, fmt_pct(pct)]


def _address_cell(record):
    system = record['system'] or {}
    address = system.get('ipv4') or system.get('ipv6')
    return [_address_key(address) if address else None, text(address)]


# Each column: its label, and its cell: text (sorted as text) or [sort key or null, text] (sorted by key).
TABLE_COLUMNS = {
    'host': ('host', lambda r: r['name']),
    'os': ('OS', lambda r: text((r['system'] or {}).get('os'))),
    'kernel': ('kernel', lambda r: text((r['system'] or {}).get('kernel'))),
    'ip': ('IP', _address_cell),
    'uptime': ('uptime', lambda r: [r['uptime_seconds'], uptime_text(r['uptime_seconds'])]),
    'load_per_cpu': ('load / CPU', lambda r: [r['load_per_cpu'], fmt_num(r['load_per_cpu'], 2)]),
    'memory_available_pct': ('memory available', lambda r: _percent_cell((r['memory'] or {}).get('available_pct'))),
    'fullest_filesystem': ('fullest filesystem', _fullest),
    'iowait': ('iowait', lambda r: [r['iowait_pct'], fmt_pct(r['iowait_pct'], 1)]),
    'alerts': ('alerts', _alerts_cell),
    'gathered': ('gathered', lambda r: [r['age_seconds'], text(r['gathered_at'])]),
    'state': ('state', lambda r: r['state'] + (' stale' if r['stale'] else '')),
}
DEFAULT_TABLE = ('host', 'os', 'kernel', 'ip', 'uptime', 'load_per_cpu', 'memory_available_pct',
                 'fullest_filesystem', 'iowait', 'alerts', 'gathered')


def table_columns(names):
    """The built-in columns the user chose, checked; FleetReportError names the unknown one."""
    for name in names:
        if name not in TABLE_COLUMNS:
            raise FleetReportError('columns: %r is not a column of the table; the columns are: %s, or a '
                                   'mapping with label and query' % (name, ', '.join(TABLE_COLUMNS)))
    return tuple(names)


def user_cell(value):
    """A user column's value: numbers sort as numbers, everything else as text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return [value, '%d' % value]
    if isinstance(value, float):
        return [value, fmt_num(value, 0 if value.is_integer() else 2)]
    return text(value) if not isinstance(value, bool) else str(value).lower()


def table_row(record, columns):
    """[severity, state, search text, cells of the built-in columns then of the user's columns, 1 if stale]."""
    return [record['severity'], record['state'], search_text(record),
            [TABLE_COLUMNS[name][1](record) for name in columns] + [user_cell(v) for v in record['columns']],
            1 if record['stale'] else 0]
