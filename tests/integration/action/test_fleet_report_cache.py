# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report from a shared fact cache, the way a fleet beyond one controller runs it.

Gathering runs as AWX job slicing runs it: the inventory cut in slices, each slice an ansible-runner job in
a process of its own, all at once, each writing its hosts' facts into one fact cache, a real Redis (Debian's
redis-server, started here on a loopback port, through community.general.redis) or ansible-core's jsonfile
cache on a shared directory. Then one run renders the report from the cache alone, gathering nothing.

The hosts are this machine under several names (the local connection, the real hostfacts module), a
stand-in for a compromised host (an interpreter that prints empty hostfacts), a host nobody answers for
(ssh to a closed loopback port), a host whose facts a fourth job planted with an old gathering time, and
an inventory host no slice gathered.
"""

from __future__ import annotations

import datetime
import json
import os
import time

import ansible_runner
import pytest

from support import paths
from support.adhoc import environment, run_playbook
from support.fleet_hosts import LOCAL, standin
from support.redis_server import redis_server

PLAYBOOKS = os.path.join(paths.CHECKOUT, 'playbooks')
FIXTURE = os.path.join(paths.FIXTURES, 'fleet_report', 'hostfacts-localhost.json')
SLICES = [['local-a', 'local-b'], ['local-c', 'hollow'], ['local-d', 'down']]
# Plants a host's facts as a gathering run long ago would have left them (set_fact cacheable, as fleet_gather).
PLANT = [{'name': 'An old gathering run', 'hosts': 'ancient', 'gather_facts': False, 'tasks': [{
    'name': 'Leave facts gathered in 2020 in the cache',
    'ansible.builtin.set_fact': {
        'hostfacts': "{{ lookup('ansible.builtin.file', '%s') | from_json }}" % FIXTURE,
        'hostops_fleet_outcome': {'state': 'ok', 'msg': '', 'gathered_at': '2020-01-01T00:00:00Z'},
        'cacheable': True}}]}]


def host_vars(directory):
    hosts = dict((name, dict(LOCAL)) for name in ('local-a', 'local-b', 'local-c', 'local-d', 'ancient', 'never'))
    hosts['hollow'] = standin(directory, 'hollow', {})
    hosts['down'] = {'ansible_connection': 'ssh', 'ansible_host': '127.0.0.1', 'ansible_port': 9,
                     'ansible_ssh_common_args': '-o ConnectTimeout=3 -o StrictHostKeyChecking=no'}
    return hosts


def inventory(hosts, names):
    return {'all': {'hosts': dict((name, hosts[name]) for name in names)}}


def playbook_event(runner, kind):
    [event] = [event for event in runner.events if event['event'] == kind]
    return event


def created(event):
    return datetime.datetime.fromisoformat(event['created'])


def run_slices(directory, hosts, cache_env):
    """The slices and the planting job, each an ansible-runner job in its own process, all at once."""
    # What the jobs need beyond the process's own environment (ansible-runner starts from it).
    env = dict((key, value) for key, value in environment(**cache_env).items()
               if key.startswith('ANSIBLE_') or key == 'PATH')
    # A sampling interval of 1 s, the playbook's default: each slice then runs for a second or more.
    jobs = [('fleet_gather.yml', names, {'fleet_report_interval': 1,
                                         'fleet_report_gather_subset': ['memory', 'processes', 'filesystems']})
            for names in SLICES]
    with open(os.path.join(directory, 'plant.yml'), 'w', encoding='utf-8') as stream:
        json.dump(PLANT, stream)
    jobs.append((os.path.join(directory, 'plant.yml'), ['ancient'], {}))
    started = []
    for number, (playbook, names, extravars) in enumerate(jobs):
        private = os.path.join(directory, 'slice-%d' % number)
        os.mkdir(private)
        thread, runner = ansible_runner.run_async(
            private_data_dir=private, project_dir=PLAYBOOKS,
            playbook=playbook, inventory=inventory(hosts, names), extravars=extravars, envvars=env, quiet=True,
            # ansible-runner points a jsonfile cache at each job's own artifacts unless told otherwise
            # (fact_cache_type='jsonfile' in ansible_runner/config/_base.py): the jobs share ours instead.
            fact_cache_type='shared')
        started.append((thread, runner))
    windows = []
    for thread, runner in started:
        thread.join(timeout=300)
        assert runner.status == 'successful', runner.stdout.read()[-3000:]
        # The playbook's own start and end, stamped by ansible-runner's callback in the job's process. Selected by
        # type, not position: whatever the job prints before the playbook starts (a library's warning on stderr)
        # is an event too, a 'verbose' one without pid or timestamp.
        start, end = playbook_event(runner, 'playbook_on_start'), playbook_event(runner, 'playbook_on_stats')
        windows.append((created(start), created(end), start['pid']))
    return windows


def render_run(directory, hosts, cache_env, names, name, extra=None):
    path = os.path.join(directory, name + '.json')
    with open(path, 'w', encoding='utf-8') as stream:
        json.dump(inventory(hosts, names), stream)
    # The cache holds a malformed and an unreachable host on purpose: the report shows them, the run goes on.
    variables = dict({'fleet_report_dir': os.path.join(directory, name), 'fleet_report_source': 'cache',
                      'fleet_report_stale_after': 86400, 'fleet_report_fail_on': 'never'}, **(extra or {}))
    return run_playbook(os.path.join(PLAYBOOKS, 'fleet_report.yml'), '-i', path, '-e', json.dumps(variables),
                        **cache_env)


def render(directory, hosts, cache_env, names, name, extra=None):
    callback, proc = render_run(directory, hosts, cache_env, names, name, extra)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    plays = [play['play']['name'] for play in callback['plays']]
    assert plays == ["Check the report's settings before gathering", 'Gather hostfacts on every host of the fleet',
                     'Render the fleet report on the controller']
    assert callback['plays'][1]['tasks'] == []  # nothing gathered in the render run
    with open(os.path.join(directory, name, 'fleet-report.json'), encoding='utf-8') as stream:
        return dict((host['name'], host) for host in json.load(stream)['hosts'])


@pytest.fixture(scope='module', params=['redis', 'jsonfile'])
def cache(request, tmp_path_factory):
    directory = str(tmp_path_factory.mktemp('cache-' + request.param))
    if request.param == 'jsonfile':
        yield request.param, directory, {'ANSIBLE_CACHE_PLUGIN': 'jsonfile',
                                         'ANSIBLE_CACHE_PLUGIN_CONNECTION': os.path.join(directory, 'shared')}
        return
    with redis_server(directory) as port:
        yield request.param, directory, {'ANSIBLE_CACHE_PLUGIN': 'community.general.redis',
                                         'ANSIBLE_CACHE_PLUGIN_CONNECTION': '127.0.0.1:%d:0' % port}


@pytest.fixture(scope='module')
def gathered(cache):
    kind, directory, cache_env = cache
    hosts = host_vars(directory)
    windows = run_slices(directory, hosts, cache_env)
    report = render(directory, hosts, cache_env, list(hosts), 'inventory')
    return kind, directory, cache_env, hosts, windows, report


def test_the_slices_ran_at_the_same_time_in_processes_of_their_own(gathered):
    windows = gathered[4]
    slices = windows[:len(SLICES)]
    assert max(start for start, _end, _pid in slices) < min(end for _start, end, _pid in slices)
    assert len(set(pid for _start, _end, pid in windows)) == len(windows) == len(SLICES) + 1


def test_one_render_run_reads_every_host_from_the_cache(gathered):
    report = gathered[5]
    assert sorted(report) == sorted(gathered[3])
    for name in ('local-a', 'local-b', 'local-c', 'local-d'):
        assert report[name]['state'] == 'ok' and report[name]['memory']['total'] > 0
        assert report[name]['stale'] is False and report[name]['gathered_at'].endswith('Z')
    assert report['hollow']['state'] == 'malformed'
    assert report['down']['state'] == 'unreachable' and report['down']['gathered_at'] is not None


def test_a_host_gathered_long_ago_is_stale_not_dropped(gathered):
    ancient = gathered[5]['ancient']
    assert ancient['state'] == 'ok' and ancient['stale'] is True and ancient['gathered_at'] == '2020-01-01T00:00:00Z'
    assert ancient['severity'] in ('critical', 'warning')
    assert any(a['message'].startswith('facts are stale: gathered') for a in ancient['alerts'])


def test_an_inventory_host_absent_from_the_cache_is_no_facts(gathered):
    never = gathered[5]['never']
    assert never['state'] == 'no_facts' and never['alerts'][0]['message'].endswith('not in the fact cache')


def test_every_host_of_the_cache_without_an_inventory(gathered):
    kind, directory, cache_env, hosts = gathered[:4]
    report = render(directory, hosts, cache_env, [], 'cache-only', {'fleet_report_cache_hosts': 'cache'})
    assert sorted(report) == sorted(name for name in hosts if name != 'never')
    assert report['ancient']['stale'] is True and report['local-a']['state'] == 'ok'


def test_a_render_from_the_cache_fails_for_the_hosts_the_cache_holds_as_unseen(gathered):
    kind, directory, cache_env, hosts = gathered[:4]
    callback, proc = render_run(directory, hosts, cache_env, list(hosts), 'failing', {
        'fleet_report_fail_on': ['unreachable', 'failed', 'malformed']})
    assert proc.returncode == 2, proc.stdout[-3000:]
    [render_play] = [play for play in callback['plays'] if play['play']['name'] == 'Render the fleet report on the controller']
    [result] = render_play['tasks'][0]['hosts'].values()
    report = os.path.join(directory, 'failing', 'fleet-report.html')
    assert result['msg'] == ('2 of %d host(s) fail the report: 1 unreachable (down); 1 with malformed facts (hollow); '
                             'the report is written: file://%s (fail_on: unreachable, failed, malformed)'
                             % (len(hosts), report))
    assert os.path.getsize(report) > 0


# Stored values that are no host entry of any ansible-core release (issue 24, finding 7), planted where the
# cache keeps a host; and an entry as an ansible-core without the 2.19 storage schema stores it (finding 12).
ODD = {'odd-list': b'[]', 'odd-number': b'7', 'odd-payload': b'{"__payload__": 5}', 'odd-text': b'{"hostfacts": '}


class Store(object):
    """The raw stored values of one fact cache: the files of jsonfile, the keys of a real Redis."""

    def __init__(self, kind, cache_env):
        self.kind, self.cache_env = kind, cache_env
        if kind == 'redis':
            import redis
            host, port, db = cache_env['ANSIBLE_CACHE_PLUGIN_CONNECTION'].split(':')
            self.db = redis.Redis(host=host, port=int(port), db=int(db))
        else:
            self.directory = cache_env['ANSIBLE_CACHE_PLUGIN_CONNECTION']

    def plant(self, name, value):
        """Store value (bytes) for host name where the cache keeps local-a's entry, with name for local-a."""
        [key] = [key for key in self.keys() if key.endswith('local-a') and 'cache_keys' not in key]
        key = key[:-len('local-a')] + name
        self.write(key, value)
        if self.kind == 'redis':
            [member] = [member for member in self.db.zrange('ansible_cache_keys', 0, -1) if member.endswith(b'local-a')]
            self.db.zadd('ansible_cache_keys', {member[:-len(b'local-a')] + name.encode(): time.time()})
        return key[len('ansible_facts'):] if self.kind == 'redis' else key

    def keys(self):
        if self.kind == 'redis':
            return [key.decode() for key in self.db.keys('*')]
        return os.listdir(self.directory)

    def write(self, key, value):
        if self.kind == 'redis':
            self.db.set(key, value)
        else:
            with open(os.path.join(self.directory, key), 'wb') as stream:
                stream.write(value)

    def snapshot(self):
        if self.kind == 'redis':
            return dict((key, (self.db.type(key), self.db.get(key) if self.db.type(key) == b'string'
                               else self.db.zrange(key, 0, -1))) for key in self.keys())
        return dict((key, open(os.path.join(self.directory, key), 'rb').read()) for key in self.keys())

    def plant_unschemed(self, name, entry):
        """An entry stored without ansible-core 2.19's schema (as 2.16 stores it): the host's own name as key."""
        if self.kind == 'redis':
            self.db.set('ansible_facts' + name, json.dumps(entry))
            self.db.zadd('ansible_cache_keys', {name: time.time()})
        else:
            self.write(name, json.dumps(entry).encode())


def render_result(directory, hosts, cache_env, names, name, extra=None):
    """(the task's result, {host: record}) of a render from the cache."""
    callback, proc = render_run(directory, hosts, cache_env, names, name, extra)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    [render_play] = [play for play in callback['plays'] if play['play']['name'] == 'Render the fleet report on the controller']
    [result] = render_play['tasks'][0]['hosts'].values()
    with open(os.path.join(directory, name, 'fleet-report.json'), encoding='utf-8') as stream:
        return result, dict((host['name'], host) for host in json.load(stream)['hosts'])


def test_each_odd_entry_is_its_hosts_malformed_record_and_is_never_erased(gathered):
    kind, directory, cache_env, hosts = gathered[:4]
    store = Store(kind, cache_env)
    keys = dict((name, store.plant(name, value)) for name, value in ODD.items())
    before = store.snapshot()
    backend = cache_env['ANSIBLE_CACHE_PLUGIN']
    for attempt in ('odd-1', 'odd-2'):  # the second render finds every entry as the first left it
        _result, report = render_result(directory, hosts, cache_env, [], attempt, {'fleet_report_cache_hosts': 'cache'})
        assert store.snapshot() == before
        for name in ODD:
            assert report[name]['state'] == 'malformed', report[name]
            assert report[name]['message'].startswith('its fact cache entry (%s, key %s) is unusable: '
                                                      % (backend, keys[name]))
        assert report['local-a']['state'] == 'ok' and report['ancient']['stale'] is True
        assert report['down']['state'] == 'unreachable'
    assert sorted(store.snapshot()) == sorted(before)


def test_entries_another_ansible_core_stored_are_named_in_one_warning_and_are_no_hosts(gathered):
    kind, directory, cache_env, hosts = gathered[:4]
    store = Store(kind, cache_env)
    with open(FIXTURE, encoding='utf-8') as stream:
        facts = json.load(stream)
    store.plant_unschemed('older-core-1', {'hostfacts': facts, 'hostops_fleet_outcome': {'state': 'ok'}})
    store.plant_unschemed('older-core-2', {'hostfacts': facts})
    result, report = render_result(directory, hosts, cache_env, [], 'foreign', {'fleet_report_cache_hosts': 'cache'})
    assert 'older-core-1' not in report and report['local-a']['state'] == 'ok'
    warnings = [warning for warning in result.get('warnings', []) if 'cannot read' in warning]
    assert len(warnings) == 1
    assert warnings[0].startswith('the fact cache (%s) holds 2 entries that this ansible-core cannot read'
                                  % cache_env['ANSIBLE_CACHE_PLUGIN'])
    assert 'older-core-1, older-core-2' in warnings[0]
    assert result['hosts'] == len(report)
