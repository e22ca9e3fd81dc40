# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Prometheus textfile output: parsed back with prometheus_client's own text parser.

Facts come from the part 1 fixture tree and from this machine. The crash test SIGKILLs a
separate writer process while it replaces a large file, many times, and checks that the
target is always exactly one of the complete versions.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ansible_collections.hostops.fleet.plugins.module_utils._atomic import AtomicWriteError, write_atomic
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts import gather
from ansible_collections.hostops.fleet.plugins.module_utils._prometheus import PrometheusError, check_path, render

from support.adhoc import run_adhoc
from support.hostfacts_fixtures import fixture_procfs, options

EXPECTED_FAMILIES = {
    'hostops_memory_available_ratio', 'hostops_memory_total_bytes', 'hostops_filesystem_used_ratio',
    'hostops_filesystem_inodes_used_ratio', 'hostops_filesystem_timed_out', 'hostops_cpu_iowait_ratio',
    'hostops_disk_utilization_ratio', 'hostops_processes_uninterruptible', 'hostops_namespaces_non_default',
    'hostops_network_namespaces_hidden', 'hostops_alerts', 'hostops_facts_warnings',
    'hostops_facts_collected_timestamp_seconds',
}


def parse(text):
    return dict((family.name, family) for family in text_string_to_metric_families(text))


def assert_help_and_type_everywhere(text):
    """Independently of the parser: each sample's name has a HELP and a TYPE line before it."""
    helped, typed = set(), set()
    for line in text.splitlines():
        if line.startswith('# HELP '):
            helped.add(line.split()[2])
        elif line.startswith('# TYPE '):
            typed.add(line.split()[2])
        elif line and not line.startswith('#'):
            name = line.split('{')[0].split(' ')[0]
            assert name in helped and name in typed, line
    for family in parse(text).values():
        assert family.documentation, family.name
        assert family.type == 'gauge', family.name


def samples(families, name):
    return dict((tuple(sorted(sample.labels.items())), sample.value) for sample in families[name].samples)


@pytest.fixture(scope='module')
def live_facts():
    return gather(dict(options(), gather_subset=['all'], interval=0.3, samples=2, process_list='top'))


def test_fixture_facts_render_and_parse(tmp_path):
    facts = gather(options(), procfs=fixture_procfs('debian12-host', tmp_path))
    text = render(facts, collected_at=1700000000.5)
    assert_help_and_type_everywhere(text)
    families = parse(text)
    assert set(families) == EXPECTED_FAMILIES
    memory = facts['memory']
    assert samples(families, 'hostops_memory_available_ratio')[()] == pytest.approx(
        memory['available'] / float(memory['total']))
    used = samples(families, 'hostops_filesystem_used_ratio')
    ok_mounts = [m for m in facts['filesystems']['mounts'] if m['status'] == 'ok']
    assert len(used) == len(ok_mounts) > 0
    for mount in ok_mounts:
        key = tuple(sorted({'mountpoint': mount['mount_point'], 'device': mount['device'],
                            'fstype': mount['fstype']}.items()))
        assert used[key] == pytest.approx(mount['used'] / float(mount['used'] + mount['available']))
        # df's Use% is the same fraction rounded up.
        assert mount['use_pct'] - 1 <= used[key] * 100 <= mount['use_pct']
    # The tree's process list has no D state; the gauge is there with 0.
    assert samples(families, 'hostops_processes_uninterruptible')[()] == facts['processes']['tasks']['uninterruptible']
    alerts = samples(families, 'hostops_alerts')
    assert sorted(dict(k)['severity'] for k in alerts) == ['critical', 'info', 'warning']
    assert sum(alerts.values()) == len(facts['alerts'])
    assert samples(families, 'hostops_facts_collected_timestamp_seconds')[()] == 1700000000.5
    # Subsets not gathered keep HELP and TYPE but have no samples: never a fake 0.
    assert families['hostops_cpu_iowait_ratio'].samples == []
    assert families['hostops_namespaces_non_default'].samples == []


def test_live_facts_render_and_parse(live_facts):
    text = render(live_facts)
    assert_help_and_type_everywhere(text)
    families = parse(text)
    assert samples(families, 'hostops_cpu_iowait_ratio')[()] == pytest.approx(live_facts['io']['iowait_pct'] / 100.0)
    util = samples(families, 'hostops_disk_utilization_ratio')
    assert set(dict(k)['device'] for k in util) == set(d['name'] for d in live_facts['io']['disks'])
    non_default = samples(families, 'hostops_namespaces_non_default')
    expected = {}
    for entry in live_facts['namespaces']['namespaces']:
        if not entry['default']:
            expected[entry['type']] = expected.get(entry['type'], 0) + 1
    for kind in live_facts['namespaces']['default']:
        assert non_default[(('type', kind),)] == expected.get(kind, 0)


def test_label_values_are_escaped(tmp_path):
    facts = {'filesystems': {'mounts': [{
        'mount_point': '/srv/we"ird\\path\nx', 'device': '/dev/sdz1', 'fstype': 'ext4', 'status': 'ok',
        'used': 25, 'available': 75, 'inodes_used': 1, 'inodes_total': 4}]}}
    text = render(facts)
    assert_help_and_type_everywhere(text)
    used = samples(parse(text), 'hostops_filesystem_used_ratio')
    assert used == {(('device', '/dev/sdz1'), ('fstype', 'ext4'), ('mountpoint', '/srv/we"ird\\path\nx')): 0.25}


@pytest.mark.parametrize('path, message', [
    ('relative.prom', 'must be an absolute path'),
    ('/tmp/hostops.txt', 'must end in .prom'),
    ('/nonexistent-dir-hostops/x.prom', 'directory /nonexistent-dir-hostops does not exist'),
])
def test_bad_prometheus_path(path, message):
    with pytest.raises(PrometheusError) as info:
        check_path(path)
    assert message in str(info.value) and 'prometheus_path' in str(info.value)


def test_write_failure_names_the_option_and_leaves_no_temp_file(tmp_path):
    directory = tmp_path / 'ro'
    directory.mkdir()
    directory.chmod(0o500)
    try:
        if os.access(str(directory), os.W_OK):
            # root ignores directory modes: make the rename fail instead (target is a directory).
            (directory / 'x.prom').mkdir()
            directory.chmod(0o700)
        with pytest.raises(AtomicWriteError, match='prometheus_path: cannot'):
            write_atomic(str(directory / 'x.prom'), 'a 1\n', option='prometheus_path')
        assert [n for n in os.listdir(str(directory)) if n.endswith('.tmp')] == []
    finally:
        directory.chmod(0o700)


WRITER = textwrap.dedent('''
    import sys
    sys.path.insert(0, sys.argv[1])
    from ansible_collections.hostops.fleet.plugins.module_utils._atomic import write_atomic
    target, generation = sys.argv[2], sys.argv[3]
    text = open(sys.argv[4]).read()
    print('writing', flush=True)
    while True:
        write_atomic(target, text)
''')


def version(generation, lines):
    body = '\n'.join('hostops_filesystem_used_ratio{mountpoint="/m%d",generation="%s"} 0.5' % (i, generation)
                     for i in range(lines))
    return ('# HELP hostops_filesystem_used_ratio Filesystem space used.\n'
            '# TYPE hostops_filesystem_used_ratio gauge\n' + body + '\n# EOF generation %s\n' % generation)


def test_killed_writer_never_leaves_a_half_file(tmp_path):
    """SIGKILL a process that keeps replacing a ~20 MB file; the target is always old or new, whole."""
    collection_root = [p for p in sys.path if os.path.isdir(os.path.join(p, 'ansible_collections', 'hostops'))][0]
    target = tmp_path / 'textfile' / 'hostops.prom'
    target.parent.mkdir()
    old, new = version('old', 300000), version('new', 300000)
    write_atomic(str(target), old)
    new_file = tmp_path / 'new.txt'
    new_file.write_text(new)
    script = tmp_path / 'writer.py'
    script.write_text(WRITER)
    killed_mid_write = 0
    seen = set()
    for attempt in range(6):
        writer = subprocess.Popen([sys.executable, str(script), collection_root, str(target), 'new', str(new_file)],
                                  stdout=subprocess.PIPE, universal_newlines=True)
        assert writer.stdout.readline().strip() == 'writing'
        # Wait until a temp file is being written, then kill at a varying point inside the write.
        deadline = time.time() + 20
        while not [n for n in os.listdir(str(target.parent)) if n.endswith('.tmp')]:
            assert time.time() < deadline, 'the writer never created its temp file'
            time.sleep(0.001)
        time.sleep(0.005 * attempt)
        temps_before_kill = [n for n in os.listdir(str(target.parent)) if n.endswith('.tmp')]
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        content = target.read_text()
        assert content in (old, new), 'half-written target: %d bytes' % len(content)
        seen.add('old' if content == old else 'new')
        leftovers = [n for n in os.listdir(str(target.parent)) if n.endswith('.tmp')]
        if temps_before_kill and leftovers:
            killed_mid_write += 1
        # Leftovers are hidden and not *.prom: node_exporter ignores them.
        assert all(n.startswith('.hostops.prom.') for n in leftovers)
        assert [n for n in os.listdir(str(target.parent)) if n.endswith('.prom')] == ['hostops.prom']
        for name in leftovers:
            os.unlink(str(target.parent / name))
        write_atomic(str(target), old)
    assert killed_mid_write >= 1, 'no kill landed inside a write: the test proved nothing'
    families = parse(target.read_text().replace('# EOF generation old\n', ''))
    assert len(families['hostops_filesystem_used_ratio'].samples) == 300000


def test_module_writes_the_file_and_check_mode_does_not(tmp_path):
    target = tmp_path / 'hostops.prom'
    result, proc = run_adhoc('hostops.fleet.hostfacts',
                             'gather_subset=memory,filesystems interval=0 output=prometheus prometheus_path=%s'
                             % target, '--check')
    assert proc.returncode == 0, proc.stdout
    assert result['changed'] and not target.exists()
    result, proc = run_adhoc('hostops.fleet.hostfacts',
                             'gather_subset=memory,filesystems interval=0 output=prometheus prometheus_path=%s'
                             % target)
    assert proc.returncode == 0, proc.stdout
    assert result['prometheus_path'] == str(target) and result['changed']
    text = target.read_text()
    assert_help_and_type_everywhere(text)
    families = parse(text)
    memory = result['ansible_facts']['hostfacts']['memory']
    assert samples(families, 'hostops_memory_available_ratio')[()] == pytest.approx(
        memory['available'] / float(memory['total']))
    assert oct(target.stat().st_mode & 0o777) == '0o644'


def test_module_requires_prometheus_path_and_a_prom_name(tmp_path):
    result = run_adhoc('hostops.fleet.hostfacts', 'gather_subset=memory interval=0 output=prometheus')[0]
    assert result['failed'] and 'prometheus_path' in result['msg']
    result = run_adhoc('hostops.fleet.hostfacts', 'gather_subset=memory interval=0 output=prometheus '
                       'prometheus_path=%s' % (tmp_path / 'x.txt'))[0]
    assert result['failed'] and 'must end in .prom' in result['msg']
