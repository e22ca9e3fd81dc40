# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How ps and top show processes: times, terminals, task counts, CPU shares, command lines. Private.

Shared by every collector that describes a process (processes, io, namespaces) and by
the psutil fallback, so that a process reads the same wherever it appears.
"""

from __future__ import annotations

import time

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.redact import may_hold_secret, redact_argv

# top's %Cpu(s) line, in the order of /proc/stat's cpu line (psutil's cpu_times use the same names).
CPU_FIELDS = (('us', 'user'), ('sy', 'system'), ('ni', 'nice'), ('id', 'idle'), ('wa', 'iowait'),
              ('hi', 'irq'), ('si', 'softirq'), ('st', 'steal'))


def iso_time(epoch):
    """Local time with offset, ISO 8601 (the format of collected_at)."""
    return time.strftime('%Y-%m-%dT%H:%M:%S%z', time.localtime(epoch))


def cpu_time_str(seconds):
    """ps -ef's TIME column: [DD-]HH:MM:SS."""
    seconds = int(seconds)
    days, seconds = divmod(seconds, 86400)
    text = '%02d:%02d:%02d' % (seconds // 3600, seconds // 60 % 60, seconds % 60)
    return '%d-%s' % (days, text) if days else text


def tty_name(tty_nr):
    """The TTY column of ps from stat's tty_nr: '?' for none, pts/N, ttyN, ttySN or major:minor."""
    if tty_nr == 0:
        return '?'
    major = (tty_nr >> 8) & 0xfff
    minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00)
    if 136 <= major <= 143:
        return 'pts/%d' % (minor + (major - 136) * 256)
    if major == 4:
        return 'tty%d' % minor if minor < 64 else 'ttyS%d' % (minor - 64)
    return '%d:%d' % (major, minor)


def count_tasks(states):
    """top's Tasks: line from one state letter per process; sleeping includes D and I, as in top."""
    counts = {'total': 0, 'running': 0, 'sleeping': 0, 'stopped': 0, 'zombie': 0,
              'uninterruptible': 0, 'idle': 0}
    for state in states:
        counts['total'] += 1
        if state == 'R':
            counts['running'] += 1
        elif state in ('T', 't'):
            counts['stopped'] += 1
        elif state == 'Z':
            counts['zombie'] += 1
        else:
            counts['sleeping'] += 1
            if state == 'D':
                counts['uninterruptible'] += 1
            elif state == 'I':
                counts['idle'] += 1
    return counts


def cpu_breakdown(first, last):
    """top's %Cpu(s) percentages between two cpu time samples (/proc/stat's or psutil's), or None."""
    if first is None or last is None:
        return None
    deltas = dict((short, max(0, getattr(last, name, 0) - getattr(first, name, 0))) for short, name in CPU_FIELDS)
    total = sum(deltas.values())
    if total <= 0:
        return None
    return dict((short, round(100.0 * value / total, 1)) for short, value in deltas.items())


def command_line(argv, fallback, options):
    """argv joined as ps shows it, else ``fallback`` (kernel threads, zombies), for the facts.

    Well-known secrets are masked first (common.redact, unless ``options.redact_secrets`` is false),
    then the text is cut to ``options.cmdline_length`` characters: a cut never leaves half a secret.
    """
    if not argv:
        return fallback[:options.cmdline_length]
    text = ' '.join(argv)
    if options.redact_secrets and may_hold_secret(text):
        text = ' '.join(redact_argv(argv))
    return text[:options.cmdline_length]
