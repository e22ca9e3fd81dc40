# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stream a PHP mail.log and rank the scripts that call mail(). Private: may change without notice.

PHP writes one line per mail() call:
``[28-Nov-2026 23:28:38 UTC] mail() on [/var/www/app/contact.php:42]: To: ... -- Headers: ... -- Subject: ...``
(the zone is date.timezone's name). With ``mail.log = syslog`` the same text follows a syslog prefix; the
RFC 3339 prefix of rsyslog and ``journalctl -o short-iso`` is understood.

The file is written by PHP on behalf of every script on the web server, so any of them can put any bytes
in it; it may even have been replaced by a FIFO or a device. Only a regular file is read, and only up to
the size it had when it was opened. Memory stays bounded whatever the file holds: lines are read one at a
time and cut at MAX_LINE_BYTES, script names and returned texts are cut (an over-long script name keeps a
digest, so distinct names stay distinct), at most MAX_ENTRIES entries and MAX_TRACKED_SCRIPTS scripts are
kept, and at most MAX_ZONE_NAMES time zone names are looked up.
"""

from __future__ import annotations

import collections
import datetime
import hashlib
import os
import re
import stat

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
MAX_ENTRIES = 1000
MAX_TOP = 1000
# Linux paths stop at 4096 bytes, but no real script name comes near 512 characters; 512 characters of To
# show some 25 addresses (the recipient count is made before the cut), and of a subject, far more than a
# spam filter shows.
MAX_SCRIPT_CHARS = 512
MAX_TEXT_CHARS = 512
# A matched line longer than this is cut into its entry at once instead of being kept whole until the end.
MAX_KEPT_LINE_CHARS = 4096
MAX_ZONE_NAMES = 64
TRUNCATED_MARK = '...[truncated %d chars, sha256 %s]'
MARKER = 'mail() on ['

# PHP's line numbers are uint32 (zend_get_executed_lineno), ten digits at most; time zone names are
# IANA names, far shorter than 64 characters.
LINE_RE = re.compile(
    r'^(?:\[(?P<php_time>\d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2}) (?P<zone>[^\]]{1,64})\]'
    r'|(?P<iso_time>\d{4}-\d{2}-\d{2}T\S+) \S+ \S+:)'
    r' mail\(\) on \[(?P<script>.*?):(?P<line>\d{1,10})\]: To: (?P<rest>.*)$')
HEADERS_SEP = ' -- Headers:'
SUBJECT_SEP = ' -- Subject:'
RELATIVE_RE = re.compile(r'^(\d{1,15})\s*([smhdw])$')
RELATIVE_UNITS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}
SINCE_FORMATS = ('%Y-%m-%dT%H:%M:%S%z', '%Y-%m-%d %H:%M:%S%z', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M:%S',
                 '%Y-%m-%d', '%d-%b-%Y %H:%M:%S')
ISO_FORMATS = ('%Y-%m-%dT%H:%M:%S%z', '%Y-%m-%dT%H:%M:%S.%f%z')


def parse_since(text, now):
    """A window start: a duration back from now (30m, 24h, 7d, 2w) or a date/time, UTC unless it says otherwise."""
    text = text.strip()
    relative = RELATIVE_RE.match(text)
    if relative:
        try:
            return now - datetime.timedelta(seconds=int(relative.group(1)) * RELATIVE_UNITS[relative.group(2)])
        except OverflowError:
            raise PhpMailLogError('since=%s reaches back before the year 1; give a shorter duration or a date' % text)
    for fmt in SINCE_FORMATS:
        try:
            moment = datetime.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise PhpMailLogError(
        'since=%r is neither a duration such as 30m, 24h, 7d or 2w nor a date such as 2026-11-28 or '
        '2026-11-28T23:00:00+01:00' % text[:100])


def cut(text, limit):
    """text if it fits in limit characters; otherwise its head and a mark with its length and digest, so that two
    long names that share a head stay distinct and the mark itself stays within limit."""
    if len(text) <= limit:
        return text
    mark = TRUNCATED_MARK % (len(text), hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()[:16])
    return text[:limit - len(mark)] + mark


class _Zones(object):
    """date.timezone names resolved once each; names that cannot be resolved are read as UTC and reported.

    At most MAX_ZONE_NAMES names are looked up: a line with yet another name is malformed (get returns None),
    so that a log cannot make the module open a file per line or grow the list it returns."""

    def __init__(self):
        self._cache = {'UTC': UTC, 'GMT': UTC}
        self.unresolved = set()

    def get(self, name):
        zone = self._cache.get(name)
        if zone is None:
            if len(self._cache) >= MAX_ZONE_NAMES:
                return None
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


def _php_clock(php_time):
    """(day key, seconds into the day) of '28-Nov-2026 23:28:38'; ValueError when the time of day is not one."""
    hours, minutes, seconds = int(php_time[12:14]), int(php_time[15:17]), int(php_time[18:20])
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ValueError(php_time)
    return php_time[:11], hours * 3600 + minutes * 60 + seconds


def _php_day(day):
    return datetime.datetime(int(day[7:11]), MONTHS[day[3:6]], int(day[0:2]), tzinfo=UTC).timestamp()


class _Clock(object):
    """Turn logged timestamps into UTC epoch seconds, cheaply: a busy log repeats the same second and day.

    Only the last line's key and the last day are remembered, so a log of ever-new days costs no memory."""

    def __init__(self):
        self.zones = _Zones()
        self._last_key = None
        self._last_epoch = None
        self._day = (None, None)

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
            if tzinfo is None:
                return None
            day, seconds = _php_clock(php_time)
            if tzinfo is UTC:
                if self._day[0] != day:
                    self._day = (day, _php_day(day))
                return self._day[1] + seconds
            return datetime.datetime(int(php_time[7:11]), MONTHS[php_time[3:6]], int(php_time[0:2]),
                                     seconds // 3600, seconds // 60 % 60, seconds % 60, tzinfo=tzinfo).timestamp()
        except (ValueError, KeyError, OverflowError):
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
    """The entry returned for a line scan() accepted, its texts cut; only built for the entries kept."""
    match = LINE_RE.match(text)
    to, headers, subject = split_rest(match.group('rest'))
    php_time = match.group('php_time')
    return {
        'time': _iso(epoch),
        'logged_time': '%s %s' % (php_time, match.group('zone')) if php_time else match.group('iso_time'),
        'script': cut(match.group('script'), MAX_SCRIPT_CHARS),
        'line': int(match.group('line')),
        'to': cut(to, MAX_TEXT_CHARS),
        'recipients': count_recipients(to),
        'headers': cut(headers, MAX_TEXT_CHARS),
        'subject': cut(subject, MAX_TEXT_CHARS),
    }


def _iter_lines(stream, max_line_bytes, size_limit=None):
    """Yield (line text, too_long) from a binary stream, never holding more than max_line_bytes of one line,
    and stopping after the line that reaches size_limit bytes (the size of the file when it was opened)."""
    consumed = 0
    while size_limit is None or consumed < size_limit:
        chunk = stream.readline(max_line_bytes)
        if not chunk:
            return
        consumed += len(chunk)
        if not chunk.endswith(b'\n') and len(chunk) >= max_line_bytes:
            # Drain the rest of the overlong line without keeping it.
            while size_limit is None or consumed < size_limit:
                more = stream.readline(max_line_bytes)
                consumed += len(more)
                if not more or more.endswith(b'\n'):
                    break
            yield None, True
            continue
        yield chunk.decode('utf-8', 'replace').rstrip('\r\n'), False


class _Ranking(object):
    """Calls per script, for at most MAX_TRACKED_SCRIPTS scripts; calls from further scripts are only counted.

    Scripts are keyed by their cut name, so a tally costs a bounded amount of memory whatever the log holds."""

    def __init__(self):
        self.tallies = {}  # cut script name -> [calls, recipients, first_seen, last_seen, line numbers]
        self.untracked = 0

    def add(self, script, line_number, recipients, epoch):
        key = cut(script, MAX_SCRIPT_CHARS)
        tally = self.tallies.get(key)
        if tally is None:
            if len(self.tallies) >= MAX_TRACKED_SCRIPTS:
                self.untracked += 1
            else:
                self.tallies[key] = [1, recipients, epoch, epoch, [line_number]]
            return
        tally[0] += 1
        tally[1] += recipients
        if epoch < tally[2]:
            tally[2] = epoch
        if epoch > tally[3]:
            tally[3] = epoch
        if len(tally[4]) < MAX_LINES_PER_SCRIPT and line_number not in tally[4]:
            tally[4].append(line_number)

    def top(self, count):
        ranked = sorted(self.tallies.items(), key=lambda item: (-item[1][0], -item[1][3], item[0]))
        return [{
            'script': script,
            'calls': tally[0],
            'recipients': tally[1],
            'first_seen': _iso(tally[2]),
            'last_seen': _iso(tally[3]),
            'lines': sorted(tally[4]),
        } for script, tally in ranked[:count]]


def _mail_call(text, too_long, clock, match_line=LINE_RE.match):
    """(epoch, script, line number, to) of a mail() line, or None for any other line."""
    if too_long or MARKER not in text:
        return None
    match = match_line(text)
    if match is None:
        return None
    php_time, zone, iso_time, script, line_number, rest = match.groups()
    to, sep, remainder = rest.partition(HEADERS_SEP)
    if not sep or SUBJECT_SEP not in remainder:
        return None
    epoch = clock.epoch(php_time, zone, iso_time)
    if epoch is None:
        return None
    return epoch, script, int(line_number), to


def scan(stream, since=None, max_entries=100, top=10, max_line_bytes=MAX_LINE_BYTES, size_limit=None):
    """Read a mail.log stream once and return counts, the last max_entries entries and the top scripts.

    Per line the loop does the least it can: one regex match, the timestamp from a cache and the
    recipient count for the tally. Headers and subject are split only for the entries returned; a line
    too long to keep whole until the end is cut into its entry at once.
    """
    clock = _Clock()
    ranking = _Ranking()
    since_epoch = since.timestamp() if since is not None else None
    recent = collections.deque(maxlen=max_entries) if max_entries > 0 else None
    lines = matched = before_since = malformed = 0
    first_malformed = []
    first_seen = last_seen = None
    for text, too_long in _iter_lines(stream, max_line_bytes, size_limit):
        lines += 1
        call = _mail_call(text, too_long, clock)
        if call is None:
            if too_long or text.strip():
                malformed += 1
                if len(first_malformed) < 5:
                    first_malformed.append(lines)
            continue
        epoch, script, line_number, to = call
        if since_epoch is not None and epoch < since_epoch:
            before_since += 1
            continue
        matched += 1
        first_seen = epoch if first_seen is None else min(first_seen, epoch)
        last_seen = epoch if last_seen is None else max(last_seen, epoch)
        ranking.add(script, line_number, count_recipients(to), epoch)
        if recent is not None:
            recent.append((text if len(text) <= MAX_KEPT_LINE_CHARS else entry_from_line(text, epoch), epoch))
    return {
        'lines_read': lines,
        'entries_matched': matched,
        'entries_before_since': before_since,
        'malformed_lines': malformed,
        'first_malformed_line_numbers': first_malformed,
        'untracked_calls': ranking.untracked,
        'unresolved_timezones': sorted(clock.zones.unresolved),
        'first_seen': _iso(first_seen),
        'last_seen': _iso(last_seen),
        'since': _iso(since_epoch),
        'entries': [kept if isinstance(kept, dict) else entry_from_line(kept, epoch) for kept, epoch in (recent or [])],
        'top_scripts': ranking.top(top),
    }


def check_options(max_entries, top):
    """max_entries and top within what the memory bound allows; an error names the option."""
    if not 0 <= max_entries <= MAX_ENTRIES:
        raise PhpMailLogError('max_entries=%d is out of range: it must be from 0 to %d' % (max_entries, MAX_ENTRIES))
    if not 1 <= top <= MAX_TOP:
        raise PhpMailLogError('top=%d is out of range: it must be from 1 to %d' % (top, MAX_TOP))


FILE_KINDS = ((stat.S_ISDIR, 'a directory'), (stat.S_ISFIFO, 'a FIFO'), (stat.S_ISCHR, 'a character device'),
              (stat.S_ISBLK, 'a block device'), (stat.S_ISSOCK, 'a socket'))


def _file_kind(mode):
    return next((name for test, name in FILE_KINDS if test(mode)), 'not a regular file')


def open_regular(path):
    """(binary stream, size) of path, which must be a regular file.

    A FIFO blocks the open itself until a writer comes, and a device such as /dev/zero streams forever: the
    type is checked before opening, the open cannot block (O_NONBLOCK, which regular files ignore), and the
    file opened is checked again, in case the path was swapped in between."""
    before = os.stat(path)
    if not stat.S_ISREG(before.st_mode):
        raise PhpMailLogError('path=%s is %s, not a regular file: refused' % (path, _file_kind(before.st_mode)))
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, 'O_CLOEXEC', 0))
    opened = os.fstat(descriptor)
    if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (before.st_dev, before.st_ino):
        os.close(descriptor)
        raise PhpMailLogError('path=%s was replaced while it was being opened: refused' % path)
    return os.fdopen(descriptor, 'rb'), opened.st_size


def read_log(path, since=None, max_entries=100, top=10, now=None):
    """Open path and scan it up to the size it had when opened; since is the option's text. Errors name the
    option at fault."""
    check_options(max_entries, top)
    start = None
    if since:
        start = parse_since(since, now or datetime.datetime.now(UTC))
    try:
        stream, size = open_regular(path)
        with stream:
            result = scan(stream, since=start, max_entries=max_entries, top=top, size_limit=size)
    except (IOError, OSError) as err:
        raise PhpMailLogError('cannot read the mail log path=%s: %s' % (path, err.strerror or err))
    result['path'] = path
    return result
