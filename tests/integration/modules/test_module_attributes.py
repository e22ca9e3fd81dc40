# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The attributes every module declares, as ansible-doc reads them (doc fragments merged)."""

from __future__ import annotations

import glob
import json
import os
import subprocess

import pytest

from support import paths
from support.adhoc import BIN, environment

MODULES = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(paths.CHECKOUT, 'plugins', 'modules', '*.py')))
PLATFORMS = {'hostfacts': 'linux', 'hostfacts_baseline': 'linux', 'apache_status_info': 'posix',
             'php_mail_log_info': 'posix', 'fleet_report': 'all'}


def attributes(module):
    fqcn = 'hostops.fleet.' + module
    done = subprocess.run([os.path.join(BIN, 'ansible-doc'), '--json', fqcn], env=environment(), cwd=paths.CHECKOUT,
                          capture_output=True, universal_newlines=True, timeout=120, check=True)
    return json.loads(done.stdout)[fqcn]['doc']['attributes']


@pytest.mark.parametrize('module', MODULES)
def test_every_module_declares_its_platform(module):
    platform = attributes(module)['platform']
    assert platform['support'] == 'full' and platform['platforms'] == PLATFORMS[module]
    assert platform['description'] and platform['details']


def test_hostfacts_declares_its_action_plugin_and_async():
    declared = attributes('hostfacts')
    assert declared['action']['support'] == 'full' and declared['async']['support'] == 'full'
    assert 'query' in ' '.join(declared['async']['details'])
