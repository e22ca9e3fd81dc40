# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of the fleet report: this checkout's renderer against a baseline commit's, in one run.

  .venv/bin/python bench/fleet_report.py [--hosts 5000] [--rounds 3] [--baseline 7bc9509] [--out DIR]

The baseline is extracted with ``git archive BASELINE plugins`` into a temporary collection root, so
both renderers are imported as ansible_collections.hostops.fleet, each in its own process. Every
measurement is its own process, so that peak memory (ru_maxrss) is its own; the rounds alternate
old and new, and the table gives the median of each. Three ways of feeding the renderer:

  stream   facts are made one host at a time and dropped after summarising: the renderer's own footprint.
  held     all hosts' facts are in memory first, as hostvars are on a controller after the gathering play;
           peak memory includes the facts themselves.
  ansible  the controller's path: the facts in ansible-core's VariableManager (set_host_facts, and the
           outcome with set_nonpersistent_facts, as the playbook leaves them), read by the action plugin's
           collect_records.

CPU time counts summarising every host (and, for ansible, reading the hostvars), the ranking and summary,
and writing the HTML, JSON and CSV files; not the making of the facts. The verdict: new within 10 % of
old on CPU time and on peak memory, in every mode.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

MODES = ('stream', 'held', 'ansible')
BASELINE = '7bc9509'  # the last commit with the renderer in module_utils/_fleet_report.py
TOLERANCE = 1.10
FORMATS = ('html', 'json', 'csv')


# ---------------------------------------------------------------- one measurement (a child process)

def collection_root(checkout, root):
    """``root``, made a directory whose ansible_collections/hostops/fleet is ``checkout``."""
    os.makedirs(os.path.join(root, 'ansible_collections', 'hostops'))
    os.symlink(checkout, os.path.join(root, 'ansible_collections', 'hostops', 'fleet'))
    return root


def old_renderer():
    """The baseline: module_utils/_fleet_report.py renders whole strings; the action wrote them."""
    from ansible_collections.hostops.fleet.plugins.module_utils import _fleet_report as fr

    def write(report, out):
        outputs = {'html': fr.render_html(report), 'json': fr.render_json(report), 'csv': fr.render_csv(report)}
        for fmt, content in outputs.items():
            with open(os.path.join(out, 'fleet-report.%s' % fmt), 'w', encoding='utf-8') as stream:
                stream.write(content)

    return fr.summarize_host, fr.build_report, fr.DEFAULT_LIMITS, write


def new_renderer():
    """This checkout: the model, the report builder and the writers the action plugin uses."""
    from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import DEFAULT_LIMITS, summarize_host
    from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_render import build_report, write_report

    def write(report, out):
        write_report(report, out)
        report.close()

    return summarize_host, build_report, DEFAULT_LIMITS, write


def ansible_hostvars(fleet):
    """HostVars over an in-memory inventory holding the fleet's facts, as after the gathering play."""
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.vars.hostvars import HostVars
    from ansible.vars.manager import VariableManager
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[])
    variables = VariableManager(loader=loader, inventory=inventory)
    names = []
    for name, facts, outcome in fleet:
        inventory.add_host(name, group='all')
        if facts is not None:
            variables.set_host_facts(name, {'hostfacts': facts})
        variables.set_nonpersistent_facts(name, {'hostops_fleet_outcome': outcome})
        names.append(name)
    return HostVars(inventory=inventory, variable_manager=variables, loader=loader), names


def ansible_records(hostvars, names, summarize, limits):
    """The action plugin's reading of the variable manager, in this checkout or in the baseline."""
    from ansible_collections.hostops.fleet.plugins.action import fleet_report as action
    if hasattr(action, 'collect_records'):
        return action.collect_records(hostvars, names, 'hostops_fleet_outcome', limits)
    return [summarize(name, facts, outcome, limits)
            for name, facts, outcome in action.play_hosts(hostvars, names, 'hostops_fleet_outcome')]


class Clock(object):
    """CPU and wall time of the measured parts only."""

    def __init__(self):
        self.cpu = self.wall = 0.0

    def __enter__(self):
        self._started = (time.process_time(), time.perf_counter())
        return self

    def __exit__(self, *exc):
        self.cpu += time.process_time() - self._started[0]
        self.wall += time.perf_counter() - self._started[1]


def summarize_fleet(mode, hosts, summarize, limits, clock):
    import fleet_facts
    text = fleet_facts.load_fixture()
    if mode == 'ansible':
        hostvars, names = ansible_hostvars(fleet_facts.fleet(hosts, text=text))
        with clock:
            return ansible_records(hostvars, names, summarize, limits)
    if mode == 'held':
        held = list(fleet_facts.fleet(hosts, text=text))
        with clock:
            return [summarize(name, facts, outcome) for name, facts, outcome in held]
    records = []
    for name, facts, outcome in fleet_facts.fleet(hosts, text=text):
        with clock:
            records.append(summarize(name, facts, outcome))
    return records


def measure(mode, code, hosts, out):
    summarize, build, limits, write = (old_renderer if code == 'old' else new_renderer)()
    clock = Clock()
    records = summarize_fleet(mode, hosts, summarize, limits, clock)
    assert len(records) == hosts
    with clock:
        write(build(records, title='Simulated fleet of %d hosts' % hosts), out)
    sizes = dict((fmt, os.path.getsize(os.path.join(out, 'fleet-report.%s' % fmt))) for fmt in FORMATS)
    return {'mode': mode, 'code': code, 'hosts': hosts, 'cpu_seconds': clock.cpu, 'wall_seconds': clock.wall,
            'peak_bytes': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, 'sizes': sizes,
            'load1': os.getloadavg()[0]}


# ---------------------------------------------------------------- the comparison (the parent process)

def extract_baseline(revision, directory):
    """``git archive REVISION plugins`` as a collection root; returns the root."""
    fleet = os.path.join(directory, 'ansible_collections', 'hostops', 'fleet')
    os.makedirs(fleet)
    archive = subprocess.run(['git', '-C', CHECKOUT, 'archive', revision, 'plugins'], check=True,
                             capture_output=True).stdout
    subprocess.run(['tar', '-x', '-C', fleet], input=archive, check=True)
    return directory


def run_child(mode, code, root, hosts, out):
    directory = os.path.join(out, code)
    os.makedirs(directory, exist_ok=True)
    line = subprocess.run([sys.executable, __file__, '--measure', mode, '--code', code, '--root', root,
                           '--hosts', str(hosts), '--out', directory],
                          check=True, capture_output=True, text=True).stdout
    return json.loads(line.splitlines()[-1])


def median_of(results, key):
    return statistics.median(result[key] for result in results)


def table(results, hosts):
    print('| mode | code | CPU time | wall time | peak memory | HTML | JSON | CSV | load avg |')
    print('|---|---|---:|---:|---:|---:|---:|---:|---:|')
    verdicts = []
    for mode in MODES:
        runs = dict((code, [r for r in results if r['mode'] == mode and r['code'] == code]) for code in ('old', 'new'))
        if not runs['old']:
            continue
        for code in ('old', 'new'):
            done = runs[code]
            print('| %s | %s | %.2f s | %.2f s | %.0f MiB | %.1f MiB | %.1f MiB | %.1f MiB | %.1f-%.1f |' % (
                mode, code, median_of(done, 'cpu_seconds'), median_of(done, 'wall_seconds'),
                median_of(done, 'peak_bytes') / 1048576.0, done[0]['sizes']['html'] / 1048576.0,
                done[0]['sizes']['json'] / 1048576.0, done[0]['sizes']['csv'] / 1048576.0,
                min(r['load1'] for r in done), max(r['load1'] for r in done)))
        cpu = median_of(runs['new'], 'cpu_seconds') / median_of(runs['old'], 'cpu_seconds')
        peak = median_of(runs['new'], 'peak_bytes') / median_of(runs['old'], 'peak_bytes')
        verdicts.append((mode, cpu, peak, cpu <= TOLERANCE and peak <= TOLERANCE))
    print('\n%d hosts, median of %d round(s); new / old:' % (hosts, len(results) // (2 * len(verdicts) or 1)))
    for mode, cpu, peak, ok in verdicts:
        print('  %-8s CPU %.2fx  peak memory %.2fx  %s' % (mode, cpu, peak, 'within 10 %' if ok else 'OVER 10 %'))
    return all(verdict[3] for verdict in verdicts)


def compare(args):
    workdir = tempfile.mkdtemp(prefix='fleet-report-bench-')
    try:
        roots = {'old': extract_baseline(args.baseline, os.path.join(workdir, 'baseline')),
                 'new': collection_root(CHECKOUT, os.path.join(workdir, 'checkout'))}
        print('load average before: %.2f %.2f %.2f' % os.getloadavg())
        results = []
        for _round in range(args.rounds):
            for mode in args.modes:
                for code in ('old', 'new'):
                    results.append(run_child(mode, code, roots[code], args.hosts, args.out))
        print('load average after: %.2f %.2f %.2f\n' % os.getloadavg())
        ok = table(results, args.hosts)
        with open(os.path.join(args.out, 'results.json'), 'w', encoding='utf-8') as stream:
            json.dump(results, stream, indent=1)
        print('\nfiles: %s/{old,new}/fleet-report.{html,json,csv}' % args.out)
        return 0 if ok else 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--hosts', type=int, default=5000)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--modes', type=lambda text: text.split(','), default=list(MODES))
    parser.add_argument('--baseline', default=BASELINE)
    parser.add_argument('--out', default=os.path.join(CHECKOUT, 'build', 'bench-fleet-report'))
    parser.add_argument('--measure', choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument('--code', choices=('old', 'new'), help=argparse.SUPPRESS)
    parser.add_argument('--root', help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.measure:
        sys.path.insert(0, args.root)
        print(json.dumps(measure(args.measure, args.code, args.hosts, args.out)))
        return 0
    return compare(args)


if __name__ == '__main__':
    sys.exit(main())
