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
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.collector import Report
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS


# Each collector is imported only when its subset is selected: a module run compiles its module_utils from
# the payload's zip every time, and a run of the defaults need not pay for the subsets it leaves out. The
# imports are written out (not importlib) because Ansible finds what to ship by reading import statements.
def _system():
    from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.collectors.system import SystemCollector
    return SystemCollector


def _processes():
    from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.collectors.processes import (
        ProcessesCollector)
    return ProcessesCollector


def _memory():
    from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.collectors.memory import MemoryCollector
    return MemoryCollector


def _filesystems():
    from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.collectors.filesystems import (
        FilesystemsCollector)
    return FilesystemsCollector


def _namespaces():
    from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.collectors.namespaces import (
        NamespacesCollector)
    return NamespacesCollector


def _io():
    from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.collectors.io import IOCollector
    return IOCollector


def _containers():
    from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.collectors.containers import (
        ContainersCollector)
    return ContainersCollector


# The registry, in report order: subset name and the loader of its collector class. A new subset adds its
# loader here (and its RETURN entry to the module's docs).
REGISTRY = (
    ('system', _system),
    ('processes', _processes),
    ('memory', _memory),
    ('filesystems', _filesystems),
    ('namespaces', _namespaces),
    ('io', _io),
    ('containers', _containers),
)
LOADERS = dict(REGISTRY)
SUBSETS = tuple(name for name, _loader in REGISTRY)
MIN_SUBSETS = ('system', 'memory', 'filesystems')


def resolve_subsets(requested, valid=SUBSETS):
    """gather_subset as ansible.builtin.setup reads it (ansible-core module_utils/facts/collector.py,
    get_collector_names), in registry order.

    - ``all`` is every subset, ``min`` is system, memory and filesystems, ``!name`` excludes.
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

    Only collectors that compute rates (``Collector.takes_samples``) are sampled across ``interval``; the
    others finish inside the window, after the first sample, so their time is not added to it. When
    no selected collector samples, nothing sleeps and the reported interval is 0.
    """
    subsets = resolve_subsets(options.gather_subset)
    procfs = procfs or ProcFS('/')
    report = Report()
    collectors = [LOADERS[name]()(procfs, options, report) for name in subsets]
    sampled = [collector for collector in collectors if collector.takes_samples]
    window = options.interval if sampled and options.sampling else 0.0
    facts = {'gather_subset': subsets, 'interval': window, 'collected_at': time.strftime('%Y-%m-%dT%H:%M:%S%z')}
    results = {}
    # One shared sample per instant: collectors that read every process's stat at the same moment
    # (processes and io) get one read of it. The finish phase shares the last sample (taken just
    # before it, nothing sleeps in between), so with interval 0 everything is one sample.
    procfs.begin_sample()
    try:
        started = monotonic()
        for collector in sampled:
            collector.begin()
        for collector in collectors:
            if not collector.takes_samples:
                results[collector.name] = collector.finish(None)
        elapsed = _sample(sampled, procfs, options, window, started, sleep, monotonic)
        for collector in sampled:
            results[collector.name] = collector.finish(elapsed)
    finally:
        procfs.end_samples()
    facts.update((collector.name, results[collector.name]) for collector in collectors)
    hidden = procfs.hidepid()
    if hidden:
        report.warn(hidepid_warning(hidden))
    if procfs.denied:
        report.warn(denied_warning(procfs.denied))
    facts['alerts'] = report.sorted_alerts()
    facts['warnings'] = report.warnings
    return facts


def _sample(collectors, procfs, options, window, started, sleep, monotonic):
    """``samples`` more samples, the k-th at ``started`` + k/samples of the window: the measured seconds,
    or None without a window. Time already spent (the other collectors, an overloaded host) counts."""
    if not window:
        return None
    for number in range(1, options.samples + 1):
        sleep(max(0.0, started + window * number / options.samples - monotonic()))
        procfs.begin_sample()
        for collector in collectors:
            collector.tick()
    return monotonic() - started


def hidepid_warning(mode):
    """The warning for a /proc mounted with hidepid: without it, a count of 1 task reads like a fact."""
    if mode == 'noaccess':
        what = 'listed but unreadable: their command lines, CPU, memory, I/O and namespaces are missing'
    else:
        what = 'not even listed: tasks, the process lists, namespaces, I/O and containers count only its own'
    return ('processes: /proc is mounted with hidepid=%s, and this user is neither root nor in its gid= group: '
            'other users\' processes are %s; facts are partial, run with become: true for complete facts'
            % (mode, what))


def denied_warning(denied):
    """The one warning about what could not be read, by kind of file."""
    return ('could not read %d /proc or /sys file(s) (%s): permission denied; facts are partial, '
            'run with become: true for complete facts'
            % (sum(denied.values()), ', '.join('%s x%d' % item for item in sorted(denied.items()))))
