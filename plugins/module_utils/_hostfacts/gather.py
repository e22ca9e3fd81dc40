# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hostfacts orchestrator: the subset registry, gather_subset, the sampling schedule, alerts. Private.

``gather(options)`` resolves gather_subset, builds one collector per selected subset over
one reader, takes the samples, and returns the facts with the alerts and warnings of
every collector. Options come validated (options.HostfactsOptions): nothing here has a
default of its own.
"""

from __future__ import annotations

import time

from ansible_collections.hostops.fleet.plugins.module_utils._errors import OptionError
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.collectors.containers import ContainersCollector
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.collectors.filesystems import (
    FilesystemsCollector,
)
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.collectors.io import IOCollector
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.collectors.memory import MemoryCollector
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.collectors.namespaces import NamespacesCollector
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.collectors.processes import ProcessesCollector
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.collector import Report
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS

# The registry, in report order. A new subset adds its collector here (and to the module's docs).
COLLECTOR_CLASSES = (
    ProcessesCollector,
    MemoryCollector,
    FilesystemsCollector,
    NamespacesCollector,
    IOCollector,
    ContainersCollector,
)
COLLECTORS = dict((cls.name, cls) for cls in COLLECTOR_CLASSES)
SUBSETS = tuple(cls.name for cls in COLLECTOR_CLASSES)
MIN_SUBSETS = ('memory', 'filesystems')


def resolve_subsets(requested, valid=SUBSETS):
    """gather_subset as ansible.builtin.setup reads it (ansible-core module_utils/facts/collector.py,
    get_collector_names), in registry order.

    - ``all`` is every subset, ``min`` is memory and filesystems, ``!name`` excludes.
    - ``!all`` excludes everything but ``min``, so ``[!all]`` gives ``min`` and ``[!all, io]`` gives
      ``min`` and ``io``; ``[!all, !min]`` gives nothing.
    - A subset named explicitly is kept even if an exclusion also names it, in any order.
    - Unlike setup, a list of only exclusions (``[!io]``) starts from ``all``, and named subsets
      (``[processes]``) do not bring ``min`` along: here ``min`` is not free (it stats every mount).
    """
    valid = list(valid)
    minimal = [name for name in valid if name in MIN_SUBSETS]
    added, excluded, explicit, unknown = [], set(), set(), []
    for entry in requested or ['all']:
        negate = entry.startswith('!')
        name = entry[1:] if negate else entry
        if name == 'all':
            names = [n for n in valid if n not in minimal] if negate else valid
        elif name == 'min':
            names = minimal
        elif name in valid:
            names = [name]
            if not negate:
                explicit.add(name)
        else:
            unknown.append(entry)
            continue
        if negate:
            excluded.update(names)
        else:
            added.extend(names)
    if unknown:
        raise OptionError('gather_subset: unknown subset(s) %s; valid subsets are: %s, all, min (and !name to '
                          'exclude)' % (', '.join(sorted(unknown)), ', '.join(valid)))
    if not added:
        added = list(valid)
    if '!all' in (requested or []) and '!min' not in requested:
        added.extend(minimal)
    return [name for name in valid if name in added and name not in excluded - explicit]


def gather(options, procfs=None, sleep=time.sleep, monotonic=time.monotonic):
    """Run the selected collectors over one sampling window and return the hostfacts dict.

    ``options`` is a HostfactsOptions; ``procfs`` the reader (a live ProcFS of / by default;
    tests pass one over a fixture tree); ``sleep`` and ``monotonic`` are the clock.
    """
    subsets = resolve_subsets(options.gather_subset)
    procfs = procfs or ProcFS('/')
    report = Report()
    collectors = [COLLECTORS[name](procfs, options, report) for name in subsets]
    # One shared sample per instant: collectors that read every process's stat at the same moment
    # (processes and io) get one read of it. The finish phase shares the last sample (taken just
    # before it, nothing sleeps in between), so with interval 0 everything is one sample.
    procfs.begin_sample()
    try:
        elapsed = _sample(collectors, procfs, options, sleep, monotonic)
        facts = {
            'gather_subset': subsets,
            'interval': options.interval,
            'collected_at': time.strftime('%Y-%m-%dT%H:%M:%S%z'),
        }
        for collector in collectors:
            facts[collector.name] = collector.finish(elapsed)
    finally:
        procfs.end_samples()
    if procfs.denied:
        report.warn(denied_warning(procfs.denied))
    facts['alerts'] = report.sorted_alerts()
    facts['warnings'] = report.warnings
    return facts


def _sample(collectors, procfs, options, sleep, monotonic):
    """The first sample, then ``samples`` more spread over ``interval``: the measured seconds, or None."""
    started = monotonic()
    for collector in collectors:
        collector.begin()
    if not options.sampling:
        return None
    for _sample_number in range(options.samples):
        sleep(options.interval / options.samples)
        procfs.begin_sample()
        for collector in collectors:
            collector.tick()
    return monotonic() - started


def denied_warning(denied):
    """The one warning about what could not be read, by kind of file."""
    return ('could not read %d /proc or /sys file(s) (%s): permission denied; facts are partial, '
            'run with become: true for complete facts'
            % (sum(denied.values()), ', '.join('%s x%d' % item for item in sorted(denied.items()))))
