# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Atomic file replacement for files other programs read at any moment. Private."""

from __future__ import annotations

import os
import tempfile

from ansible_collections.hostops.fleet.plugins.module_utils._errors import FleetError


class AtomicWriteError(FleetError):
    """The file could not be written; the message names the option that gave the path."""


def write_atomic(path, text, option='path', mode=0o644):
    """Replace ``path`` with ``text``: temp file in the same directory, fsync, rename, fsync the directory.

    A reader sees the old complete file or the new complete file, never a part. A writer
    killed mid-write leaves at most a hidden ``.<name>.*.tmp`` file next to the target,
    which node_exporter's textfile collector ignores (it reads only ``*.prom``).
    """
    directory, name = os.path.split(path)
    try:
        fd, tmp_path = tempfile.mkstemp(prefix='.%s.' % name, suffix='.tmp', dir=directory)
    except OSError as exc:
        raise AtomicWriteError('%s: cannot create a temporary file in %s: %s' % (option, directory, exc.strerror))
    try:
        try:
            view = memoryview(text.encode('utf-8'))
            while view:
                view = view[os.write(fd, view):]
            os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp_path, path)
    except OSError as exc:
        try:
            os.unlink(tmp_path)
        except OSError:
            pass
        raise AtomicWriteError('%s: cannot write %s: %s' % (option, path, exc.strerror or exc))
    _fsync_directory(directory)


def _fsync_directory(directory):
    """Make the rename durable; some filesystems refuse fsync on a directory, which is harmless here."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_text(path):
    """The content of a regular file, or None when it does not exist."""
    try:
        with open(path, 'rb') as handle:
            return handle.read().decode('utf-8', 'replace')
    except (IOError, OSError) as exc:
        if getattr(exc, 'errno', None) == 2:
            return None
        raise
