# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 25, class 6: an LXC guest seen from the host, against lxc-ls and lxc-info.

A real LXC container (the busybox template: the host's busybox, no download), with no network of its own
(lxc.net.0.type = empty: only its own loopback), in an lxcpath below pytest's temporary directory; stopped
and destroyed afterwards. Root on Linux with LXC (make lab-slice installs lxc and busybox-static).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from support import module_process, mountns

NAME = 'hflab-guest'


@pytest.fixture
def guest(tmp_path):
    mountns.need('lxc-create', 'lxc-start', 'lxc-ls', 'lxc-info', 'busybox')
    lxcpath = str(tmp_path / 'lxc')
    subprocess.run(['lxc-create', '-P', lxcpath, '-n', NAME, '-t', 'busybox'], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    config = tmp_path / 'lxc' / NAME / 'config'
    config.write_text('\n'.join('lxc.net.0.type = empty' if line.startswith('lxc.net.0.type') else line
                                for line in config.read_text().splitlines() if not line.startswith('lxc.net.0.link')
                                and not line.startswith('lxc.net.0.flags')) + '\n')
    try:
        subprocess.run(['lxc-start', '-P', lxcpath, '-n', NAME, '-d'], check=True)
        subprocess.run(['lxc-wait', '-P', lxcpath, '-n', NAME, '-s', 'RUNNING', '-t', '30'], check=True)
        yield lxcpath
    finally:
        subprocess.run(['lxc-stop', '-P', lxcpath, '-n', NAME, '-k'], check=False, stderr=subprocess.DEVNULL)
        subprocess.run(['lxc-destroy', '-P', lxcpath, '-n', NAME], check=False, stderr=subprocess.DEVNULL)
        shutil.rmtree(lxcpath, ignore_errors=True)


def test_an_lxc_guest_is_a_container_named_as_lxc_ls_names_it_and_owns_its_namespaces(guest):
    listed = subprocess.run(['lxc-ls', '-P', guest, '--running', '-1'], stdout=subprocess.PIPE,
                            universal_newlines=True, check=True).stdout.split()
    init_pid = int(subprocess.run(['lxc-info', '-P', guest, '-n', NAME, '-p', '-H'], stdout=subprocess.PIPE,
                                  universal_newlines=True, check=True).stdout)
    facts = module_process.run_module('hostfacts', gather_subset=['namespaces', 'containers']).result[
        'ansible_facts']['hostfacts']
    guests = [c for c in facts['containers'] if c['runtime'] == 'lxc']
    assert [g['id'] for g in guests] == listed == [NAME]
    assert init_pid in guests[0]['pids']
    owned = [n for n in facts['namespaces']['namespaces'] if n['pid'] == init_pid]
    assert owned and all(n['owner'] == {'kind': 'lxc', 'id': NAME, 'name': None} for n in owned)
