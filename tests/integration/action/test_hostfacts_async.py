# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""hostops.fleet.hostfacts with async: polled, fire-and-forget with async_status, and refused with query."""

from __future__ import annotations

from support.adhoc import run_playbook


def write_playbook(tmp_path, tasks):
    path = tmp_path / 'async.yml'
    path.write_text('- hosts: localhost\n  gather_facts: false\n  tasks:\n' + tasks)
    return str(path)


def task_results(report):
    return [task['hosts']['localhost'] for task in report['plays'][0]['tasks']]


def test_async_with_polling_returns_the_facts(tmp_path):
    report, proc = run_playbook(write_playbook(tmp_path, '''
    - name: Gather in the background, polled
      hostops.fleet.hostfacts:
        gather_subset: memory
        interval: 0
      async: 60
      poll: 1
'''))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (result,) = task_results(report)
    assert result['finished'] == 1 and result['ansible_job_id']
    assert result['ansible_facts']['hostfacts']['memory']['total'] > 0


def test_async_without_polling_is_collected_by_async_status(tmp_path):
    report, proc = run_playbook(write_playbook(tmp_path, '''
    - name: Start gathering
      hostops.fleet.hostfacts:
        gather_subset: memory
        interval: 0
      async: 60
      poll: 0
      register: job
    - name: Wait for it
      ansible.builtin.async_status:
        jid: "{{ job.ansible_job_id }}"
      register: gathered
      until: gathered.finished | bool
      retries: 30
      delay: 1
'''))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    started, finished = task_results(report)
    assert started['started'] == 1 and 'ansible_facts' not in started
    assert finished['ansible_facts']['hostfacts']['gather_subset'] == ['memory']


def test_query_with_async_fails_before_the_module_runs(tmp_path):
    report, proc = run_playbook(write_playbook(tmp_path, '''
    - name: Query in the background
      hostops.fleet.hostfacts:
        query: memory.total
      async: 60
      poll: 1
'''), '-vvv')
    (result,) = task_results(report)
    assert result['failed'] and result['msg'].startswith('query cannot be combined with async')
    assert 'AnsiballZ_hostfacts' not in proc.stdout + proc.stderr and 'ansible_job_id' not in result
