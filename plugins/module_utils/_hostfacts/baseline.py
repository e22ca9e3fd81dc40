# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Baseline and drift for hostops.fleet.hostfacts_baseline. Private.

A baseline holds the stable parts of the facts, each item under a key that
stays the same while the thing exists:

- namespaces: every non-default namespace, keyed ``type:[inode]``, with its
  owner (host, docker, ... or unknown), user, command and what pins it;
- processes: long-running commands (older than ``min_process_age``), keyed
  ``user: args``; kernel threads and zombies are left out;
- mounts: every entry of /proc/self/mountinfo, keyed ``mount point fstype source``;
- listening: TCP sockets in LISTEN and bound, unconnected UDP sockets of the
  module's network namespace, keyed ``proto address:port``.

Drift is the keys that appeared or vanished. A network namespace with no
process in it and no name under /run/netns is flagged: nothing the usual tools
(``ip netns``, ``ps``) show can be inside it, which is where an unknown guest hides.

Namespaces younger than ``min_namespace_age`` are left out of the snapshot, on both
sides of the comparison: a build, a ``docker run --rm`` or a unit with PrivateNetwork=
makes namespaces that live for seconds, and reporting them (new on one run, vanished
on the next when the baseline was taken while one lived) would bury the namespaces
that stay. A namespace's age is that of the process the namespaces subset names for
it (its lowest pid, else the process holding it by a descriptor), as the processes
subset started it; the creator of a namespace is at least as old as the namespace, so
this errs towards reporting. A namespace pinned only by a bind mount has no process,
so no age: it is always compared. One that is young when the baseline is recorded and
stays is reported as new once it is old: recording it marked young instead would let it
vanish later without a report.

Drift is reported, never ``changed``: ``changed`` says that the baseline file was (or,
in check mode, would be) written or removed.
"""

from __future__ import annotations

import datetime
import json
import os
import socket

from ansible_collections.hostops.fleet.plugins.module_utils._atomic import read_text, write_atomic
from ansible_collections.hostops.fleet.plugins.module_utils._errors import FleetError
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.pathtext import shown_path
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.options import HostfactsOptions
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS

BASELINE_FORMAT = 1
SECTIONS = ('namespaces', 'processes', 'mounts', 'listening')
CMDLINE_LENGTH = 256
LISTEN_STATES = {'tcp': 'LISTEN', 'tcp6': 'LISTEN', 'udp': 'CLOSE', 'udp6': 'CLOSE'}
ISO_FORMAT = '%Y-%m-%dT%H:%M:%S%z'
# A namespace younger than min_namespace_age is not drift: the cap keeps the option from switching
# namespace drift off (docs/queries-and-drift.md).
MAX_NAMESPACE_AGE = 86400.0
ITEM_NAMES = {'namespaces': 'namespace', 'processes': 'process', 'mounts': 'mount', 'listening': 'listening socket'}


class BaselineError(FleetError):
    """Bad options, an unreadable or foreign baseline file, or a failed write."""


# ---------------------------------------------------------------------- snapshot


def gather_options(subsets, timeout=None):
    """The hostfacts options of a snapshot: one sample, every process, no ranked lists (overrides of the
    hostfacts table; timeout None is its default)."""
    return HostfactsOptions.from_params({
        'gather_subset': list(subsets), 'interval': 0, 'top': 0, 'process_list': 'full',
        'cmdline_length': CMDLINE_LENGTH, 'include_pseudo': True, 'timeout': timeout, 'open_files': 0,
    })


def namespace_record(entry):
    """The stable description of one namespace from the hostfacts namespaces subset."""
    owner = entry.get('owner') or {}
    owner_text = owner.get('kind') or 'unknown'
    if owner.get('id'):
        owner_text += ' ' + owner['id'][:12]
    elif owner.get('name'):
        owner_text += ' ' + owner['name']
    pins = entry.get('pinned_by') or []
    return {
        'key': '%s:[%d]' % (entry['type'], entry['inode']),
        'type': entry['type'],
        'inode': entry['inode'],
        'owner': owner_text,
        'user': entry.get('user'),
        'command': entry.get('command'),
        'processes': entry.get('nprocs', 0),
        'pinned_by': ['%s %s' % (pin['kind'], pin.get('path')) for pin in pins],
        'named': any(pin.get('kind') == 'netns_name' for pin in pins),
        'hidden': entry['type'] == 'net' and not entry.get('nprocs')
        and not any(pin.get('kind') == 'netns_name' for pin in pins),
    }


def _parse_time(iso_text):
    try:
        return datetime.datetime.strptime(iso_text, ISO_FORMAT)
    except (TypeError, ValueError):
        return None


def namespace_ages(namespaces, processes, now):
    """{(type, inode): seconds} for the namespaces whose holding process has a known start time.

    The holder is the process the namespaces subset names (``pid``, the lowest in the namespace), else
    the first process holding it by a descriptor; its start time comes from the processes subset.
    """
    started = dict((row.get('pid'), _parse_time(row.get('start_time'))) for row in (processes or {}).get('list') or [])
    ages = {}
    for entry in namespaces:
        holder = entry.get('pid')
        if holder is None:
            holder = next((pin.get('pid') for pin in entry.get('pinned_by') or [] if pin.get('kind') == 'fd'), None)
        if started.get(holder) is not None:
            ages[(entry['type'], entry['inode'])] = max(0.0, (now - started[holder]).total_seconds())
    return ages


def namespace_records(facts, min_age, now):
    """(records of the non-default namespaces at least ``min_age`` seconds old, records of the younger ones)."""
    entries = [entry for entry in facts['namespaces']['namespaces'] if not entry.get('default')]
    ages = namespace_ages(entries, facts.get('processes'), now) if min_age > 0 else {}
    kept, young = [], []
    for entry in entries:
        record = namespace_record(entry)
        age = ages.get((entry['type'], entry['inode']))
        if age is not None and age < min_age:
            young.append(dict(record, age=age))
        else:
            kept.append(record)
    return kept, young


def process_records(processes, min_age, now):
    """(long-running records, keys of every user process running now) from a full process list."""
    records = {}
    running = set()
    for row in processes.get('list') or []:
        if row.get('pid') == 2 or row.get('ppid') == 2 or row.get('state') == 'Z':
            continue
        key = '%s: %s' % (row.get('user'), row.get('args'))
        running.add(key)
        started = _parse_time(row.get('start_time'))
        if started is None or (now - started).total_seconds() < min_age:
            continue
        record = records.get(key)
        if record is None:
            records[key] = {'key': key, 'user': row.get('user'), 'command': row.get('args'),
                            'count': 1, 'pid': row['pid'], 'start_time': row.get('start_time')}
        else:
            record['count'] += 1
    return sorted(records.values(), key=lambda r: r['key']), running


def mount_records(mounts):
    records = {}
    for mount in mounts or []:
        # Paths as findmnt shows them: the reader's lossless names may hold bytes JSON cannot carry.
        mount_point, source = shown_path(mount.mount_point), shown_path(mount.source)
        key = '%s %s %s' % (mount_point, mount.fstype, source)
        records.setdefault(key, {'key': key, 'mount_point': mount_point, 'fstype': mount.fstype,
                                 'source': source, 'options': mount.options})
    return sorted(records.values(), key=lambda r: r['key'])


def listening_records(procfs):
    """Listening sockets, or None when /proc/net has none of the four tables (not Linux, fixture without it)."""
    records = {}
    found = False
    for proto, state in sorted(LISTEN_STATES.items()):
        rows = procfs.net_sockets(proto)
        if rows is None:
            continue
        found = True
        for row in rows:
            if row.state != state or not row.local_port or (proto.startswith('udp') and row.remote_port):
                continue
            address = '[%s]' % row.local_address if proto.endswith('6') else row.local_address
            key = '%s %s:%d' % (proto, address, row.local_port)
            records.setdefault(key, {'key': key, 'proto': proto, 'address': row.local_address,
                                     'port': row.local_port, 'uid': row.uid})
    return sorted(records.values(), key=lambda r: r['key']) if found else None


def snapshot(procfs, sections, min_process_age, timeout=None, now=None, min_namespace_age=0.0):
    """(state, running process keys, warnings, young namespace records): the stable parts of the host now."""
    # The namespaces' ages come from the processes' start times.
    with_ages = 'namespaces' in sections and min_namespace_age > 0
    subsets = [name for name in ('processes', 'namespaces') if name in sections or (with_ages and name == 'processes')]
    facts = gather(gather_options(subsets, timeout), procfs=procfs) if subsets else {'warnings': []}
    now = now or datetime.datetime.now(datetime.timezone.utc)
    state = {'format': BASELINE_FORMAT, 'sections': [name for name in SECTIONS if name in sections]}
    running = set()
    young = []
    if 'namespaces' in sections:
        state['namespaces'], young = namespace_records(facts, min_namespace_age, now)
    if 'processes' in sections:
        state['processes'], running = process_records(facts['processes'], min_process_age, now)
    if 'mounts' in sections:
        state['mounts'] = mount_records(procfs.mountinfo())
    if 'listening' in sections:
        listening = listening_records(procfs)
        if listening is None:
            facts['warnings'].append('listening: /proc/net/tcp, tcp6, udp and udp6 are missing; '
                                     'listening sockets are not part of this baseline')
            state['sections'].remove('listening')
        else:
            state['listening'] = listening
    return state, running, facts['warnings'], young


# ---------------------------------------------------------------------- drift


def compare(baseline, current, running):
    """{section: {new: [...], vanished: [...]}} for the sections both states hold."""
    drift = {}
    for section in SECTIONS:
        if section not in baseline.get('sections', []) or section not in current['sections']:
            continue
        before = dict((item['key'], item) for item in baseline.get(section) or [])
        after = dict((item['key'], item) for item in current.get(section) or [])
        new = [after[key] for key in sorted(after) if key not in before]
        if section == 'processes':
            # A long-running command has vanished only if it runs no more at all; a restarted
            # daemon is young again but it is there.
            vanished = [before[key] for key in sorted(before) if key not in running]
        else:
            vanished = [before[key] for key in sorted(before) if key not in after]
        drift[section] = {'new': new, 'vanished': vanished}
    return drift


def drift_count(drift):
    return sum(len(part['new']) + len(part['vanished']) for part in drift.values())


def describe_namespace(record):
    pins = ', '.join(record.get('pinned_by') or []) or 'nothing'
    return '%s (owner %s, %d process(es), pinned by %s%s)' % (
        record['key'], record.get('owner'), record.get('processes') or 0, pins,
        ', command %s' % record['command'] if record.get('command') else '')


def findings(drift):
    """Sentences an operator reads first, most alarming first."""
    sentences = []
    namespaces = drift.get('namespaces') or {'new': [], 'vanished': []}
    for record in namespaces['new']:
        if record.get('hidden'):
            sentences.append('new network namespace %s has no process and no name under /run/netns: a hidden '
                             'guest can live there (pinned by %s)'
                             % (record['key'], ', '.join(record.get('pinned_by') or []) or 'nothing visible'))
    for section in SECTIONS:
        part = drift.get(section)
        if not part:
            continue
        for verb, items in (('new', part['new']), ('vanished', part['vanished'])):
            for item in items:
                if section == 'namespaces':
                    if verb == 'new' and item.get('hidden'):
                        continue
                    text = describe_namespace(item)
                elif section == 'processes':
                    text = 'long-running command %s' % item['key']
                else:
                    text = item['key']
                sentences.append('%s %s: %s' % (verb, ITEM_NAMES[section], text))
    return sentences


def render_lines(state, keep_from=None):
    """One line per item, by section: the text the diff compares.

    Items present in ``keep_from`` (the baseline) are rendered from it, so that volatile details
    (process counts, the lowest pid) do not show up as changes.
    """
    lines = []
    for section in state.get('sections') or []:
        kept = dict((item['key'], item) for item in (keep_from or {}).get(section) or [])
        for item in state.get(section) or []:
            item = kept.get(item['key'], item)
            detail = describe_namespace(item) if section == 'namespaces' else item['key']
            lines.append('%s: %s' % (section, detail))
    return '\n'.join(lines) + ('\n' if lines else '')


# ---------------------------------------------------------------------- the baseline file


REMOVE_HINT = 'remove it (state=absent) and record a new one'
# What each section's items must hold for compare, findings and the diff: {field: (types, wording)}.
_TEXT = ((str, type(None)), 'a string')
_ITEM_FIELDS = {
    'namespaces': {'owner': _TEXT, 'user': _TEXT, 'command': _TEXT, 'processes': ((int, type(None)), 'an integer'),
                   'pinned_by': ((list, type(None)), 'a list'), 'hidden': ((bool, type(None)), 'true or false')},
    'processes': {'user': _TEXT, 'command': _TEXT},
    'mounts': {},
    'listening': {},
}


def read_baseline(path):
    """The text of the baseline file at ``path``, or None when there is none."""
    try:
        return read_text(path)
    except (IOError, OSError) as exc:
        raise BaselineError('path: cannot read the baseline %s: %s' % (path, exc.strerror or exc))


def load(path):
    """The baseline stored at ``path``, checked to the last field, or None when there is none."""
    text = read_baseline(path)
    return None if text is None else parse_baseline(text, path)


def parse_baseline(text, path):
    """The baseline in ``text`` (read from ``path``); BaselineError saying what is wrong and what to do."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BaselineError('path: %s is not a hostfacts baseline (invalid JSON: %s); fix or %s'
                            % (path, exc, REMOVE_HINT))
    if not isinstance(data, dict) or data.get('format') != BASELINE_FORMAT:
        raise BaselineError('path: %s is not a hostfacts baseline of format %d; %s' % (path, BASELINE_FORMAT, REMOVE_HINT))
    problem = baseline_problem(data)
    if problem:
        raise BaselineError('path: %s is not a valid hostfacts baseline (%s); %s' % (path, problem, REMOVE_HINT))
    return data


def baseline_problem(data):
    """What makes a parsed baseline unusable ('processes[3].key is missing'), or None."""
    sections = data.get('sections')
    if not isinstance(sections, list) or not all(isinstance(name, str) and name in SECTIONS for name in sections):
        return 'sections must be a list of %s' % ', '.join(SECTIONS)
    if not isinstance(data.get('recorded_at'), (str, type(None))):
        return 'recorded_at is not a string'
    for section in sections:
        items = data.get(section)
        if not isinstance(items, (list, type(None))):
            return '%s is not a list' % section
        for index, item in enumerate(items or []):
            problem = _item_problem(section, item)
            if problem:
                return '%s[%d]%s' % (section, index, problem)
    return None


def _item_problem(section, item):
    if not isinstance(item, dict):
        return ' is not an object'
    if not isinstance(item.get('key'), str):
        return '.key is missing or not a string'
    for field, (types, wording) in _ITEM_FIELDS[section].items():
        value = item.get(field)
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            return '.%s is not %s' % (field, wording)
    if section == 'namespaces' and not all(isinstance(pin, str) for pin in item.get('pinned_by') or []):
        return '.pinned_by holds something else than strings'
    return None


def validate(options):
    path = options.get('path')
    if not path or not os.path.isabs(path):
        raise BaselineError('path must be an absolute path, got %r' % (path,))
    if not 0 <= options['min_process_age'] < float('inf'):
        raise BaselineError('min_process_age must be 0 or more seconds (a finite number), got %s'
                            % options['min_process_age'])
    min_namespace_age = options['min_namespace_age']
    if not 0 <= min_namespace_age <= MAX_NAMESPACE_AGE:
        raise BaselineError('min_namespace_age must be a number of seconds from 0 to %g, got %s'
                            % (MAX_NAMESPACE_AGE, min_namespace_age))
    gather_options(SECTIONS[:0], options['timeout'])  # the hostfacts table's bounds, before anything is read
    if not options.get('sections'):
        raise BaselineError('sections must name at least one of: %s' % ', '.join(SECTIONS))
    unknown = [name for name in options['sections'] if name not in SECTIONS]
    if unknown:
        raise BaselineError('sections: unknown section(s) %s; valid sections are: %s'
                            % (', '.join(unknown), ', '.join(SECTIONS)))


def _store(path, state, check_mode):
    if check_mode:
        return
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        try:
            os.makedirs(directory, 0o700)
        except OSError as exc:
            raise BaselineError('path: cannot create the directory %s: %s' % (directory, exc.strerror or exc))
    write_atomic(path, json.dumps(state, indent=1, sort_keys=True) + '\n', option='path', mode=0o600)


class BaselineManager(object):
    """state=present: record the baseline if missing, else report drift (and accept it with update).

    state=absent: remove the baseline. ``changed`` is true when the baseline file is (or would be)
    created, updated or removed, and only then: drift is reported in ``drift`` and ``drift_count``.
    """

    def __init__(self, options, check_mode=False, procfs=None, now=None):
        validate(options)
        self.options = options
        self.check_mode = check_mode
        self.procfs = procfs or ProcFS('/')
        self.now = now

    def run(self):
        path = self.options['path']
        if self.options.get('state') == 'absent':
            return self._remove(path)
        baseline = load(path)
        min_namespace_age = self.options['min_namespace_age']
        current, running, warnings, young = snapshot(self.procfs, self.options['sections'],
                                                     self.options['min_process_age'], self.options['timeout'],
                                                     self.now, min_namespace_age)
        recorded_at = (self.now or datetime.datetime.now(datetime.timezone.utc)).strftime(ISO_FORMAT)
        current.update(recorded_at=recorded_at, host=socket.gethostname(),
                       min_process_age=self.options['min_process_age'], min_namespace_age=min_namespace_age)
        # Every hidden network namespace there is now, young or not: what the host holds, not drift.
        hidden = [record for record in (current.get('namespaces') or []) + young if record.get('hidden')]
        result = {'path': path, 'warnings': warnings, 'hidden_network_namespaces': hidden,
                  'young_namespaces': young}
        if baseline is None:
            _store(path, current, self.check_mode)
            result.update(changed=True, baseline_action='recorded', drift={}, drift_count=0, findings=[],
                          recorded_at=recorded_at,
                          diff={'before': '', 'after': render_lines(current),
                                'before_header': '%s (none)' % path, 'after_header': path})
            return result
        missing = [name for name in current['sections'] if name not in baseline.get('sections', [])]
        if missing:
            warnings.append('sections %s are not in the baseline %s; run with update=true to record them'
                            % (', '.join(missing), path))
        drift = compare(baseline, current, running)
        count = drift_count(drift)
        updating = bool(count and self.options.get('update'))
        if updating:
            _store(path, current, self.check_mode)
        result.update(changed=updating, baseline_action='updated' if updating else 'compared', drift=drift,
                      drift_count=count, findings=findings(drift), recorded_at=baseline.get('recorded_at'))
        if updating:
            sections = [name for name in current['sections'] if name in baseline.get('sections', [])]
            result['diff'] = {'before': render_lines(dict(baseline, sections=sections)),
                              'after': render_lines(dict(current, sections=sections), keep_from=baseline),
                              'before_header': '%s (recorded %s)' % (path, baseline.get('recorded_at')),
                              'after_header': 'host now'}
        return result

    def _remove(self, path):
        """Remove the file whatever it holds: a corrupt or foreign baseline is what state=absent is for."""
        text = read_baseline(path)
        result = {'path': path, 'baseline_action': 'absent', 'changed': text is not None, 'drift': {},
                  'drift_count': 0, 'findings': [], 'warnings': [], 'hidden_network_namespaces': [],
                  'young_namespaces': []}
        if text is not None:
            try:
                before = render_lines(parse_baseline(text, path))
            except BaselineError as exc:
                before = '(not a valid baseline: %s)\n' % exc
            result['baseline_action'] = 'removed'
            result['diff'] = {'before': before, 'after': '', 'before_header': path,
                              'after_header': '%s (removed)' % path}
            if not self.check_mode:
                try:
                    os.unlink(path)
                except OSError as exc:
                    raise BaselineError('path: cannot remove %s: %s' % (path, exc.strerror or exc))
        return result
