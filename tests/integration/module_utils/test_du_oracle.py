# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""du_paths against coreutils du, run on the same tree in the same moment."""

from __future__ import annotations

import os
import subprocess

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS

from support.hostfacts_fixtures import options


def _du(args, path):
    return int(subprocess.run(['du'] + args + [path], check=True, stdout=subprocess.PIPE,
                              universal_newlines=True).stdout.split()[0])


def test_du_matches_du_and_counts_hard_links_once(tmp_path):
    tree = tmp_path / 'tree'
    (tree / 'a' / 'b').mkdir(parents=True)
    (tree / 'a' / 'one').write_bytes(b'x' * 10000)
    (tree / 'a' / 'b' / 'two').write_bytes(b'y' * 123456)
    os.link(str(tree / 'a' / 'b' / 'two'), str(tree / 'a' / 'link-to-two'))
    os.symlink('one', str(tree / 'a' / 'symlink'))
    result = ProcFS('/').disk_usage(str(tree), 5.0)
    assert result.status == 'ok'
    assert result.disk_bytes == _du(['-s', '-x', '-B1'], str(tree))
    assert result.apparent_bytes == _du(['-s', '-x', '-b'], str(tree))
    assert (result.files, result.directories) == (3, 3)


def test_du_paths_results_and_warnings(tmp_path):
    (tmp_path / 'data').mkdir()
    (tmp_path / 'data' / 'file').write_bytes(b'z' * 5000)
    facts = gather(options(gather_subset=['filesystems'], du_paths=[str(tmp_path / 'data'), str(tmp_path / 'nope')]))
    ok, missing = facts['filesystems']['du']
    assert ok['status'] == 'ok' and ok['apparent_bytes'] == _du(['-s', '-b'], str(tmp_path / 'data'))
    assert missing['status'] == 'error'
    assert any(w.startswith('du_paths: %s' % (tmp_path / 'nope')) for w in facts['warnings'])
