# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""apache_status_info and php_mail_log_info end to end: a real module process, arguments on stdin as Ansible
sends them; failures must come back as fail_json with a message, never a traceback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

import ansible_collections.hostops.fleet.plugins as collection_plugins

from support import paths

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(list(collection_plugins.__path__)[0]))))
FIXTURES = paths.FIXTURES


def run_module(name, **args):
    env = dict(os.environ, PYTHONPATH=COLLECTION_ROOT)
    result = subprocess.run(
        [sys.executable, '-m', 'ansible_collections.hostops.fleet.plugins.modules.' + name],
        input=json.dumps({'ANSIBLE_MODULE_ARGS': args}), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, env=env, cwd='/', check=False)
    assert 'Traceback' not in result.stderr, result.stderr
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def test_php_mail_log_info_on_a_real_log():
    result = run_module('php_mail_log_info', path=os.path.join(FIXTURES, 'php', 'mixed-mail.log'), max_entries=1)
    assert result['changed'] is False
    assert (result['entries_matched'], result['malformed_lines']) == (3, 1)
    assert [e['subject'] for e in result['entries']] == ['']
    assert result['top_scripts'][0]['script'] == '/var/www/app/nohdr.php'


@pytest.mark.parametrize('args,message', [
    ({'since': 'last tuesday'}, 'since='),
    ({'path': '/nonexistent/mail.log'}, 'path=/nonexistent/mail.log'),
    ({'top': 0}, 'top must be'),
])
def test_php_mail_log_info_errors(args, message):
    args.setdefault('path', os.path.join(FIXTURES, 'php', 'mixed-mail.log'))
    result = run_module('php_mail_log_info', **args)
    assert result['failed'] is True
    assert message in result['msg']


def test_apache_status_info_connection_refused_is_a_clear_failure():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    result = run_module('apache_status_info', url='http://127.0.0.1:%d/server-status' % port, timeout=2)
    assert result['failed'] is True
    assert 'refused' in result['msg']
