# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mail.log parsing on lines PHP 8.2 (bookworm) and 8.4 (trixie) wrote with php-cli, plus generated logs
for the window, ranking and memory bound."""

from __future__ import annotations

import datetime
import io
import os
import random
import tracemalloc

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils import _php_mail_log as maillog

from support import paths

FIXTURES = os.path.join(paths.FIXTURES, 'php')
UTC = datetime.timezone.utc


def fixture(name):
    return os.path.join(FIXTURES, name)


def php_line(moment, script, line, to, headers='', subject='s'):
    return '[%s UTC] mail() on [%s:%d]: To: %s -- Headers: %s -- Subject: %s\n' % (
        moment.strftime('%d-%b-%Y %H:%M:%S'), script, line, to, headers, subject)


@pytest.mark.parametrize('name', ['bookworm-php82-mail.log', 'trixie-php84-mail.log'])
def test_real_php_lines(name):
    result = maillog.read_log(fixture(name), max_entries=100)
    assert result['lines_read'] == result['entries_matched'] == 8
    assert result['malformed_lines'] == 0
    contact = result['entries'][0]
    assert contact['script'] == '/var/www/app/contact.php' and contact['line'] == 3
    assert contact['to'] == 'owner@example.org'
    assert contact['headers'] == 'From: web@example.org  Reply-To: visitor@example.net'
    assert contact['subject'] == 'Contact form'
    no_headers = [e for e in result['entries'] if e['script'] == '/var/www/app/nohdr.php']
    assert [(e['headers'], e['subject'], e['recipients']) for e in no_headers] == [
        ('', 'No headers here', 2), ('', '', 1)]
    scripts = [e['script'] for e in result['entries']]
    assert 'Command line code' in scripts
    assert "Command line code(1) : eval()'d code" in scripts
    top = result['top_scripts'][0]
    assert (top['script'], top['calls'], top['recipients'], top['lines']) == ('/var/www/app/lib/mailer.php', 3, 3, [3])


def test_time_zones_are_converted_to_utc():
    result = maillog.read_log(fixture('timezones-mail.log'))
    assert result['unresolved_timezones'] == (['America/New_York', 'Europe/Berlin'] if maillog.zoneinfo is None else [])
    if maillog.zoneinfo is not None:
        # Both calls were made in the same second, from shells with different date.timezone settings.
        assert [e['time'] for e in result['entries']] == ['2026-11-28T23:57:59Z'] * 2
    assert result['entries'][0]['logged_time'] == '29-Nov-2026 00:57:59 Europe/Berlin'


def test_separators_inside_headers_and_subject_split_at_the_first():
    entry = maillog.read_log(fixture('timezones-mail.log'))['entries'][1]
    assert entry['headers'] == 'X-A: 1 -- Headers: 2'
    assert entry['subject'] == 's -- Subject: tricky'


def test_syslog_line_from_the_journal():
    result = maillog.read_log(fixture('syslog-mail.log'))
    assert result['entries_matched'] == 1
    assert result['entries'][0]['time'] == '2026-11-28T23:57:59Z'
    assert result['entries'][0]['script'] == '/var/www/app/contact.php'


def test_php_warning_in_the_same_file_is_counted_and_skipped():
    result = maillog.read_log(fixture('mixed-mail.log'))
    assert (result['lines_read'], result['entries_matched'], result['malformed_lines']) == (4, 3, 1)
    assert result['first_malformed_line_numbers'] == [2]


def test_truncated_and_overlong_lines_are_malformed():
    moment = datetime.datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    good = php_line(moment, '/a.php', 1, 'x@example.com')
    data = (good + good[:40] + '\n' + '\n' + 'x' * 300 + '\n' + good).encode()
    result = maillog.scan(io.BytesIO(data), max_line_bytes=200)
    assert result['entries_matched'] == 2
    assert result['malformed_lines'] == 2  # the truncated line and the 300-byte line; the blank line is not
    assert result['first_malformed_line_numbers'] == [2, 4]


def test_since_window_and_max_entries_keep_the_latest():
    start = datetime.datetime(2026, 11, 1, tzinfo=UTC)
    lines = [php_line(start + datetime.timedelta(hours=h), '/h%d.php' % (h % 3), h, 'r%d@example.com' % h)
             for h in range(48)]
    stream = io.BytesIO(''.join(lines).encode())
    since = maillog.parse_since('2026-11-02', now=None)
    result = maillog.scan(stream, since=since, max_entries=5)
    assert result['entries_before_since'] == 24 and result['entries_matched'] == 24
    assert [e['line'] for e in result['entries']] == [43, 44, 45, 46, 47]
    assert result['first_seen'] == '2026-11-02T00:00:00Z'
    assert result['last_seen'] == '2026-11-02T23:00:00Z'


@pytest.mark.parametrize('text,expected', [
    ('30m', datetime.datetime(2026, 11, 28, 11, 30, tzinfo=UTC)),
    ('24h', datetime.datetime(2026, 11, 27, 12, 0, tzinfo=UTC)),
    ('7d', datetime.datetime(2026, 11, 21, 12, 0, tzinfo=UTC)),
    ('2026-11-28T13:00:00+01:00', datetime.datetime(2026, 11, 28, 12, 0, tzinfo=UTC)),
    ('2026-11-28 06:00:00', datetime.datetime(2026, 11, 28, 6, 0, tzinfo=UTC)),
    ('28-Nov-2026 06:00:00', datetime.datetime(2026, 11, 28, 6, 0, tzinfo=UTC)),
])
def test_parse_since(text, expected):
    now = datetime.datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert maillog.parse_since(text, now) == expected


@pytest.mark.parametrize('options,message', [
    ({'since': 'yesterday'}, 'since='),
    ({'max_entries': -1}, 'max_entries'),
    ({'top': 0}, 'top'),
])
def test_bad_options_name_the_option(options, message):
    with pytest.raises(maillog.PhpMailLogError, match=message):
        maillog.read_log(fixture('mixed-mail.log'), **options)


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(maillog.PhpMailLogError, match='path=.*nope.log'):
        maillog.read_log(str(tmp_path / 'nope.log'))


def _generate(path, lines, seed):
    """A log of lines mail() calls from scripts with random weights; returns the true counts per script."""
    rng = random.Random(seed)
    scripts = ['/var/www/site%d/%s.php' % (n, rng.choice(['contact', 'form', 'cron', 'wp-mail'])) for n in range(40)]
    weights = [rng.randint(1, 1000) for _script in scripts]
    counts = dict((script, 0) for script in scripts)
    moment = datetime.datetime(2026, 11, 1, tzinfo=UTC)
    with open(path, 'w') as handle:
        for number, script in enumerate(rng.choices(scripts, weights, k=lines)):
            counts[script] += 1
            moment += datetime.timedelta(seconds=number % 3)
            handle.write(php_line(moment, script, number % 400 + 1, 'user%d@example.com' % number,
                                  'From: a@example.org', 'hello %d' % number))
    return counts


def test_ranking_on_100000_lines_in_bounded_memory(tmp_path):
    path = str(tmp_path / 'mail.log')
    counts = _generate(path, 100000, seed=7)
    tracemalloc.start()
    result = maillog.read_log(path, max_entries=50, top=10)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    expected = sorted(counts.items(), key=lambda item: -item[1])[:10]
    assert [(s['script'], s['calls']) for s in result['top_scripts']] == expected
    assert result['entries_matched'] == 100000 and len(result['entries']) == 50
    size = os.path.getsize(path)
    assert size > 10 * 1024 * 1024
    # The whole file is >10 MiB; the scan must not grow with it.
    assert peak < 2 * 1024 * 1024, peak


# A hostile log: every PHP script on the host writes to it.

MOMENT = datetime.datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


def raw_line(time_text, script='/a.php', line='1', zone='UTC'):
    return '[%s %s] mail() on [%s:%s]: To: x@example.com -- Headers:  -- Subject: s\n' % (time_text, zone, script, line)


def scan_text(text, **options):
    return maillog.scan(io.BytesIO(text.encode('utf-8', 'surrogateescape')), **options)


@pytest.mark.parametrize('time_text', ['28-Nov-2026 99:99:99', '28-Nov-2026 24:00:00', '28-Nov-2026 23:60:00',
                                       '28-Nov-2026 23:59:60', '31-Feb-2026 10:00:00', '28-Foo-2026 10:00:00',
                                       '00-Nov-2026 10:00:00'])
def test_an_impossible_time_is_malformed_not_another_day(time_text):
    result = scan_text(raw_line(time_text) + raw_line(time_text, zone='Europe/Berlin'))
    assert (result['entries_matched'], result['malformed_lines']) == (0, 2)


def test_a_line_number_beyond_uint32_digits_is_malformed():
    result = scan_text(raw_line('28-Nov-2026 10:00:00', line='9' * 5000) + raw_line('28-Nov-2026 10:00:00', line='7'))
    assert (result['entries_matched'], result['malformed_lines']) == (1, 1)
    assert result['top_scripts'][0]['lines'] == [7]


def test_many_distinct_days_each_get_their_own_epoch():
    days = [MOMENT + datetime.timedelta(days=n) for n in range(0, 4000, 7)]
    text = ''.join(raw_line(day.strftime('%d-%b-%Y %H:%M:%S')) for day in days)
    result = scan_text(text, max_entries=1000)
    assert [e['time'] for e in result['entries']] == [day.strftime('%Y-%m-%dT%H:%M:%SZ') for day in days]


def test_time_zone_names_are_looked_up_at_most_max_zone_names_times():
    names = ['Fake/Zone%d' % n for n in range(maillog.MAX_ZONE_NAMES + 30)]
    result = scan_text(''.join(raw_line('28-Nov-2026 10:00:00', zone=name) for name in names))
    # UTC and GMT are known up front; the names after the cap are malformed lines, not lookups.
    looked_up = maillog.MAX_ZONE_NAMES - 2
    assert result['unresolved_timezones'] == sorted(names[:looked_up])
    assert (result['entries_matched'], result['malformed_lines']) == (looked_up, len(names) - looked_up)
    assert scan_text(raw_line('28-Nov-2026 10:00:00', zone='Z' * 65))['malformed_lines'] == 1


@pytest.mark.parametrize('text,options,message', [
    (None, {'since': '99999999999w'}, 'since=99999999999w reaches back before the year 1'),
    (None, {'since': '9' * 5000 + 's'}, 'is neither a duration'),
    (None, {'max_entries': 10 ** 19}, 'max_entries=10000000000000000000 is out of range'),
    (None, {'max_entries': maillog.MAX_ENTRIES + 1}, 'max_entries=1001 is out of range'),
    (None, {'top': 10 ** 19}, 'top=10000000000000000000 is out of range'),
])
def test_huge_option_values_fail_naming_the_option(text, options, message):
    with pytest.raises(maillog.PhpMailLogError, match=message):
        maillog.read_log(fixture('mixed-mail.log'), now=MOMENT, **options)


def test_the_longest_relative_since_that_fits_is_accepted():
    assert maillog.parse_since('100000w', MOMENT) == MOMENT - datetime.timedelta(weeks=100000)


def test_cut_keeps_distinct_long_names_distinct_and_within_the_limit():
    first, second = 'a' * 5000 + 'x', 'a' * 5000 + 'y'
    assert maillog.cut('short', 512) == 'short'
    cut_first, cut_second = maillog.cut(first, 512), maillog.cut(second, 512)
    assert len(cut_first) == len(cut_second) == 512 and cut_first != cut_second
    assert cut_first.startswith('a' * 400) and '[truncated 5001 chars, sha256 ' in cut_first


def test_long_lines_give_entries_with_cut_texts():
    to = ','.join('u%d@example.com' % n for n in range(2000))
    line = '[28-Nov-2026 10:00:00 UTC] mail() on [/%s.php:1]: To: %s -- Headers: %s -- Subject: %s\n' % (
        'p' * 5000, to, 'H' * 9000, 'S' * 9000)
    assert len(line) < maillog.MAX_LINE_BYTES
    result = scan_text(line * 3, max_entries=2)
    assert len(result['entries']) == 2
    entry = result['entries'][0]
    assert entry['recipients'] == 2000
    assert [len(entry[key]) for key in ('script', 'to', 'headers', 'subject')] == [512, 512, 512, 512]
    assert result['top_scripts'][0]['script'] == entry['script'] and result['top_scripts'][0]['calls'] == 3


class _GrowingLog(io.BytesIO):
    """A log that a script appends to faster than it is read: every readline adds a line at the end."""

    def readline(self, *args):
        position = self.tell()
        self.seek(0, io.SEEK_END)
        self.write(raw_line('28-Nov-2026 10:00:00').encode())
        self.seek(position)
        return io.BytesIO.readline(self, *args)


def test_only_the_size_the_file_had_when_opened_is_read():
    start = raw_line('28-Nov-2026 10:00:00').encode() * 4
    result = maillog.scan(_GrowingLog(start), size_limit=len(start))
    assert result['lines_read'] == 4


def test_10000_distinct_long_names_in_bounded_traced_memory():
    # The names are cut to MAX_SCRIPT_CHARS before they become tally keys; before, each kept its whole length.
    text = ''.join(raw_line('28-Nov-2026 10:00:00', script='/%05d/%s' % (n, 'n' * 6000)) for n in range(10000))
    stream = io.BytesIO(text.encode())
    del text
    tracemalloc.start()
    result = maillog.scan(stream, max_entries=0, top=10)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result['entries_matched'] == 10000 and result['untracked_calls'] == 0
    # 10,000 tallies with 512-character keys: under 16 MiB; uncut they would need 60 MiB.
    assert peak < 16 * 1024 * 1024, peak
