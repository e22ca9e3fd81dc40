# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Processes a hostile user could start on a managed host: argv and comm made to fool the operator's terminal.

argv[0] is set with bash's ``exec -a`` and comm with ``prctl(PR_SET_NAME)``, the two ways any
unprivileged user names a process. The first process sleeps in a network namespace of its own, so
that its command line is the COMMAND of a row of the lsns table. The second spins, so that it is in the
top CPU table, and zeroes its argv area (as setproctitle does), so that ps and hostfacts show its comm,
``[comm]``, in place of a command line. Needs root (unshare).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import unicodedata

# Terminal commands (set the window title, clear the screen, ask for the cursor position with CSI as a
# C1 character, reverse the text that follows), then a forged alert line, host header and process row.
ARGV0 = ('evil\x1b]0;pwned\x07\x1b[2J\x9b6n\u202egnp\nALERTS: none\n== web9: hostfacts all\n'
         'root 1 99.0 0.0 1 1 ? R 00:00 00:00:01 /sbin/init')
# The callback cuts a command at 120 characters (as ps cuts it at the terminal's width).
SHOWN = 110
# comm holds 15 bytes: clear the screen, then a forged alert line.
COMM = b'\x1b[2J\nALERTS: no'
SLEEP = 'import time; time.sleep(120)'
# /proc/self/stat fields 48 and 49 (proc(5)) are where argv starts and ends in the process's memory.
SPIN = ('import ctypes, time\n'
        'ctypes.CDLL(None).prctl(15, %r, 0, 0, 0)\n'
        'with open("/proc/self/stat") as stat:\n'
        '    fields = stat.read().rsplit(")", 1)[1].split()\n'
        'start, end = int(fields[45]), int(fields[46])\n'
        'ctypes.memset(start, 0, end - start)\n'
        'end = time.time() + 120\n'
        'while time.time() < end:\n'
        '    pass\n' % COMM)


@contextlib.contextmanager
def hostile_processes(python=sys.executable):
    """(pid named by argv, pid named by comm), both running; they are killed on exit."""
    named = subprocess.Popen(['unshare', '--net', '--', 'bash', '-c', 'exec -a "$0" "$1" -c "$2"',
                              ARGV0, python, SLEEP])
    spinning = subprocess.Popen([python, '-c', SPIN])
    try:
        _wait_for(named.pid, 'cmdline', lambda data: data.startswith(ARGV0.encode('utf-8') + b'\0'))
        _wait_for(spinning.pid, 'comm', lambda data: data == COMM + b'\n')
        _wait_for(spinning.pid, 'cmdline', lambda data: not data.strip(b'\0'))
        yield named.pid, spinning.pid
    finally:
        for proc in (named, spinning):
            proc.send_signal(signal.SIGKILL)
            proc.wait()


def _wait_for(pid, name, ready):
    path = '/proc/%d/%s' % (pid, name)
    for attempt in range(200):
        if attempt:
            time.sleep(0.05)
        with open(path, 'rb') as handle:
            if ready(handle.read()):
                return
    raise AssertionError('process %d never got the %s it was given' % (pid, name))


def terminal_controls(data):
    """The characters of ``data`` (bytes, as written to stdout) that a terminal would act on, newline aside."""
    text = data.decode('utf-8', 'surrogateescape')
    return sorted(set(char for char in text if char != '\n'
                      and unicodedata.category(char) in ('Cc', 'Cf', 'Zl', 'Zp', 'Cs')))


def escaped(text):
    """How the callback shows ``text``: the escapes of hostops.fleet's printable()."""
    out = []
    for char in text:
        if unicodedata.category(char) in ('Cc', 'Cf', 'Zl', 'Zp', 'Cs'):
            code = ord(char)
            out.append('\\x%02x' % code if code < 0x100 else '\\u%04x' % code)
        else:
            out.append(char)
    return ''.join(out)


def lines_forged_by(stdout_text, host='localhost'):
    """Lines of the callback's output that only the hostile process could have written."""
    lines = stdout_text.splitlines()
    return [line for line in lines if line.startswith('== web9') or line.startswith('root 1 99.0')
            or line == 'ALERTS: no' or '/sbin/init' in line and 'evil' not in line]


def check_environment():
    """Why the hostile process cannot run here, or None."""
    if os.geteuid() != 0:
        return 'needs root for unshare --net'
    return None
