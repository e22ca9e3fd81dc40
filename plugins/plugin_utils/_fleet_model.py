# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report's model of one host: its hostfacts (or its failure) reduced to a small record. Private.

Pure and standard library only, so it is tested and benchmarked without Ansible. Memory stays flat
with the fleet: a record keeps the top few processes and the fullest filesystems, never the facts
(the subsets are read by _fleet_subsets.py).

``summarize_host`` is total. Every host may be hostile, so whatever its facts hold (an integer too
large for a float, a list where a pid belongs, inodes of mixed types, nothing at all), the host
becomes a record: a value of the wrong type makes it a ``malformed`` record of its own, with the
place named, and the other hosts are not affected. A subset the host did not report is n/a.
"""

from __future__ import annotations

import datetime
import json
import re
import time
from collections.abc import Mapping

from ansible_collections.hostops.fleet.plugins.plugin_utils import _fleet_subsets as subsets
from ansible_collections.hostops.fleet.plugins.plugin_utils._format import human_bytes, uptime_text
from ansible_collections.hostops.fleet.plugins.plugin_utils._untrusted import (
    MalformedFacts, count, cut, entries, kind_of, number, section, string, texts,
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

# The subsets a record is made of: facts with none of them have nothing to report.
SUBSETS = ('processes', 'memory', 'filesystems', 'io', 'namespaces', 'containers', 'system')
MIB = 1024.0 * 1024.0
# A host name (from the inventory or a fact cache's keys) longer than a DNS name is cut.
NAME_LENGTH = 255
# Alerts kept per host, most severe first (all of them are counted); the alert subset is a short word.
ALERTS_KEPT = 20
SUBSET_LENGTH = SHORT_LENGTH = subsets.SHORT_LENGTH
MESSAGE_LENGTH = subsets.MESSAGE_LENGTH
# A user column's value (a JMESPath result) is cut to this many characters.
COLUMN_LENGTH = 256
TIME_FORMATS = ('%Y-%m-%dT%H:%M:%S%z', '%Y-%m-%dT%H:%M:%S.%f%z')
# The subset of TIME_FORMATS that gatherings write, read without strptime (ASCII digits only: strptime's
# \d takes any Unicode digit, and such texts are left to it).
_COMMON_TIME = re.compile(r'([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?'
                          r'(?:(Z)|([+-])([0-9]{2}):?([0-9]{2}))\Z')

# Why a host can fail the report task (fleet_report's fail_on): the states of a run that went wrong, and
# critical, a host whose facts carry a critical alert (a full filesystem, memory exhausted).
FAIL_REASONS = ('unreachable', 'failed', 'malformed', 'critical')
FAIL_WORDS = {'unreachable': 'unreachable', 'failed': 'failed to gather', 'malformed': 'with malformed facts',
              'critical': 'with a critical alert'}
# A run that could not see a host fails by default; a critical alert is what the report is there to show,
# and a fleet always has some, so failing on it is a choice (fail_on: [..., critical]).
DEFAULT_FAIL_ON = ('unreachable', 'failed', 'malformed')

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


# ---------------------------------------------------------------- alerts and the record

def _alert(severity, subset, message):
    # A message names processes and files of the host: cut like any host text.
    return {'severity': severity, 'subset': subset, 'message': cut(message, MESSAGE_LENGTH)}


def _host_alerts(facts):
    """The module's own alerts; a severity it should not have counts as a warning."""
    alerts = []
    for alert in entries(facts, 'alerts', 'hostfacts'):
        severity = alert.get('severity')
        alerts.append(_alert(severity if severity in ('critical', 'warning', 'info') else 'warning',
                             string(alert, 'subset', 'alerts[]', SUBSET_LENGTH) or '?',
                             string(alert, 'message', 'alerts[]', MESSAGE_LENGTH) or '(no message)'))
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
    if hog and subsets.io_rate(hog) >= limits['process_io_mib_s'] * MIB:
        verb = 'writes' if (hog['write_bytes_s'] or 0) >= (hog['read_bytes_s'] or 0) else 'reads'
        target = ' to %s' % hog['file'] if hog['file'] and verb == 'writes' else (
            ' from %s' % hog['file'] if hog['file'] else '')
        alerts.append(_alert('warning', 'io', 'pid %s (%s) %s %.1f MiB/s%s'
                             % (hog['pid'], hog['command'], verb, subsets.io_rate(hog) / MIB, target)))
    return alerts


def _derived_alerts(record, limits, warnings):
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
    if warnings:
        alerts.append(_alert('info', 'facts', 'facts are partial: %d warning(s) from hostfacts' % warnings))
    return alerts


def _pressure(record):
    """A continuous score that orders hosts of equal severity: the busier the host, the higher."""
    score = 0.0
    if record['top_cpu'] and record['top_cpu'][0]['cpu_pct']:
        score += record['top_cpu'][0]['cpu_pct'] / 100.0
    if record['top_memory'] and record['top_memory'][0]['mem_pct']:
        score += record['top_memory'][0]['mem_pct'] / 25.0
    if record['top_io']:
        score += min(subsets.io_rate(record['top_io'][0]) / (10 * MIB), 5.0)
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
        'name': name, 'state': state, 'message': message, 'severity': 'ok', 'alerts': [],
        'alert_counts': {'critical': 0, 'warning': 0, 'info': 0}, 'warnings': [],
        'score': 0.0, 'collected_at': None, 'gathered_at': None, 'age_seconds': None, 'stale': False,
        'interval': None, 'system': None, 'uptime_seconds': None,
        'cpu_count': None, 'load': None, 'load_per_cpu': None, 'cpu': None, 'cpu_busy_pct': None,
        'iowait_pct': None, 'tasks': None, 'memory': None, 'filesystems': [], 'busiest_disk': None,
        'top_cpu': [], 'top_memory': [], 'top_io': [], 'd_state': 0, 'findings': [],
        'namespaces': None, 'containers': None, 'columns': [],
    }


def _set_alerts(record, alerts):
    """Most severe first; every alert counted, the first ALERTS_KEPT kept."""
    alerts.sort(key=lambda a: SEVERITY_RANK[a['severity']])
    counts = {'critical': 0, 'warning': 0, 'info': 0}
    for alert in alerts:
        counts[alert['severity']] += 1
    record['alerts'] = alerts[:ALERTS_KEPT]
    record['alert_counts'] = counts
    record['severity'] = alerts[0]['severity'] if alerts else 'ok'


def _record_without_facts(name, state, message):
    """A host the report has no facts of: unreachable, failed, never gathered, or with malformed facts."""
    record = empty_record(name, state, message)
    why = _NO_FACTS_WHY[state]
    _set_alerts(record, [_alert('warning' if state == 'no_facts' else 'critical', 'host',
                                '%s%s' % (why, ': ' + message if message else ''))])
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
    message = None if message in (None, '') else cut(str(message), MESSAGE_LENGTH)
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
    record['collected_at'] = string(facts, 'collected_at', 'hostfacts', 64)
    record['interval'] = number(facts, 'interval', 'hostfacts')
    subsets.read_processes(record, section(facts, 'processes', 'hostfacts') or {})
    subsets.read_system(record, facts)
    record['memory'] = subsets.read_memory(facts)
    record['filesystems'] = subsets.read_filesystems(facts)
    io_facts = section(facts, 'io', 'hostfacts')
    if io_facts is not None:
        subsets.read_io(record, io_facts)
    if record['iowait_pct'] is None and record['cpu']:
        record['iowait_pct'] = record['cpu']['wa']
    record['namespaces'] = subsets.read_namespaces(facts)
    record['containers'] = subsets.read_containers(facts)
    record['warnings'] = texts(facts, 'warnings', 'hostfacts', MESSAGE_LENGTH, subsets.FINDINGS_KEPT)
    warnings = count(facts, 'warnings', 'hostfacts')
    _set_alerts(record, _host_alerts(facts) + _derived_alerts(record, limits, warnings))
    record['score'] = _pressure(record)
    return record


def _common_time(text):
    """parse_time of the shape every gathering writes (2026-11-29T10:00:00Z, +01:00, fractions), without
    strptime, which costs ten times more; None for anything else, which strptime then judges."""
    match = _COMMON_TIME.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, utc, sign, hours, minutes = match.groups()
    offset = datetime.timedelta(0) if utc else datetime.timedelta(hours=int(hours), minutes=int(minutes))
    try:
        return datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                                 int((fraction or '').ljust(6, '0')),
                                 datetime.timezone(-offset if sign == '-' else offset)).timestamp()
    except ValueError:
        return None


def parse_time(text):
    """Seconds since the epoch of an ISO 8601 time with an offset (as hostfacts and the playbooks write
    it), or None when it is not one."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    when = _common_time(text)
    if when is not None:
        return when
    for layout in TIME_FORMATS:
        try:
            return datetime.datetime.strptime(text, layout).timestamp()
        except ValueError:
            continue
    return None


def _gathered(record, facts, outcome, now, stale_after):
    """When the host's facts were gathered, and whether that is more than ``stale_after`` seconds ago.

    The time the gathering play recorded on the controller (the outcome's gathered_at) comes first: a
    host's own clock (collected_at) may be wrong, or lie.
    """
    stamp = outcome.get('gathered_at') if isinstance(outcome, Mapping) else None
    when = parse_time(stamp)
    if when is None:
        stamp = facts.get('collected_at') if isinstance(facts, Mapping) else None
        when = parse_time(stamp)
    if when is None:
        return
    record['gathered_at'] = stamp
    record['age_seconds'] = round((now if now is not None else time.time()) - when, 1)
    if stale_after and record['age_seconds'] > stale_after:
        record['stale'] = True
        _set_alerts(record, record['alerts'] + [_alert(
            'warning', 'facts', 'facts are stale: gathered %s ago (%s), more than %s'
            % (uptime_text(record['age_seconds']), stamp, uptime_text(stale_after)))])


def _column_value(value):
    """A user column's value as a number or a short text; lists and mappings as compact JSON."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return number({'v': value}, 'v', 'column')
    if isinstance(value, str):
        return cut(value, COLUMN_LENGTH)
    return cut(json.dumps(value, separators=(',', ':'), default=str), COLUMN_LENGTH)


def _columns(record, facts, columns):
    """The user's columns: each a function of the host's facts; one that fails on a host is null there."""
    values = []
    for column in columns:
        try:
            values.append(_column_value(column(facts)))
        except Exception:  # pylint: disable=broad-exception-caught
            values.append(None)
    record['columns'] = values


def summarize_host(name, facts=None, outcome=None, limits=None, now=None, stale_after=0, columns=()):
    """The report's record of one host from its hostfacts (or its failure). Never raises.

    ``outcome`` is what the gathering task left: ``{'state': 'ok'|'failed'|'unreachable', 'msg': ...,
    'gathered_at': ...}``; with no facts and no outcome the host is ``no_facts`` (not part of the
    gathering run). ``columns`` are functions of the facts, for the user's own columns.
    """
    name = cut(name, NAME_LENGTH) if isinstance(name, str) else cut(str(name), NAME_LENGTH)
    try:
        state, message = _outcome(facts, outcome)
        if state != 'ok':
            record = _record_without_facts(name, state, message)
        else:
            record = _facts_record(name, facts, limits or DEFAULT_LIMITS)
            _columns(record, facts, columns)
    except MalformedFacts as exc:
        record = _record_without_facts(name, 'malformed', str(exc))
    except Exception as exc:  # pylint: disable=broad-exception-caught
        # Whatever else a host's facts provoke (a string too long to convert, nesting too deep), that
        # host alone is marked; one hostile host never stops the report of the others.
        record = _record_without_facts(name, 'malformed', 'the report cannot read these facts (%s)'
                                       % type(exc).__name__)
    if not record['columns'] and columns:
        record['columns'] = [None] * len(columns)
    _gathered(record, facts, outcome, now, stale_after)
    return record


def failure_reason(record):
    """The reason of FAIL_REASONS this host would fail the report for, or None."""
    if record['state'] in FAIL_REASONS:
        return record['state']
    if record['state'] == 'ok' and record['severity'] == 'critical':
        return 'critical'
    return None


def alert_counts(record):
    return record['alert_counts']


def sort_key(record):
    """Most severe first; then more critical, more warning alerts; then the busier host; then the name."""
    counts = record['alert_counts']
    return (SEVERITY_RANK[record['severity']], -counts['critical'], -counts['warning'], -counts['info'],
            -record['score'], record['name'])
