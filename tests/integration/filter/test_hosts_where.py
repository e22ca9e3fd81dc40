# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""hostops.fleet.hosts_where on a fleet made of the fixture trees, and on real hostvars in a playbook.

The fleet: debian12-host and bookworm-container (trees of processes, memory and filesystems), hybrid-a
(the hybrid-cgroup host: namespaces, one fd-held netns, an `ip netns add` one, Docker containers) and
hybrid-b (captured 1.5 s later while a dd writer was in state D). Every expected answer is
read from the trees' own files, not from the facts.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.hostops.fleet.plugins.filter.hosts_where import FilterModule, hosts_where
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS

from support.adhoc import BIN, CHECKOUT, environment, run_playbook
from support.hostfacts_fixtures import FIXTURES, fixture_procfs, options
from support.hybrid_host_fixtures import HYBRID_A, HYBRID_B, copy_tree, read

LOW_MEMORY = 'memory.available_pct < `%s`'
D_STATE = 'processes.tasks.uninterruptible > `0` || length(io.d_state || `[]`) > `0`'
NON_DEFAULT_NETNS = "namespaces.namespaces[?type == 'net' && !default]"


def available_pct(root):
    values = dict((line.split(':')[0], int(line.split()[1])) for line in read(root, 'proc', 'meminfo').splitlines())
    return 100.0 * values['MemAvailable'] / values['MemTotal']


def states(root):
    proc = os.path.join(root, 'proc')
    return [read(proc, pid, 'stat').rsplit(')', 1)[1].split()[0] for pid in os.listdir(proc) if pid.isdigit()]


def net_inodes(root):
    """Distinct net namespace inodes of the processes of a tree, from the ns/net link files."""
    proc = os.path.join(root, 'proc')
    inodes = set()
    for pid in os.listdir(proc):
        link = os.path.join(proc, pid, 'ns', 'net')
        if pid.isdigit() and os.path.exists(link):
            inodes.add(read(link).strip())
    return inodes


def linux_tree(source, tmp, name):
    """A copy of a hybrid-host tree with the meminfo it was captured without.

    Without /proc/meminfo the processes collector takes the tree for a non-Linux host and
    asks psutil about this machine instead; the processes tree's meminfo makes it read the tree.
    """
    root = copy_tree(source, tmp, name)
    shutil.copy(os.path.join(FIXTURES, 'debian12-host', 'proc', 'meminfo'), os.path.join(root, 'proc', 'meminfo'))
    return root


@pytest.fixture(scope='module')
def fleet(tmp_path_factory):
    """{host: hostvars} with real facts gathered from the four trees."""
    tmp = tmp_path_factory.mktemp('fleet')
    hosts = {}
    roots = {}
    for tree in ('debian12-host', 'bookworm-container'):
        procfs = fixture_procfs(tree, tmp)
        hosts[tree] = gather(options(gather_subset=['memory', 'processes']), procfs=procfs)
        roots[tree] = procfs.root
    for name, source, subsets in (('hybrid-a', HYBRID_A, ['processes', 'namespaces']),
                                  ('hybrid-b', HYBRID_B, ['processes'])):
        root = linux_tree(source, tmp, name)
        hosts[name] = gather(options(gather_subset=subsets), procfs=ProcFS(root))
        roots[name] = root
    for name, root in roots.items():
        # The facts come from the tree, not from this machine (no psutil fallback).
        assert hosts[name]['processes']['tasks']['total'] == len(states(root))
    hostvars = dict((name, {'inventory_hostname': name, 'ansible_facts': {'hostfacts': facts}})
                    for name, facts in hosts.items())
    hostvars['never-gathered'] = {'inventory_hostname': 'never-gathered', 'ansible_facts': {}}
    return hostvars, roots


def test_low_memory_splits_the_fleet_at_a_threshold_between_two_hosts(fleet):
    hostvars, roots = fleet
    debian, container = available_pct(roots['debian12-host']), available_pct(roots['bookworm-container'])
    assert debian != container
    lower, higher = sorted([('debian12-host', debian), ('bookworm-container', container)], key=lambda x: x[1])
    threshold = round((lower[1] + higher[1]) / 2, 2)
    assert hosts_where(hostvars, LOW_MEMORY % threshold) == [lower[0]]
    assert sorted(hosts_where(hostvars, LOW_MEMORY % 101)) == ['bookworm-container', 'debian12-host']
    assert hosts_where(hostvars, LOW_MEMORY % 0) == []


def test_d_state_process_is_found_only_where_the_tree_has_one(fleet):
    hostvars, roots = fleet
    expected = sorted(name for name, root in roots.items() if 'D' in states(root))
    assert expected == ['hybrid-b']
    assert hosts_where(hostvars, D_STATE) == expected


def test_non_default_network_namespaces(fleet):
    hostvars, roots = fleet
    # Only hybrid-a had namespaces gathered; its processes live in more than one network namespace.
    assert len(net_inodes(roots['hybrid-a'])) > 1
    expected = ['hybrid-a']
    assert sorted(hosts_where(hostvars, NON_DEFAULT_NETNS)) == expected


def test_hosts_limits_and_orders_the_answer_and_skips_unknown_hosts(fleet):
    hostvars = fleet[0]
    assert hosts_where(hostvars, 'processes', hosts=['hybrid-b', 'not-in-inventory', 'hybrid-a']) == [
        'hybrid-b', 'hybrid-a']


def test_hosts_without_hostfacts_never_match(fleet):
    hostvars = fleet[0]
    # `!memory` is true for a host without memory facts: only hosts that have hostfacts at all can match.
    assert 'never-gathered' not in hosts_where(hostvars, '!memory')
    assert sorted(hosts_where(hostvars, '!memory')) == ['hybrid-a', 'hybrid-b']
    assert sorted(hosts_where(hostvars, 'memory')) == ['bookworm-container', 'debian12-host']


def test_root_hostvars_sees_every_variable(fleet):
    hostvars = fleet[0]
    assert hosts_where(hostvars, "starts_with(inventory_hostname, 'hybrid')", root='hostvars') == [
        'hybrid-a', 'hybrid-b']


def test_invalid_expression_fails_with_message_and_position(fleet):
    hostvars = fleet[0]
    with pytest.raises(AnsibleFilterError, match='invalid JMESPath expression at position 22'):
        hosts_where(hostvars, 'memory.available_pct <')


def test_expression_failing_on_a_host_names_the_host(fleet):
    hostvars = fleet[0]
    with pytest.raises(AnsibleFilterError, match=r'\(host debian12-host\)'):
        hosts_where(hostvars, 'length(memory.total)', hosts=['debian12-host'])


@pytest.mark.parametrize('bad', [['a', 'b'], 'hostvars', 3])
def test_input_must_be_a_mapping(bad):
    with pytest.raises(AnsibleFilterError, match='the input must be hostvars'):
        hosts_where(bad, 'memory')


def test_bad_root_is_rejected(fleet):
    with pytest.raises(AnsibleFilterError, match="root must be 'hostfacts' or 'hostvars'"):
        hosts_where(fleet[0], 'memory', root='facts')


def test_registered_under_its_name():
    assert FilterModule().filters()['hosts_where'] is hosts_where


PLAYBOOK = """
- name: Gather on two inventory hosts that are both this machine
  hosts: alpha,beta
  gather_facts: false
  vars:
    ansible_connection: local
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Gather memory and namespaces
      hostops.fleet.hostfacts:
        gather_subset: [memory, namespaces]
        interval: 0
      when: inventory_hostname == 'alpha'

    - name: Ask the fleet questions
      ansible.builtin.set_fact:
        everyone: "{{ hostvars | hostops.fleet.hosts_where('memory.available_pct <= `100`') }}"
        nobody: "{{ hostvars | hostops.fleet.hosts_where('memory.available_pct < `0`') }}"
        limited: "{{ hostvars | hostops.fleet.hosts_where('memory', hosts=['beta']) }}"
      run_once: true
"""


def test_real_hostvars_in_a_playbook(tmp_path):
    playbook = tmp_path / 'where.yml'
    playbook.write_text(PLAYBOOK)
    inventory = tmp_path / 'hosts.ini'
    inventory.write_text('alpha\nbeta\n')
    report, proc = run_playbook(str(playbook), '-i', str(inventory))
    assert proc.returncode == 0, proc.stdout
    answers = report['plays'][0]['tasks'][1]['hosts']['alpha']['ansible_facts']
    # Only alpha gathered: beta has no hostfacts and is never matched.
    assert answers == {'everyone': ['alpha'], 'nobody': [], 'limited': []}


MISTYPED = """
- name: Gather, then ask twice with a mistyped subset
  hosts: alpha
  gather_facts: false
  vars:
    ansible_connection: local
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Gather memory
      hostops.fleet.hostfacts:
        gather_subset: [memory]
        interval: 0

    - name: Ask with the mistyped path
      ansible.builtin.set_fact:
        low: "{{ hostvars | hostops.fleet.hosts_where('memroy.available_pct < `20`') }}"

    - name: Ask the same again
      ansible.builtin.set_fact:
        again: "{{ hostvars | hostops.fleet.hosts_where('memroy.available_pct < `20`') }}"
"""


def test_a_mistyped_path_in_a_playbook_is_one_warning_naming_it(tmp_path):
    playbook = tmp_path / 'mistyped.yml'
    playbook.write_text(MISTYPED)
    inventory = tmp_path / 'hosts.ini'
    inventory.write_text('alpha\n')
    warning = ("hosts_where 'memroy.available_pct < `20`' reads memroy, which no host has in ansible_facts.hostfacts: "
               "the expression sees null there; check the name, or add the subset to gather_subset")
    report, proc = run_playbook(str(playbook), '-i', str(inventory))
    assert proc.returncode == 0, proc.stdout
    tasks = report['plays'][0]['tasks']
    assert tasks[1]['hosts']['alpha']['ansible_facts'] == {'low': []}
    assert [' '.join(t['hosts']['alpha'].get('warnings', [])) for t in tasks[1:]] == [warning, warning]
    # What a person sees: the default callback shows the text once, however many tasks ask.
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), str(playbook), '-i', str(inventory)], cwd=CHECKOUT,
                          env=environment(ANSIBLE_STDOUT_CALLBACK='default'), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout
    assert ' '.join(proc.stdout.split()).count(warning) == 1, proc.stdout
