# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report's spool: each host's pieces of output kept in a temporary file, not in memory. Private.

The report is sorted by severity, which is known only once every host has been read; until then each
host's rendered pieces (its JSON record, its CSV row, its card and table data) wait here, and memory
holds only where they are. A fleet of 50,000 hosts costs the controller a few hundred bytes per host,
not the record's 14 KB of Python objects. The file is anonymous (unlinked at creation, mode 0600) and
goes when the spool is closed.
"""

from __future__ import annotations

import os
import tempfile

# Host text may hold lone surrogates (JSON from a host can carry them): kept as they are until the
# final write, which replaces what UTF-8 cannot carry.
ENCODING, ERRORS = 'utf-8', 'surrogatepass'


class HostSpool(object):
    """Pieces of text per host, written once, read back in any order."""

    def __init__(self, names):
        self.names = tuple(names)
        self._index = dict((name, index) for index, name in enumerate(self.names))
        self._file = tempfile.TemporaryFile(prefix='fleet-report-spool-')
        self._end = 0

    def add(self, pieces):
        """Store one host's pieces (a dict with a text for each of ``names``); returns where they are."""
        data = [pieces[name].encode(ENCODING, ERRORS) for name in self.names]
        # Appended in one write: only read() moves through the file, and it reads with pread, so the
        # file's position stays at the end.
        self._file.write(b''.join(data))
        where = (self._end, tuple(len(blob) for blob in data))
        self._end += sum(where[1])
        return where

    def read(self, where, name):
        """One piece of one host, in one system call."""
        offset, lengths = where
        index = self._index[name]
        self._file.flush()
        return os.pread(self._file.fileno(), lengths[index], offset + sum(lengths[:index])).decode(ENCODING, ERRORS)

    def close(self):
        self._file.close()
