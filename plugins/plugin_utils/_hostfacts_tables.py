# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""hostfacts as ps aux, free -h, df -h, iostat -x and lsns style text: what the stdout callback prints.

Private: may change without notice. Everything here reads a host's facts, which are untrusted: each
cell goes through ``printable`` (no control character from a host reaches the terminal, so a newline in
a command line cannot start a row of its own), and a section whose facts have the wrong shape prints
one line saying so instead of stopping the output of the others.
"""

from __future__ import annotations

import json

from ansible_collections.hostops.fleet.plugins.plugin_utils._format import (
    NA, as_number, fmt_num, human_bytes, owner_text, printable, uptime_text,
)

SECTIONS = ('alerts', 'summary', 'memory', 'filesystems', 'processes', 'io', 'namespaces', 'containers', 'warnings')
DEFAULT_SECTIONS = SECTIONS[:-1]
# Commands longer than this are cut, as ps aux cuts them at the terminal width.
COMMAND_WIDTH = 120


def table(headers, rows, right=(), last_free=True):
    """Left/right aligned columns; the last column is left free (long commands), as ps prints them."""
    rows = [[printable(cell) for cell in row] for row in rows]
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


def _entries(value):
    """The mappings of a list from a host; anything else in it (or instead of it) is left out."""
    if not isinstance(value, (list, tuple)):
        return []
    return [entry for entry in value if hasattr(entry, 'get')]


def _command(value):
    return printable(value)[:COMMAND_WIDTH]


def _ps_command(proc):
    """The command line, or ``[comm]`` as ps shows a process whose argv is empty or blanked (setproctitle)."""
    args = proc.get('args')
    if isinstance(args, str) and args.strip():
        return _command(args)
    comm = printable(proc.get('command'))
    return _command(comm if comm.startswith('[') else '[%s]' % comm)


def render_alerts(facts, rows):
    alerts = _entries(facts.get('alerts'))
    if not alerts:
        return ['ALERTS: none']
    return ['ALERTS'] + ['  %-8s %-11s %s' % (printable(a.get('severity')).upper(), printable(a.get('subset')),
                                              printable(a.get('message')))
                         for a in alerts]


def render_summary(facts, rows):
    processes = facts.get('processes')
    if not hasattr(processes, 'get'):
        return []
    tasks = processes.get('tasks') or {}
    load = processes.get('load') or {}
    lines = ['Tasks: %s total, %s running, %s sleeping, %s stopped, %s zombie, %s uninterruptible; %s threads'
             % tuple(printable(value) for value in (
                 tasks.get('total'), tasks.get('running'), tasks.get('sleeping'), tasks.get('stopped'),
                 tasks.get('zombie'), tasks.get('uninterruptible'), processes.get('threads'))),
             'load average: %s, %s, %s on %s CPU(s); up %s'
             % (fmt_num(load.get('load1'), 2), fmt_num(load.get('load5'), 2), fmt_num(load.get('load15'), 2),
                printable(processes.get('cpu_count')), uptime_text(processes.get('uptime_seconds')))]
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
    lines.append('available %s %% of total: %s' % (fmt_num(memory.get('available_pct')), printable(memory.get('status'))))
    return lines


def _df_row(mount):
    status = mount.get('status')
    if status not in (None, 'ok'):
        return (mount.get('device'), mount.get('fstype'), '-', '-', '-', status, '-', mount.get('mount_point'))
    return (mount.get('device'), mount.get('fstype'), human_bytes(mount.get('size')), human_bytes(mount.get('used')),
            human_bytes(mount.get('available')), '%s%%' % printable(mount.get('use_pct')),
            '%s%%' % printable(mount.get('inodes_use_pct')), mount.get('mount_point'))


def render_filesystems(facts, rows):
    mounts = _entries(_get(facts, 'filesystems', 'mounts'))
    if not mounts:
        return []
    lines = table(('Filesystem', 'Type', 'Size', 'Used', 'Avail', 'Use%', 'IUse%', 'Mounted on'),
                  [_df_row(mount) for mount in mounts], right=(2, 3, 4, 5, 6))
    for entry in _entries(_get(facts, 'filesystems', 'du')):
        lines.append('du -sh %s: %s (%s)' % (printable(entry.get('path')), human_bytes(entry.get('bytes')),
                                             printable(entry.get('status'))))
    return lines


def _ps_rows(entries, rows):
    body = []
    for proc in entries[:rows]:
        start = proc.get('start_time')
        body.append((proc.get('user'), proc.get('pid'), fmt_num(proc.get('cpu_pct', proc.get('cpu_pct_lifetime'))),
                     fmt_num(proc.get('mem_pct')), proc.get('vsz_kb'), proc.get('rss_kb'), proc.get('tty'),
                     proc.get('state'), (start[11:16] if isinstance(start, str) else '') or NA,
                     proc.get('cpu_time_str'), _ps_command(proc)))
    return body


def _cpu_column(entries, interval):
    """What the %CPU column of these rows is: top's over the interval, or ps's lifetime average."""
    if any('cpu_pct' in p for p in entries):
        return 'over the %s s interval, as top' % printable(interval)
    return 'lifetime average, as ps; interval was 0'


def render_processes(facts, rows):
    processes = facts.get('processes')
    if not hasattr(processes, 'get'):
        return []
    headers = ('USER', 'PID', '%CPU', '%MEM', 'VSZ', 'RSS', 'TTY', 'STAT', 'START', 'TIME', 'COMMAND')
    lines = []
    # Each heading names what its list is ranked by (top_cpu: the %CPU column; top_memory: RSS) and
    # what that list's %CPU column means.
    for key, ranked_by in (('top_cpu', 'top CPU, by %%CPU %s'), ('top_memory', 'top memory, by RSS; %%CPU %s')):
        entries = _entries(processes.get(key))
        if entries:
            lines.append('%s:' % (ranked_by % _cpu_column(entries, facts.get('interval'))))
            lines.extend(table(headers, _ps_rows(entries, rows), right=(1, 2, 3, 4, 5)))
    return lines


def _io_hogs(io, rows, suffix):
    """The top readers and writers in one list, ranked by bytes read and written: per second (suffix
    ``_s``, with an interval) or since each process started (no suffix: a snapshot has no rates)."""
    hogs = {}
    for proc in _entries(io.get('top_writers')) + _entries(io.get('top_readers')):
        hogs.setdefault(printable(proc.get('pid')), proc)
    unit = '/s' if suffix else ''
    body = []
    for proc in sorted(hogs.values(), key=lambda proc: _io_bytes(proc, suffix), reverse=True)[:rows]:
        files = _entries(proc.get('open_files'))
        body.append((proc.get('pid'), proc.get('user'), human_bytes(proc.get('read_bytes' + suffix), unit),
                     human_bytes(proc.get('write_bytes' + suffix), unit), files[0].get('path') if files else '-',
                     _command(proc.get('command') or proc.get('comm'))))
    return body


def _io_bytes(proc, suffix):
    """Bytes read and written (per second with suffix ``_s``), to sort by; what is not a number counts as 0."""
    return (as_number(proc.get('write_bytes' + suffix)) or 0) + (as_number(proc.get('read_bytes' + suffix)) or 0)


def render_io(facts, rows):
    io = facts.get('io')
    if not hasattr(io, 'get'):
        return []
    lines = ['iowait %s %%' % fmt_num(io.get('iowait_pct'))]
    disks = [d for d in _entries(io.get('disks')) if d.get('kind', 'disk') == 'disk']
    if disks:
        lines.extend(table(('Device', 'r/s', 'w/s', 'rkB/s', 'wkB/s', 'r_await', 'w_await', 'aqu-sz', '%util'), [
            (d.get('name'), fmt_num(d.get('r_s')), fmt_num(d.get('w_s')), fmt_num(d.get('rkb_s')), fmt_num(d.get('wkb_s')),
             fmt_num(d.get('r_await')), fmt_num(d.get('w_await')), fmt_num(d.get('aqu_sz'), 2), fmt_num(d.get('util_pct')))
            for d in disks], right=range(1, 9), last_free=False))
    listed = _entries(io.get('top_writers')) + _entries(io.get('top_readers'))
    if any('read_bytes_s' in p or 'write_bytes_s' in p for p in listed):
        hogs, heading, columns = _io_hogs(io, rows, '_s'), 'top I/O, by bytes per second (iotop):', ('DISK READ', 'DISK WRITE')
    else:
        hogs, heading, columns = (_io_hogs(io, rows, ''), 'top I/O, by bytes since each process started (iotop -a); '
                                  'interval was 0:', ('READ TOTAL', 'WRITE TOTAL'))
    if hogs:
        lines.append(heading)
        lines.extend(table(('PID', 'USER') + columns + ('FILE', 'COMMAND'), hogs, right=(0, 2, 3)))
    d_state = _entries(io.get('d_state'))
    if d_state:
        lines.append('in D state: %s' % ', '.join('%s (%s) %s/%s samples' % (
            printable(p.get('pid')), printable(p.get('comm') or p.get('command'))[:40], printable(p.get('samples_in_d')),
            printable(p.get('of_samples'))) for p in d_state[:rows]))
    findings = io.get('findings')
    lines.extend('finding: %s' % printable(finding) for finding in (findings if isinstance(findings, list) else []))
    return lines


def _lsns_row(entry):
    pins = ', '.join(printable(p.get('name') or p.get('path')) for p in _entries(entry.get('pinned_by')))
    return (entry.get('inode'), entry.get('type'), entry.get('nprocs'), entry.get('pid') or '-',
            entry.get('user') or '-', printable(owner_text(entry.get('owner'))), pins or '-',
            _command(entry.get('command') or '-'))


def render_namespaces(facts, rows):
    subset = facts.get('namespaces')
    if not hasattr(subset, 'get'):
        return []
    entries = [n for n in _entries(subset.get('namespaces')) if not n.get('default')]
    counts = subset.get('counts')
    counts = sorted((printable(kind), printable(count)) for kind, count in counts.items()) if hasattr(counts, 'items') else []
    lines = ['namespaces: %s; %d not the host\'s' % (', '.join('%s %s' % item for item in counts) or NA, len(entries))]
    if entries:
        entries.sort(key=lambda n: (bool(n.get('nprocs')), printable(n.get('type')), printable(n.get('inode'))))
        lines.extend(table(('NS', 'TYPE', 'NPROCS', 'PID', 'USER', 'OWNER', 'PINNED BY', 'COMMAND'),
                           [_lsns_row(entry) for entry in entries[:rows]], right=(0, 2, 3)))
        if len(entries) > rows:
            lines.append('... and %d more' % (len(entries) - rows))
    return lines


def render_containers(facts, rows):
    containers = facts.get('containers')
    if containers is None:
        return []
    containers = _entries(containers)
    if not containers:
        return ['containers: none']
    body = [(printable(c.get('id', ''))[:12], c.get('runtime'), human_bytes(c.get('memory_usage_bytes')),
             human_bytes(c.get('memory_limit_bytes')) if c.get('memory_limit_bytes') else 'none',
             fmt_num(c.get('cpu_usage_seconds')), c.get('pids_current'), c.get('nprocs'))
            for c in containers[:rows]]
    return ['containers:'] + table(('CONTAINER', 'RUNTIME', 'MEM', 'LIMIT', 'CPU s', 'PIDS', 'PROCS'), body,
                                   right=(2, 3, 4, 5, 6), last_free=False)


def render_warnings(facts, rows):
    warnings = facts.get('warnings')
    return ['warning: %s' % printable(w) for w in (warnings if isinstance(warnings, list) else [])]


RENDERERS = dict((name, globals()['render_' + name]) for name in SECTIONS)


def _section(name, facts, rows):
    try:
        return RENDERERS[name](facts, rows)
    except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
        # One malformed subset must not hide the others, nor this host's alerts.
        return ['%s: not shown, the facts have an unexpected shape (%s)' % (name, printable(type(exc).__name__))]


def render_hostfacts(host, facts, sections=DEFAULT_SECTIONS, rows=10):
    """The text block for one host: a heading, then each selected section separated by a blank line."""
    subsets = facts.get('gather_subset')
    lines = ['== %s: hostfacts %s, interval %s s, collected %s' % (
        printable(host), ','.join(printable(s) for s in subsets) if isinstance(subsets, list) and subsets else NA,
        printable(facts.get('interval')), printable(facts.get('collected_at')))]
    for name in sections:
        block = _section(name, facts, rows)
        if block:
            lines.extend(block)
            lines.append('')
    # Every line was built from printable text; this pass keeps it so if a renderer ever forgets.
    return '\n'.join(printable(line) for line in lines).rstrip('\n')


def render_query(host, expression, value):
    """The answer of a query: a heading with the expression, then the value (JSON for lists and objects)."""
    if isinstance(value, str):
        body = [value]
    else:
        body = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str).splitlines()
    lines = ['== %s: query %s' % (printable(host), printable(expression))] + body
    return '\n'.join(printable(line) for line in lines)
