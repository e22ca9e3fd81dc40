# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report's JSON and CSV writers and the atomic write."""

from __future__ import annotations

import copy
import csv
import io
import json

import pytest

from ansible_collections.hostops.fleet.plugins.plugin_utils import _fleet_files as files
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import summarize_host
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_summary import build_report


def fleet(facts, count):
    records = [summarize_host('host-%04d' % index, copy.deepcopy(facts)) for index in range(count)]
    records.append(summarize_host('down', None, {'state': 'unreachable', 'msg': 'timed out'}))
    return build_report(records, generated_at='2026-11-29T10:00:00+0000')


def test_json_pieces_are_exactly_json_dumps_of_the_report(facts):
    report = fleet(facts, 3)
    text = ''.join(files.json_chunks(report))
    assert text == json.dumps(report, separators=(',', ':')) + '\n'


def test_csv_has_a_header_and_a_row_per_host_across_batches(facts, monkeypatch):
    monkeypatch.setattr(files, 'CSV_BATCH', 2)
    report = fleet(facts, 4)
    rows = list(csv.DictReader(io.StringIO(''.join(files.csv_chunks(report)))))
    assert [r['host'] for r in rows] == [h['name'] for h in report['hosts']]
    assert rows[0]['state'] == 'unreachable' and rows[0]['severity'] == 'critical'
    assert float(rows[1]['memory_available_pct']) == facts['memory']['available_pct']
    assert ''.join(files.csv_chunks(build_report([]))) == ','.join(files.CSV_COLUMNS) + '\n'


def test_missing_values_are_empty_cells(facts):
    for subset in ('io', 'namespaces', 'containers'):
        del facts[subset]
    report = build_report([summarize_host('partial', facts)])
    row = next(csv.DictReader(io.StringIO(''.join(files.csv_chunks(report)))))
    assert row['busiest_disk'] == '' and row['non_default_namespaces'] == '' and row['containers'] == ''


def test_write_atomically_replaces_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / 'fleet-report.html'
    target.write_text('old')
    files.write_atomically(str(target), iter(['n', 'ew']))
    assert target.read_text() == 'new'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['fleet-report.html']
    assert oct(target.stat().st_mode & 0o777) == '0o644'


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
