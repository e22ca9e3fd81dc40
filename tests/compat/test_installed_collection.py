# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The installed tarball on one ansible-core release, as a user runs it: no repository, no ansible.cfg.

Run by tests/compat/run.sh in the venv of one compat line, with HOSTOPS_FLEET_COLLECTIONS naming the
collections path the tarball was installed into: the ad-hoc module, the target Pythons, the stdout
callback (tables, changed, query, async, hostile processes) and the fleet_report playbook.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible.module_utils import basic
from ansible.release import __version__ as ansible_version

from support.hostile import (
    ARGV0, COMM, SHOWN, check_environment, escaped, hostile_processes, lines_forged_by, terminal_controls,
)

COLLECTIONS = os.environ.get('HOSTOPS_FLEET_COLLECTIONS')
BIN = os.path.dirname(sys.executable)
PYENV = os.path.join(os.environ.get('PYENV_ROOT') or os.path.expanduser('~/.pyenv'), 'versions')

pytestmark = pytest.mark.skipif(not COLLECTIONS, reason='run by tests/compat/run.sh on an installed tarball')


@pytest.fixture
def workdir(tmp_path):
    """An empty working directory with a one-host inventory: nothing of the checkout applies."""
    (tmp_path / 'inventory').write_text('localhost ansible_connection=local ansible_python_interpreter=%s\n'
                                        % sys.executable)
    return tmp_path


def ansible(workdir, program, *argv, **env):
    environ = dict((key, value) for key, value in os.environ.items() if not key.startswith('ANSIBLE_'))
    environ.update(ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
                   ANSIBLE_RETRY_FILES_ENABLED='0', PATH=BIN + os.pathsep + environ.get('PATH', ''))
    environ.update(env)
    return subprocess.run([os.path.join(BIN, program), '-i', str(workdir / 'inventory')] + list(argv),
                          cwd=str(workdir), env=environ, capture_output=True, timeout=300, check=False)


def adhoc(workdir, args, *extra):
    """The host's result of `ansible localhost -m hostops.fleet.hostfacts`, as the tree callback wrote it."""
    proc = ansible(workdir, 'ansible', 'localhost', '-m', 'hostops.fleet.hostfacts', '-a', args,
                   '-t', str(workdir / 'tree'), *extra)
    with open(str(workdir / 'tree' / 'localhost')) as handle:
        return json.load(handle), proc


def pyenv_python(version):
    names = sorted(name for name in os.listdir(PYENV) if name.startswith(version + '.')) if os.path.isdir(PYENV) else []
    if not names:
        pytest.skip('no Python %s in %s' % (version, PYENV))
    return os.path.join(PYENV, names[-1], 'bin', 'python')


def oldest_target():
    """max(hostops.fleet's 3.7, this ansible-core's own minimum: a tuple from 2.17; 2.16 still drives 2.7)."""
    core = getattr(basic, '_PY_MIN', None)
    return max((3, 7), core if isinstance(core, tuple) else (3, 7))


def test_the_installed_collection_is_the_one_under_test():
    with open(os.path.join(COLLECTIONS, 'ansible_collections', 'hostops', 'fleet', 'MANIFEST.json')) as handle:
        assert json.load(handle)['collection_info']['name'] == 'fleet'
    import ansible_collections.hostops.fleet as imported
    assert os.path.realpath(imported.__path__[0]).startswith(os.path.realpath(COLLECTIONS))


def test_ad_hoc_module_gathers_every_subset_on_the_oldest_target_python(workdir):
    version = '%d.%d' % oldest_target()
    result, proc = adhoc(workdir, 'interval=0', '-e', 'ansible_python_interpreter=%s' % pyenv_python(version))
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    facts = result['ansible_facts']['hostfacts']
    assert set(facts['gather_subset']) >= {'processes', 'memory', 'filesystems', 'namespaces', 'io'}
    assert facts['processes']['tasks']['total'] > 0 and facts['memory']['total'] > 0


@pytest.mark.parametrize('version', ['2.7', '3.6'])
def test_an_older_target_python_gets_a_message_naming_the_minimum(workdir, version):
    result, proc = adhoc(workdir, 'gather_subset=memory interval=0',
                         '-e', 'ansible_python_interpreter=%s' % pyenv_python(version))
    assert proc.returncode != 0  # the tree callback of 2.16 leaves 'failed' out of the file
    assert result['msg'].startswith('hostops.fleet.hostfacts needs Python 3.7 or later on the managed host; '
                                    'the host ran it with Python %s' % version), result['msg']
    assert 'No start of json char found' not in result['msg']


CALLBACK_PLAY = '''
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Gather memory
      hostops.fleet.hostfacts: {gather_subset: memory, interval: 0}
    - name: Write the Prometheus file
      hostops.fleet.hostfacts: {gather_subset: memory, interval: 0, output: prometheus, prometheus_path: %(prom)s}
    - name: Ask for a subset that was not gathered
      hostops.fleet.hostfacts: {gather_subset: memory, interval: 0, query: "processes.top_cpu[0].pid"}
    - name: Ask for the total
      hostops.fleet.hostfacts: {gather_subset: memory, interval: 0, query: "{total: memory.total}"}
    - name: Gather in the background
      hostops.fleet.hostfacts: {gather_subset: filesystems, interval: 0}
      async: 60
      poll: 1
'''


def test_callback_shows_tables_changed_results_query_answers_and_async_results(workdir):
    (workdir / 'play.yml').write_text(CALLBACK_PLAY % {'prom': workdir / 'hostfacts.prom'})
    proc = ansible(workdir, 'ansible-playbook', 'play.yml', ANSIBLE_STDOUT_CALLBACK='hostops.fleet.hostfacts')
    out = proc.stdout.decode()
    assert proc.returncode == 0, out + proc.stderr.decode()
    blocks = out.split('\nTASK [')
    assert 'ok: [localhost]\n== localhost: hostfacts memory, interval 0.0 s' in blocks[1]
    assert 'Mem:' in blocks[1] and 'ALERTS' in blocks[1]
    assert 'changed: [localhost]\n== localhost: hostfacts memory' in blocks[2]
    assert '== localhost: query processes.top_cpu[0].pid\nnull' in blocks[3]
    assert 'query reads processes, not in the facts of this host' in ' '.join(proc.stderr.decode().split())
    assert '== localhost: query {total: memory.total}\n{\n  "total": ' in blocks[4]
    assert '== localhost: hostfacts filesystems' in blocks[5] and 'Mounted on' in blocks[5]
    assert 'ok=5' in out and 'changed=1' in out


@pytest.mark.skipif(check_environment() is not None, reason=str(check_environment()))
def test_callback_never_prints_a_control_character_from_a_host(workdir):
    with hostile_processes() as (named, spinning):
        proc = ansible(workdir, 'ansible', 'localhost', '-m', 'hostops.fleet.hostfacts',
                       '-a', 'gather_subset=processes,namespaces interval=1', ANSIBLE_LOAD_CALLBACK_PLUGINS='1',
                       ANSIBLE_STDOUT_CALLBACK='hostops.fleet.hostfacts', HOSTOPS_HOSTFACTS_ROWS='1000')
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    assert terminal_controls(proc.stdout) == []
    lines = proc.stdout.decode().splitlines()
    assert lines_forged_by(proc.stdout.decode()) == []
    assert [line for line in lines if line.split()[3:4] == [str(named)] and escaped(ARGV0)[:SHOWN] in line]
    assert [line for line in lines if line.split()[1:2] == [str(spinning)]
            and line.endswith('[%s]' % escaped(COMM.decode()))]


def test_fleet_report_playbook_writes_the_report(workdir):
    dest = workdir / 'report'
    proc = ansible(workdir, 'ansible-playbook', 'hostops.fleet.fleet_report', '-e', 'fleet_report_dir=%s' % dest,
                   '-e', 'fleet_report_interval=0')
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    with open(str(dest / 'fleet-report.json')) as handle:
        report = json.load(handle)
    assert [host['name'] for host in report['hosts']] == ['localhost'], ansible_version
    assert report['hosts'][0]['state'] == 'ok'
    assert (dest / 'fleet-report.html').stat().st_size > 10000 and (dest / 'fleet-report.csv').is_file()


def test_fleet_report_from_a_jsonfile_cache_reads_each_entry_and_leaves_it(workdir):
    """Gathered into jsonfile, then: an odd entry, and an entry as the other storage schema stores it (2.16
    without one, 2.19+ with one). The render names the odd host malformed and the other entry in one warning,
    shows no phantom host, and every file stays as it was; the shortcuts give the public path's records."""
    from ansible_collections.hostops.fleet.plugins.action import fleet_report as action
    from ansible_collections.hostops.fleet.plugins.plugin_utils import _fleet_cache, _fleet_cache_fast as fast
    from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import summarize_host

    cache = workdir / 'cache'
    env = dict(ANSIBLE_CACHE_PLUGIN='jsonfile', ANSIBLE_CACHE_PLUGIN_CONNECTION=str(cache))
    proc = ansible(workdir, 'ansible-playbook', 'hostops.fleet.fleet_report', '-e', 'fleet_report_dir=%s' % (workdir / 'r1'),
                   '-e', 'fleet_report_interval=0', '-e', 'fleet_report_gather_subset=memory', **env)
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    [stored] = [path for path in cache.iterdir() if path.name.endswith('localhost')]
    schema = stored.name[:-len('localhost')]  # 's1_' from ansible-core 2.19 on, '' before
    (cache / (schema + 'odd-list')).write_bytes(b'[]')
    entry = json.loads(stored.read_text())
    if schema:
        other = 'older-core'
        (cache / other).write_text(json.dumps(fast.payload(entry)))
    else:
        other = 's1_newer-core'
        (cache / other).write_text(json.dumps({'__payload__': json.dumps({'hostfacts': entry.get('hostfacts')})}))
    before = dict((path.name, path.read_bytes()) for path in cache.iterdir())

    proc = ansible(workdir, 'ansible-playbook', 'hostops.fleet.fleet_report', '-e', 'fleet_report_dir=%s' % (workdir / 'r2'),
                   '-e', 'fleet_report_source=cache', '-e', 'fleet_report_cache_hosts=cache',
                   '-e', 'fleet_report_fail_on=never', **env)
    output = ' '.join((proc.stdout.decode() + proc.stderr.decode()).split())
    assert proc.returncode == 0, output
    with open(str(workdir / 'r2' / 'fleet-report.json')) as handle:
        report = dict((host['name'], host) for host in json.load(handle)['hosts'])
    assert sorted(report) == ['localhost', 'odd-list'], ansible_version
    assert report['localhost']['state'] == 'ok' and report['odd-list']['state'] == 'malformed'
    assert 'the fact cache (jsonfile) holds 1 entry that this ansible-core cannot read' in output
    assert ': %s. Those hosts' % other in output
    assert dict((path.name, path.read_bytes()) for path in cache.iterdir()) == before

    os.environ.update(ANSIBLE_CACHE_PLUGIN_CONNECTION=str(cache), ANSIBLE_CACHE_PLUGIN_TIMEOUT='0')
    plugin_name = action.C.CACHE_PLUGIN
    try:
        action.C.CACHE_PLUGIN = 'jsonfile'
        records = []
        for shortcuts in (True, False):
            saved = fast.stored_keys, fast.stored_entries
            if not shortcuts:
                fast.stored_keys, fast.stored_entries = (lambda plugin: None), (lambda plugin, names: None)
            try:
                hosts = _fleet_cache.cache_hosts(action.configured_cache(), 'jsonfile', ['localhost', 'odd-list'],
                                                 'hostops_fleet_outcome')
                records.append([summarize_host(*host, now=1796000000.0) for host in hosts])
            finally:
                fast.stored_keys, fast.stored_entries = saved
    finally:
        action.C.CACHE_PLUGIN = plugin_name
        for key in ('ANSIBLE_CACHE_PLUGIN_CONNECTION', 'ANSIBLE_CACHE_PLUGIN_TIMEOUT'):
            os.environ.pop(key)
    assert records[0][0] == records[1][0] and records[0][0]['state'] == 'ok'
    assert records[0][1]['state'] == records[1][1]['state'] == 'malformed'
    assert dict((path.name, path.read_bytes()) for path in cache.iterdir()) == before
