# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""php_mail_log_info end to end: a real module process, arguments on stdin as Ansible sends them; failures must
come back as fail_json with a message, never a traceback or a hang. The log is written by every PHP script on
the host, so the hostile cases are logs a script can write, and paths a user can swap for a FIFO or a device.
(apache_status_info against real servers: test_apache_status_http.py.)"""

from __future__ import annotations

import os

import pytest

from support import paths
from support.module_process import run_module

FIXTURES = paths.FIXTURES
MIXED = os.path.join(FIXTURES, 'php', 'mixed-mail.log')


def mail_line(script, line='3', time='28-Nov-2026 23:57:53 UTC', to='a@example.org'):
    return '[%s] mail() on [%s:%s]: To: %s -- Headers: From: w@example.org -- Subject: s\n' % (time, script, line, to)


def failure(process_timeout=20, **args):
    run = run_module('php_mail_log_info', process_timeout=process_timeout, **args)
    assert run.result.get('failed') is True, run.result
    return run.result['msg']


def test_php_mail_log_info_on_a_real_log():
    result = run_module('php_mail_log_info', path=MIXED, max_entries=1).result
    assert result['changed'] is False
    assert (result['entries_matched'], result['malformed_lines']) == (3, 1)
    assert [e['subject'] for e in result['entries']] == ['']
    assert result['top_scripts'][0]['script'] == '/var/www/app/nohdr.php'


@pytest.mark.parametrize('args,message', [
    ({'since': 'last tuesday'}, 'since='),
    ({'path': '/nonexistent/mail.log'}, 'path=/nonexistent/mail.log'),
    ({'top': 0}, 'top=0 is out of range'),
    ({'since': '99999999999w'}, 'since=99999999999w reaches back before the year 1'),
    ({'since': '9' * 5000 + 's'}, 'is neither a duration'),
    ({'max_entries': 10 ** 19}, 'max_entries=10000000000000000000 is out of range: it must be from 0 to 1000'),
    ({'max_entries': -1}, 'max_entries=-1 is out of range'),
    ({'top': 10 ** 19}, 'top=10000000000000000000 is out of range: it must be from 1 to 1000'),
])
def test_bad_options_fail_cleanly_naming_the_option(args, message):
    args.setdefault('path', MIXED)
    assert message in failure(**args)


@pytest.mark.parametrize('kind', ['fifo', 'fifo-behind-a-symlink', 'dev-zero', 'directory'])
def test_a_path_that_is_not_a_regular_file_is_refused_without_hanging(tmp_path, kind):
    path = str(tmp_path / 'mail.log')
    if kind.startswith('fifo'):
        fifo = str(tmp_path / 'fifo')
        os.mkfifo(fifo)
        if kind == 'fifo':
            path = fifo
        else:
            os.symlink(fifo, path)
    elif kind == 'dev-zero':
        os.symlink('/dev/zero', path)
    else:
        os.mkdir(path)
    expected = {'fifo': 'is a FIFO', 'fifo-behind-a-symlink': 'is a FIFO', 'dev-zero': 'is a character device',
                'directory': 'is a directory'}[kind]
    # A FIFO with no writer blocks open() forever and /dev/zero never ends: the process timeout catches a hang.
    assert expected + ', not a regular file: refused' in failure(path=path, process_timeout=20)


def test_hostile_lines_are_malformed_not_failures(tmp_path):
    path = tmp_path / 'mail.log'
    path.write_text(''.join([
        mail_line('/var/www/a.php'),
        mail_line('/var/www/huge-line.php', line='9' * 5000),       # int() of it raises ValueError in 3.11
        mail_line('/var/www/late.php', time='28-Nov-2026 99:99:99 UTC'),  # not 4 days later
        mail_line('/var/www/b.php', time='31-Feb-2026 10:00:00 UTC'),
        mail_line('/var/www/c.php', line='4294967295'),
    ]))
    result = run_module('php_mail_log_info', path=str(path)).result
    assert result.get('failed') is not True, result
    assert (result['lines_read'], result['entries_matched'], result['malformed_lines']) == (5, 2, 3)
    assert result['first_malformed_line_numbers'] == [2, 3, 4]
    assert [e['script'] for e in result['entries']] == ['/var/www/a.php', '/var/www/c.php']
    assert result['last_seen'] == '2026-11-28T23:57:53Z'


def test_ten_thousand_distinct_long_script_names_stay_in_bounded_memory(tmp_path):
    # Before the names were cut, 10,000 names of 64 KiB cost 650 MiB; 16,000 characters keep this test quick
    # (160 MB of log) while an uncut tally would still cost 160 MiB. bench/info_modules_memory.py measures
    # the 64 KiB names and a 1 GiB log.
    path = str(tmp_path / 'mail.log')
    with open(path, 'w') as handle:
        for number in range(10000):
            handle.write(mail_line('/var/www/%05d/%s.php' % (number, 'x' * 16000)))
    try:
        run = run_module('php_mail_log_info', path=path, max_entries=1000, top=1000)
    finally:
        os.unlink(path)
    result = run.result
    assert result['entries_matched'] == 10000 and result['untracked_calls'] == 0
    assert len(result['top_scripts']) == 1000 and len(result['entries']) == 1000
    names = set(entry['script'] for entry in result['top_scripts'] + result['entries'])
    assert len(names) == 1000 + 1000 and max(len(name) for name in names) == 512
    assert run.peak_rss_mib < 80, run.peak_rss_mib
