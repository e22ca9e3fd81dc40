# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of the processes, memory and filesystems subsets of hostfacts against ps aux, psutil and setup.

    make bench                      # or: .venv/bin/python bench/processes.py [--procs 2000] [--big 10000] [--runs 5]

With --procs extra sleeping processes running, alternating A/B, medians of --runs runs:
  1. gather() of processes+memory+filesystems, interval 0, in this process after imports,
     vs the wall time of `ps aux` (bar <= 1.0x). Both process_list=top (the default) and full.
  2. the same (process_list=full) vs an equivalent psutil process_iter loop (bar <= 0.3x).
  3. `ansible localhost -m hostops.fleet.hostfacts -a interval=0` vs `-m ansible.builtin.setup` (bar <= 0.6x),
     with `-m ansible.builtin.ping` alongside: the fixed cost of any ad-hoc module run, which no
     module can go below. Then the modules alone: the AnsiballZ payloads Ansible built for the three
     runs (kept with ANSIBLE_KEEP_REMOTE_FILES), each run as `python3 AnsiballZ_<name>.py`.
Then with --big extra processes (0 skips): peak RSS of the module process (bar <= 60 MiB) and the
cost per process of case 1 at both sizes, next to that of `ps aux` (bar: no worse than linear,
judged against the peer: the ratio to ps aux stays the same).
The load average is recorded around every group of runs (the host is shared).
Prints a table and writes bench/results.json.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
# Overrides of the hostfacts options table (the rest are its defaults).
OPTIONS = dict(gather_subset=['processes', 'memory', 'filesystems'], interval=0.0)
PSUTIL_ATTRS = ['pid', 'ppid', 'username', 'status', 'memory_percent', 'memory_info', 'terminal', 'create_time',
                'cpu_times', 'name', 'cmdline', 'num_threads']


def collection_root():
    """A directory where ansible_collections/hostops/fleet is this checkout (as tests/conftest.py does)."""
    root = tempfile.mkdtemp(prefix='hostfacts-bench-')
    os.makedirs(os.path.join(root, 'ansible_collections', 'hostops'))
    os.symlink(CHECKOUT, os.path.join(root, 'ansible_collections', 'hostops', 'fleet'))
    return root


def spawn_sleepers(count):
    """count extra `sleep` processes (fork + exec: each is a real, small process)."""
    pids = []
    for _index in range(count):
        pid = os.fork()
        if pid == 0:
            try:
                os.execv('/bin/sleep', ['sleep', '3600'])
            finally:
                os._exit(127)
        pids.append(pid)
    time.sleep(1.0)
    return pids


def stop_sleepers(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    for pid in pids:
        try:
            os.waitpid(pid, 0)
        except OSError:
            pass


def timed(func):
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def run_quiet(argv, env=None):
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env, cwd=CHECKOUT)


def alternate(runs, cases):
    """{name: [seconds]} running every case once per round, the order rotating each round."""
    times = dict((name, []) for name, _func in cases)
    for round_number in range(runs):
        shift = round_number % len(cases)
        for name, func in cases[shift:] + cases[:shift]:
            times[name].append(timed(func))
    return times


def in_process_cases(gather, options_class):
    import psutil

    def psutil_loop():
        rows = [proc.info for proc in psutil.process_iter(PSUTIL_ATTRS)]
        psutil.virtual_memory()
        psutil.swap_memory()
        for part in psutil.disk_partitions():
            psutil.disk_usage(part.mountpoint)
        return rows

    top = options_class.from_params(OPTIONS)
    full = options_class.from_params(dict(OPTIONS, process_list='full'))
    return [
        ('ps aux', lambda: run_quiet(['ps', 'aux'])),
        ('gather top', lambda: gather(top)),
        ('gather full', lambda: gather(full)),
        ('psutil loop', psutil_loop),
    ]


def ansible_env(**extra):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(CHECKOUT, 'ansible.cfg'),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(CHECKOUT, '.collections'))
    env.update(extra)
    return env


ANSIBLE_RUNS = (
    ('ansible hostfacts', ['hostops.fleet.hostfacts', '-a', 'interval=0']),
    ('ansible setup', ['ansible.builtin.setup']),
    ('ansible ping', ['ansible.builtin.ping']),
)


def ansible_cases():
    env = ansible_env()
    ansible = os.path.join(BIN, 'ansible')
    return [(name, lambda args=args: run_quiet([ansible, 'localhost', '-m'] + args, env)) for name, args in ANSIBLE_RUNS]


def module_only_cases():
    """The AnsiballZ payloads of the three ad-hoc runs, kept on disk, each run alone by python."""
    keep = tempfile.mkdtemp(prefix='hostfacts-bench-ansiballz-')
    atexit.register(shutil.rmtree, keep, True)
    env = ansible_env(ANSIBLE_KEEP_REMOTE_FILES='1', ANSIBLE_REMOTE_TMP=keep)
    ansible = os.path.join(BIN, 'ansible')
    cases = []
    for name, args in ANSIBLE_RUNS:
        before = set(os.listdir(keep))
        run_quiet([ansible, 'localhost', '-m'] + args, env)
        (new_dir,) = set(os.listdir(keep)) - before
        (payload,) = [f for f in os.listdir(os.path.join(keep, new_dir)) if f.startswith('AnsiballZ_')]
        path = os.path.join(keep, new_dir, payload)
        cases.append((name.replace('ansible ', 'module '), lambda path=path: run_quiet([sys.executable, path])))
    return cases


def module_peak_rss(root, process_list):
    """ru_maxrss (KiB) of one module process: the real module file, arguments on stdin."""
    args = json.dumps({'ANSIBLE_MODULE_ARGS': {'interval': 0, 'process_list': process_list,
                                               'gather_subset': ['processes', 'memory', 'filesystems']}})
    env = dict(os.environ, PYTHONPATH=root)
    proc = subprocess.Popen([sys.executable, '-m', 'ansible_collections.hostops.fleet.plugins.modules.hostfacts'],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env, cwd='/')
    proc.stdin.write(args.encode())
    proc.stdin.close()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = status
    if status != 0:
        raise RuntimeError('module run failed with status %d' % status)
    return usage.ru_maxrss


def count_processes():
    return sum(1 for name in os.listdir('/proc') if name.isdigit())


def medians(times):
    return dict((name, statistics.median(values)) for name, values in times.items())


def timed_group(result, runs, cases):
    """alternate() with the load average before and after (the host is shared with other jobs)."""
    load_before = os.getloadavg()[0]
    times = alternate(runs, cases)
    result.setdefault('load_average', []).append([round(load_before, 2), round(os.getloadavg()[0], 2)])
    return times


def measure_size(extra, runs, gather, root, with_ansible):
    """Every case with ``extra`` sleeping processes; ``gather`` is (gather function, options class)."""
    sleepers = spawn_sleepers(extra)
    try:
        result = {'extra_processes': extra, 'processes': count_processes()}
        times = timed_group(result, runs, in_process_cases(*gather))
        if with_ansible:
            times.update(timed_group(result, runs, ansible_cases()))
            times.update(timed_group(result, runs, module_only_cases()))
        result['median_seconds'] = medians(times)
        result['runs'] = times
        result['module_peak_rss_kib'] = dict((mode, module_peak_rss(root, mode)) for mode in ('top', 'full'))
        result['processes_after'] = count_processes()
        return result
    finally:
        stop_sleepers(sleepers)


def ratios(size):
    m = size['median_seconds']
    out = {
        'gather_top_vs_ps_aux': m['gather top'] / m['ps aux'],
        'gather_full_vs_ps_aux': m['gather full'] / m['ps aux'],
        'gather_full_vs_psutil': m['gather full'] / m['psutil loop'],
    }
    if 'ansible setup' in m:
        out['ansible_hostfacts_vs_setup'] = m['ansible hostfacts'] / m['ansible setup']
        # What no module can beat: an ad-hoc run of ping against one of setup.
        out['ansible_ping_vs_setup'] = m['ansible ping'] / m['ansible setup']
        out['module_hostfacts_vs_setup'] = m['module hostfacts'] / m['module setup']
        # Both sides less the fixed cost that ping measures.
        out['ansible_hostfacts_vs_setup_less_ping'] = ((m['ansible hostfacts'] - m['ansible ping'])
                                                       / (m['ansible setup'] - m['ansible ping']))
    return out


BARS = {'gather_top_vs_ps_aux': 1.0, 'gather_full_vs_ps_aux': 1.0, 'gather_full_vs_psutil': 0.3,
        'ansible_hostfacts_vs_setup': 0.6}


def print_table(results):
    print('\n%-34s %12s %12s' % ('median wall time (s)', 'small', 'big'))
    sizes = [results['small']] + ([results['big']] if results.get('big') else [])
    for name in sizes[0]['median_seconds']:
        values = ['%12.4f' % s['median_seconds'][name] if name in s['median_seconds'] else '%12s' % '-'
                  for s in sizes]
        print('%-34s %s' % (name, ' '.join(values)))
    print('%-34s %s' % ('processes on the host', ' '.join('%12d' % s['processes'] for s in sizes)))
    for size in sizes:
        print('load average (before, after) per group at %d processes: %s'
              % (size['processes'], ', '.join('%.1f-%.1f' % tuple(pair) for pair in size['load_average'])))
    print('\n%-38s %10s %8s' % ('ratio', 'measured', 'bar'))
    for size in sizes:
        for name, value in size['ratios'].items():
            limit = BARS.get(name)
            verdict = '' if limit is None else ('  met' if value <= limit else '  NOT MET')
            print('%-38s %10.3f %8s   (%d processes)%s'
                  % (name, value, '%.1f' % limit if limit else '-', size['processes'], verdict))
    for size in sizes:
        for mode, kib in size['module_peak_rss_kib'].items():
            print('module peak RSS, process_list=%-5s %9.1f MiB (bar 60) at %d processes'
                  % (mode, kib / 1024.0, size['processes']))
    for size in sizes:
        for name, value in size.get('per_process_us', {}).items():
            print('%-34s %8.1f us per process at %d processes' % (name, value, size['processes']))
    if results.get('scaling'):
        for name, value in results['scaling'].items():
            print('%-34s %12.2f  (per-process cost big / small; 1.0 = linear)' % (name, value))


def per_process_us(size):
    m = size['median_seconds']
    return dict((name, 1e6 * m[name] / size['processes']) for name in ('gather top', 'gather full', 'ps aux'))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--procs', type=int, default=2000)
    parser.add_argument('--big', type=int, default=10000, help='extra processes for the memory/scaling run (0: skip)')
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--skip-ansible', action='store_true')
    parser.add_argument('--output', default=os.path.join(CHECKOUT, 'bench', 'results.json'))
    args = parser.parse_args()
    if args.runs < 5:
        parser.error('--runs must be 5 or more (medians of at least 5 runs)')
    root = collection_root()
    sys.path.insert(0, root)
    from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather
    from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.options import HostfactsOptions
    gather(HostfactsOptions.from_params(OPTIONS))  # warm up imports and caches, as a module process has them
    gather = (gather, HostfactsOptions)

    results = {'host': platform.node(), 'python': platform.python_version(), 'cpus': os.cpu_count(),
               'runs': args.runs, 'date': time.strftime('%Y-%m-%dT%H:%M:%S%z')}
    results['small'] = measure_size(args.procs, args.runs, gather, root, not args.skip_ansible)
    results['small']['ratios'] = ratios(results['small'])
    results['small']['per_process_us'] = per_process_us(results['small'])
    if args.big:
        results['big'] = measure_size(args.big, args.runs, gather, root, False)
        results['big']['ratios'] = ratios(results['big'])
        results['big']['per_process_us'] = per_process_us(results['big'])
        small, big = results['small'], results['big']
        results['scaling'] = dict(
            ('%s per process' % name, big['per_process_us'][name] / small['per_process_us'][name])
            for name in ('gather top', 'gather full', 'ps aux'))
    print_table(results)
    with open(args.output, 'w') as handle:
        json.dump(results, handle, indent=1, sort_keys=True)
    print('\nresults written to %s' % args.output)


if __name__ == '__main__':
    main()
