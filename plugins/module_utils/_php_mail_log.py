# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stream a PHP mail.log and rank the scripts that call mail(). Private: may change without notice.

PHP writes one line per mail() call:
``[28-Nov-2026 23:28:38 UTC] mail() on [/var/www/app/contact.php:42]: To: ... -- Headers: ... -- Subject: ...``
(the zone is date.timezone's name). With ``mail.log = syslog`` the same text follows a syslog prefix; the
RFC 3339 prefix of rsyslog and ``journalctl -o short-iso`` is understood. Memory stays bounded whatever
the file size: lines are read one at a time and cut at a maximum length, only the last ``max_entries``
entries are kept, and at most ``MAX_TRACKED_SCRIPTS`` distinct scripts are counted.
"""

from __future__ import annotations

import collections
import datetime
import re

try:
    import zoneinfo
except ImportError:  # Python 3.8: only UTC and GMT can be resolved
    zoneinfo = None


class PhpMailLogError(Exception):
    """The one error php_mail_log_info turns into fail_json."""


UTC = datetime.timezone.utc
MONTHS = dict((name, number) for number, name in enumerate(
    ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'), 1))
MAX_LINE_BYTES = 64 * 1024
MAX_TRACKED_SCRIPTS = 10000
MAX_LINES_PER_SCRIPT = 20
MARKER = 'mail() on ['

LINE_RE = re.compile(
    r'^(?:\[(?P<php_time>\d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2}) (?P<zone>[^\]]+)\]'
    r'|(?P<iso_time>\d{4}-\d{2}-\d{2}T\S+) \S+ \S+:)'
    r' mail\(\) on \[(?P<script>.*?):(?P<line>\d+)\]: To: (?P<rest>.*)$')
HEADERS_SEP = ' -- Headers:'
SUBJECT_SEP = ' -- Subject:'
RELATIVE_RE = re.compile(r'^(\d+)\s*([smhdw])$')
RELATIVE_UNITS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}
SINCE_FORMATS = ('%Y-%m-%dT%H:%M:%S%z', '%Y-%m-%d %H:%M:%S%z', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M:%S',
                 '%Y-%m-%d', '%d-%b-%Y %H:%M:%S')
ISO_FORMATS = ('%Y-%m-%dT%H:%M:%S%z', '%Y-%m-%dT%H:%M:%S.%f%z')


def parse_since(text, now):
    """A window start: a duration back from now (30m, 24h, 7d, 2w) or a date/time, UTC unless it says otherwise."""
    text = text.strip()
    relative = RELATIVE_RE.match(text)
    if relative:
        return now - datetime.timedelta(seconds=int(relative.group(1)) * RELATIVE_UNITS[relative.group(2)])
    for fmt in SINCE_FORMATS:
        try:
            moment = datetime.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise PhpMailLogError(
        'since=%r is neither a duration such as 30m, 24h, 7d or 2w nor a date such as 2026-11-28 or '
        '2026-11-28T23:00:00+01:00' % text)


class _Zones(object):
    """date.timezone names resolved once each; names that cannot be resolved are read as UTC and reported."""

    def __init__(self):
        self._cache = {'UTC': UTC, 'GMT': UTC}
        self.unresolved = set()

    def get(self, name):
        zone = self._cache.get(name)
        if zone is None:
            zone = UTC
            if zoneinfo is not None:
                try:
                    zone = zoneinfo.ZoneInfo(name)
                except (ValueError, KeyError, OSError, zoneinfo.ZoneInfoNotFoundError):
                    self.unresolved.add(name)
            else:
                self.unresolved.add(name)
            self._cache[name] = zone
        return zone


class _Clock(object):
    """Turn logged timestamps into UTC epoch seconds, cheaply: a busy log repeats the same second and day."""

    def __init__(self):
        self.zones = _Zones()
        self._last_key = None
        self._last_epoch = None
        self._days = {}

    def epoch(self, php_time, zone, iso_time):
        key = (php_time, zone, iso_time)
        if key != self._last_key:
            self._last_key = key
            self._last_epoch = self._compute(php_time, zone, iso_time)
        return self._last_epoch

    def _compute(self, php_time, zone, iso_time):
        try:
            if iso_time:
                return _iso_time(iso_time).timestamp()
            tzinfo = self.zones.get(zone)
            if tzinfo is UTC:
                # 28-Nov-2026 23:28:38: the day's epoch once, then plain arithmetic.
                day = self._days.get(php_time[:11])
                if day is None:
                    day = self._days[php_time[:11]] = datetime.datetime(
                        int(php_time[7:11]), MONTHS[php_time[3:6]], int(php_time[0:2]), tzinfo=UTC).timestamp()
                return day + int(php_time[12:14]) * 3600 + int(php_time[15:17]) * 60 + int(php_time[18:20])
            return datetime.datetime(int(php_time[7:11]), MONTHS[php_time[3:6]], int(php_time[0:2]),
                                     int(php_time[12:14]), int(php_time[15:17]), int(php_time[18:20]),
                                     tzinfo=tzinfo).timestamp()
        except (ValueError, KeyError):
            return None


def _iso_time(text):
    for fmt in ISO_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(text)


def _iso(epoch):
    if epoch is None:
        return None
    return datetime.datetime.fromtimestamp(epoch, UTC).strftime('%Y-%m-%dT%H:%M:%SZ')


def split_rest(rest):
    """Split '<to> -- Headers: <headers> -- Subject: <subject>' (the text after 'To: ').

    PHP does not escape the separators, so a recipient list, header or subject that contains them
    is ambiguous; the first ' -- Headers:' and the first ' -- Subject:' after it win.
    """
    to, sep, remainder = rest.partition(HEADERS_SEP)
    if not sep:
        return None
    headers, sep, subject = remainder.partition(SUBJECT_SEP)
    if not sep:
        return None
    return to, headers[1:] if headers.startswith(' ') else headers, subject[1:] if subject.startswith(' ') else subject


def count_recipients(to):
    return len([address for address in to.split(',') if address.strip()])


def entry_from_line(text, epoch):
    """The full entry for a line scan() accepted; only built for the entries returned."""
    match = LINE_RE.match(text)
    to, headers, subject = split_rest(match.group('rest'))
    php_time = match.group('php_time')
    return {
        'time': _iso(epoch),
        'logged_time': '%s %s' % (php_time, match.group('zone')) if php_time else match.group('iso_time'),
        'script': match.group('script'),
        'line': int(match.group('line')),
        'to': to,
        'recipients': count_recipients(to),
        'headers': headers,
        'subject': subject,
    }


def _iter_lines(stream, max_line_bytes):
    """Yield (line text, too_long) from a binary stream, never holding more than max_line_bytes of one line."""
    while True:
        chunk = stream.readline(max_line_bytes)
        if not chunk:
            return
        if not chunk.endswith(b'\n') and len(chunk) >= max_line_bytes:
            # Drain the rest of the overlong line without keeping it.
            while True:
                more = stream.readline(max_line_bytes)
                if not more or more.endswith(b'\n'):
                    break
            yield None, True
            continue
        yield chunk.decode('utf-8', 'replace').rstrip('\r\n'), False


def scan(stream, since=None, max_entries=100, top=10, max_line_bytes=MAX_LINE_BYTES):
    """Read a mail.log stream once and return counts, the last max_entries entries and the top scripts.

    Per line the loop does the least it can: one regex match, the timestamp from a cache and the
    recipient count for the tally. Headers and subject are split only for the entries returned.
    """
    clock = _Clock()
    since_epoch = since.timestamp() if since is not None else None
    recent = collections.deque(maxlen=max_entries) if max_entries > 0 else None
    tallies = {}  # script -> [calls, recipients, first_seen, last_seen, line numbers]
    lines = matched = before_since = malformed = untracked = 0
    first_malformed = []
    first_seen = last_seen = None
    match_line = LINE_RE.match
    for text, too_long in _iter_lines(stream, max_line_bytes):
        lines += 1
        match = None if too_long or MARKER not in text else match_line(text)
        epoch = None
        if match is not None:
            php_time, zone, iso_time, script, line_number, rest = match.groups()
            to, sep, remainder = rest.partition(HEADERS_SEP)
            if sep and SUBJECT_SEP in remainder:
                epoch = clock.epoch(php_time, zone, iso_time)
        if epoch is None:
            if too_long or text.strip():
                malformed += 1
                if len(first_malformed) < 5:
                    first_malformed.append(lines)
            continue
        if since_epoch is not None and epoch < since_epoch:
            before_since += 1
            continue
        matched += 1
        if first_seen is None or epoch < first_seen:
            first_seen = epoch
        if last_seen is None or epoch > last_seen:
            last_seen = epoch
        tally = tallies.get(script)
        if tally is None:
            if len(tallies) >= MAX_TRACKED_SCRIPTS:
                untracked += 1
            else:
                tallies[script] = [1, count_recipients(to), epoch, epoch, set([int(line_number)])]
        else:
            tally[0] += 1
            tally[1] += count_recipients(to)
            if epoch < tally[2]:
                tally[2] = epoch
            if epoch > tally[3]:
                tally[3] = epoch
            if len(tally[4]) < MAX_LINES_PER_SCRIPT:
                tally[4].add(int(line_number))
        if recent is not None:
            recent.append((text, epoch))
    ranked = sorted(tallies.items(), key=lambda item: (-item[1][0], -item[1][3], item[0]))
    return {
        'lines_read': lines,
        'entries_matched': matched,
        'entries_before_since': before_since,
        'malformed_lines': malformed,
        'first_malformed_line_numbers': first_malformed,
        'untracked_calls': untracked,
        'unresolved_timezones': sorted(clock.zones.unresolved),
        'first_seen': _iso(first_seen),
        'last_seen': _iso(last_seen),
        'since': _iso(since_epoch),
        'entries': [entry_from_line(text, epoch) for text, epoch in (recent or [])],
        'top_scripts': [{
            'script': script,
            'calls': tally[0],
            'recipients': tally[1],
            'first_seen': _iso(tally[2]),
            'last_seen': _iso(tally[3]),
            'lines': sorted(tally[4]),
        } for script, tally in ranked[:top]],
    }


def read_log(path, since=None, max_entries=100, top=10, now=None):
    """Open path and scan it; since is the option's text. Errors name the option at fault."""
    if max_entries < 0:
        raise PhpMailLogError('max_entries must be 0 or more, got %d' % max_entries)
    if top < 1:
        raise PhpMailLogError('top must be 1 or more, got %d' % top)
    start = None
    if since:
        start = parse_since(since, now or datetime.datetime.now(UTC))
    try:
        with open(path, 'rb') as stream:
            result = scan(stream, since=start, max_entries=max_entries, top=top)
    except (IOError, OSError) as err:
        raise PhpMailLogError('cannot read the mail log path=%s: %s' % (path, err.strerror or err))
    result['path'] = path
    return result
