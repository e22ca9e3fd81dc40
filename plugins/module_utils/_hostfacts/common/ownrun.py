# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The processes of this module run, which the process lists leave out. Private: may change without notice.

Someone who asks "who is hogging this host" means the host's workloads, not the tool that asks: with a
sampling interval the module is the busiest process for that second (it reads every process's stat file
several times), and its launcher would sit among the top processes of a quiet host.

What a run is on the target: the module runs inside the AnsiballZ wrapper's own Python process (the
wrapper imports it, it starts no child), and the module starts no subprocess (its workers are threads of
the same pid). Above it, Ansible's connection ran a shell: ``/bin/sh -c '<python> <tmp>/AnsiballZ_x.py &&
sleep 0'`` (``sleep 0`` is what ActionBase._low_level_execute_command appends to every command; with
pipelining the shell runs ``<python> && sleep 0``), with become a ``sudo``/``su`` whose command line holds
the ``BECOME-SUCCESS-<random>`` marker and the shell inside it, and for async the ``AnsiballZ_async_wrapper``
process that forked to run the module. Those are left out: each is there only because of this run. What
is above them (sshd, the container's init, a user's login shell) was there before the run and stays.
"""

from __future__ import annotations

import re

# Far more than the deepest chain seen (async + become + shell: four): a guard against a pid loop
# in a fixture tree or a reused pid, not a limit a real run reaches.
MAX_LAUNCHERS = 16

# A shell Ansible started ends its command with ' && sleep 0' (ActionBase._low_level_execute_command),
# followed by the closing quotes when a connection wraps that command in another `sh -c '...'` (local
# and docker do: the outer shell's command is "/bin/sh -c '... && sleep 0'").
SHELL_COMMAND_END = re.compile(r"&& sleep 0[\s'\"]*$")
# What identifies the other launchers in their command lines.
LAUNCHER_MARKERS = ('AnsiballZ_', 'BECOME-SUCCESS-')


def is_launcher(argv):
    """True when a command line (a list of arguments) is one Ansible runs only to run a module."""
    if not argv:
        return False
    if any(marker in arg for arg in argv for marker in LAUNCHER_MARKERS):
        return True
    # sh -c '... && sleep 0': the command is one argument, after -c.
    return len(argv) >= 3 and argv[-2] == '-c' and SHELL_COMMAND_END.search(argv[-1]) is not None


def own_pids(procfs):
    """The pids of this run: the reading process, then each parent while it is one of Ansible's launchers.

    Empty when the reader cannot name its own process (a fixture tree without ``proc/self/stat``). Kept in
    the open sample, so that the processes and io subsets, which both leave the run out, walk it once.
    """
    cache = procfs.sample_cache('own_run')
    if cache is not None and 'pids' in cache:
        return cache['pids']
    own = _walk(procfs)
    if cache is not None:
        cache['pids'] = own
    return own


def _walk(procfs):
    pid = procfs.self_pid()
    if pid is None:
        return frozenset()
    own = {pid}
    stat = procfs.pid_stat(pid)
    parent = stat.ppid if stat is not None else 0
    while parent > 1 and parent not in own and len(own) <= MAX_LAUNCHERS:
        if not is_launcher(procfs.pid_cmdline(parent)):
            break
        own.add(parent)
        stat = procfs.pid_stat(parent)
        parent = stat.ppid if stat is not None else 0
    return frozenset(own)
