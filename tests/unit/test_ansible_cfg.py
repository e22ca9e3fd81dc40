# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The repository's ansible.cfg, which operators use when they run fleet commands from the checkout."""

from __future__ import annotations

import configparser
import os

from support import paths


def test_ssh_host_key_checking_stays_on():
    config = configparser.ConfigParser()
    config.read(os.path.join(paths.CHECKOUT, 'ansible.cfg'))
    assert config.get('defaults', 'host_key_checking', fallback='true').lower() in ('true', 'yes', '1')
    for section in ('ssh_connection', 'paramiko_connection'):
        for key in ('ssh_args', 'ssh_common_args', 'ssh_extra_args', 'host_key_auto_add'):
            value = config.get(section, key, fallback='')
            assert 'StrictHostKeyChecking=no' not in value and 'UserKnownHostsFile=/dev/null' not in value
            assert not (key == 'host_key_auto_add' and value.lower() in ('true', 'yes', '1'))


def _defaults():
    config = configparser.ConfigParser()
    config.read(os.path.join(paths.CHECKOUT, 'ansible.cfg'))
    return config['defaults']


def test_the_module_has_one_name_through_its_action_plugin():
    """No library or action_plugins: `-m hostfacts` cannot reach the module without its action plugin."""
    defaults = _defaults()
    assert 'library' not in defaults and 'action_plugins' not in defaults


def test_ad_hoc_runs_print_the_hostfacts_tables():
    """The README's first command prints tables: the callback is the stdout callback, ad hoc too."""
    defaults = _defaults()
    assert defaults.get('stdout_callback') == 'hostops.fleet.hostfacts'
    assert defaults.get('bin_ansible_callbacks', '').lower() in ('true', 'yes', '1')
