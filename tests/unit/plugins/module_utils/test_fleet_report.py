# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report renderer on facts captured from a real host (tests/fixtures/fleet_report)."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import re

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils import _fleet_report as fr
from support import paths

FIXTURE = os.path.join(paths.FIXTURES, 'fleet_report', 'hostfacts-localhost.json')


@pytest.fixture
def facts():
    with open(FIXTURE, encoding='utf-8') as stream:
        return json.load(stream)


def quiet(facts):
    """The captured host with nothing noteworthy: no alerts, idle processes, low load, no warnings."""
    facts['alerts'] = []
    facts['warnings'] = []
    facts['processes']['load'] = {'load1': 0.1, 'load5': 0.1, 'load15': 0.1}
    for row in facts['processes']['top_cpu']:
        row['cpu_pct'] = 0.5
    for row in facts['io']['top_writers'] + facts['io']['top_readers']:
        row['write_bytes_s'] = row['read_bytes_s'] = 0.0
    facts['io']['d_state'] = []
    for entry in facts['namespaces']['namespaces']:
        entry['pinned_by'] = [] if entry['nprocs'] else entry['pinned_by']
    return facts


def test_summary_of_a_real_host_keeps_the_numbers_operators_read(facts):
    record = fr.summarize_host('web1', facts)
    assert record['state'] == 'ok'
    assert record['memory']['available_pct'] == facts['memory']['available_pct']
    assert record['cpu_count'] == facts['processes']['cpu_count']
    assert record['load'][0] == facts['processes']['load']['load1']
    assert record['top_cpu'][0]['pid'] == facts['processes']['top_cpu'][0]['pid']
    assert len(record['top_cpu']) == min(fr.TOP_PROCESSES, len(facts['processes']['top_cpu']))
    fullest = max(m['use_pct'] for m in facts['filesystems']['mounts'] if m.get('use_pct') is not None)
    assert record['filesystems'][0]['use_pct'] == fullest
    assert record['busiest_disk']['name'] == facts['io']['disks'][0]['name']
    non_default = [n for n in facts['namespaces']['namespaces'] if not n['default']]
    assert record['namespaces']['count'] == len(non_default)
    assert record['containers']['count'] == len(facts['containers'])


def test_process_alerts_name_the_process(facts):
    facts = quiet(facts)
    facts['processes']['top_cpu'][0].update(pid=4242, command='sha256sum', cpu_pct=99.0)
    facts['processes']['top_memory'][0].update(pid=4343, command='memhog', mem_pct=40.0, rss_kb=4 * 1024 * 1024)
    facts['io']['top_writers'][0].update(pid=4444, comm='diskwriter', write_bytes_s=50 * 1024 * 1024.0,
                                         open_files=[{'path': '/var/tmp/blob', 'mount_point': '/'}])
    record = fr.summarize_host('h', facts)
    messages = [a['message'] for a in record['alerts']]
    assert 'pid 4242 (sha256sum) uses 99 % CPU' in messages
    assert any(m.startswith('pid 4343 (memhog) holds 4.0G resident') for m in messages)
    assert 'pid 4444 (diskwriter) writes 50.0 MiB/s to /var/tmp/blob' in messages
    assert record['severity'] == 'warning'


def test_limits_move_the_alerts(facts):
    facts = quiet(facts)
    facts['processes']['top_cpu'][0]['cpu_pct'] = 50.0
    assert fr.summarize_host('h', copy.deepcopy(facts))['severity'] == 'ok'
    limits = fr.validate_limits({'process_cpu_pct': 40})
    assert fr.summarize_host('h', facts, limits=limits)['severity'] == 'warning'


def test_pinned_network_namespace_without_process_is_reported(facts):
    facts = quiet(facts)
    facts['warnings'] = []
    facts['namespaces']['namespaces'].append({
        'type': 'net', 'inode': 4026532999, 'nprocs': 0, 'pid': None, 'user': None, 'command': None,
        'default': False, 'owner': {'kind': 'unknown', 'id': None, 'name': None},
        'pinned_by': [{'kind': 'netns_name', 'path': '/run/netns/blue', 'name': 'blue'}]})
    record = fr.summarize_host('h', facts)
    assert record['namespaces']['pinned_only'][0]['pinned_by'] == 'blue'
    assert 'net namespace 4026532999 has no process, pinned by blue' in [a['message'] for a in record['alerts']]
    assert record['namespaces']['entries'][0]['inode'] == 4026532999  # processless ones are listed first


@pytest.mark.parametrize('outcome, state, severity', [
    ({'state': 'unreachable', 'msg': 'ssh: connect to host h port 22: No route to host'}, 'unreachable', 'critical'),
    ({'state': 'failed', 'msg': 'MODULE FAILURE'}, 'failed', 'critical'),
    (None, 'no_facts', 'warning'),
    ({'state': 'ok'}, 'no_facts', 'warning'),
])
def test_hosts_without_facts_are_kept_and_say_why(outcome, state, severity):
    record = fr.summarize_host('h', None, outcome)
    assert (record['state'], record['severity']) == (state, severity)
    if outcome and outcome.get('msg'):
        assert outcome['msg'] in record['alerts'][0]['message']


def test_missing_subsets_render_as_na(facts):
    for subset in ('io', 'namespaces', 'containers', 'filesystems'):
        del facts[subset]
    del facts['processes']['cpu']
    record = fr.summarize_host('partial', facts)
    report = fr.build_report([record])
    page = fr.render_html(report)
    card = page[page.index('<article'):page.index('</article>')]
    assert 'iowait · busiest disk</span><span class="v">n/a · n/a n/a' in card
    assert 'CPU busy</span><span class="v">n/a' in card
    row = dict(zip(fr.CSV_COLUMNS, next(csv.reader(io.StringIO(fr.render_csv(report).splitlines()[1])))))
    assert row['busiest_disk'] == '' and row['non_default_namespaces'] == ''


def test_report_order_and_summary(facts):
    busy = quiet(copy.deepcopy(facts))
    busy['processes']['top_cpu'][0].update(command='spinner', cpu_pct=100.0)
    idle = quiet(copy.deepcopy(facts))
    low_memory = quiet(copy.deepcopy(facts))
    low_memory['alerts'] = [{'severity': 'critical', 'subset': 'memory', 'message': 'memory available 3 %'}]
    records = [fr.summarize_host('idle', idle), fr.summarize_host('busy', busy),
               fr.summarize_host('down', None, {'state': 'unreachable', 'msg': 'timed out'}),
               fr.summarize_host('low', low_memory)]
    report = fr.build_report(records)
    assert [h['name'] for h in report['hosts']] == ['down', 'low', 'busy', 'idle'] or \
        [h['name'] for h in report['hosts']] == ['low', 'down', 'busy', 'idle']
    assert [h['rank'] for h in report['hosts']] == [1, 2, 3, 4]
    summary = report['summary']
    assert summary['by_state'] == {'ok': 3, 'unreachable': 1, 'failed': 0, 'no_facts': 0}
    assert summary['by_severity']['critical'] == 2
    assert sum(summary['memory_available_pct']['counts']) == 3
    assert dict(summary['top_cpu_commands'])['spinner'] == 1


def test_equal_severity_ranks_the_busier_host_first(facts):
    calm = quiet(copy.deepcopy(facts))
    loaded = quiet(copy.deepcopy(facts))
    loaded['processes']['top_cpu'][0]['cpu_pct'] = 60.0  # below the limit: no alert, only a higher score
    records = [fr.summarize_host('calm', calm), fr.summarize_host('loaded', loaded)]
    assert records[0]['severity'] == records[1]['severity']
    assert [h['name'] for h in fr.build_report(records)['hosts']] == ['loaded', 'calm']


def test_html_is_self_contained_and_escapes_facts(facts):
    facts['processes']['top_cpu'][0]['args'] = '<script>alert(1)</script> "quoted" & more'
    facts['processes']['top_cpu'][0]['command'] = '<b>evil</b>'
    page = fr.render_html(fr.build_report([fr.summarize_host('<host>', facts)]))
    assert '<script>alert(1)' not in page
    assert '&lt;script&gt;alert(1)&lt;/script&gt;' in page
    assert '&lt;host&gt;' in page
    assert not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', page)  # nothing fetched
    assert page.count('<svg') >= 6


def test_pagination_data_holds_every_card_and_only_one_page_is_in_the_document(facts):
    records = []
    for index in range(7):
        host = quiet(copy.deepcopy(facts))
        records.append(fr.summarize_host('host-%d' % index, host))
    page = fr.render_html(fr.build_report(records), page_size=3)
    section = page[page.index('<section class="hosts"'):page.index('<nav class="pager">')]
    assert section.count('<article') == 3
    raw = page[page.index('id="fleet-data">') + len('id="fleet-data">'):page.index('</script>', page.index('id="fleet-data"'))]
    data = json.loads(raw)
    assert len(data['cards']) == len(data['index']) == 7
    assert all(card.startswith('<article') and card.endswith('</article>') for card in data['cards'])
    assert '</' not in raw  # no card can close the script element early


def test_json_and_csv_carry_the_same_hosts(facts):
    records = [fr.summarize_host('a', copy.deepcopy(facts)), fr.summarize_host('b', None, {'state': 'unreachable'})]
    report = fr.build_report(records)
    data = json.loads(fr.render_json(report))
    rows = list(csv.DictReader(io.StringIO(fr.render_csv(report))))
    assert [h['name'] for h in data['hosts']] == [r['host'] for r in rows]
    assert rows[0]['state'] == 'unreachable' and rows[0]['severity'] == 'critical'
    assert data['summary']['hosts'] == 2
    assert float(rows[1]['memory_available_pct']) == facts['memory']['available_pct']


@pytest.mark.parametrize('limits, message', [
    ({'bogus': 1}, 'limits.bogus is not a known limit'),
    ({'process_cpu_pct': -1}, 'limits.process_cpu_pct must be a number of 0 or more'),
    ({'load_per_cpu': 'high'}, 'limits.load_per_cpu must be a number'),
])
def test_bad_limits_name_the_key(limits, message):
    with pytest.raises(fr.FleetReportError, match=message):
        fr.validate_limits(limits)


def test_page_size_must_be_positive(facts):
    with pytest.raises(fr.FleetReportError, match='page_size must be 1 or more'):
        fr.render_html(fr.build_report([fr.summarize_host('a', facts)]), page_size=0)


@pytest.mark.parametrize('value, text', [(None, 'n/a'), (512, '512B'), (1536, '1.5K'), (8 * 1024 ** 3, '8.0G'),
                                         ('x', 'n/a'), (True, 'n/a')])
def test_human_bytes(value, text):
    assert fr.human_bytes(value) == text


def test_garbage_facts_do_not_raise():
    garbage = {'processes': 'nope', 'memory': [], 'filesystems': {'mounts': ['x', None]}, 'io': {'disks': 5},
               'namespaces': {'namespaces': [1, 2]}, 'containers': 'x', 'alerts': [None, {'severity': 'odd'}]}
    record = fr.summarize_host('g', garbage)
    page = fr.render_html(fr.build_report([record]))
    assert 'g</h3>' in page
