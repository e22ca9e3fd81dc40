# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of the namespaces and io subsets of hostfacts against the tools they replace, with 2,000 extra processes.

- namespaces subset vs ``lsns`` (bar: ratio <= 1.0)
- io subset with interval 0 (the sampling interval is excluded) vs ``ps aux`` (bar: ratio <= 1.5)

Each figure is the median of RUNS alternating runs (tool, module, tool, module, ...), so that
a noisy neighbour hurts both sides alike. The module side runs in a fresh ``python3`` process
(interpreter start and imports included), like the tools; the time inside gather() is shown too. Prints a table; ``--append-doc``
appends it to docs/performance.md under a "namespaces and io" heading.

Usage: python3 bench/namespaces_io.py [--procs 2000] [--runs 7] [--append-doc]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DRIVER = r'''
import sys, time
started = time.perf_counter()
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.options import HostfactsOptions
facts = gather(HostfactsOptions.from_params({'gather_subset': [sys.argv[1]], 'interval': 0.0}))
assert facts[sys.argv[1]] is not None
print(time.perf_counter() - started)
'''


def collection_root():
    """A directory where ansible_collections/hostops/fleet is this checkout (as tests/conftest.py does)."""
    root = tempfile.mkdtemp(prefix='hostops-bench-')
    os.makedirs(os.path.join(root, 'ansible_collections', 'hostops'))
    os.symlink(CHECKOUT, os.path.join(root, 'ansible_collections', 'hostops', 'fleet'))
    return root


def wall(argv, env=None):
    """(wall seconds of a command, its stdout)."""
    started = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True, env=env)
    return time.perf_counter() - started, done.stdout


def spawn_sleepers(count):
    return [subprocess.Popen(['sleep', '3600'], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            for _index in range(count)]


def measure(tool, subset, runs, root):
    """Medians of (tool wall, module process wall, module in-process collection time)."""
    driver = [sys.executable, '-c', DRIVER, subset]
    env = dict(os.environ, PYTHONPATH=root)
    tool_times, module_times, inner_times = [], [], []
    wall(tool)  # warm the page cache for both sides
    wall(driver, env)
    for _round in range(runs):
        tool_times.append(wall(tool)[0])
        seconds, output = wall(driver, env)
        module_times.append(seconds)
        inner_times.append(float(output))
    return statistics.median(tool_times), statistics.median(module_times), statistics.median(inner_times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--procs', type=int, default=2000)
    parser.add_argument('--runs', type=int, default=7)
    parser.add_argument('--append-doc', action='store_true')
    args = parser.parse_args()
    if args.runs < 5:
        parser.error('--runs must be 5 or more (medians of at least 5 runs)')
    root = collection_root()
    sleepers = spawn_sleepers(args.procs)
    try:
        total = len([name for name in os.listdir('/proc') if name.isdigit()])
        rows = []
        for subset, tool, limit in (('namespaces', ['lsns'], 1.0), ('io', ['ps', 'aux'], 1.5)):
            load_before = os.getloadavg()[0]
            tool_s, module_s, inner_s = measure(tool, subset, args.runs, root)
            load = '%.1f-%.1f' % (load_before, os.getloadavg()[0])
            rows.append((subset, ' '.join(tool), tool_s, module_s, inner_s, module_s / tool_s, limit, load))
    finally:
        for sleeper in sleepers:
            sleeper.kill()
        for sleeper in sleepers:
            sleeper.wait()
    lines = [
        '%d processes (%d extra sleepers), %d alternating runs each, medians; %s, Python %s, %d CPUs.'
        % (total, args.procs, args.runs, platform.release(), platform.python_version(), os.cpu_count()),
        '',
        'The ratio compares whole processes: the tool, and python3 running the subset (interpreter start,',
        'imports and collection). "collection" is the time inside gather() alone.',
        '',
        '| subset | tool | tool (ms) | hostfacts process (ms) | collection (ms) | ratio | bar | verdict | load |',
        '|---|---|---:|---:|---:|---:|---:|---|---|',
    ]
    for subset, tool, tool_s, module_s, inner_s, ratio, limit, load in rows:
        lines.append('| %s | `%s` | %.1f | %.1f | %.1f | %.2f | <= %.1f | %s | %s |'
                     % (subset, tool, tool_s * 1000, module_s * 1000, inner_s * 1000, ratio, limit,
                        'pass' if ratio <= limit else 'FAIL', load))
    print('\n'.join(lines))
    if args.append_doc:
        with open(os.path.join(CHECKOUT, 'docs', 'performance.md'), 'a') as doc:
            doc.write('\n## namespaces and io (bench/namespaces_io.py, %s)\n\n' % time.strftime('%Y-%m-%d'))
            doc.write('\n'.join(lines) + '\n')
    return 0 if all(row[5] <= row[6] for row in rows) else 1


if __name__ == '__main__':
    sys.exit(main())
