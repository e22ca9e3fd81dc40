# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fetch and parse Apache mod_status pages. Private: may change without notice.

``?auto`` gives machine-readable ``Key: value`` lines; the HTML page adds the table of
current requests (ExtendedStatus On only). Both formats are parsed here, nowhere else.
"""

from __future__ import annotations

import math
import re
import socket

from html import unescape

from ansible_collections.hostops.fleet.plugins.module_utils._bounded_http import (
    Deadline, FetchError, bounded_get, parse_target, shown)


class ApacheStatusError(Exception):
    """The one error apache_status_info turns into fail_json."""


DEFAULT_TIMEOUT = 10
# An hour is far beyond any status page; it also keeps the value inside what a socket timeout accepts.
MAX_TIMEOUT = 3600
# The HTML page with ExtendedStatus On has one table row (about 400 bytes) per scoreboard slot: 8 MiB is
# some 20,000 slots, the most ServerLimit and ThreadsPerChild allow in practice.
MAX_BODY_BYTES = 8 * 1024 * 1024
USER_AGENT = 'hostops.fleet apache_status_info'
# Apache 2.4.71 prints 37 fields under the event MPM with ExtendedStatus On; modules such as mod_ssl add a few.
MAX_AUTO_FIELDS = 200
# One row per worker slot: 20,000 is the highest ServerLimit Apache accepts (MAX_SERVER_LIMIT in prefork.c)
# and about what 8 MiB of a real page holds. Rows beyond it are counted in requests_dropped.
MAX_REQUEST_ROWS = 20000
# 2**64 has 20 digits; a float as mod_status prints it is shorter still.
MAX_NUMBER_CHARS = 40
# Field names are at most 27 characters (ParentServerConfigGeneration), values other than the scoreboard a
# few dozen. The scoreboard has ServerLimit x ThreadLimit slots: a million is far beyond any real server.
MAX_FIELD_NAME_CHARS = 100
MAX_VALUE_CHARS = 1024
MAX_SCOREBOARD_SLOTS = 1000000
# mod_status prints at most 64 characters of a request, 32 of a client or virtual host (worker_score in
# include/scoreboard.h); a cell is cut at MAX_CELL_CHARS.
MAX_CELL_CHARS = 1024
# mod_status's request table has 15 columns; cells beyond this many in a row are skipped.
MAX_ROW_CELLS = 64


# The scoreboard key as mod_status prints it under the scoreboard.
SCOREBOARD_KEY = {
    '_': 'waiting',
    'S': 'starting',
    'R': 'reading',
    'W': 'sending',
    'K': 'keepalive',
    'D': 'dns_lookup',
    'C': 'closing',
    'L': 'logging',
    'G': 'graceful',
    'I': 'idle_cleanup',
    '.': 'open',
}
# A slot is busy while it serves a connection. "_" waits for one, "." has no process,
# "S" and "I" are a worker being born or reaped: neither serves anyone.
NOT_BUSY = frozenset('_.SI')

# ?auto field -> (fact name, type). Anything not listed is kept under a derived name.
AUTO_FIELDS = {
    'ServerVersion': ('server_version', str),
    'ServerMPM': ('server_mpm', str),
    'Server Built': ('server_built', str),
    'CurrentTime': ('current_time', str),
    'RestartTime': ('restart_time', str),
    'ParentServerConfigGeneration': ('parent_server_config_generation', int),
    'ParentServerMPMGeneration': ('parent_server_mpm_generation', int),
    'ServerUptimeSeconds': ('server_uptime_seconds', int),
    'ServerUptime': ('server_uptime', str),
    'Load1': ('load1', float),
    'Load5': ('load5', float),
    'Load15': ('load15', float),
    'Total Accesses': ('total_accesses', int),
    'Total kBytes': ('total_kbytes', int),
    'Total Duration': ('total_duration', int),
    'CPUUser': ('cpu_user', float),
    'CPUSystem': ('cpu_system', float),
    'CPUChildrenUser': ('cpu_children_user', float),
    'CPUChildrenSystem': ('cpu_children_system', float),
    'CPULoad': ('cpu_load', float),
    'Uptime': ('uptime', int),
    'ReqPerSec': ('req_per_sec', float),
    'BytesPerSec': ('bytes_per_sec', float),
    'BytesPerReq': ('bytes_per_req', float),
    'DurationPerReq': ('duration_per_req', float),
    'BusyWorkers': ('busy_workers', int),
    'GracefulWorkers': ('graceful_workers', int),
    'IdleWorkers': ('idle_workers', int),
    'Processes': ('processes', int),
    'Stopping': ('stopping', int),
    'ConnsTotal': ('conns_total', int),
    'ConnsAsyncWaitIO': ('conns_async_wait_io', int),
    'ConnsAsyncWriting': ('conns_async_writing', int),
    'ConnsAsyncKeepAlive': ('conns_async_keep_alive', int),
    'ConnsAsyncClosing': ('conns_async_closing', int),
    'Scoreboard': ('scoreboard', str),
}

# Columns of the current-requests table whose values have a type other than text.
REQUEST_COLUMN_TYPES = {
    'pid': int,
    'cpu': float,
    'ss': int,
    'req': int,
    'dur': int,
    'conn': float,
    'child': float,
    'slot': float,
}

# Column headers whose derived name would read badly.
REQUEST_COLUMN_NAMES = {'VHost': 'vhost'}

_CAMEL_BOUNDARY = re.compile(r'(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])')
_NON_WORD = re.compile(r'[^a-z0-9]+')


def fact_name(field):
    """Derive a snake_case fact name for a field this module does not know yet."""
    name = _CAMEL_BOUNDARY.sub('_', field.strip()).lower()
    return _NON_WORD.sub('_', name).strip('_')


def number(kind, text):
    """int or float of text, as mod_status prints them: ValueError for anything else, including numbers no
    64-bit counter holds, infinities and NaN (JSON has none), and digit strings too long to convert quickly."""
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(text)
    value = kind(text)
    if kind is int and not -2 ** 63 <= value < 2 ** 64:
        raise ValueError(text)
    if kind is float and not math.isfinite(value):
        raise ValueError(text)
    return value


def guess_value(text):
    """Type an unknown field's value: int, then float, else the text itself."""
    for kind in (int, float):
        try:
            return number(kind, text)
        except ValueError:
            pass
    return text


def typed_value(kind, text, field):
    if kind is str:
        return text
    if text == '':
        return None
    try:
        return number(kind, text)
    except ValueError:
        raise ApacheStatusError('mod_status field %s has value %s, which is not a number' % (shown(field), shown(text)))


def _lines(text):
    """The lines of text, one at a time: a list of every line of a hostile page would cost several times its
    size, and io.StringIO copies it at four bytes a character."""
    start = 0
    while start < len(text):
        end = text.find('\n', start)
        if end < 0:
            end = len(text)
        yield text[start:end]
        start = end + 1


def _check_field(field, value):
    """Refuse what no mod_status page holds: a field name or value longer than any Apache prints."""
    limit = MAX_SCOREBOARD_SLOTS if field == 'Scoreboard' else MAX_VALUE_CHARS
    if len(field) > MAX_FIELD_NAME_CHARS or len(value) > limit:
        raise ApacheStatusError('the ?auto field %s has a name of %d and a value of %d characters, more than '
                                'mod_status prints (%d and %d): this is not a mod_status page'
                                % (shown(field), len(field), len(value), MAX_FIELD_NAME_CHARS, limit))


def parse_auto(text, deadline=None):
    """Parse a ``?auto`` page into typed facts; unknown fields are kept, not dropped (up to MAX_AUTO_FIELDS)."""
    facts = {}
    for index, line in enumerate(_checked(_lines(text), deadline)):
        line = line.strip()
        if not line:
            continue
        field, sep, value = line.partition(':')
        if not sep:
            # Apache 2.4 starts the page with the server name, alone on its line.
            if index == 0:
                facts['server_name'] = line
                continue
            raise ApacheStatusError('line %d of the ?auto page is not "Key: value": %s' % (index + 1, shown(line)))
        if len(facts) >= MAX_AUTO_FIELDS:
            raise ApacheStatusError('the ?auto page has more than %d fields; mod_status prints about 40: this is not '
                                    'a mod_status page' % MAX_AUTO_FIELDS)
        value = value.strip()
        _check_field(field, value)
        if field in AUTO_FIELDS:
            name, kind = AUTO_FIELDS[field]
            facts[name] = typed_value(kind, value, field)
        else:
            facts[fact_name(field)] = guess_value(value)
    if 'server_version' not in facts and 'scoreboard' not in facts:
        raise ApacheStatusError('the page is not a mod_status ?auto page (no ServerVersion and no Scoreboard line)')
    return facts


def decode_scoreboard(scoreboard):
    """Count scoreboard slots per state, with the busy share of all slots and of live ones."""
    counts = dict((name, 0) for name in SCOREBOARD_KEY.values())
    unknown = 0
    busy = 0
    for char in scoreboard:
        name = SCOREBOARD_KEY.get(char)
        if name is None:
            unknown += 1
        else:
            counts[name] += 1
        if char not in NOT_BUSY:
            busy += 1
    slots = len(scoreboard)
    live = slots - counts['open']
    return {
        'slots': slots,
        'states': counts,
        'unknown': unknown,
        'busy': busy,
        'idle': counts['waiting'],
        'live': live,
        'busy_share': round(float(busy) / slots, 4) if slots else 0.0,
        'busy_share_of_live': round(float(busy) / live, 4) if live else 0.0,
    }


# Tags are matched by regexes that cannot backtrack far: a scan stops at the next "<", so each step is linear
# in the page, whatever it holds.
_ANY_TAG = re.compile(r'<[^<>]*>')
_TABLE_TAG = re.compile(r'<(/?)(table|tr|td|th)\b[^<>]*>', re.IGNORECASE)
# How many items (tags, rows, lines) are parsed between two looks at the clock.
_ITEMS_PER_CLOCK_CHECK = 4096


def _checked(items, deadline):
    """items, with the deadline checked every few thousand: parsing a hostile page counts against timeout too."""
    for count, item in enumerate(items):
        if deadline is not None and not count % _ITEMS_PER_CLOCK_CHECK:
            deadline.remaining()
        yield item


def _cell_text(raw):
    """The text of a cell: inner tags dropped, entities decoded, whitespace collapsed, cut at MAX_CELL_CHARS.
    The raw cell is cut first (at 16 times that), so that no cell costs more than a bounded amount of work."""
    raw = raw[:16 * MAX_CELL_CHARS]
    if '<' in raw:
        raw = _ANY_TAG.sub('', raw)
    if '&' in raw:
        raw = unescape(raw)
    return ' '.join(raw.split())[:MAX_CELL_CHARS]


class _Table(list):
    """The rows of a table (lists of cell texts); dropped counts the rows beyond MAX_REQUEST_ROWS + 1."""

    dropped = 0


def collect_tables(html, deadline=None):
    """Every table of a page as rows of cell texts (th and td alike), at most MAX_REQUEST_ROWS + 1 rows each.

    html.parser is not used: on hostile pages of a few MiB ("<!--" or "<!" repeated, "<" alone) it takes
    minutes (quadratic rescans), and some inputs make it raise AssertionError. Here the work is linear in the
    page, and the deadline of the call is checked as the tags are read."""
    tables = []
    row = None
    cell_start = None
    for match in _checked(_TABLE_TAG.finditer(html), deadline):
        closing, name = match.group(1), match.group(2).lower()
        if cell_start is not None and (closing or name != 'table'):
            row.append(_cell_text(html[cell_start:match.start()]))
            cell_start = None
        if closing:
            if name == 'tr':
                row = None
        elif name == 'table':
            tables.append(_Table())
        elif name == 'tr' and tables and len(tables[-1]) > MAX_REQUEST_ROWS:
            tables[-1].dropped += 1
            row = None
        elif name == 'tr' and tables:
            row = []
            tables[-1].append(row)
        elif name in ('td', 'th') and row is not None and len(row) < MAX_ROW_CELLS:
            cell_start = match.end()
    return tables


def _request_row(header, cells):
    row = {}
    for column, text in zip(header, cells):
        key = REQUEST_COLUMN_NAMES.get(column) or fact_name(column)
        kind = REQUEST_COLUMN_TYPES.get(key)
        if kind is not None:
            try:
                row[key] = number(kind, text)
            except ValueError:
                row[key] = text
        elif key == 'acc':
            parts = text.split('/')
            if len(parts) == 3 and all(p.isdigit() for p in parts):
                row['acc_connection'], row['acc_child'], row['acc_slot'] = [int(p) for p in parts]
            row[key] = text
        else:
            row[key] = text
    if 'm' in row:
        row['mode'] = SCOREBOARD_KEY.get(row['m'], 'unknown')
    return row


def read_requests(html, deadline=None):
    """(rows, dropped): the current-requests table (the one headed Srv, PID, Acc, M ...) as dicts, at most
    MAX_REQUEST_ROWS of them, and the number of rows beyond; ([], 0) without ExtendedStatus."""
    for table in collect_tables(html, deadline):
        if table and table[0][:2] == ['Srv', 'PID']:
            header = table[0]
            rows = [_request_row(header, cells) for cells in _checked(table[1:], deadline) if len(cells) == len(header)]
            return rows, table.dropped
    return [], 0


def parse_requests(html, deadline=None):
    return read_requests(html, deadline)[0]


def status_url(url, auto):
    base = url.split('?', 1)[0]
    return base + '?auto' if auto else base


def check_limits(timeout, max_body_bytes):
    """The options that bound the call; a value outside its range is an error naming the option."""
    if not 0 < timeout <= MAX_TIMEOUT:
        raise ApacheStatusError('timeout=%s is out of range: give the seconds the whole call may take, '
                                'from 1 to %d' % (timeout, MAX_TIMEOUT))
    if max_body_bytes < 1:
        raise ApacheStatusError('max_body_bytes=%s is out of range: it must be 1 or more' % max_body_bytes)


def fetch(url, deadline, max_body_bytes=MAX_BODY_BYTES, validate_certs=True, url_username=None, url_password=None):
    """GET url and return the body as text; every failure becomes an ApacheStatusError."""
    try:
        body = bounded_get(url, deadline, max_body_bytes, username=url_username, password=url_password,
                           validate_certs=validate_certs, user_agent=USER_AGENT)
    except FetchError as err:
        if err.status == 403:
            raise ApacheStatusError(
                '%s answered 403 Forbidden: this client is not allowed by the Require lines of the status '
                'location. Add its address to apache_status_allow (role hostops.fleet.apache_status), or run '
                'this module on the web server itself, which Require local always admits.' % err.url)
        if err.status == 404:
            raise ApacheStatusError(
                '%s answered 404 Not Found: mod_status is not enabled or no <Location> with '
                'SetHandler server-status matches this path (role hostops.fleet.apache_status, '
                'apache_status_path).' % err.url)
        raise ApacheStatusError(str(err))
    return body.decode('iso-8859-1')


def gather(url, full=False, timeout=DEFAULT_TIMEOUT, max_body_bytes=MAX_BODY_BYTES, **fetch_args):
    """Everything the module returns: typed ?auto facts, the decoded scoreboard and, if full, requests.

    One deadline covers the whole call, both pages and their parsing: timeout bounds it, not each read."""
    check_limits(timeout, max_body_bytes)
    deadline = Deadline(timeout)
    auto_url = status_url(url, auto=True)
    try:
        parse_target(url)
        shown_url = parse_target(auto_url).shown
    except FetchError as err:
        raise ApacheStatusError(str(err))
    try:
        facts = parse_auto(fetch(auto_url, deadline, max_body_bytes, **fetch_args), deadline)
        result = {
            'url': shown_url,
            'status': facts,
            'scoreboard': decode_scoreboard(facts.get('scoreboard', '')),
            'extended_status': 'total_accesses' in facts,
        }
        if full:
            result['requests'], result['requests_dropped'] = read_requests(
                fetch(status_url(url, auto=False), deadline, max_body_bytes, **fetch_args), deadline)
    except socket.timeout:
        raise ApacheStatusError('the status pages of %s were not parsed within %s seconds (timeout=%s)'
                                % (status_url(shown_url, auto=False), timeout, timeout))
    return result
