# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report's JSON and CSV writers, and the files on the controller: the directory, the modes,
and the atomic write that every format goes through. Private.

Each writer yields its file in pieces, one host at a time, from the pieces the report spooled, so that
a fleet's report is never held as one more string in memory.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pwd
import stat
import tempfile

from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import FleetReportError
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_subsets import io_rate

CSV_COLUMNS = (
    'host', 'state', 'severity', 'rank', 'critical', 'warning', 'info', 'alerts',
    'os', 'kernel', 'ipv4', 'uptime_seconds', 'gathered_at', 'stale',
    'memory_total', 'memory_available_pct', 'swap_used',
    'fullest_mount', 'fullest_use_pct', 'cpu_count', 'load1', 'load_per_cpu', 'cpu_busy_pct', 'iowait_pct',
    'busiest_disk', 'busiest_disk_util_pct', 'top_cpu_pid', 'top_cpu_command', 'top_cpu_pct',
    'top_memory_pid', 'top_memory_command', 'top_memory_rss_kb', 'top_io_pid', 'top_io_command',
    'top_io_bytes_s', 'non_default_namespaces', 'containers', 'collected_at', 'message',
)
RANK_COLUMN = CSV_COLUMNS.index('rank')
# Rows the CSV writer formats before it hands a piece to the file.
CSV_BATCH = 500
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ('=', '+', '-', '@', '\t', '\r')
# Reports are for the operator alone unless the mode option says otherwise.
DEFAULT_MODE = 0o600


# Compact separators keep the C encoder (indent falls back to the slow pure-Python one). One encoder for
# every host, without the check for circular references: records are trees made by the model.
_dumps = json.JSONEncoder(separators=(',', ':'), default=str, check_circular=False).encode


def json_piece(record):
    """A host's record as JSON, without its rank (known only once every host is in)."""
    return _dumps(record)


def json_chunks(report):
    """The report as one JSON object, the head, the summary, then one host per piece."""
    head = dict(report.head, summary=report.summary)
    yield _dumps(head)[:-1] + ',"hosts":['
    for rank, text in report.pieces('json'):
        yield '%s{"rank":%d,%s' % (',' if rank > 1 else '', rank, text[1:])
    yield ']}\n'


def csv_safe(value):
    """A cell a spreadsheet shows as text: one that starts like a formula gets a leading apostrophe."""
    if value is None:
        return ''
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    return value


def _first(items):
    return items[0] if items else {}


def csv_cells(record):
    """A host's CSV cells without the rank (known only once every host is in), safe for a spreadsheet."""
    counts = record['alert_counts']
    fullest, disk, memory = _first(record['filesystems']), record['busiest_disk'] or {}, record['memory'] or {}
    top_cpu, top_mem, top_io = _first(record['top_cpu']), _first(record['top_memory']), _first(record['top_io'])
    system = record['system'] or {}
    cells = [
        record['name'], record['state'], record['severity'], counts['critical'], counts['warning'], counts['info'],
        ' | '.join(a['message'] for a in record['alerts'] if a['severity'] != 'info'),
        system.get('os'), system.get('kernel'), system.get('ipv4'), record['uptime_seconds'],
        record['gathered_at'], 'yes' if record['stale'] else 'no',
        memory.get('total'), memory.get('available_pct'), memory.get('swap_used'),
        fullest.get('mount_point'), fullest.get('use_pct'), record['cpu_count'],
        record['load'][0] if record['load'] else None, record['load_per_cpu'], record['cpu_busy_pct'],
        record['iowait_pct'], disk.get('name'), disk.get('util_pct'),
        top_cpu.get('pid'), top_cpu.get('command'), top_cpu.get('cpu_pct'),
        top_mem.get('pid'), top_mem.get('command'), top_mem.get('rss_kb'),
        top_io.get('pid'), top_io.get('command'), io_rate(top_io) if top_io else None,
        (record['namespaces'] or {}).get('count'), (record['containers'] or {}).get('count'),
        record['collected_at'], record['message'],
    ] + record['columns']
    return [csv_safe(cell) for cell in cells]


def csv_piece_maker():
    """The maker of a host's CSV piece: its row as CSV text without the rank, written once by the csv module.

    The piece is ``N:`` then the row, whose first N characters are the cells before the rank: the writer
    puts the rank there, with no second pass of the csv module over the row (RFC 4180 quotes each cell on
    its own, so the row is the same as if written whole).
    """
    buffer = io.StringIO()
    # RFC 4180's line ending: the writer then quotes a cell holding a lone CR as well as one holding LF,
    # so no host text can start a row of its own.
    writer = csv.writer(buffer, lineterminator='\r\n')

    def piece(record):
        cells = csv_cells(record)
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(cells[:RANK_COLUMN])
        head = buffer.tell() - 2
        writer.writerow(cells[RANK_COLUMN:])
        row = buffer.getvalue()
        return '%d:%s%s' % (head, row[:head], row[head + 2:])
    return piece


def csv_chunks(report):
    """A header (the user's columns last), then one row per host in report order, CSV_BATCH rows a piece."""
    header = io.StringIO()
    csv.writer(header, lineterminator='\r\n').writerow(
        list(CSV_COLUMNS) + [csv_safe(label) for label in report.head['columns']])
    rows = [header.getvalue()]
    for rank, text in report.pieces('csv'):
        head, _colon, row = text.partition(':')
        head = int(head)
        rows.append('%s,%d,%s' % (row[:head], rank, row[head:]))
        if rank % CSV_BATCH == 0:
            yield ''.join(rows)
            rows = []
    if rows:
        yield ''.join(rows)


# ---------------------------------------------------------------- files on the controller

def file_mode(value):
    """The mode option as an int: octal text ('0640') or a number; it must keep the files the owner's."""
    try:
        mode = int(value, 8) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        mode = None
    if mode is None or isinstance(value, bool) or mode & ~0o777 or mode & 0o600 != 0o600:
        raise FleetReportError('mode must be a file mode with read and write for the owner and no special bits, '
                               'such as 0600 or 0644; got %r' % (value,))
    return mode


def directory_mode(mode):
    """The directory beside files of ``mode``: searchable by whoever may read them (0600 -> 0700, 0644 -> 0755)."""
    return mode | 0o100 | (mode & 0o044) >> 2


def _user(uid):
    try:
        return '%s (uid %d)' % (pwd.getpwuid(uid).pw_name, uid)
    except KeyError:
        return 'uid %d' % uid


def _check_owner(dest, uid):
    """Refuse a directory another user owns, or a symlink into one (or one another user placed)."""
    link = os.lstat(dest)
    if stat.S_ISLNK(link.st_mode) and link.st_uid not in (uid, 0):
        raise FleetReportError('dest %s is a symbolic link owned by %s, not by %s who writes the report'
                               % (dest, _user(link.st_uid), _user(uid)))
    target = os.stat(dest)
    if not stat.S_ISDIR(target.st_mode):
        raise FleetReportError('dest %s exists and is not a directory' % dest)
    if target.st_uid != uid:
        where = ' (through the symbolic link to %s)' % os.path.realpath(dest) if stat.S_ISLNK(link.st_mode) else ''
        raise FleetReportError('dest %s%s is owned by %s, not by %s who writes the report: another user could '
                               'read or replace the files; choose a directory of your own'
                               % (dest, where, _user(target.st_uid), _user(uid)))


def prepare_directory(dest, mode=DEFAULT_MODE, create=True):
    """Make sure ``dest`` is a directory of the user's own, created with the directory mode of ``mode``.

    An existing directory keeps its mode (it may be the user's home); only its owner is checked.
    Returns whether the directory was created.
    """
    uid = os.geteuid()
    try:
        _check_owner(dest, uid)
        return False
    except FileNotFoundError:
        if not create:
            return False
    parent = os.path.dirname(os.path.abspath(dest))
    try:
        os.makedirs(parent, exist_ok=True)
        os.mkdir(dest, 0o700)
        os.chmod(dest, directory_mode(mode))
        return True
    except FileExistsError:
        # Someone made it in between: it is checked like any existing directory.
        _check_owner(dest, uid)
        return False
    except OSError as exc:
        raise FleetReportError('dest %s cannot be created as a directory: %s' % (dest, exc.strerror))


def write_atomically(path, chunks, mode=DEFAULT_MODE):
    """Write the pieces next to the target and rename over it: a reader never sees half a report.

    The temporary file is created 0600 (mkstemp) and gets ``mode`` just before the rename. A character
    UTF-8 cannot carry (a lone surrogate, which a host's JSON can hold) is written as ``?`` rather
    than stopping the report.
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
