# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of the fleet report at scale: synthetic hosts in a real Redis, the report rendered from it.

  make bench-fleet     (= .venv/bin/python bench/fleet_cache.py --hosts 1000,5000,50000)

For each fleet size: a fresh redis-server of its own (Debian's, on a loopback port, nothing saved to disk)
is filled with the seeded simulated fleet (bench/fleet_facts.py) through community.general.redis, as
gathering runs fill it (two processes, not measured); then the playbook renders from the cache alone:

  ansible-playbook playbooks/fleet_report.yml -e fleet_report_source=cache -e fleet_report_cache_hosts=cache

measured as a whole process (os.wait4: wall time, CPU time of it and its workers, the peak RSS of the
largest of them), with the load average before and after (each measurement waits up to 3 minutes for the 1-minute load to fall
below 1.5 first: the filling keeps both cores busy). Then headless chromium opens the HTML: time to
the load event and until the page script is ready, the next page, the filter, the table and its sorting
(tests/browser/report_page.py). The figures go to OUT/results.json and a table with the targets of
docs/performance.md, met or not.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(HERE)
sys.path[:0] = [HERE, os.path.join(CHECKOUT, 'tests', 'support'), os.path.join(CHECKOUT, 'tests', 'browser')]

import fleet_facts  # noqa: E402
from redis_server import redis_server  # noqa: E402

MIB = 1048576.0
# The targets of the controller-side issue (23), by fleet size: (measure, bound, unit).
TARGETS = {
    5000: (('cpu_s', 2.0, 's'), ('peak_mib', 80.0, 'MiB'), ('html_mb', 20.0, 'MB')),
    50000: (('wall_s', 25.0, 's'), ('peak_mib', 80.0, 'MiB'), ('browser_ready_s', 1.0, 's'), ('js_heap_mib', 60.0, 'MiB'),
            ('next_ms', 50.0, 'ms'), ('filter_ms', 50.0, 'ms'), ('filter_max_ms', 50.0, 'ms')),
}
FILLERS = 2
# Before each measurement, wait (at most SETTLE seconds) for the 1-minute load to fall below this, so that
# the filling (two busy processes) is not measured too.
QUIET_LOAD, SETTLE = 1.5, 180


def collection_root(directory):
    """A directory whose ansible_collections/hostops/fleet is this checkout."""
    os.makedirs(os.path.join(directory, 'ansible_collections', 'hostops'))
    os.symlink(CHECKOUT, os.path.join(directory, 'ansible_collections', 'hostops', 'fleet'))
    return directory


def fill_part(connection, count, start):
    """One filling process: hosts start, start + FILLERS, ... written through the cache plugin."""
    os.environ.update(ANSIBLE_CACHE_PLUGIN_CONNECTION=connection, ANSIBLE_CACHE_PLUGIN_TIMEOUT='0')
    from ansible.plugins.loader import cache_loader, init_plugin_loader
    init_plugin_loader()
    plugin = cache_loader.get('community.general.redis')
    text = fleet_facts.load_fixture()
    for name, facts, outcome in fleet_facts.fleet(count, text=text, start=start, step=FILLERS):
        entry = {'hostops_fleet_outcome': outcome}
        if facts is not None:
            entry['hostfacts'] = facts
        plugin.set(name, entry)


def fill(connection, count):
    started = time.perf_counter()
    with multiprocessing.get_context('spawn').Pool(FILLERS) as pool:
        pool.starmap(fill_part, [(connection, count, start) for start in range(FILLERS)])
    return time.perf_counter() - started


def settle():
    deadline = time.monotonic() + SETTLE
    while os.getloadavg()[0] >= QUIET_LOAD and time.monotonic() < deadline:
        time.sleep(5)


def render(env, out):
    """The playbook from the cache, as one measured process tree."""
    inventory = os.path.join(out, 'empty.yml')
    with open(inventory, 'w', encoding='utf-8') as stream:
        stream.write('')
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'),
               os.path.join(CHECKOUT, 'playbooks', 'fleet_report.yml'), '-i', inventory, '-e', json.dumps({
                   'fleet_report_source': 'cache', 'fleet_report_cache_hosts': 'cache', 'fleet_report_dir': out,
                   'fleet_report_title': 'Simulated fleet from Redis',
                   # The simulated fleet has unreachable and malformed hosts: measured, not failed.
                   'fleet_report_fail_on': 'never'})]
    load = os.getloadavg()[0]
    started = time.perf_counter()
    with open(os.path.join(out, 'ansible.json'), 'w', encoding='utf-8') as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=out)
        _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    with open(os.path.join(out, 'ansible.json'), encoding='utf-8') as stream:
        text = stream.read()
    assert status == 0, text[-3000:]
    result = [play for play in json.loads(text[text.index('{'):])['plays']
              if play['play']['name'] == 'Render the fleet report on the controller'][0]['tasks'][0]['hosts']
    [result] = result.values()
    return {'wall_s': wall, 'cpu_s': usage.ru_utime + usage.ru_stime, 'peak_mib': usage.ru_maxrss / 1024.0,
            'load_before': load, 'load_after': os.getloadavg()[0], 'render_s': result['render_seconds'],
            'render_cpu_s': result['render_cpu_seconds'],
            'by_state': result['by_state'], 'stale': result['stale'],
            'html_mb': os.path.getsize(os.path.join(out, 'fleet-report.html')) / 1e6,
            'json_mb': os.path.getsize(os.path.join(out, 'fleet-report.json')) / 1e6,
            'csv_mb': os.path.getsize(os.path.join(out, 'fleet-report.csv')) / 1e6}


def browse(path):
    """The page in headless chromium: open, ready, and the usability timings of report_page.py."""
    from cdp import Browser, wait_ready
    from report_page import usability
    browser = Browser('chromium')
    try:
        load = os.getloadavg()[0]
        started = time.perf_counter()
        browser.open('file://' + path, timeout=600)
        loaded = time.perf_counter() - started
        ready = loaded + wait_ready(browser, timeout=600)
        timing = usability(browser)
        assert browser.errors() == [], browser.errors()
    finally:
        browser.close()
    return {'browser_load_s': loaded, 'browser_ready_s': ready, 'next_ms': timing['next'],
            'next_at_once_ms': timing['next_at_once'],
            'filter_ms': timing['filter'], 'filter_max_ms': timing['filter_max'], 'table_ms': timing['table'],
            'sort_ms': timing['sort'],
            'dom_elements': timing['nodes'], 'js_heap_mib': (timing['heap'] or 0) / MIB, 'browser_load': load}


def measure(hosts, root, out, with_browser):
    directory = os.path.join(out, str(hosts))
    os.makedirs(directory, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix='fleet-cache-bench-redis-') as redis_dir, redis_server(redis_dir) as port:
        connection = '127.0.0.1:%d:0' % port
        filled = fill(connection, hosts)
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(CHECKOUT, 'ansible.cfg'), ANSIBLE_COLLECTIONS_PATH=root,
                   ANSIBLE_STDOUT_CALLBACK='ansible.posix.json', ANSIBLE_CACHE_PLUGIN='community.general.redis',
                   ANSIBLE_CACHE_PLUGIN_CONNECTION=connection, ANSIBLE_CACHE_PLUGIN_TIMEOUT='0',
                   PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))
        settle()
        result = dict(hosts=hosts, fill_s=filled, **render(env, directory))
    assert sum(result['by_state'].values()) == hosts
    if with_browser:
        settle()
        result.update(browse(os.path.join(directory, 'fleet-report.html')))
    return result


def read_paths(connection, hosts, root, rounds=2):
    """CPU of reading every host of the cache in this process, through _fleet_cache_fast's shortcuts and
    through the public keys()/get() path alone, alternately: {path: [seconds per round]}."""
    os.environ.update(ANSIBLE_CACHE_PLUGIN_CONNECTION=connection, ANSIBLE_CACHE_PLUGIN_TIMEOUT='0',
                      ANSIBLE_COLLECTIONS_PATH=root)
    from ansible.plugins.loader import cache_loader, init_plugin_loader
    init_plugin_loader()
    from ansible_collections.hostops.fleet.plugins.plugin_utils import _fleet_cache, _fleet_cache_fast as fast
    names = sorted(name for name, _facts, _outcome in fleet_facts.fleet(hosts, text=fleet_facts.load_fixture()))
    found = {'shortcuts': [], 'public': []}
    shortcuts = fast.stored_keys, fast.stored_entries
    for _round in range(rounds):
        for path in found:
            if path == 'public':
                fast.stored_keys, fast.stored_entries = (lambda plugin: None), (lambda plugin, names: None)
            try:
                plugin = cache_loader.get('community.general.redis')
                started = time.process_time()
                read = sum(1 for _host in _fleet_cache.cache_hosts(plugin, 'redis', names, 'hostops_fleet_outcome'))
                found[path].append(time.process_time() - started)
            finally:
                fast.stored_keys, fast.stored_entries = shortcuts
            assert read == hosts
    return found


def measure_paths(hosts):
    with tempfile.TemporaryDirectory(prefix='fleet-cache-bench-') as work, redis_server(work) as port:
        connection = '127.0.0.1:%d:0' % port
        fill(connection, hosts)
        settle()
        load = os.getloadavg()[0]
        found = read_paths(connection, hosts, collection_root(os.path.join(work, 'collections')))
    return dict(hosts=hosts, load_before=load, **dict(('read_%s_cpu_s' % path, times) for path, times in found.items()))


def verdicts(results):
    lines = []
    for result in results:
        for key, bound, unit in TARGETS.get(result['hosts'], ()):
            if key in result:
                lines.append('| %s | %s | %.2f %s | <= %g %s | %s |' % (
                    '{:,}'.format(result['hosts']), key, result[key], unit, bound, unit,
                    'met' if result[key] <= bound else '**not met**'))
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--hosts', type=lambda text: [int(n) for n in text.split(',')], default=[1000, 5000, 50000])
    parser.add_argument('--out', default=os.path.join(CHECKOUT, 'build', 'bench-fleet-cache'))
    parser.add_argument('--no-browser', action='store_true')
    parser.add_argument('--read-paths', type=int, metavar='HOSTS',
                        help='only measure reading HOSTS hosts in-process, through the shortcuts and the public path')
    args = parser.parse_args()
    if args.read_paths:
        print(json.dumps(measure_paths(args.read_paths)))
        return 0
    os.makedirs(args.out, exist_ok=True)
    print('load average before: %.2f %.2f %.2f' % os.getloadavg())
    results = []
    with tempfile.TemporaryDirectory(prefix='fleet-cache-bench-') as work:
        root = collection_root(os.path.join(work, 'collections'))
        for hosts in args.hosts:
            results.append(measure(hosts, root, args.out, not args.no_browser))
            print(json.dumps(dict((k, round(v, 3) if isinstance(v, float) else v) for k, v in results[-1].items())))
    print('load average after: %.2f %.2f %.2f\n' % os.getloadavg())
    with open(os.path.join(args.out, 'results.json'), 'w', encoding='utf-8') as stream:
        json.dump(results, stream, indent=1)
    print('| hosts | measure | value | target | verdict |\n|---|---|---:|---|---|')
    print('\n'.join(verdicts(results)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
