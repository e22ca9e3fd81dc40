# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Prometheus textfile output on this machine: live facts, a writer killed mid-write, the module.

The crash test SIGKILLs a separate writer process while it replaces a large file, many times,
and checks that the target is always exactly one of the complete versions.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._atomic import write_atomic
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.prometheus import render

from support.adhoc import run_adhoc
from support.hostfacts_fixtures import options
from support.prometheus_text import assert_help_and_type_everywhere, parse, samples


@pytest.fixture(scope='module')
def live_facts():
    return gather(options(gather_subset=['all'], interval=0.3, samples=2, process_list='top'))


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
