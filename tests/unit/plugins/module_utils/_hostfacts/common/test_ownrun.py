# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which processes belong to the module's own run: the command lines Ansible runs a module with."""

from __future__ import annotations

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.ownrun import is_launcher, own_pids

TMP = '/root/.ansible/tmp/ansible-tmp-1765152000.1-4242-1'


@pytest.mark.parametrize('argv', [
    # ActionBase._low_level_execute_command: the module's command, then ' && sleep 0', run by `/bin/sh -c`.
    ['/bin/sh', '-c', '/usr/bin/python3 %s/AnsiballZ_hostfacts.py && sleep 0' % TMP],
    # pipelining: the payload comes on stdin, so the shell's command names no file.
    ['/bin/sh', '-c', '/usr/bin/python3 && sleep 0'],
    ['/bin/bash', '-c', "PYTHONIOENCODING=utf-8 /usr/bin/python3 && sleep 0 "],
    # the local and docker connections run that shell from another one (seen in `ansible localhost` runs).
    ['/bin/sh', '-c', "/bin/sh -c '/usr/bin/python3 && sleep 0'"],
    ['/bin/sh', '-c', "/bin/sh -c '/usr/bin/python3 %s/AnsiballZ_hostfacts.py && sleep 0'" % TMP],
    # become: sudo and the shell inside it carry the BECOME-SUCCESS marker.
    ['sudo', '-H', '-S', '-n', '-u', 'root', '/bin/sh', '-c', 'echo BECOME-SUCCESS-abcdefgh ; /usr/bin/python3'],
    ['/bin/sh', '-c', 'echo BECOME-SUCCESS-abcdefgh ; /usr/bin/python3'],
    ['su', '-l', 'app', '-c', "/bin/sh -c 'echo BECOME-SUCCESS-abcdefgh ; /usr/bin/python3'"],
    # async: the forked wrapper that runs the module.
    ['/usr/bin/python3', '%s/AnsiballZ_async_wrapper.py' % TMP, 'j1', '60', '%s/AnsiballZ_hostfacts.py' % TMP, '_'],
], ids=['shell', 'pipelined-shell', 'bash-executable', 'wrapped-shell', 'wrapped-file-shell', 'sudo', 'become-shell',
        'su', 'async-wrapper'])
def test_ansible_launchers_are_recognised(argv):
    assert is_launcher(argv)


@pytest.mark.parametrize('argv', [
    None, [], [''],
    ['sshd: root@notty'],
    ['/lib/systemd/systemd', '--system'],
    ['-bash'],
    ['/bin/sh', '-c', 'while true; do sleep 0; done'],
    ['/bin/sh', '-c', 'make test && sleep 0', 'extra'],
    ['/bin/sh', '-c', "echo '&& sleep 0' > notes.txt"],
    ['python3', 'my_service.py', '--sleep', '0'],
    ['/usr/bin/python3', '/opt/app/worker.py'],
], ids=['gone', 'kernel-thread', 'blank', 'sshd', 'systemd', 'login-shell', 'loop', 'more-args', 'redirected',
        'service', 'python'])
def test_other_processes_are_not_launchers(argv):
    assert not is_launcher(argv)


class FakeProcFS(object):
    """Just what own_pids reads: /proc/self, and each pid's parent and command line."""

    def __init__(self, self_pid, table, sample=None):
        self._self = self_pid
        self._table = table  # {pid: (ppid, argv)}
        self._sample = sample  # the open sample's caches, as FileReader.sample_cache keeps them; None: no sample
        self.self_reads = 0

    def sample_cache(self, name):
        return None if self._sample is None else self._sample.setdefault(name, {})

    def self_pid(self):
        self.self_reads += 1
        return self._self

    def pid_stat(self, pid):
        if pid not in self._table:
            return None
        return type('Stat', (), {'ppid': self._table[pid][0]})()

    def pid_cmdline(self, pid, limit=None):
        return self._table[pid][1] if pid in self._table else None


SHELL = ['/bin/sh', '-c', 'sudo -H -S -n -u root /bin/sh -c \'echo BECOME-SUCCESS-x ; /usr/bin/python3\' && sleep 0']


def test_the_chain_of_launchers_is_left_out_up_to_the_first_process_that_was_there_before():
    table = {
        900: (800, ['/usr/bin/python3']),                                       # the module (pipelined)
        800: (700, ['/bin/sh', '-c', 'echo BECOME-SUCCESS-x ; /usr/bin/python3']),
        700: (600, ['sudo', '-H', '-S', '-n', '-u', 'root', '/bin/sh', '-c', 'echo BECOME-SUCCESS-x ; /usr/bin/python3']),
        600: (500, SHELL),
        500: (400, ['sshd: deploy@notty']),                                     # the connection: stays
        400: (1, ['/bin/sh', '-c', 'anything && sleep 0']),                     # above a non-launcher: stays
    }
    assert own_pids(FakeProcFS(900, table)) == frozenset([900, 800, 700, 600])


def test_without_a_launcher_only_the_module_itself_is_left_out():
    table = {900: (500, ['python3', 'hostfacts.py']), 500: (1, ['-bash'])}
    assert own_pids(FakeProcFS(900, table)) == frozenset([900])


def test_a_parent_that_is_gone_or_a_loop_ends_the_walk():
    assert own_pids(FakeProcFS(900, {900: (800, ['python3'])})) == frozenset([900])
    loop = {900: (800, ['python3']), 800: (900, SHELL)}
    assert own_pids(FakeProcFS(900, loop)) == frozenset([900, 800])


def test_a_reader_that_cannot_name_itself_leaves_nothing_out():
    assert own_pids(FakeProcFS(None, {})) == frozenset()


def test_within_one_sample_the_run_is_walked_once_for_every_subset_that_asks():
    procfs = FakeProcFS(300, {300: (200, ['/usr/bin/python3', 'AnsiballZ_hostfacts.py']),
                              200: (1, ['/bin/sh', '-c', '/usr/bin/python3 AnsiballZ_hostfacts.py && sleep 0'])},
                        sample={})
    assert own_pids(procfs) == own_pids(procfs) == frozenset([300, 200])
    assert procfs.self_reads == 1
    # Outside a sample nothing is kept: each call reads afresh.
    procfs = FakeProcFS(300, {300: (1, ['/usr/bin/python3', 'AnsiballZ_hostfacts.py'])})
    own_pids(procfs)
    own_pids(procfs)
    assert procfs.self_reads == 2
