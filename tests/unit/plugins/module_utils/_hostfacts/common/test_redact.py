# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The masking of well-known secrets in command lines (each pattern docs/security.md lists)."""

from __future__ import annotations

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.redact import (
    may_hold_secret, redact_argv,
)


@pytest.mark.parametrize('argv, expected', [
    # --password=... and --password ...
    (['app', '--password=hunter2', '--user=x'], ['app', '--password=********', '--user=x']),
    (['app', '--password', 'hunter2', 'db'], ['app', '--password', '********', 'db']),
    # --token, as the rancher agent is started (share-mnt/run.sh passes --token and --ca-checksum)
    (['agent', '--server', 'https://r.example', '--token', 'abc', '--ca-checksum', 'ff'],
     ['agent', '--server', 'https://r.example', '--token', '********', '--ca-checksum', 'ff']),
    (['kubelet', '--token=abc'], ['kubelet', '--token=********']),
    (['app', '--db-password', 's3', '-client_secret', 'c'], ['app', '--db-password', '********', '-client_secret', '********']),
    # *_TOKEN=, *_PASSWORD=, *_SECRET=, any case
    (['env', 'CATTLE_TOKEN=t', 'MYSQL_ROOT_PASSWORD=p', 'aws_secret=s', 'DB_PASSWD=d', 'PATH=/bin'],
     ['env', 'CATTLE_TOKEN=********', 'MYSQL_ROOT_PASSWORD=********', 'aws_secret=********', 'DB_PASSWD=********',
      'PATH=/bin']),
    # user:pass@ in URLs: the user stays, an unescaped '@' in the password does not leak its end
    (['git', 'clone', 'https://bob:pa@ss@example.com/r.git'], ['git', 'clone', 'https://bob:********@example.com/r.git']),
    (['redis-cli', '-u', 'redis://:pw@127.0.0.1:6379/0'], ['redis-cli', '-u', 'redis://:********@127.0.0.1:6379/0']),
    # mysql's -p<password>, after any program of the family
    (['mysql', '-uroot', '-phunter2', 'db'], ['mysql', '-uroot', '-p********', 'db']),
    (['/usr/bin/mariadb-dump', '-psecret', '--all-databases'], ['/usr/bin/mariadb-dump', '-p********', '--all-databases']),
    (['sudo', 'mysqladmin', '-pX', 'status'], ['sudo', 'mysqladmin', '-p********', 'status']),
    # a whole shell command in one argument
    (['sh', '-c', 'mysqldump -uroot -ps3 db | gzip; curl --token abc http://u:p@h/ ; X_TOKEN=1 run'],
     ['sh', '-c', 'mysqldump -uroot -p******** db | gzip; curl --token ******** http://u:********@h/ ; '
                  'X_TOKEN=******** run']),
    # an argument that is itself the secret option is masked to its end, spaces included
    (['app', '--password=two words'], ['app', '--password=********']),
])
def test_well_known_secrets_are_masked(argv, expected):
    assert redact_argv(argv) == expected


@pytest.mark.parametrize('argv', [
    ['ssh', '-p2222', 'host'],                                   # -p is a port outside mysql
    ['mkdir', '-p', '/srv/x'],
    ['sh', '-c', 'echo password is here'],                       # the word alone is no assignment
    ['app', '--max-tokens=100', '--token-file=/run/t', '--secret-id', 'x', '--password-stdin'],
    ['app', '--no-password', 'keep', '--skip-token', 'keep'],   # flags that take no value
    ['curl', 'https://example.com:8443/path?q=1'],
    ['/usr/sbin/sshd', '-D'],
])
def test_look_alikes_are_left_alone(argv):
    assert redact_argv(argv) == argv


def test_argv_is_not_changed_in_place():
    argv = ['app', '--token', 'abc']
    redact_argv(argv)
    assert argv == ['app', '--token', 'abc']


@pytest.mark.parametrize('text, hint', [
    ('/usr/sbin/sshd -D', False), ('/usr/bin/python3 -m http.server', False),
    ('app --PASSWORD=x', True), ('curl http://u:p@h/', True), ('mariadbd', True),
])
def test_the_cheap_test_lets_through_every_line_a_pattern_can_match(text, hint):
    assert may_hold_secret(text) is hint
