# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: hostfacts
type: stdout
short_description: Show hostfacts results as ps aux, free -h, df -h, iostat and lsns style tables
version_added: 0.1.0
description:
  - A stdout callback that prints the result of M(hostops.fleet.hostfacts) on each host as compact tables, the way
    C(ps aux), C(free -h), C(df -h), C(iostat -x) and C(lsns) would show them, with the alerts first.
  - Every other result (other modules, failures, unreachable hosts, the play recap) is shown exactly as the
    C(default) callback shows it.
  - For ad hoc commands, set E(ANSIBLE_LOAD_CALLBACK_PLUGINS=1) as well, since C(ansible) otherwise always uses the
    C(minimal) callback.
author:
  - hostops.fleet developers (@hostops)
extends_documentation_fragment:
  - default_callback
  - result_format_callback
requirements:
  - set as stdout callback in configuration
options:
  sections:
    description:
      - Which tables to print, in this order.
      - V(warnings) repeats the module's warnings, which Ansible already prints once.
    type: list
    elements: str
    default: [alerts, summary, memory, filesystems, processes, io, namespaces, containers]
    choices: [alerts, summary, memory, filesystems, processes, io, namespaces, containers, warnings]
    env:
      - name: HOSTOPS_HOSTFACTS_SECTIONS
    ini:
      - section: callback_hostfacts
        key: sections
  rows:
    description: At most this many rows in each process, namespace and container table.
    type: int
    default: 10
    env:
      - name: HOSTOPS_HOSTFACTS_ROWS
    ini:
      - section: callback_hostfacts
        key: rows
notes:
  - 'Ad hoc: C(ANSIBLE_LOAD_CALLBACK_PLUGINS=1 ANSIBLE_STDOUT_CALLBACK=hostops.fleet.hostfacts ansible all -m hostops.fleet.hostfacts).'
  - 'In a playbook run: C(ANSIBLE_STDOUT_CALLBACK=hostops.fleet.hostfacts ansible-playbook site.yml), or
    C(stdout_callback = hostops.fleet.hostfacts) in C(ansible.cfg).'
"""

from ansible import constants as C
from ansible.plugins.callback.default import CallbackModule as DefaultCallback

from ansible_collections.hostops.fleet.plugins.plugin_utils._format import (
    NA, fmt_num, human_bytes, owner_text, text, uptime_text,
)

HOSTFACTS_ACTIONS = ('hostops.fleet.hostfacts', 'hostfacts', 'ansible.legacy.hostfacts')
SECTIONS = ('alerts', 'summary', 'memory', 'filesystems', 'processes', 'io', 'namespaces', 'containers', 'warnings')
DEFAULT_SECTIONS = SECTIONS[:-1]
# Commands longer than this are cut, as ps aux cuts them at the terminal width.
COMMAND_WIDTH = 120


def table(headers, rows, right=(), last_free=True):
    """Left/right aligned columns; the last column is left free (long commands), as ps prints them."""
    rows = [[text(cell) for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))
    lines = []
    for row in [list(headers)] + rows:
        cells = []
        for index, cell in enumerate(row):
            if last_free and index == len(row) - 1:
                cells.append(cell)
            elif index in right:
                cells.append(cell.rjust(widths[index]))
            else:
                cells.append(cell.ljust(widths[index]))
        lines.append('  '.join(cells).rstrip())
    return lines


def _get(mapping, *keys):
    for key in keys:
        if not hasattr(mapping, 'get'):
            return None
        mapping = mapping.get(key)
    return mapping


def render_alerts(facts, rows):
    alerts = facts.get('alerts') or []
    if not alerts:
        return ['ALERTS: none']
    return ['ALERTS'] + ['  %-8s %-11s %s' % (text(a.get('severity')).upper(), text(a.get('subset')), text(a.get('message')))
                         for a in alerts]


def render_summary(facts, rows):
    processes = facts.get('processes')
    if not hasattr(processes, 'get'):
        return []
    tasks = processes.get('tasks') or {}
    load = processes.get('load') or {}
    lines = ['Tasks: %s total, %s running, %s sleeping, %s stopped, %s zombie, %s uninterruptible; %s threads'
             % (text(tasks.get('total')), text(tasks.get('running')), text(tasks.get('sleeping')),
                text(tasks.get('stopped')), text(tasks.get('zombie')), text(tasks.get('uninterruptible')),
                text(processes.get('threads'))),
             'load average: %s, %s, %s on %s CPU(s); up %s'
             % (fmt_num(load.get('load1'), 2), fmt_num(load.get('load5'), 2), fmt_num(load.get('load15'), 2),
                text(processes.get('cpu_count')), uptime_text(processes.get('uptime_seconds')))]
    cpu = processes.get('cpu')
    if hasattr(cpu, 'get'):
        lines.append('%%Cpu(s): %s' % ', '.join('%s %s' % (fmt_num(cpu.get(key)), key)
                                                for key in ('us', 'sy', 'ni', 'id', 'wa', 'hi', 'si', 'st')))
    return lines


def render_memory(facts, rows):
    memory = facts.get('memory')
    if not hasattr(memory, 'get') or not memory:
        return []
    lines = table(('', 'total', 'used', 'free', 'shared', 'buff/cache', 'available'), [
        ('Mem:', human_bytes(memory.get('total')), human_bytes(memory.get('used')), human_bytes(memory.get('free')),
         human_bytes(memory.get('shared')), human_bytes(memory.get('buff_cache')), human_bytes(memory.get('available'))),
        ('Swap:', human_bytes(memory.get('swap_total')), human_bytes(memory.get('swap_used')), human_bytes(memory.get('swap_free')),
         '', '', ''),
    ], right=range(1, 7), last_free=False)
    lines.append('available %s %% of total: %s' % (fmt_num(memory.get('available_pct')), text(memory.get('status'))))
    return lines


def render_filesystems(facts, rows):
    mounts = _get(facts, 'filesystems', 'mounts')
    if not mounts:
        return []
    body = []
    for mount in mounts:
        status = mount.get('status')
        if status not in (None, 'ok'):
            body.append((mount.get('device'), mount.get('fstype'), '-', '-', '-', status, '-', mount.get('mount_point')))
            continue
        body.append((mount.get('device'), mount.get('fstype'), human_bytes(mount.get('size')), human_bytes(mount.get('used')),
                     human_bytes(mount.get('available')), '%s%%' % text(mount.get('use_pct')),
                     '%s%%' % text(mount.get('inodes_use_pct')), mount.get('mount_point')))
    lines = table(('Filesystem', 'Type', 'Size', 'Used', 'Avail', 'Use%', 'IUse%', 'Mounted on'), body,
                  right=(2, 3, 4, 5, 6))
    for entry in _get(facts, 'filesystems', 'du') or []:
        lines.append('du -sh %s: %s (%s)' % (text(entry.get('path')), human_bytes(entry.get('bytes')),
                                             text(entry.get('status'))))
    return lines


def _ps_rows(entries, rows):
    body = []
    for proc in (entries or [])[:rows]:
        body.append((proc.get('user'), proc.get('pid'), fmt_num(proc.get('cpu_pct', proc.get('cpu_pct_lifetime'))),
                     fmt_num(proc.get('mem_pct')), proc.get('vsz_kb'), proc.get('rss_kb'), proc.get('tty'),
                     proc.get('state'), (proc.get('start_time') or '')[11:16] or NA, proc.get('cpu_time_str'),
                     text(proc.get('args') or proc.get('command'))[:COMMAND_WIDTH]))
    return body


def render_processes(facts, rows):
    processes = facts.get('processes')
    if not hasattr(processes, 'get'):
        return []
    headers = ('USER', 'PID', '%CPU', '%MEM', 'VSZ', 'RSS', 'TTY', 'STAT', 'START', 'TIME', 'COMMAND')
    lines = []
    for title, key in (('top CPU', 'top_cpu'), ('top memory', 'top_memory')):
        entries = processes.get(key)
        if entries:
            lines.append('%s (%%CPU over the interval%s):' % (
                title, '' if any('cpu_pct' in p for p in entries) else '; ps lifetime average, interval was 0'))
            lines.extend(table(headers, _ps_rows(entries, rows), right=(1, 2, 3, 4, 5)))
    return lines


def render_io(facts, rows):
    io = facts.get('io')
    if not hasattr(io, 'get'):
        return []
    lines = ['iowait %s %%' % fmt_num(io.get('iowait_pct'))]
    disks = [d for d in io.get('disks') or [] if d.get('kind', 'disk') == 'disk']
    if disks:
        lines.extend(table(('Device', 'r/s', 'w/s', 'rkB/s', 'wkB/s', 'r_await', 'w_await', 'aqu-sz', '%util'), [
            (d.get('name'), fmt_num(d.get('r_s')), fmt_num(d.get('w_s')), fmt_num(d.get('rkb_s')), fmt_num(d.get('wkb_s')),
             fmt_num(d.get('r_await')), fmt_num(d.get('w_await')), fmt_num(d.get('aqu_sz'), 2), fmt_num(d.get('util_pct')))
            for d in disks], right=range(1, 9), last_free=False))
    hogs = {}
    for proc in (io.get('top_writers') or []) + (io.get('top_readers') or []):
        hogs.setdefault(proc.get('pid'), proc)
    if hogs:
        lines.append('top I/O (iotop):')
        body = []
        for proc in sorted(hogs.values(), key=lambda p: -((p.get('write_bytes_s') or 0) + (p.get('read_bytes_s') or 0)))[:rows]:
            files = proc.get('open_files') or []
            body.append((proc.get('pid'), proc.get('user'), human_bytes(proc.get('read_bytes_s'), '/s'),
                         human_bytes(proc.get('write_bytes_s'), '/s'), files[0].get('path') if files else '-',
                         text(proc.get('command') or proc.get('comm'))[:COMMAND_WIDTH]))
        lines.extend(table(('PID', 'USER', 'READ', 'WRITE', 'FILE', 'COMMAND'), body, right=(0, 2, 3)))
    d_state = io.get('d_state') or []
    if d_state:
        lines.append('in D state: %s' % ', '.join('%s (%s) %s/%s samples' % (
            text(p.get('pid')), text(p.get('comm') or p.get('command'))[:40], text(p.get('samples_in_d')),
            text(p.get('of_samples'))) for p in d_state[:rows]))
    lines.extend('finding: %s' % finding for finding in io.get('findings') or [])
    return lines


def render_namespaces(facts, rows):
    subset = facts.get('namespaces')
    if not hasattr(subset, 'get'):
        return []
    entries = [n for n in subset.get('namespaces') or [] if not n.get('default')]
    counts = subset.get('counts') or {}
    lines = ['namespaces: %s; %d not the host\'s' % (
        ', '.join('%s %s' % item for item in sorted(counts.items())) or NA, len(entries))]
    if entries:
        entries.sort(key=lambda n: (bool(n.get('nprocs')), text(n.get('type')), n.get('inode') or 0))
        body = []
        for entry in entries[:rows]:
            pins = ', '.join(text(p.get('name') or p.get('path')) for p in entry.get('pinned_by') or [])
            body.append((entry.get('inode'), entry.get('type'), entry.get('nprocs'), entry.get('pid') or '-',
                         entry.get('user') or '-', text(owner_text(entry.get('owner'))), pins or '-',
                         text(entry.get('command') or '-')[:COMMAND_WIDTH]))
        lines.extend(table(('NS', 'TYPE', 'NPROCS', 'PID', 'USER', 'OWNER', 'PINNED BY', 'COMMAND'), body,
                           right=(0, 2, 3)))
        if len(entries) > rows:
            lines.append('... and %d more' % (len(entries) - rows))
    return lines


def render_containers(facts, rows):
    containers = facts.get('containers')
    if containers is None:
        return []
    if not containers:
        return ['containers: none']
    body = [(c.get('id', '')[:12], c.get('runtime'), human_bytes(c.get('memory_usage_bytes')),
             human_bytes(c.get('memory_limit_bytes')) if c.get('memory_limit_bytes') else 'none',
             fmt_num(c.get('cpu_usage_seconds')), c.get('pids_current'), c.get('nprocs'))
            for c in containers[:rows]]
    return ['containers:'] + table(('CONTAINER', 'RUNTIME', 'MEM', 'LIMIT', 'CPU s', 'PIDS', 'PROCS'), body,
                                   right=(2, 3, 4, 5, 6), last_free=False)


def render_warnings(facts, rows):
    return ['warning: %s' % w for w in facts.get('warnings') or []]


RENDERERS = dict((name, globals()['render_' + name]) for name in SECTIONS)


def render_hostfacts(host, facts, sections=DEFAULT_SECTIONS, rows=10):
    """The text block for one host: a heading, then each selected section separated by a blank line."""
    lines = ['== %s: hostfacts %s, interval %s s, collected %s' % (
        host, ','.join(facts.get('gather_subset') or []) or NA, text(facts.get('interval')),
        text(facts.get('collected_at')))]
    for name in sections:
        block = RENDERERS[name](facts, rows)
        if block:
            lines.extend(block)
            lines.append('')
    return '\n'.join(lines).rstrip('\n')


class CallbackModule(DefaultCallback):
    """The default callback, except that hostfacts results are printed as tables."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'hostops.fleet.hostfacts'

    def v2_runner_on_ok(self, result):
        task = getattr(result, 'task', None) or result._task
        data = getattr(result, 'result', None)
        if data is None:
            data = result._result
        facts = _get(data, 'ansible_facts', 'hostfacts')
        if task.action not in HOSTFACTS_ACTIONS or not hasattr(facts, 'get') or task.loop:
            return super(CallbackModule, self).v2_runner_on_ok(result)
        if self._last_task_banner != task._uuid:
            self._print_task_banner(task)
        self._handle_warnings_and_exception(result)
        host = getattr(result, 'host', None) or result._host
        self._display.display('ok: [%s]' % host.get_name(), color=C.COLOR_OK)
        sections = [s for s in self.get_option('sections') if s in RENDERERS]
        self._display.display(render_hostfacts(host.get_name(), facts, sections, self.get_option('rows')))
