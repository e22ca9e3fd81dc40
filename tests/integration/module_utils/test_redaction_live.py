# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secrets in the command lines of real processes never reach the facts, nor the baseline file.

The processes run here carry the arguments of docs/security.md: a rancher-agent-like process with
--server https://user:pass@... and --token (as share-mnt/run.sh starts the agent), mysql's -p<pw>,
assignments, --password=... and --db-password .... One of them writes to disk (it shows in io's
top writers) and one holds its own network namespace (it shows as the holder of that namespace).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.baseline import BaselineManager
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather

from support.hostfacts_fixtures import options

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which('unshare'),
                                reason='needs root (other processes\' io, a network namespace) and unshare')

SLEEP = 'import time; time.sleep(120)'
WRITE = ('import os, sys, time\n'
         'fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT)\n'
         'while True:\n'
         '    os.pwrite(fd, b"x" * 1048576, 0); os.fsync(fd); time.sleep(0.05)\n')
SECRETS = ('hunter2', 'tok-rancher-9f8e', 'mysql-pw-77', 'rootpw-55', 'cattle-66', 'app-77', 'pw-equals-88',
           'pw-next-99', 'writer-tok-44', 'netns-tok-11')
MASKED = {
    'agent': 'agent -c %s --server https://admin:********@rancher.example:8443 --token ******** --ca-checksum ab' % SLEEP,
    'mysql': 'mysql -c %s -uroot -p******** db' % SLEEP,
    'env': 'env-holder -c %s MYSQL_ROOT_PASSWORD=******** CATTLE_TOKEN=******** APP_SECRET=********' % SLEEP,
    'daemon': 'daemon -c %s --password=******** --db-password ******** --verbose' % SLEEP,
}


@pytest.fixture(scope='module')
def secret_processes():
    target = '/var/tmp/hostfacts-redaction-%d' % os.getpid()
    argvs = {
        'agent': ['agent', '-c', SLEEP, '--server', 'https://admin:hunter2@rancher.example:8443',
                  '--token', 'tok-rancher-9f8e', '--ca-checksum', 'ab'],
        'mysql': ['mysql', '-c', SLEEP, '-uroot', '-pmysql-pw-77', 'db'],
        'env': ['env-holder', '-c', SLEEP, 'MYSQL_ROOT_PASSWORD=rootpw-55', 'CATTLE_TOKEN=cattle-66',
                'APP_SECRET=app-77'],
        'daemon': ['daemon', '-c', SLEEP, '--password=pw-equals-88', '--db-password', 'pw-next-99', '--verbose'],
        'writer': ['writer', '-c', WRITE, target, '--token', 'writer-tok-44'],
    }
    procs = dict((name, subprocess.Popen(argv, executable=sys.executable)) for name, argv in argvs.items())
    procs['netns'] = subprocess.Popen(['unshare', '--net', sys.executable, '-c', SLEEP, '--token', 'netns-tok-11'])
    time.sleep(1.0)
    yield dict((name, proc.pid) for name, proc in procs.items())
    for proc in procs.values():
        proc.kill()
        proc.wait()
    os.unlink(target)


def gathered(redact=True):
    return gather(options(gather_subset=['processes', 'namespaces', 'io'], interval=1.0, top=1000,
                          redact_secrets=redact))


def test_no_secret_reaches_the_facts(secret_processes):
    pids = secret_processes
    facts = gathered()
    text = json.dumps(facts)
    assert [secret for secret in SECRETS if secret in text] == []
    rows = dict((row['pid'], row['args']) for row in facts['processes']['list'])
    for name, masked in MASKED.items():
        assert rows[pids[name]] == masked, name
    writers = dict((row['pid'], row['command']) for row in facts['io']['top_writers'])
    assert writers[pids['writer']].endswith('--token ********')
    (held,) = [entry for entry in facts['namespaces']['namespaces']
               if entry['type'] == 'net' and entry['pid'] == pids['netns']]
    assert held['command'] == '%s -c %s --token ********' % (sys.executable, SLEEP)


def test_redact_secrets_false_shows_them(secret_processes):
    """The same processes with redaction off: the test above could have failed."""
    text = json.dumps(gathered(redact=False))
    assert [secret for secret in SECRETS if secret not in text] == []


def test_the_baseline_file_stores_no_secret(secret_processes, tmp_path):
    path = tmp_path / 'baseline.json'
    options = dict(path=str(path), state='present', update=False, sections=['processes', 'namespaces'],
                   min_process_age=0.0, min_namespace_age=0.0, timeout=5.0)
    BaselineManager(options).run()
    stored = path.read_text()
    assert [secret for secret in SECRETS if secret in stored] == []
    assert 'rancher.example:8443 --token ********' in stored
