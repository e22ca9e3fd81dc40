# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The readers of mountinfo and of seq_files: every line, every byte of a name, to EOF.

The lines below are in the format of fs/proc_namespace.c (show_mountinfo), with the octal
escapes of seq_escape for space, tab, newline and backslash, and every other byte as it is.
"""

from __future__ import annotations

import os

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers import files
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers import system as system_reader
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS

MOUNTINFO = (
    b'27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n'
    b'60 27 0:40 / /odd/form\x0cfeed rw,relatime - tmpfs a rw,size=1024k\n'
    b'61 27 0:41 / /odd/file\x1csep rw,relatime - tmpfs b rw,size=1088k\n'
    b'62 27 0:42 / /odd/line\xe2\x80\xa8sep rw,relatime - tmpfs c rw,size=1152k\n'
    b'63 27 0:43 / /odd/not\xffutf8 rw,relatime - tmpfs d rw,size=1216k\n'
    b'64 27 0:44 / /odd/with\\040space rw,relatime - tmpfs e\\040f rw,size=1280k\n'
    b'65 27 0:45 / /odd/back\\134slash rw,relatime - tmpfs g rw,size=1344k\n'
    b'66 27 0:46 / /odd/new\\012line rw,relatime shared:3 master:1 - tmpfs h rw\n'
)


def test_every_line_comes_back_with_its_name_decoded_losslessly(tmp_path):
    (tmp_path / 'proc' / 'self').mkdir(parents=True)
    (tmp_path / 'proc' / 'self' / 'mountinfo').write_bytes(MOUNTINFO)
    mounts = ProcFS(str(tmp_path)).mountinfo()
    assert [os.fsencode(m.mount_point) for m in mounts] == [
        b'/', b'/odd/form\x0cfeed', b'/odd/file\x1csep', b'/odd/line\xe2\x80\xa8sep', b'/odd/not\xffutf8',
        b'/odd/with space', b'/odd/back\\slash', b'/odd/new\nline']
    assert mounts[5].source == 'e f'
    assert mounts[7].optional_fields == ['shared:3', 'master:1'] and mounts[7].fstype == 'tmpfs'
    assert (mounts[1].major, mounts[1].minor, mounts[1].super_options) == (0, 40, 'rw,size=1024k')


def test_a_seq_file_is_read_to_eof_whatever_the_length_of_the_first_read(monkeypatch):
    """seq_file hands out whole records: a first read can be short (the next line did not fit) and more follow."""
    pieces = [b'x' * 100, b'y' * 4000, b'z' * 10, b'']
    monkeypatch.setattr(files.os, 'read', lambda fd, size: pieces.pop(0))
    assert files.FileReader._read_fd(3, None) == b'x' * 100 + b'y' * 4000 + b'z' * 10


def test_a_limited_read_stops_at_the_limit(monkeypatch):
    asked = []
    pieces = [b'a' * 300, b'b' * 300, b'c' * 300]

    def read(fd, size):
        asked.append(size)
        return pieces.pop(0)[:size]

    monkeypatch.setattr(files.os, 'read', read)
    assert files.FileReader._read_fd(3, 500) == b'a' * 300 + b'b' * 200
    assert asked == [500, 200]


def test_mountinfo_is_read_once_per_pid_in_a_sample_and_each_text_parsed_once(tmp_path, monkeypatch):
    for pid in ('self', '1', '7'):
        (tmp_path / 'proc' / pid).mkdir(parents=True)
        (tmp_path / 'proc' / pid / 'mountinfo').write_bytes(MOUNTINFO)
    (tmp_path / 'proc' / '7' / 'mountinfo').write_bytes(MOUNTINFO[:46])  # another mount namespace: one mount
    procfs = ProcFS(str(tmp_path))
    parsed = []
    real_parse = system_reader._parse_mountinfo
    monkeypatch.setattr(system_reader, '_parse_mountinfo', lambda data: parsed.append(data) or real_parse(data))
    procfs.begin_sample()
    first = procfs.mountinfo()
    first.pop()  # a caller's list is its own
    (tmp_path / 'proc' / 'self' / 'mountinfo').write_bytes(MOUNTINFO[:46])
    assert len(procfs.mountinfo()) == 8 and len(procfs.mountinfo(1)) == 8 and len(procfs.mountinfo(7)) == 1
    assert parsed == [MOUNTINFO, MOUNTINFO[:46]]  # pid 1's text, the same as self's, was not parsed again
    procfs.begin_sample()
    assert len(procfs.mountinfo()) == 1  # a new sample reads afresh
    procfs.end_samples()
    (tmp_path / 'proc' / 'self' / 'mountinfo').write_bytes(MOUNTINFO)
    assert len(procfs.mountinfo()) == 8 and len(procfs.mountinfo()) == 8 and len(parsed) == 5  # outside: every call
