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


def _php_time(text, zone):
    # 28-Nov-2026 23:28:38 -- sliced by hand: strptime would dominate the cost of a 2 GB scan.
    return datetime.datetime(int(text[7:11]), MONTHS[text[3:6]], int(text[0:2]),
                             int(text[12:14]), int(text[15:17]), int(text[18:20]), tzinfo=zone).astimezone(UTC)


def _iso_time(text):
    for fmt in ISO_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).astimezone(UTC)
        except ValueError:
            continue
    raise ValueError(text)


def split_rest(rest):
    """Split 'To: <to> -- Headers: <headers> -- Subject: <subject>' after 'To: '.

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


def parse_line(line, zones):
    """One log line -> entry dict, or None if it is not a mail() line."""
    if MARKER not in line:
        return None
    match = LINE_RE.match(line)
    if not match:
        return None
    parts = split_rest(match.group('rest'))
    if parts is None:
        return None
    try:
        if match.group('php_time'):
            zone = match.group('zone')
            moment = _php_time(match.group('php_time'), zones.get(zone))
            logged = '%s %s' % (match.group('php_time'), zone)
        else:
            logged = match.group('iso_time')
            moment = _iso_time(logged)
    except (ValueError, KeyError):
        return None
    to, headers, subject = parts
    return {
        'time': moment,
        'logged_time': logged,
        'script': match.group('script'),
        'line': int(match.group('line')),
        'to': to,
        'recipients': len([r for r in to.split(',') if r.strip()]),
        'headers': headers,
        'subject': subject,
    }


class _ScriptTally(object):
    __slots__ = ('calls', 'recipients', 'first_seen', 'last_seen', 'lines')

    def __init__(self, moment):
        self.calls = 0
        self.recipients = 0
        self.first_seen = moment
        self.last_seen = moment
        self.lines = set()

    def add(self, entry):
        self.calls += 1
        self.recipients += entry['recipients']
        moment = entry['time']
        if moment < self.first_seen:
            self.first_seen = moment
        if moment > self.last_seen:
            self.last_seen = moment
        if len(self.lines) < MAX_LINES_PER_SCRIPT:
            self.lines.add(entry['line'])


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


def _iso(moment):
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ') if moment else None


def scan(stream, since=None, max_entries=100, top=10, max_line_bytes=MAX_LINE_BYTES):
    """Read a mail.log stream once and return counts, the last max_entries entries and the top scripts."""
    zones = _Zones()
    recent = collections.deque(maxlen=max_entries) if max_entries > 0 else None
    tallies = {}
    counts = {'lines': 0, 'matched': 0, 'before_since': 0, 'malformed': 0, 'untracked_calls': 0}
    first_malformed = []
    first_seen = last_seen = None
    for text, too_long in _iter_lines(stream, max_line_bytes):
        counts['lines'] += 1
        entry = None if too_long else parse_line(text, zones)
        if entry is None:
            if too_long or text.strip():
                counts['malformed'] += 1
                if len(first_malformed) < 5:
                    first_malformed.append(counts['lines'])
            continue
        moment = entry['time']
        if since is not None and moment < since:
            counts['before_since'] += 1
            continue
        counts['matched'] += 1
        if first_seen is None or moment < first_seen:
            first_seen = moment
        if last_seen is None or moment > last_seen:
            last_seen = moment
        tally = tallies.get(entry['script'])
        if tally is None:
            if len(tallies) >= MAX_TRACKED_SCRIPTS:
                counts['untracked_calls'] += 1
                tally = None
            else:
                tally = tallies[entry['script']] = _ScriptTally(moment)
        if tally is not None:
            tally.add(entry)
        if recent is not None:
            recent.append(entry)
    ranked = sorted(tallies.items(), key=lambda item: (-item[1].calls, -item[1].last_seen.timestamp(), item[0]))
    return {
        'lines_read': counts['lines'],
        'entries_matched': counts['matched'],
        'entries_before_since': counts['before_since'],
        'malformed_lines': counts['malformed'],
        'first_malformed_line_numbers': first_malformed,
        'untracked_calls': counts['untracked_calls'],
        'unresolved_timezones': sorted(zones.unresolved),
        'first_seen': _iso(first_seen),
        'last_seen': _iso(last_seen),
        'since': _iso(since),
        'entries': [dict(entry, time=_iso(entry['time'])) for entry in (recent or [])],
        'top_scripts': [{
            'script': script,
            'calls': tally.calls,
            'recipients': tally.recipients,
            'first_seen': _iso(tally.first_seen),
            'last_seen': _iso(tally.last_seen),
            'lines': sorted(tally.lines),
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
