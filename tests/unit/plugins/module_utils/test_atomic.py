# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The atomic writer: a failed write names the option and leaves no temporary file."""

from __future__ import annotations

import os

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._atomic import AtomicWriteError, write_atomic


def test_write_failure_names_the_option_and_leaves_no_temp_file(tmp_path):
    directory = tmp_path / 'ro'
    directory.mkdir()
    directory.chmod(0o500)
    try:
        if os.access(str(directory), os.W_OK):
            # root ignores directory modes: make the rename fail instead (target is a directory).
            (directory / 'x.prom').mkdir()
            directory.chmod(0o700)
        with pytest.raises(AtomicWriteError, match='prometheus_path: cannot'):
            write_atomic(str(directory / 'x.prom'), 'a 1\n', option='prometheus_path')
        assert [n for n in os.listdir(str(directory)) if n.endswith('.tmp')] == []
    finally:
        directory.chmod(0o700)
