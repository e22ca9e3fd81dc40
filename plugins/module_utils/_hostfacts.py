# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hostfacts orchestrator: subset selection, the sampling schedule, alerts. Private."""

from __future__ import annotations

import time

from ansible_collections.hostops.fleet.plugins.module_utils._collector import HostfactsError, Report
from ansible_collections.hostops.fleet.plugins.module_utils._procfs import ProcFS
from ansible_collections.hostops.fleet.plugins.module_utils._processes import ProcessesCollector
from ansible_collections.hostops.fleet.plugins.module_utils._memory import MemoryCollector
from ansible_collections.hostops.fleet.plugins.module_utils._filesystems import FilesystemsCollector
from ansible_collections.hostops.fleet.plugins.module_utils._namespaces import NamespacesCollector
from ansible_collections.hostops.fleet.plugins.module_utils._io import IOCollector
from ansible_collections.hostops.fleet.plugins.module_utils._containers import ContainersCollector

# Each collector module adds an import above and its class to this tuple, in report order:
# processes, memory, filesystems, namespaces, io, containers.
COLLECTOR_CLASSES = (
    ProcessesCollector,
    MemoryCollector,
    FilesystemsCollector,
    NamespacesCollector,
    IOCollector,
    ContainersCollector,
)

# The registry: subset name -> collector class.
COLLECTORS = dict((cls.name, cls) for cls in COLLECTOR_CLASSES)

MIN_SUBSETS = ('memory', 'filesystems')


def resolve_subsets(requested, valid=None):
    """Resolve gather_subset the way setup does: names, 'all', 'min' and '!name' exclusions."""
    valid = list(COLLECTORS) if valid is None else list(valid)
    selected = []
    excluded = set()
    unknown = []
    for entry in requested or ['all']:
        negate = entry.startswith('!')
        name = entry[1:] if negate else entry
        if name == 'all':
            names = valid
        elif name == 'min':
            names = [n for n in valid if n in MIN_SUBSETS]
        elif name in valid:
            names = [name]
        else:
            unknown.append(entry)
            continue
        if negate:
            excluded.update(names)
        else:
            selected.extend(n for n in names if n not in selected)
    if unknown:
        raise HostfactsError(
            'gather_subset: unknown subset(s) %s; valid subsets are: %s, all, min (and !name to exclude)'
            % (', '.join(sorted(unknown)), ', '.join(valid)))
    if not selected and excluded:
        # Only exclusions given ('!io'): start from everything, as setup does.
        selected = list(valid)
    return [n for n in valid if n in selected and n not in excluded]


NON_NEGATIVE_OPTIONS = ('interval', 'samples', 'top', 'cmdline_length', 'timeout', 'open_files')


def validate_options(options):
    """Reject bad values before anything is read, naming the option (types are AnsibleModule's job)."""
    for name in NON_NEGATIVE_OPTIONS:
        value = options.get(name)
        if value is not None and value < 0:
            raise HostfactsError('%s must be 0 or more, got %s' % (name, value))
    timeout = options.get('timeout')
    if timeout is not None and timeout == 0:
        raise HostfactsError('timeout must be more than 0 seconds (it bounds every statvfs and du_paths walk)')
    for path in options.get('du_paths') or []:
        if not path.startswith('/'):
            raise HostfactsError('du_paths: %r is not an absolute path; give paths like /var/log' % path)
    for name, value in sorted((options.get('thresholds') or {}).items()):
        if value is not None and not 0 <= value <= 100:
            raise HostfactsError('thresholds.%s must be a percentage between 0 and 100, got %s' % (name, value))


def gather(options, procfs=None, sleep=time.sleep, monotonic=time.monotonic):
    """Run the selected collectors over one sampling window and return the hostfacts dict."""
    validate_options(options)
    procfs = procfs or ProcFS(options.get('root') or '/')
    report = Report()
    subsets = resolve_subsets(options.get('gather_subset'))
    collectors = [COLLECTORS[name](procfs, options, report) for name in subsets]

    started = monotonic()
    # One shared sample per instant: collectors that read every process's stat at the same moment
    # (processes and io) get one read of it. The finish phase shares the last sample (taken just
    # before it, nothing sleeps in between), so with interval 0 everything is one sample.
    procfs.begin_sample()
    try:
        for collector in collectors:
            collector.begin()
        interval = options.get('interval') or 0.0
        elapsed = None
        if interval > 0:
            samples = max(1, options.get('samples') or 1)
            for _sample in range(samples):
                sleep(interval / samples)
                procfs.begin_sample()
                for collector in collectors:
                    collector.tick()
            elapsed = monotonic() - started

        facts = {
            'gather_subset': subsets,
            'interval': interval,
            'collected_at': time.strftime('%Y-%m-%dT%H:%M:%S%z'),
        }
        for collector in collectors:
            facts[collector.name] = collector.finish(elapsed)
    finally:
        procfs.end_samples()

    if procfs.denied:
        report.warn('could not read %d /proc or /sys file(s) (%s): permission denied; facts are partial, '
                    'run with become: true for complete facts'
                    % (sum(procfs.denied.values()),
                       ', '.join('%s x%d' % item for item in sorted(procfs.denied.items()))))
    facts['alerts'] = report.sorted_alerts()
    facts['warnings'] = report.warnings
    return facts
