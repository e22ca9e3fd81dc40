# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hostfacts orchestrator: subset selection, the sampling schedule, alerts. Private."""

from __future__ import annotations

import time

from ansible_collections.hostops.fleet.plugins.module_utils._collector import HostfactsError, Report
from ansible_collections.hostops.fleet.plugins.module_utils._procfs import ProcFS

# Each collector module adds an import above and its class to this tuple, in report order:
# processes, memory, filesystems, namespaces, io, containers.
COLLECTOR_CLASSES = ()

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


def gather(options, procfs=None, sleep=time.sleep, monotonic=time.monotonic):
    """Run the selected collectors over one sampling window and return the hostfacts dict."""
    procfs = procfs or ProcFS(options.get('root') or '/')
    report = Report()
    subsets = resolve_subsets(options.get('gather_subset'))
    collectors = [COLLECTORS[name](procfs, options, report) for name in subsets]

    started = monotonic()
    for collector in collectors:
        collector.begin()
    interval = options.get('interval') or 0.0
    elapsed = None
    if interval > 0:
        samples = max(1, options.get('samples') or 1)
        for _ in range(samples):
            sleep(interval / samples)
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

    if procfs.denied:
        report.warn('could not read %d /proc or /sys file(s) (%s): permission denied; facts are partial, '
                    'run with become: true for complete facts'
                    % (sum(procfs.denied.values()),
                       ', '.join('%s x%d' % item for item in sorted(procfs.denied.items()))))
    facts['alerts'] = report.sorted_alerts()
    facts['warnings'] = report.warnings
    return facts
