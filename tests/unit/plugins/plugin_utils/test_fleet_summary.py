# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report's ranking of hosts and its summary of the fleet."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.hostops.fleet.plugins.plugin_utils import _fleet_summary
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import summarize_host
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_render import build_report
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_spool import HostSpool
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_summary import histogram


def test_report_order_and_summary(facts, quiet):
    busy = quiet(copy.deepcopy(facts))
    busy['processes']['top_cpu'][0].update(command='spinner', cpu_pct=100.0)
    idle = quiet(copy.deepcopy(facts))
    low_memory = quiet(copy.deepcopy(facts))
    low_memory['alerts'] = [{'severity': 'critical', 'subset': 'memory', 'message': 'memory available 3 %'}]
    records = [summarize_host('idle', idle), summarize_host('busy', busy),
               summarize_host('down', None, {'state': 'unreachable', 'msg': 'timed out'}),
               summarize_host('low', low_memory), summarize_host('hostile', {})]
    report = build_report(records)
    hosts = list(report.records())
    names = [h['name'] for h in hosts]
    assert sorted(names[:3]) == ['down', 'hostile', 'low'] and names[3:] == ['busy', 'idle']
    assert [h['rank'] for h in hosts] == [1, 2, 3, 4, 5]
    assert [h['host'] for h in report.ranking(2)] == names[:2]
    summary = report.summary
    assert summary['by_state'] == {'ok': 3, 'unreachable': 1, 'failed': 0, 'no_facts': 0, 'malformed': 1}
    assert summary['by_severity'] == {'critical': 3, 'warning': 1, 'info': 0, 'ok': 1}
    assert sum(summary['memory_available_pct']['counts']) == 3  # only hosts that reported
    assert dict(summary['top_cpu_commands'])['spinner'] == 1
    assert summary['alerts_by_subset']['host'] == 2


def test_equal_severity_ranks_the_busier_host_first(facts, quiet):
    calm = quiet(copy.deepcopy(facts))
    loaded = quiet(copy.deepcopy(facts))
    loaded['processes']['top_cpu'][0]['cpu_pct'] = 60.0  # below the limit: no alert, only a higher score
    records = [summarize_host('calm', calm), summarize_host('loaded', loaded)]
    assert records[0]['severity'] == records[1]['severity']
    assert [h['name'] for h in build_report(records).records()] == ['loaded', 'calm']


@pytest.mark.parametrize('values, counts, missing', [
    ([0, 9.9, 10, 99, 100, 250], [2, 1, 0, 0, 0, 3], 0),
    ([None, 55], [0, 0, 0, 1, 0, 0], 1),
    ([], [0] * 6, 0),
])
def test_histogram_buckets_are_half_open_and_the_last_takes_the_rest(values, counts, missing):
    result = histogram(values, (0, 10, 20, 40, 60, 80, 100))
    assert result['counts'] == counts and result['missing'] == missing


def test_an_empty_fleet_has_a_report():
    report = build_report([], title='nobody')
    assert report.summary['hosts'] == 0 and list(report.records()) == [] and len(report) == 0


def test_subsets_named_by_hosts_are_bounded_in_the_summary(facts, quiet, monkeypatch):
    monkeypatch.setattr(_fleet_summary, 'SUBSETS_NAMED', 3)
    records = []
    for index in range(6):
        host = quiet(copy.deepcopy(facts))
        host['alerts'] = [{'severity': 'warning', 'subset': 'made-up-%d' % index, 'message': 'm'}]
        records.append(summarize_host('h%d' % index, host))
    subsets = build_report(records).summary['alerts_by_subset']
    assert len(subsets) == 4 and subsets['(other)'] == 3


def test_memory_holds_where_each_host_is_not_its_record(facts):
    """The records go to the spool as they arrive: the report keeps an offset and a sort key per host."""
    builder = _fleet_summary.ReportBuilder({'json': json.dumps})
    record = summarize_host('h', facts)
    builder.add(record)
    report = builder.finish()
    assert report._order == [(0, (len(json.dumps(report.ranking()[0])), len(json.dumps(record))))]
    assert next(report.records())['top_cpu'] == json.loads(json.dumps(record['top_cpu']))
    report.close()


def test_pieces_read_back_in_any_order_between_writes():
    spool = HostSpool(['a', 'b'])
    first = spool.add({'a': 'é' * 3, 'b': ''})
    assert spool.read(first, 'a') == 'ééé' and spool.read(first, 'b') == ''
    second = spool.add({'a': '\udcff', 'b': 'x' * 70000})
    assert spool.read(second, 'b') == 'x' * 70000 and spool.read(second, 'a') == '\udcff'
    assert spool.read(first, 'a') == 'ééé'
    spool.close()
