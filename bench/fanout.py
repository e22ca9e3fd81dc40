# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fan-out: `ansible all -m hostops.fleet.hostfacts` against `ansible all -m ansible.builtin.ping`.

    make bench-fanout        # or: .venv/bin/python bench/fanout.py [--hosts 20] [--rounds 5] [--prefix fanout]

Starts --hosts systemd containers of the test fleet (the ${HOSTOPS_IMAGE_PREFIX:-hostops-fleet}:bookworm image of
tests/testfleet.sh, the prefix the Molecule platform reads too; --image overrides it,
run as the Molecule platform in .config/molecule/config.yml runs it), named <prefix>-01, <prefix>-02...,
waits until systemd has booted in each, then times, with the repository's ansible.cfg, the docker connection
and forks equal to the number of hosts (20 by default), alternating the cases round after round (the order
rotates) and taking the median of --rounds rounds (at least 3):

  ping                 ansible all -m ansible.builtin.ping
  hostfacts            ansible all -m hostops.fleet.hostfacts                       (the defaults: the bar)
  hostfacts snapshot   ansible all -m hostops.fleet.hostfacts -a interval=0         (every subset, one sample)
  setup                ansible all -m ansible.builtin.setup                          (with --setup)
  hostfacts compared   ansible all -m hostops.fleet.hostfacts with the collection installed under
                       --compare-collections (another build of it, main's say: before and after in one run)

The defaults sample for `interval` seconds (the options table's default, read from the installed collection):
that second is what the user asked for, not a cost. The bar is on what the module costs beyond it:
(hostfacts wall - interval) / ping wall, at most 1.1x (moonshot 1.05x), from the medians of the rounds and,
round by round, from the two runs of the same round. The load average (1 min) is recorded around
every round; the 2 cores of the development machine are shared, so run it when `uptime` shows a load below
1.5 if possible. Then it reports what one host pays beyond ping: the AnsiballZ payload of each module
(files and bytes of module_utils in its zip) and, inside one container, the wall and CPU time of each payload
run alone (`python3 AnsiballZ_<module>.py`, median of --rounds runs). The containers are removed at the
end (also on Ctrl-C); results go to bench/fanout_results.json.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import io
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
# The Molecule platform of .config/molecule/config.yml, as docker run options.
RUN_OPTIONS = ['--cap-add', 'SYS_ADMIN', '--cap-add', 'NET_ADMIN', '--cap-add', 'SYS_PTRACE', '--cgroupns', 'host',
               '-v', '/sys/fs/cgroup:/sys/fs/cgroup:rw', '--tmpfs', '/run', '--tmpfs', '/tmp']
CASES = (
    ('ping', ['ansible.builtin.ping']),
    ('hostfacts', ['hostops.fleet.hostfacts']),
    ('hostfacts snapshot', ['hostops.fleet.hostfacts', '-a', 'interval=0']),
)
SETUP_CASE = ('setup', ['ansible.builtin.setup'])
COMPARED_CASE = ('hostfacts compared', ['hostops.fleet.hostfacts'])
BAR = 1.1
MOONSHOT = 1.05


def default_interval(collections):
    """The module's default interval, from the options table of the collection installed under ``collections``."""
    sys.path.insert(0, collections)
    try:
        from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.options import OPTIONS
    finally:
        sys.path.remove(collections)
    return [option.default for option in OPTIONS if option.name == 'interval'][0]


def beyond_interval(times, interval):
    """(ratio of the medians, [ratio of each round]) of (hostfacts - interval) / ping."""
    ping, hostfacts = times['ping'], times['hostfacts']
    rounds = [(h - interval) / p for h, p in zip(hostfacts, ping)]
    return (statistics.median(hostfacts) - interval) / statistics.median(ping), rounds


def docker(*args, **kwargs):
    return subprocess.run(['docker'] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=False, **kwargs)


def start_containers(names, image):
    remove_containers(names)
    for name in names:
        started = docker('run', '-d', '--name', name, '--hostname', name, *RUN_OPTIONS, image, '/lib/systemd/systemd')
        if started.returncode != 0:
            raise SystemExit('docker run %s failed: %s' % (name, started.stderr.strip()))
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        states = list(pool.map(booted_state, names))
    bad = [(name, state) for name, state in zip(names, states) if state not in ('running', 'degraded')]
    if bad:
        raise SystemExit('systemd did not finish booting in %s' % bad)


def booted_state(name, limit=300):
    """systemd's state once it has booted (running or degraded), polled: before systemd's bus is up,
    systemctl answers nothing, and `is-system-running --wait` asked that early can wait forever."""
    deadline = time.monotonic() + limit
    state = ''
    while time.monotonic() < deadline:
        state = docker('exec', name, 'systemctl', 'is-system-running', timeout=30).stdout.strip()
        if state in ('running', 'degraded'):
            break
        time.sleep(0.5)
    return state


def remove_containers(names):
    """Remove our own containers (by exact name) and nothing else."""
    existing = set(docker('ps', '-a', '--format', '{{.Names}}').stdout.split())
    mine = [name for name in names if name in existing]
    if mine:
        docker('rm', '-f', *mine)


def write_inventory(directory, names):
    path = os.path.join(directory, 'inventory.yml')
    hosts = '\n'.join('        %s: {}' % name for name in names)
    with open(path, 'w') as handle:
        handle.write('all:\n  children:\n    fanout:\n      vars:\n        ansible_connection: community.docker.docker\n'
                     '        ansible_python_interpreter: /usr/bin/python3\n      hosts:\n%s\n' % hosts)
    return path


def ansible_env(**extra):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(CHECKOUT, 'ansible.cfg'),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(CHECKOUT, '.collections'), ANSIBLE_NOCOLOR='1')
    env.update(extra)
    return env


def run_ansible(inventory, forks, module_args, env, pattern='all'):
    """Wall seconds of one ad-hoc run; it must succeed on every host."""
    argv = [os.path.join(BIN, 'ansible'), pattern, '-i', inventory, '-f', str(forks), '-m'] + module_args
    started = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=CHECKOUT,
                          universal_newlines=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit('%s failed:\n%s' % (' '.join(argv), done.stdout[-3000:]))
    return seconds, len(done.stdout)


def timed_rounds(cases, rounds, run):
    """{case: [seconds]}, every case once per round, the order rotating; loads around each round.
    ``run(name, module_args)`` times one case."""
    times = dict((name, []) for name, _args in cases)
    loads = []
    for number in range(rounds):
        shift = number % len(cases)
        before = os.getloadavg()[0]
        for name, args in cases[shift:] + cases[:shift]:
            times[name].append(run(name, args))
        loads.append([round(before, 2), round(os.getloadavg()[0], 2)])
    return times, loads


def kept_payloads(inventory, host, cases, case_env):
    """{case: (AnsiballZ path on the controller, zip entries {name: bytes})} of one run of each case on ``host``."""
    keep = tempfile.mkdtemp(prefix='fanout-payloads-')
    atexit.register(shutil.rmtree, keep, True)
    payloads = {}
    for name, args in cases:
        remote_tmp = '/root/.ansible/fanout-keep'
        env = dict(case_env(name), ANSIBLE_KEEP_REMOTE_FILES='1', ANSIBLE_REMOTE_TMP=remote_tmp)
        docker('exec', host, 'rm', '-rf', remote_tmp)
        run_ansible(inventory, 1, args, env, pattern=host)
        found = docker('exec', host, 'sh', '-c', 'ls %s/*/AnsiballZ_*.py' % remote_tmp).stdout.split()
        local = os.path.join(keep, name.replace(' ', '_') + '.py')
        with open(local, 'wb') as handle:  # not `docker cp`: see copy_into
            subprocess.run(['docker', 'exec', host, 'cat', found[0]], stdout=handle, check=True)
        payloads[name] = (local, zip_entries(local))
    return payloads


def zip_entries(path):
    """{file name: size} of the module zip held (base64) in an AnsiballZ wrapper."""
    with open(path) as handle:
        text = handle.read()
    match = re.search(r"zip_data\s*=\s*'([A-Za-z0-9+/=]+)'", text)
    data = base64.b64decode(match.group(1))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return dict((info.filename, info.file_size) for info in archive.infolist() if not info.is_dir())


TIMER = ('import resource, subprocess, sys, time; started = time.perf_counter(); '
         'subprocess.run([sys.executable, sys.argv[1]], stdout=subprocess.DEVNULL, check=True); '
         'wall = time.perf_counter() - started; usage = resource.getrusage(resource.RUSAGE_CHILDREN); '
         'print(wall, usage.ru_utime + usage.ru_stime)')


def copy_into(host, local, remote):
    """Copy a file into a container through docker exec: every `docker cp` into or out of a container of the
    test fleet (cgroupns host, /sys/fs/cgroup mounted) stacks more copies of the cgroup mounts in its
    mountinfo (11 to 22 lines each), which would make what reads mountinfo dearer there than in the timed
    rounds."""
    with open(local, 'rb') as handle:
        subprocess.run(['docker', 'exec', '-i', host, 'sh', '-c', 'cat > "$1"', 'copy', remote], stdin=handle,
                       stdout=subprocess.DEVNULL, check=True)


def payload_costs(host, payloads, rounds):
    """{case: {'wall': s, 'cpu': s}} of each payload run alone inside ``host``, medians of ``rounds`` runs."""
    costs = {}
    for name, (local, _entries) in payloads.items():
        remote = '/root/%s' % os.path.basename(local)
        copy_into(host, local, remote)
        walls, cpus = [], []
        for _number in range(rounds):
            wall, cpu = docker('exec', host, '/usr/bin/python3', '-c', TIMER, remote).stdout.split()
            walls.append(float(wall))
            cpus.append(float(cpu))
        costs[name] = {'wall': statistics.median(walls), 'cpu': statistics.median(cpus)}
    return costs


def describe_payload(entries):
    module_utils = dict((name, size) for name, size in entries.items() if '/module_utils/' in name)
    ours = dict((name, size) for name, size in module_utils.items() if 'ansible_collections/' in name)
    return {'files': len(entries), 'bytes': sum(entries.values()), 'module_utils_files': len(module_utils),
            'module_utils_bytes': sum(module_utils.values()), 'collection_files': len(ours),
            'collection_bytes': sum(ours.values())}


def print_report(result):
    medians = result['median_seconds']
    print('\n%-20s %10s %10s %s' % ('case', 'median s', 'vs ping', 'runs'))
    for name, values in result['runs'].items():
        print('%-20s %10.2f %9.2fx %s' % (name, medians[name], medians[name] / medians['ping'],
                                          ' '.join('%.2f' % v for v in values)))
    print('load average (before, after) per round: %s' % ', '.join('%.2f-%.2f' % tuple(p) for p in result['loads']))
    ratio = result['hostfacts_beyond_interval_vs_ping']
    verdict = 'moonshot met' if ratio <= MOONSHOT else 'met' if ratio <= BAR else 'NOT MET'
    print('\nhostfacts (defaults, interval %s s) / ping = %.3f; beyond the interval: (hostfacts - %s) / ping = %.3f '
          '(bar <= %.2f, moonshot <= %.2f): %s' % (result['interval'], result['hostfacts_vs_ping'], result['interval'],
                                                   ratio, BAR, MOONSHOT, verdict))
    print('  round by round: %s' % ' '.join('%.3f' % r for r in result['beyond_interval_by_round']))
    header = ('payload', 'files', 'bytes', 'module_utils', 'collection', 'wall s', 'cpu s')
    print('\n%-20s %8s %10s %14s %14s %10s %10s' % header)
    for name, payload in result['payloads'].items():
        cost = result['payload_costs'][name]
        print('%-20s %8d %10d %6d %7d %6d %7d %10.3f %10.3f' % (
            name, payload['files'], payload['bytes'], payload['module_utils_files'], payload['module_utils_bytes'],
            payload['collection_files'], payload['collection_bytes'], cost['wall'], cost['cpu']))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--hosts', type=int, default=20)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--prefix', default='fanout')
    parser.add_argument('--image', default='%s:bookworm' % os.environ.get('HOSTOPS_IMAGE_PREFIX', 'hostops-fleet'))
    parser.add_argument('--setup', action='store_true', help='also time ansible.builtin.setup')
    parser.add_argument('--compare-collections', metavar='PATH',
                        help='also time hostfacts from the collection installed under PATH (a collections path)')
    parser.add_argument('--output', default=os.path.join(CHECKOUT, 'bench', 'fanout_results.json'))
    args = parser.parse_args()
    if args.rounds < 3:
        parser.error('--rounds must be at least 3 (the median of 3 alternating rounds is the least the bar accepts)')
    names = ['%s-%02d' % (args.prefix, number) for number in range(1, args.hosts + 1)]
    atexit.register(remove_containers, names)
    signal.signal(signal.SIGTERM, lambda *_unused: sys.exit(1))
    cases = list(CASES) + ([SETUP_CASE] if args.setup else []) + ([COMPARED_CASE] if args.compare_collections else [])
    workdir = tempfile.mkdtemp(prefix='fanout-')
    atexit.register(shutil.rmtree, workdir, True)
    print('starting %d containers %s..%s from %s' % (args.hosts, names[0], names[-1], args.image))
    start_containers(names, args.image)
    inventory = write_inventory(workdir, names)
    env = ansible_env()
    compared_env = ansible_env(ANSIBLE_COLLECTIONS_PATH=os.path.abspath(args.compare_collections or '.'))

    def case_env(name):
        return compared_env if name == COMPARED_CASE[0] else env
    result = {'hosts': args.hosts, 'forks': args.hosts, 'rounds': args.rounds, 'image': args.image,
              'compare_collections': args.compare_collections,
              'load_before_warm_up': round(os.getloadavg()[0], 2)}
    for name, module_args in cases:  # warm up: page cache, the controller's AnsiballZ cache
        run_ansible(inventory, args.hosts, module_args, case_env(name))
    times, result['loads'] = timed_rounds(cases, args.rounds, lambda name, module_args: run_ansible(
        inventory, args.hosts, module_args, case_env(name))[0])
    result['runs'] = times
    result['median_seconds'] = dict((name, statistics.median(values)) for name, values in times.items())
    result['hostfacts_vs_ping'] = result['median_seconds']['hostfacts'] / result['median_seconds']['ping']
    result['interval'] = default_interval(os.path.join(CHECKOUT, '.collections'))
    result['hostfacts_beyond_interval_vs_ping'], result['beyond_interval_by_round'] = beyond_interval(
        times, result['interval'])
    payloads = kept_payloads(inventory, names[0], cases, case_env)
    result['payloads'] = dict((name, describe_payload(entries)) for name, (_path, entries) in payloads.items())
    result['payload_costs'] = payload_costs(names[0], payloads, args.rounds)
    result['stdout_bytes'] = dict((name, run_ansible(inventory, args.hosts, module_args, case_env(name))[1])
                                  for name, module_args in cases)
    print_report(result)
    with open(args.output, 'w') as handle:
        json.dump(result, handle, indent=1, sort_keys=True)
    print('\nwrote %s' % args.output)


if __name__ == '__main__':
    main()
