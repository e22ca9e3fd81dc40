# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of the fleet report renderer: 5,000 hosts' facts to HTML, JSON and CSV.

  .venv/bin/python bench/bench_report.py [--hosts 5000] [--out DIR]

Two runs, each in its own process so that peak memory (ru_maxrss) is its own:
  held    all hosts' facts are in memory first, as hostvars are on a controller after the gathering play;
          then the renderer runs. Peak memory includes the facts themselves.
  stream  facts are made one host at a time and dropped after summarising: the renderer's own footprint.
  ansible the controller path: an InventoryManager with every host, the facts stored with
          VariableManager.set_host_facts and the outcome with set_nonpersistent_facts, as the playbook
          leaves them; the action plugin's collect_records reads them through HostVars.raw_get.
Render time counts summarize_host (and, for ansible, the hostvars reads) + build_report + the three
renderers, not the making of the facts.
Bars (issue 8): render < 20 s, peak memory < 1 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

BAR_SECONDS = 20.0
BAR_BYTES = 1024 ** 3


def import_renderer():
    """The collection's module_utils from this checkout (the test conftest's trick, without pytest)."""
    sys.path.insert(0, os.path.join(CHECKOUT, 'tests', 'unit'))
    import conftest  # noqa: F401  (puts ansible_collections.hostops.fleet on sys.path)
    from ansible_collections.hostops.fleet.plugins.module_utils import _fleet_report
    return _fleet_report


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


def run_one(mode, hosts, out):
    import fleet_facts
    fr = import_renderer()
    text = fleet_facts.load_fixture()
    render_seconds = cpu_seconds = 0.0
    records = []
    if mode == 'ansible':
        hostvars, names = ansible_hostvars(fleet_facts.fleet(hosts, text=text))
        from ansible_collections.hostops.fleet.plugins.action.fleet_report import collect_records
        started, cpu = time.perf_counter(), time.process_time()
        records = collect_records(hostvars, names, 'hostops_fleet_outcome', fr.DEFAULT_LIMITS)
        render_seconds += time.perf_counter() - started
        cpu_seconds += time.process_time() - cpu
        assert len(records) == hosts
    elif mode == 'held':
        held = list(fleet_facts.fleet(hosts, text=text))
        started, cpu = time.perf_counter(), time.process_time()
        records = [fr.summarize_host(name, facts, outcome) for name, facts, outcome in held]
        render_seconds += time.perf_counter() - started
        cpu_seconds += time.process_time() - cpu
    else:
        for name, facts, outcome in fleet_facts.fleet(hosts, text=text):
            started, cpu = time.perf_counter(), time.process_time()
            records.append(fr.summarize_host(name, facts, outcome))
            render_seconds += time.perf_counter() - started
            cpu_seconds += time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    report = fr.build_report(records, title='Simulated fleet of %d hosts' % hosts)
    outputs = {'html': fr.render_html(report), 'json': fr.render_json(report), 'csv': fr.render_csv(report)}
    for fmt, content in outputs.items():
        with open(os.path.join(out, 'fleet-report.%s' % fmt), 'w', encoding='utf-8') as stream:
            stream.write(content)
    render_seconds += time.perf_counter() - started
    cpu_seconds += time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    sizes = dict((fmt, len(content.encode('utf-8'))) for fmt, content in outputs.items())
    print(json.dumps({'mode': mode, 'hosts': hosts, 'render_seconds': round(render_seconds, 2),
                      'cpu_seconds': round(cpu_seconds, 2), 'load1': os.getloadavg()[0],
                      'peak_bytes': peak, 'sizes': sizes}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--hosts', type=int, default=5000)
    parser.add_argument('--out', default=os.path.join(CHECKOUT, 'build', 'bench-fleet-report'))
    parser.add_argument('--mode', choices=('held', 'stream', 'ansible'))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.mode:
        run_one(args.mode, args.hosts, args.out)
        return 0
    failed = False
    print('| run | hosts | render wall time | render CPU time | peak memory | HTML | JSON | CSV | load avg |')
    print('|---|---|---|---|---|---|---|---|---|')
    for mode in ('stream', 'held', 'ansible'):
        line = subprocess.run([sys.executable, __file__, '--mode', mode, '--hosts', str(args.hosts),
                               '--out', args.out], check=True, capture_output=True, text=True).stdout
        result = json.loads(line)
        ok = result['render_seconds'] < BAR_SECONDS and result['peak_bytes'] < BAR_BYTES
        failed = failed or not ok
        print('| %s | %d | %.2f s | %.2f s | %.0f MiB | %.1f MiB | %.1f MiB | %.1f MiB | %.1f |%s'
              % (mode, result['hosts'], result['render_seconds'], result['cpu_seconds'],
                 result['peak_bytes'] / 1048576.0, result['sizes']['html'] / 1048576.0,
                 result['sizes']['json'] / 1048576.0, result['sizes']['csv'] / 1048576.0, result['load1'],
                 '' if ok else ' OVER THE BAR'))
    print('\nfiles: %s/fleet-report.{html,json,csv}' % args.out)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
