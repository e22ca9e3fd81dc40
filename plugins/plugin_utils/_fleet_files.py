# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report's JSON and CSV writers, and the atomic file write that every format goes through. Private.

Each writer yields the file in pieces, one host at a time, so that a fleet's report is never held
as one more string in memory beside the records.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile

from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import alert_counts, io_rate

CSV_COLUMNS = (
    'host', 'state', 'severity', 'rank', 'critical', 'warning', 'info', 'alerts',
    'memory_total', 'memory_available_pct', 'swap_used',
    'fullest_mount', 'fullest_use_pct', 'cpu_count', 'load1', 'load_per_cpu', 'cpu_busy_pct', 'iowait_pct',
    'busiest_disk', 'busiest_disk_util_pct', 'top_cpu_pid', 'top_cpu_command', 'top_cpu_pct',
    'top_memory_pid', 'top_memory_command', 'top_memory_rss_kb', 'top_io_pid', 'top_io_command',
    'top_io_bytes_s', 'non_default_namespaces', 'containers', 'collected_at', 'message',
)
# Rows the CSV writer formats before it hands a piece to the file.
CSV_BATCH = 500


def _dumps(value):
    # Compact separators keep the C encoder (indent falls back to the slow pure-Python one).
    return json.dumps(value, separators=(',', ':'), default=str)


def json_chunks(report):
    """The report as one JSON object, exactly as json.dumps writes it, one host per piece."""
    head = dict(report)
    hosts = head.pop('hosts')
    yield _dumps(head)[:-1] + ',"hosts":['
    for index, record in enumerate(hosts):
        yield (',' if index else '') + _dumps(record)
    yield ']}\n'


def csv_row(record):
    counts = alert_counts(record)
    fullest = record['filesystems'][0] if record['filesystems'] else {}
    disk = record['busiest_disk'] or {}
    memory = record['memory'] or {}
    top_cpu = record['top_cpu'][0] if record['top_cpu'] else {}
    top_mem = record['top_memory'][0] if record['top_memory'] else {}
    top_io = record['top_io'][0] if record['top_io'] else {}
    values = {
        'host': record['name'], 'state': record['state'], 'severity': record['severity'], 'rank': record['rank'],
        'critical': counts['critical'], 'warning': counts['warning'], 'info': counts['info'],
        'alerts': ' | '.join(a['message'] for a in record['alerts'] if a['severity'] != 'info'),
        'memory_total': memory.get('total'), 'memory_available_pct': memory.get('available_pct'),
        'swap_used': memory.get('swap_used'),
        'fullest_mount': fullest.get('mount_point'), 'fullest_use_pct': fullest.get('use_pct'),
        'cpu_count': record['cpu_count'], 'load1': record['load'][0] if record['load'] else None,
        'load_per_cpu': record['load_per_cpu'], 'cpu_busy_pct': record['cpu_busy_pct'],
        'iowait_pct': record['iowait_pct'],
        'busiest_disk': disk.get('name'), 'busiest_disk_util_pct': disk.get('util_pct'),
        'top_cpu_pid': top_cpu.get('pid'), 'top_cpu_command': top_cpu.get('command'),
        'top_cpu_pct': top_cpu.get('cpu_pct'),
        'top_memory_pid': top_mem.get('pid'), 'top_memory_command': top_mem.get('command'),
        'top_memory_rss_kb': top_mem.get('rss_kb'),
        'top_io_pid': top_io.get('pid'), 'top_io_command': top_io.get('command'),
        'top_io_bytes_s': io_rate(top_io) if top_io else None,
        'non_default_namespaces': (record['namespaces'] or {}).get('count'),
        'containers': (record['containers'] or {}).get('count'),
        'collected_at': record['collected_at'], 'message': record['message'],
    }
    return ['' if values[c] is None else values[c] for c in CSV_COLUMNS]


def csv_chunks(report):
    """A header, then one row per host in report order, in pieces of CSV_BATCH rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator='\n')
    writer.writerow(CSV_COLUMNS)
    hosts = report['hosts']
    for start in range(0, len(hosts), CSV_BATCH):
        writer.writerows(csv_row(record) for record in hosts[start:start + CSV_BATCH])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def write_atomically(path, chunks, mode=0o644):
    """Write the pieces next to the target and rename over it: a reader never sees half a report.

    A character UTF-8 cannot carry (a lone surrogate, which a host's JSON can hold) is written as ``?``
    rather than stopping the report.
    """
    directory = os.path.dirname(path) or '.'
    handle, tmp_path = tempfile.mkstemp(prefix='.fleet-report-', dir=directory)
    try:
        with os.fdopen(handle, 'w', encoding='utf-8', errors='replace') as stream:
            for chunk in chunks:
                stream.write(chunk)
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)
        raise
