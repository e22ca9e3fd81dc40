# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Peak RSS of php_mail_log_info and apache_status_info on large and hostile input: the bounds their docs and
docs/security.md state, measured.

    .venv/bin/python bench/info_modules_memory.py [--dir /var/tmp] [--gib 1] [--skip-gib]

Each case runs the real module as its own process (arguments on stdin, as Ansible sends them); the process
reports its own VmHWM as it exits (tests/support/module_process.py).

php_mail_log_info: each log is generated in a temporary directory under --dir (removed afterwards). Cases:
  one-line       a one-line log: the fixed cost of the module process;
  gib            --gib GiB of ordinary lines (40 scripts, about 200 bytes a line), default options;
  names-ascii    10,000 distinct script names of 64 KiB less the rest of the line (the case that cost 650 MiB
                 before names were cut), with max_entries=1000 and top=1000, the largest values allowed;
  names-fffd     the same with names of invalid UTF-8 bytes (each decodes to U+FFFD: two bytes a character);
  names-4byte    the same with names of 4-byte UTF-8 characters (four bytes a character);
  names-4byte-defaults  the same with the default options (max_entries=100, top=10);
  entries        1,000 distinct lines just under 64 KiB, To, headers and subject of 20 KiB each, kept as
                 entries (max_entries=1000);
  entries-4byte  the same with script name, To, headers and subject of 4-byte UTF-8 characters: the largest
                 output (JSON writes each such character as a 12-character surrogate pair).
apache_status_info: a local server (tests/support/scripted_http.py) answers with the captured Apache pages
or with a hostile page of the default max_body_bytes (8 MiB), full=true, timeout=120. Cases:
  captured       the captured trixie worker pages: the fixed cost;
  dense-rows     an HTML table of about 110,000 short rows (20,000 are kept, the rest counted);
  huge-cells     an HTML table of 8 rows whose cells hold 1 MiB each (cut at 1,024 characters);
  scoreboard     a ?auto page with a scoreboard of 1,000,000 slots, the most accepted;
  many-fields    a ?auto page of 8 MiB of fields (refused at the 201st);
  long-value     a ?auto page with an 8 MiB ServerVersion (refused).
Prints a table and writes bench/info_modules_memory.json.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import shutil
import sys
import tempfile
import time

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINE_BYTES = 64 * 1024


def collection_root():
    """A directory where ansible_collections/hostops/fleet is this checkout (as tests/conftest.py does)."""
    root = tempfile.mkdtemp(prefix='php-mail-log-bench-')
    os.makedirs(os.path.join(root, 'ansible_collections', 'hostops'))
    os.symlink(CHECKOUT, os.path.join(root, 'ansible_collections', 'hostops', 'fleet'))
    return root


def mail_line(script, number, to='user@example.com', headers='From: web@example.org', subject='hello',
              day='28-Nov-2026', second=0):
    return ('[%s %02d:%02d:%02d UTC] mail() on [%s:%d]: To: %s -- Headers: %s -- Subject: %s\n' % (
        day, second // 3600 % 24, second // 60 % 60, second % 60, script, number, to, headers, subject)).encode(
        'utf-8', 'surrogateescape')


def write_gib(path, gib):
    """gib GiB of ordinary lines: a 4 MiB block of 40 scripts' calls, written once per day with that day's date."""
    scripts = ['/var/www/site%02d/%s.php' % (n, ('contact', 'form', 'cron', 'wp-mail')[n % 4]) for n in range(40)]
    block = b''.join(mail_line(scripts[n * 7 % 40], n % 400 + 1, 'user%d@example.com' % n, subject='order %d' % n,
                               day='01-Jan-2026', second=n) for n in range(20000))
    blocks = int(gib * 1024 ** 3 // len(block)) + 1
    with open(path, 'wb') as handle:
        for index in range(blocks):
            day = time.strftime('%d-%b-%Y', time.gmtime(1767225600 + index * 86400)).encode()
            handle.write(block.replace(b'01-Jan-2026', day))
    return blocks * 20000


def write_names(path, unit):
    """10,000 lines, each with its own script name of (64 KiB less the rest of the line) bytes made of unit."""
    rest = len(mail_line('', 1)) + 16
    with open(path, 'wb') as handle:
        for number in range(10000):
            prefix = '/var/www/%05d/' % number
            body = unit * ((LINE_BYTES - rest - len(prefix)) // len(unit.encode('utf-8', 'surrogateescape')))
            handle.write(mail_line(prefix + body, 1))
    return 10000


def write_entries(path, unit=None):
    """1,000 distinct lines just under 64 KiB: To, headers and subject of 20 KiB each (of unit if given)."""
    with open(path, 'wb') as handle:
        for number in range(1000):
            if unit is None:
                script, to, headers, subject = '/var/www/bulk.php', 'a%05d@example.com,' % number * 1100, 'X' * 20000, 'S' * 20000
            else:
                script, to, headers, subject = ('/%05d/%s' % (number, unit * 1000),) + (unit * 4900,) * 3
            handle.write(mail_line(script, number + 1, to=to, headers=headers, subject=subject))
    return 1000


def write_one_line(path):
    with open(path, 'wb') as handle:
        handle.write(mail_line('/var/www/a.php', 1))
    return 1


CASES = [
    ('one-line', write_one_line, {}),
    ('gib', None, {}),
    ('names-ascii', lambda path: write_names(path, 'n'), {'max_entries': 1000, 'top': 1000}),
    ('names-fffd', lambda path: write_names(path, '\udcff'), {'max_entries': 1000, 'top': 1000}),
    ('names-4byte', lambda path: write_names(path, '\U0001f4e7'), {'max_entries': 1000, 'top': 1000}),
    ('names-4byte-defaults', lambda path: write_names(path, '\U0001f4e7'), {}),
    ('entries', write_entries, {'max_entries': 1000}),
    ('entries-4byte', lambda path: write_entries(path, '\U0001f4e7'), {'max_entries': 1000, 'top': 1000}),
]


def _apache_pages():
    limit = 8 * 1024 * 1024 - 256
    with open(os.path.join(CHECKOUT, 'tests', 'fixtures', 'apache', 'trixie-worker.auto'), encoding='iso-8859-1') as handle:
        auto = handle.read()
    with open(os.path.join(CHECKOUT, 'tests', 'fixtures', 'apache', 'trixie-worker.html'), encoding='iso-8859-1') as handle:
        html = handle.read()
    head = '<table><tr><th>Srv</th><th>PID</th><th>Acc</th><th>M</th><th>CPU</th><th>Request</th></tr>'
    dense = head + '<tr><td>1</td><td>2</td><td>0/1/2</td><td>W</td><td>0.1</td><td>GET /</td></tr>' * (limit // 75)
    huge = head + ('<tr>' + ('<td>' + 'c' * (1024 * 1024 // 6) + '</td>') * 6 + '</tr>') * 7
    return [
        ('captured', auto, html),
        ('dense-rows', auto, dense[:limit]),
        ('huge-cells', auto, huge[:limit]),
        ('scoreboard', 'localhost\nServerVersion: x\nScoreboard: ' + '_' * 1000000 + '\n', html),
        ('many-fields', ('localhost\nServerVersion: x\n' + ''.join('F%07d: %d\n' % (n, n) for n in range(limit // 16)))[:limit], html),
        ('long-value', 'localhost\nServerVersion: ' + 'v' * (limit - 30) + '\n', html),
    ]


def measure_apache(run_module):
    from support.scripted_http import ScriptedServer, page  # pylint: disable=import-error,import-outside-toplevel

    rows = []
    for name, auto, html in _apache_pages():
        def serve(conn, request, _server, auto=auto, html=html):
            conn.sendall(page(auto if request.path.endswith('?auto') else html))
        with ScriptedServer(serve) as server:
            run = run_module('apache_status_info', process_timeout=600, url=server.url + '/server-status', full=True,
                             timeout=120)
        result = run.result
        outcome = result['msg'][:60] if result.get('failed') else '%d rows, %d dropped' % (
            len(result['requests']), result['requests_dropped'])
        rows.append({'case': 'apache ' + name, 'page_mib': round(max(len(auto), len(html)) / 1024.0 ** 2, 1),
                     'outcome': outcome, 'module_seconds': round(run.seconds, 1),
                     'peak_rss_mib': round(run.peak_rss_mib, 1)})
        print('%-22s %5.1f MiB page %8.1f s  peak RSS %6.1f MiB  %s' % (
            rows[-1]['case'], rows[-1]['page_mib'], run.seconds, run.peak_rss_mib, outcome), flush=True)
    return rows


def measure(run_module, name, generate, options, directory):
    path = os.path.join(directory, name + '.log')
    started = time.monotonic()
    lines = generate(path)
    generated = time.monotonic() - started
    size = os.path.getsize(path)
    try:
        run = run_module('php_mail_log_info', process_timeout=3600, path=path, **options)
    finally:
        os.unlink(path)
    result = run.result
    assert not result.get('failed'), result
    assert result['lines_read'] == lines, (result['lines_read'], lines)
    return {'case': 'php ' + name, 'options': options, 'file_mib': round(size / 1024.0 ** 2, 1), 'lines': lines,
            'matched': result['entries_matched'], 'malformed': result['malformed_lines'],
            'generate_seconds': round(generated, 1), 'module_seconds': round(run.seconds, 1),
            'peak_rss_mib': round(run.peak_rss_mib, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--dir', default=tempfile.gettempdir(), help='where the logs are generated')
    parser.add_argument('--gib', type=float, default=1.0, help='size of the ordinary log, GiB')
    parser.add_argument('--skip-gib', action='store_true', help='leave out the large ordinary log')
    parser.add_argument('--only', choices=('php', 'apache'), help='run the cases of one module only')
    args = parser.parse_args()
    sys.path.insert(0, collection_root())
    sys.path.insert(0, os.path.join(CHECKOUT, 'tests'))
    from support.module_process import run_module  # pylint: disable=import-error,import-outside-toplevel

    directory = tempfile.mkdtemp(prefix='php-mail-log-bench-', dir=args.dir)
    rows = []
    try:
        for name, generate, options in CASES if args.only != 'apache' else ():
            if name == 'gib':
                if args.skip_gib:
                    continue
                generate = functools.partial(write_gib, gib=args.gib)
            rows.append(measure(run_module, name, generate, options, directory))
            row = rows[-1]
            print('%-22s %9.1f MiB %9d lines %8.1f s  peak RSS %6.1f MiB' % (
                row['case'], row['file_mib'], row['lines'], row['module_seconds'], row['peak_rss_mib']), flush=True)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    if args.only != 'php':
        rows.extend(measure_apache(run_module))
    with open(os.path.join(CHECKOUT, 'bench', 'info_modules_memory.json'), 'w') as handle:
        json.dump({'python': platform.python_version(), 'load_average': os.getloadavg()[0], 'cases': rows},
                  handle, indent=2)
        handle.write('\n')


if __name__ == '__main__':
    main()
