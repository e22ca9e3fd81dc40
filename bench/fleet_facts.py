# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fleets of hostfacts made from a captured fixture, with variation, for the report's benchmark and browser test.

Each host gets its own copy of the fixture (a JSON round trip, as a controller holds one fact dict per
host) with its memory, filesystem use, load, iowait, busiest disk, hot processes, namespaces and alerts
varied by a seeded random generator, so every run makes the same fleet. A few hosts are unreachable
or failed, as in a real fleet. Each host has an identity (the hostfacts subset system) and a gathering
time, the controller's, as the gathering playbook records it: minutes before NOW, or days for 1 host in 100.
"""

from __future__ import annotations

import json
import os
import random
import time

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(CHECKOUT, 'tests', 'fixtures', 'fleet_report', 'hostfacts-localhost.json')

HOT_COMMANDS = ('java', 'postgres', 'mysqld', 'python3', 'node', 'nginx', 'bonnie++', 'rsync', 'gzip', 'ffmpeg')
ROLES = ('web', 'db', 'cache', 'batch', 'k8s', 'mail')
SYSTEMS = (('debian', '12', 'Debian GNU/Linux 12 (bookworm)', '6.1.0-28-amd64'),
           ('debian', '13', 'Debian GNU/Linux 13 (trixie)', '6.12.12-amd64'),
           ('ubuntu', '24.04', 'Ubuntu 24.04.1 LTS', '6.8.0-51-generic'),
           ('rhel', '9.5', 'Red Hat Enterprise Linux 9.5 (Plow)', '5.14.0-503.15.1.el9_5.x86_64'))
# The time the simulated fleet was gathered up to (the report's "now" in the tests).
NOW = 1795996800.0  # 2026-11-30T00:00:00Z


def load_fixture(path=FIXTURE):
    with open(path, encoding='utf-8') as stream:
        return stream.read()


def _process(base, pid, command, cpu_pct, rss_kb, mem_total):
    row = dict(base)
    row.update(pid=pid, command=command, args='/usr/bin/%s --worker %d' % (command, pid), cpu_pct=cpu_pct,
               rss_kb=rss_kb, mem_pct=round(100.0 * rss_kb * 1024 / mem_total, 1))
    return row


def vary(facts, index, rng):
    """Change one host's copy of the fixture in place into a plausible, different host."""
    memory = facts['memory']
    total = rng.choice((4, 8, 16, 32, 64, 128)) * 1024 ** 3
    pct = rng.choice((rng.uniform(2, 19), rng.uniform(20, 95), rng.uniform(40, 95), rng.uniform(60, 98)))
    memory.update(total=total, available=int(total * pct / 100), used=int(total * (100 - pct) / 100),
                  available_pct=round(pct, 1), status='low' if pct < 20 else 'ok')
    alerts = []
    if pct < 20:
        alerts.append({'severity': 'critical' if pct < 10 else 'warning', 'subset': 'memory',
                       'message': 'memory available %.1f %% is below the 20 %% threshold' % pct})
    for mount in facts['filesystems']['mounts']:
        use = min(100, int(rng.betavariate(2, 3) * 100) + (30 if index % 17 == 0 else 0))
        mount['use_pct'] = use
        if mount.get('size'):
            mount['used'] = int(mount['size'] * use / 100)
            mount['available'] = mount['size'] - mount['used']
        if use >= 90:
            alerts.append({'severity': 'critical' if use >= 98 else 'warning', 'subset': 'filesystems',
                           'message': 'space on %s is %d %% used' % (mount['mount_point'], use)})
    processes = facts['processes']
    cpus = rng.choice((2, 4, 8, 16, 32))
    load1 = round(rng.expovariate(1.0 / (cpus * 0.5)), 2)
    processes.update(cpu_count=cpus, load={'load1': load1, 'load5': round(load1 * 0.9, 2),
                                           'load15': round(load1 * 0.8, 2)})
    wa = round(min(60.0, rng.expovariate(1 / 4.0)), 1)
    busy = round(min(100.0 - wa, rng.uniform(2, 90)), 1)
    processes['cpu'] = {'us': round(busy * 0.7, 1), 'sy': round(busy * 0.3, 1), 'ni': 0.0, 'id': round(100 - busy - wa, 1),
                        'wa': wa, 'hi': 0.0, 'si': 0.0, 'st': 0.0}
    hot = rng.choice(HOT_COMMANDS)
    base = processes['top_cpu'][0]
    processes['top_cpu'][0] = _process(base, 1000 + index, hot, round(rng.uniform(0, 120), 1),
                                       rng.randint(10000, 4000000), total)
    processes['top_memory'][0] = _process(base, 2000 + index, rng.choice(HOT_COMMANDS), 1.0,
                                          int(total / 1024 * rng.uniform(0.01, 0.4)), total)
    io = facts['io']
    io['iowait_pct'] = wa
    for disk in io['disks']:
        disk['util_pct'] = round(min(100.0, wa * rng.uniform(1, 3)), 1)
        disk['name'] = rng.choice(('sda', 'nvme0n1', 'vda', 'xvda'))
    if io.get('top_writers'):
        io['top_writers'][0]['write_bytes_s'] = rng.choice((0.0, 1e5, 5e6, 3e7, 9e7))
        io['top_writers'][0]['comm'] = rng.choice(HOT_COMMANDS)
    if wa >= 20:
        alerts.append({'severity': 'warning', 'subset': 'io', 'message': 'iowait %.0f %% is at or above 20 %%' % wa})
    namespaces = facts.get('namespaces', {}).get('namespaces', [])
    del namespaces[rng.randint(len(namespaces) // 2, len(namespaces)):]
    facts['alerts'] = alerts
    facts['warnings'] = facts['warnings'][:rng.randint(0, len(facts['warnings']))]
    facts['system'] = system(index, rng)
    return facts


def system(index, rng):
    """The identity facts of a host: OS, kernel, uptime and a primary address unique in the fleet."""
    os_id, version, pretty, kernel = rng.choice(SYSTEMS)
    uptime = round(rng.expovariate(1 / (30 * 86400.0)), 1)
    return {'hostname': host_name(index).split('.')[0], 'os': {'id': os_id, 'version_id': version, 'pretty_name': pretty},
            'kernel': {'release': kernel, 'machine': 'x86_64'}, 'uptime_seconds': uptime,
            'boot_time': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(NOW - uptime)),
            'primary_address': {'interface': 'eth0', 'ipv4': '10.%d.%d.%d' % (index >> 16 & 255, index >> 8 & 255,
                                                                              index & 255 or 1),
                                'ipv6': None}}


def gathered_at(index, rng):
    """The controller's time of the host's gathering: minutes ago, or days ago for 1 host in 100 (stale)."""
    age = rng.uniform(2, 10) * 86400 if index % 100 == 42 else rng.uniform(60, 3600)
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(NOW - age))


def host_name(index):
    return '%s-%04d.dc%d.example.net' % (ROLES[index % len(ROLES)], index, index % 3 + 1)


def host(index, seed, text):
    """(name, facts or None, outcome) of host number ``index``: its own seeded generator, so that hosts can
    be made in any order, by several processes, and come out the same."""
    rng = random.Random('%d-%d' % (seed, index))
    name = host_name(index)
    when = gathered_at(index, rng)
    if index % 250 == 7:
        message = 'Failed to connect to the host via ssh: ssh: connect to host %s port 22: No route to host' % name
        return name, None, {'state': 'unreachable', 'msg': message, 'gathered_at': when}
    if index % 500 == 11:
        return name, None, {'state': 'failed', 'msg': 'MODULE FAILURE: /usr/bin/python3: not found', 'gathered_at': when}
    return name, vary(json.loads(text), index, rng), {'state': 'ok', 'msg': '', 'gathered_at': when}


def fleet(count, seed=20261128, text=None, start=0, step=1):
    """Yield (name, facts or None, outcome) for hosts start, start + step, ... below ``count``; about 1 in 250
    unreachable, 1 in 500 failed."""
    text = text or load_fixture()
    for index in range(start, count, step):
        yield host(index, seed, text)
