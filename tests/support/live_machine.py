# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a unit test may not read: the live machine's /proc, /sys, /dev and mount tables (tests/unit/conftest.py)."""

from __future__ import annotations

import builtins
import io
import os

LIVE_PATHS = ('/proc', '/sys', '/dev', '/run/udev', '/etc/mtab', '/etc/fstab')
# Not the machine's state: what the interpreter and pytest open whatever the test.
HARMLESS = ('/dev/null', '/dev/urandom', '/dev/random', '/dev/tty')


class LiveMachineRead(Exception):
    """Not an OSError, so that code under test does not take it for a missing file."""


def live_path(path):
    """The normalized absolute path when path names the live machine's state, else None (fds, relative paths)."""
    if isinstance(path, int):
        return None
    try:
        text = os.fsdecode(os.fspath(path))
    except TypeError:
        return None
    if not text.startswith('/'):
        return None
    text = os.path.normpath(text)
    if text in HARMLESS:
        return None
    if any(text == prefix or text.startswith(prefix + '/') for prefix in LIVE_PATHS):
        return text
    return None


def _guarded(function, reads):
    def refusing(path=None, *args, **kwargs):
        live = live_path(path) if path is not None else None
        if live is not None and kwargs.get('dir_fd') is None:
            reads.append('%s(%r)' % (function.__name__, live))
            raise LiveMachineRead('a unit test read the live machine: %s(%r); use a fixture tree' % (
                function.__name__, live))
        if path is None:
            return function(*args, **kwargs)
        return function(path, *args, **kwargs)
    refusing.__wrapped__ = function
    return refusing


def guard(monkeypatch, reads):
    """Refuse, and append to ``reads``, every Python-level open, stat, listing or readlink of the live state."""
    monkeypatch.setattr(builtins, 'open', _guarded(builtins.open, reads))
    monkeypatch.setattr(io, 'open', _guarded(io.open, reads))
    for name in ('open', 'stat', 'lstat', 'listdir', 'scandir', 'readlink', 'statvfs', 'access'):
        monkeypatch.setattr(os, name, _guarded(getattr(os, name), reads))
