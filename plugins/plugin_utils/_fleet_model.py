# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report's model of one host: its hostfacts (or its failure) reduced to a small record. Private.

Pure and standard library only, so it is tested and benchmarked without Ansible. Memory stays flat
with the fleet: a record keeps the top few processes and the fullest filesystems, never the facts.

``summarize_host`` is total. Every host may be hostile, so whatever its facts hold (an integer too
large for a float, a list where a pid belongs, inodes of mixed types, nothing at all), the host
becomes a record: a value of the wrong type makes it a ``malformed`` record of its own, with the
place named, and the other hosts are not affected. A subset the host did not report is n/a.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.hostops.fleet.plugins.plugin_utils._format import human_bytes, owner_text
from ansible_collections.hostops.fleet.plugins.plugin_utils._untrusted import (
    MalformedFacts, entries, integer, kind_of, number, section, string, texts,
)

SEVERITIES = ('critical', 'warning', 'info', 'ok')
SEVERITY_RANK = dict((name, rank) for rank, name in enumerate(SEVERITIES))
STATES = ('ok', 'unreachable', 'failed', 'no_facts', 'malformed')

DEFAULT_LIMITS = {
    # A single process at or above this share of one CPU over the sampling interval.
    'process_cpu_pct': 80.0,
    # A single process holding at least this share of the host's memory (RSS).
    'process_mem_pct': 25.0,
    # A single process reading or writing at least this many MiB per second.
    'process_io_mib_s': 10.0,
    # The 1-minute load average divided by the number of CPUs.
    'load_per_cpu': 1.0,
}

# How much of each host the report keeps: enough to answer "what is wrong and who does it".
TOP_PROCESSES = 5
TOP_FILESYSTEMS = 6
TOP_NAMESPACES = 5
TOP_CONTAINERS = 5
# Process arguments are cut to this many characters in the report (hostfacts keeps up to cmdline_length).
ARGS_LENGTH = 120
# The subsets a record is made of: facts with none of them have nothing to report.
SUBSETS = ('processes', 'memory', 'filesystems', 'io', 'namespaces', 'containers')
MIB = 1024.0 * 1024.0

_NO_FACTS_WHY = {
    'unreachable': 'host unreachable',
    'failed': 'hostfacts failed',
    'no_facts': 'no hostfacts: the host was not part of the gathering run',
    'malformed': 'malformed facts',
}


class FleetReportError(Exception):
    """Bad input to the renderer (unknown limit, bad page size): the action plugin turns it into a failure."""


def validate_limits(limits):
    """Merge user limits over the defaults, naming the offending key on bad input."""
    merged = dict(DEFAULT_LIMITS)
    for key, value in (limits or {}).items():
        if key not in DEFAULT_LIMITS:
            raise FleetReportError('limits.%s is not a known limit; known limits are: %s'
                                   % (key, ', '.join(sorted(DEFAULT_LIMITS))))
        if value is None:
            continue
        try:
            limit = number({key: value}, key, 'limits')
        except MalformedFacts:
            limit = None
        if limit is None or limit < 0:
            raise FleetReportError('limits.%s must be a number of 0 or more, got %r' % (key, value))
        merged[key] = limit
    return merged


# ---------------------------------------------------------------- the parts of a record

def _args(row, key, where):
    return (string(row, key, where) or '')[:ARGS_LENGTH] or None


def _process(row, where):
    """The few columns of a ps row the report shows."""
    return {
        'pid': integer(row, 'pid', where),
        'user': string(row, 'user', where),
        'command': string(row, 'command', where) or string(row, 'comm', where),
        'args': _args(row, 'args', where) or _args(row, 'command', where),
        'cpu_pct': number(row, 'cpu_pct', where),
        'mem_pct': number(row, 'mem_pct', where),
        'rss_kb': number(row, 'rss_kb', where),
        'state': string(row, 'state', where),
    }


def _io_process(row):
    files = entries(row, 'open_files', 'io.top[].open_files')
    return {
        'pid': integer(row, 'pid', 'io.top[]'),
        'user': string(row, 'user', 'io.top[]'),
        'command': string(row, 'comm', 'io.top[]'),
        'args': _args(row, 'command', 'io.top[]'),
        'read_bytes_s': number(row, 'read_bytes_s', 'io.top[]'),
        'write_bytes_s': number(row, 'write_bytes_s', 'io.top[]'),
        'file': string(files[0], 'path', 'io.top[].open_files[]') if files else None,
        'file_mount': string(files[0], 'mount_point', 'io.top[].open_files[]') if files else None,
    }


def io_rate(proc):
    return (proc['read_bytes_s'] or 0.0) + (proc['write_bytes_s'] or 0.0)


def _filesystems(facts):
    where = 'filesystems.mounts[]'
    mounts = []
    for mount in entries(section(facts, 'filesystems', 'hostfacts') or {}, 'mounts', 'filesystems'):
        mounts.append({
            'mount_point': string(mount, 'mount_point', where),
            'device': string(mount, 'device', where),
            'fstype': string(mount, 'fstype', where),
            'size': number(mount, 'size', where),
            'used': number(mount, 'used', where),
            'available': number(mount, 'available', where),
            'use_pct': number(mount, 'use_pct', where),
            'inodes_use_pct': number(mount, 'inodes_use_pct', where),
            'status': string(mount, 'status', where),
        })
    mounts.sort(key=lambda m: (-(m['use_pct'] or 0.0), m['mount_point'] or ''))
    return mounts[:TOP_FILESYSTEMS]


def _busiest_disk(io_facts):
    where = 'io.disks[]'
    best = None
    for disk in entries(io_facts, 'disks', 'io'):
        if string(disk, 'kind', where) not in ('disk', None):
            continue
        util = number(disk, 'util_pct', where)
        if best is None or (util or 0.0) > (best['util_pct'] or 0.0):
            best = {'name': string(disk, 'name', where), 'util_pct': util,
                    'mounts': texts(disk, 'mounts', where)[:4]}
            for key in ('r_s', 'w_s', 'rkb_s', 'wkb_s', 'w_await', 'r_await'):
                best[key] = number(disk, key, where)
    return best


def _io(record, io_facts):
    record['iowait_pct'] = number(io_facts, 'iowait_pct', 'io')
    record['busiest_disk'] = _busiest_disk(io_facts)
    hogs = {}
    for row in entries(io_facts, 'top_writers', 'io') + entries(io_facts, 'top_readers', 'io'):
        proc = _io_process(row)
        hogs.setdefault(proc['pid'], proc)
    record['top_io'] = sorted(hogs.values(), key=lambda p: -io_rate(p))[:TOP_PROCESSES]
    record['d_state'] = len(entries(io_facts, 'd_state', 'io'))
    record['findings'] = texts(io_facts, 'findings', 'io')


def _namespace(entry):
    where = 'namespaces.namespaces[]'
    pins = entries(entry, 'pinned_by', where)
    return {
        'type': string(entry, 'type', where) or '?',
        'inode': integer(entry, 'inode', where),
        'nprocs': integer(entry, 'nprocs', where),
        'pid': integer(entry, 'pid', where),
        'command': _args(entry, 'command', where),
        'owner': owner_text(section(entry, 'owner', where)),
        'pinned_by': ', '.join(string(p, 'name', where + '.pinned_by[]') or string(p, 'path', where + '.pinned_by[]')
                               or '?' for p in pins) or None,
    }


def _namespaces(facts):
    subset = section(facts, 'namespaces', 'hostfacts')
    if subset is None:
        return None
    shown = [_namespace(e) for e in entries(subset, 'namespaces', 'namespaces') if not e.get('default')]
    if not shown and subset.get('non_default'):
        # An older fact shape: only the one-line table rows.
        rows = texts(subset, 'non_default', 'namespaces')
        return {'count': len(rows), 'by_type': {}, 'pinned_only': [],
                'entries': [{'row': row} for row in rows[:TOP_NAMESPACES]]}
    by_type = {}
    for item in shown:
        by_type[item['type']] = by_type.get(item['type'], 0) + 1
    pinned = [item for item in shown if item['pinned_by'] and not item['nprocs']]
    # Namespaces with no process first: they are the ones lsns and ps never show.
    shown.sort(key=lambda e: (bool(e['nprocs']), e['type'], e['inode'] or 0))
    return {'count': len(shown), 'by_type': by_type, 'pinned_only': pinned, 'entries': shown[:TOP_NAMESPACES]}


def _containers(facts):
    rows = facts.get('containers')
    if rows is None:
        return None
    if isinstance(rows, Mapping):
        rows = rows.get('containers') or []
    where = 'containers[]'
    found = []
    for row in entries({'containers': rows}, 'containers', 'hostfacts'):
        found.append({
            'id': (string(row, 'id', where) or '')[:12] or None,
            'runtime': string(row, 'runtime', where),
            'name': string(row, 'name', where),
            'memory_usage_bytes': number(row, 'memory_usage_bytes', where),
            'memory_limit_bytes': number(row, 'memory_limit_bytes', where),
            'cpu_usage_seconds': number(row, 'cpu_usage_seconds', where),
            'pids_current': number(row, 'pids_current', where),
        })
    found.sort(key=lambda c: -(c['memory_usage_bytes'] or 0.0))
    return {'count': len(found), 'entries': found[:TOP_CONTAINERS]}


def _processes(record, processes):
    record['uptime_seconds'] = number(processes, 'uptime_seconds', 'processes')
    record['cpu_count'] = number(processes, 'cpu_count', 'processes')
    load = section(processes, 'load', 'processes')
    if load is not None:
        record['load'] = [number(load, key, 'processes.load') for key in ('load1', 'load5', 'load15')]
        if record['load'][0] is not None and record['cpu_count']:
            record['load_per_cpu'] = round(record['load'][0] / record['cpu_count'], 2)
    cpu = section(processes, 'cpu', 'processes')
    if cpu is not None:
        record['cpu'] = dict((key, number(cpu, key, 'processes.cpu'))
                             for key in ('us', 'sy', 'ni', 'id', 'wa', 'hi', 'si', 'st'))
        if record['cpu']['id'] is not None:
            record['cpu_busy_pct'] = round(100.0 - record['cpu']['id'], 1)
    tasks = section(processes, 'tasks', 'processes')
    if tasks is not None:
        record['tasks'] = dict((key, number(tasks, key, 'processes.tasks')) for key in
                               ('total', 'running', 'sleeping', 'stopped', 'zombie', 'uninterruptible'))
    for key in ('top_cpu', 'top_memory'):
        where = 'processes.%s[]' % key
        record[key] = [_process(row, where) for row in entries(processes, key, 'processes')[:TOP_PROCESSES]]


def _memory(facts):
    memory = section(facts, 'memory', 'hostfacts')
    if not memory:
        return None
    summary = dict((key, number(memory, key, 'memory')) for key in
                   ('total', 'used', 'available', 'available_pct', 'buff_cache', 'swap_total', 'swap_used'))
    summary['status'] = string(memory, 'status', 'memory')
    return summary


# ---------------------------------------------------------------- alerts and the record

def _alert(severity, subset, message):
    return {'severity': severity, 'subset': subset, 'message': message}


def _host_alerts(facts):
    """The module's own alerts; a severity it should not have counts as a warning."""
    alerts = []
    for alert in entries(facts, 'alerts', 'hostfacts'):
        severity = alert.get('severity')
        alerts.append(_alert(severity if severity in ('critical', 'warning', 'info') else 'warning',
                             string(alert, 'subset', 'alerts[]') or '?',
                             string(alert, 'message', 'alerts[]') or '(no message)'))
    return alerts


def _process_alerts(record, limits):
    """The busy process, the big one and the I/O hog, named."""
    alerts = []
    top = record['top_cpu'][0] if record['top_cpu'] else None
    if top and top['cpu_pct'] is not None and top['cpu_pct'] >= limits['process_cpu_pct']:
        alerts.append(_alert('warning', 'processes', 'pid %s (%s) uses %.0f %% CPU'
                             % (top['pid'], top['command'], top['cpu_pct'])))
    big = record['top_memory'][0] if record['top_memory'] else None
    if big and big['mem_pct'] is not None and big['mem_pct'] >= limits['process_mem_pct']:
        alerts.append(_alert('warning', 'memory', 'pid %s (%s) holds %s resident, %.0f %% of memory'
                             % (big['pid'], big['command'], human_bytes((big['rss_kb'] or 0) * 1024.0),
                                big['mem_pct'])))
    hog = record['top_io'][0] if record['top_io'] else None
    if hog and io_rate(hog) >= limits['process_io_mib_s'] * MIB:
        verb = 'writes' if (hog['write_bytes_s'] or 0) >= (hog['read_bytes_s'] or 0) else 'reads'
        target = ' to %s' % hog['file'] if hog['file'] and verb == 'writes' else (
            ' from %s' % hog['file'] if hog['file'] else '')
        alerts.append(_alert('warning', 'io', 'pid %s (%s) %s %.1f MiB/s%s'
                             % (hog['pid'], hog['command'], verb, io_rate(hog) / MIB, target)))
    return alerts


def _derived_alerts(record, limits):
    """What the report adds to the module's alerts: named processes, load, D state, pins, partial facts."""
    alerts = _process_alerts(record, limits)
    if record['load_per_cpu'] is not None and record['load_per_cpu'] >= limits['load_per_cpu']:
        alerts.append(_alert('warning', 'processes', 'load %.2f on %d CPU(s)'
                             % (record['load'][0], record['cpu_count'])))
    if record['d_state']:
        alerts.append(_alert('info', 'io', '%d process(es) seen in D state (uninterruptible I/O wait)'
                             % record['d_state']))
    for entry in (record['namespaces'] or {}).get('pinned_only', []):
        alerts.append(_alert('info', 'namespaces', '%s namespace %s has no process, pinned by %s'
                             % (entry['type'], entry['inode'], entry['pinned_by'])))
    if record['warnings']:
        alerts.append(_alert('info', 'facts', 'facts are partial: %d warning(s) from hostfacts'
                             % len(record['warnings'])))
    return alerts


def _pressure(record):
    """A continuous score that orders hosts of equal severity: the busier the host, the higher."""
    score = 0.0
    if record['top_cpu'] and record['top_cpu'][0]['cpu_pct']:
        score += record['top_cpu'][0]['cpu_pct'] / 100.0
    if record['top_memory'] and record['top_memory'][0]['mem_pct']:
        score += record['top_memory'][0]['mem_pct'] / 25.0
    if record['top_io']:
        score += min(io_rate(record['top_io'][0]) / (10 * MIB), 5.0)
    memory_pct = record['memory']['available_pct'] if record['memory'] else None
    if memory_pct is not None:
        score += (100.0 - memory_pct) / 100.0
    if record['filesystems'] and record['filesystems'][0]['use_pct'] is not None:
        score += record['filesystems'][0]['use_pct'] / 100.0
    if record['load_per_cpu']:
        score += min(record['load_per_cpu'], 10.0) / 2.0
    if record['iowait_pct']:
        score += record['iowait_pct'] / 50.0
    if record['namespaces']:
        score += min(record['namespaces']['count'], 50) / 100.0
    return round(score, 4)


def empty_record(name, state, message):
    return {
        'name': name, 'state': state, 'message': message, 'severity': 'ok', 'alerts': [], 'warnings': [],
        'score': 0.0, 'rank': None, 'collected_at': None, 'interval': None, 'uptime_seconds': None,
        'cpu_count': None, 'load': None, 'load_per_cpu': None, 'cpu': None, 'cpu_busy_pct': None,
        'iowait_pct': None, 'tasks': None, 'memory': None, 'filesystems': [], 'busiest_disk': None,
        'top_cpu': [], 'top_memory': [], 'top_io': [], 'd_state': 0, 'findings': [],
        'namespaces': None, 'containers': None,
    }


def _record_without_facts(name, state, message):
    """A host the report has no facts of: unreachable, failed, never gathered, or with malformed facts."""
    record = empty_record(name, state, message)
    why = _NO_FACTS_WHY[state]
    record['alerts'] = [_alert('warning' if state == 'no_facts' else 'critical', 'host',
                               '%s%s' % (why, ': ' + message if message else ''))]
    record['severity'] = record['alerts'][0]['severity']
    return record


def _outcome(facts, outcome):
    """(state, message) from what the gathering task left; no facts and no outcome is no_facts."""
    outcome = outcome if isinstance(outcome, Mapping) else {}
    state = outcome.get('state')
    if state is None:
        state = 'ok' if facts is not None else 'no_facts'
    elif state not in STATES:
        state = 'failed'
    message = outcome.get('msg')
    message = None if message in (None, '') else str(message)
    if state == 'ok' and facts is None:
        state, message = 'no_facts', message or 'the gathering task returned no hostfacts'
    return state, message


def _facts_record(name, facts, limits):
    if not isinstance(facts, Mapping):
        raise MalformedFacts('hostfacts is %s, not a mapping' % kind_of(facts))
    if not any(facts.get(subset) is not None for subset in SUBSETS):
        raise MalformedFacts('hostfacts holds none of the subsets %s' % ', '.join(SUBSETS)
                             if facts else 'hostfacts is empty')
    record = empty_record(name, 'ok', None)
    record['collected_at'] = string(facts, 'collected_at', 'hostfacts')
    record['interval'] = number(facts, 'interval', 'hostfacts')
    _processes(record, section(facts, 'processes', 'hostfacts') or {})
    record['memory'] = _memory(facts)
    record['filesystems'] = _filesystems(facts)
    io_facts = section(facts, 'io', 'hostfacts')
    if io_facts is not None:
        _io(record, io_facts)
    if record['iowait_pct'] is None and record['cpu']:
        record['iowait_pct'] = record['cpu']['wa']
    record['namespaces'] = _namespaces(facts)
    record['containers'] = _containers(facts)
    record['warnings'] = texts(facts, 'warnings', 'hostfacts')
    alerts = _host_alerts(facts) + _derived_alerts(record, limits)
    alerts.sort(key=lambda a: SEVERITY_RANK[a['severity']])
    record['alerts'] = alerts
    record['severity'] = alerts[0]['severity'] if alerts else 'ok'
    record['score'] = _pressure(record)
    return record


def summarize_host(name, facts=None, outcome=None, limits=None):
    """The report's record of one host from its hostfacts (or its failure). Never raises.

    ``outcome`` is what the gathering task left: ``{'state': 'ok'|'failed'|'unreachable', 'msg': ...}``;
    with no facts and no outcome the host is ``no_facts`` (not part of the gathering run).
    """
    try:
        name = str(name)
        state, message = _outcome(facts, outcome)
        if state != 'ok':
            return _record_without_facts(name, state, message)
        return _facts_record(name, facts, limits or DEFAULT_LIMITS)
    except MalformedFacts as exc:
        return _record_without_facts(name, 'malformed', str(exc))
    except Exception as exc:  # pylint: disable=broad-exception-caught
        # Whatever else a host's facts provoke (a string too long to convert, nesting too deep), that
        # host alone is marked; one hostile host never stops the report of the others.
        return _record_without_facts(str(name)[:200] if isinstance(name, str) else '?', 'malformed',
                                     'the report cannot read these facts (%s)' % type(exc).__name__)


def alert_counts(record):
    counts = {'critical': 0, 'warning': 0, 'info': 0}
    for alert in record['alerts']:
        counts[alert['severity']] += 1
    return counts


def sort_key(record):
    """Most severe first; then more critical, more warning alerts; then the busier host; then the name."""
    counts = alert_counts(record)
    return (SEVERITY_RANK[record['severity']], -counts['critical'], -counts['warning'], -counts['info'],
            -record['score'], record['name'])
