# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report's record of one host, on facts captured from a real host (tests/fixtures/fleet_report)
and on facts a hostile or broken host could send."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.hostops.fleet.plugins.plugin_utils import _fleet_model as model
from ansible_collections.hostops.fleet.plugins.plugin_utils import _fleet_subsets as subsets


def test_summary_of_a_real_host_keeps_the_numbers_operators_read(facts):
    record = model.summarize_host('web1', facts)
    assert record['state'] == 'ok'
    assert record['memory']['available_pct'] == facts['memory']['available_pct']
    assert record['cpu_count'] == facts['processes']['cpu_count']
    assert record['load'][0] == facts['processes']['load']['load1']
    assert record['top_cpu'][0]['pid'] == facts['processes']['top_cpu'][0]['pid']
    assert len(record['top_cpu']) == min(subsets.TOP_PROCESSES, len(facts['processes']['top_cpu']))
    fullest = max(m['use_pct'] for m in facts['filesystems']['mounts'] if m.get('use_pct') is not None)
    assert record['filesystems'][0]['use_pct'] == fullest
    assert record['busiest_disk']['name'] == facts['io']['disks'][0]['name']
    non_default = [n for n in facts['namespaces']['namespaces'] if not n['default']]
    assert record['namespaces']['count'] == len(non_default)
    assert record['containers']['count'] == len(facts['containers'])
    assert record['namespaces']['entries'][0]['owner'].startswith('docker ')


def test_process_alerts_name_the_process(facts, quiet):
    facts = quiet(facts)
    facts['processes']['top_cpu'][0].update(pid=4242, command='sha256sum', cpu_pct=99.0)
    facts['processes']['top_memory'][0].update(pid=4343, command='memhog', mem_pct=40.0, rss_kb=4 * 1024 * 1024)
    facts['io']['top_writers'][0].update(pid=4444, comm='diskwriter', write_bytes_s=50 * 1024 * 1024.0,
                                         open_files=[{'path': '/var/tmp/blob', 'mount_point': '/'}])
    record = model.summarize_host('h', facts)
    messages = [a['message'] for a in record['alerts']]
    assert 'pid 4242 (sha256sum) uses 99 % CPU' in messages
    assert any(m.startswith('pid 4343 (memhog) holds 4.0G resident') for m in messages)
    assert 'pid 4444 (diskwriter) writes 50.0 MiB/s to /var/tmp/blob' in messages
    assert record['severity'] == 'warning'


def test_limits_move_the_alerts(facts, quiet):
    facts = quiet(facts)
    facts['processes']['top_cpu'][0]['cpu_pct'] = 50.0
    assert model.summarize_host('h', copy.deepcopy(facts))['severity'] == 'ok'
    limits = model.validate_limits({'process_cpu_pct': 40})
    assert model.summarize_host('h', facts, limits=limits)['severity'] == 'warning'


def test_pinned_network_namespace_without_process_is_reported(facts, quiet):
    facts = quiet(facts)
    facts['namespaces']['namespaces'].append({
        'type': 'net', 'inode': 4026532999, 'nprocs': 0, 'pid': None, 'user': None, 'command': None,
        'default': False, 'owner': {'kind': 'unknown', 'id': None, 'name': None},
        'pinned_by': [{'kind': 'netns_name', 'path': '/run/netns/blue', 'name': 'blue'}]})
    record = model.summarize_host('h', facts)
    assert record['namespaces']['pinned_only'][0]['pinned_by'] == 'blue'
    assert 'net namespace 4026532999 has no process, pinned by blue' in [a['message'] for a in record['alerts']]
    assert record['namespaces']['entries'][0]['inode'] == 4026532999  # processless ones are listed first


@pytest.mark.parametrize('outcome, state, severity', [
    ({'state': 'unreachable', 'msg': 'ssh: connect to host h port 22: No route to host'}, 'unreachable', 'critical'),
    ({'state': 'failed', 'msg': 'MODULE FAILURE'}, 'failed', 'critical'),
    (None, 'no_facts', 'warning'),
    ({'state': 'ok'}, 'no_facts', 'warning'),
    ({'state': 'sideways'}, 'failed', 'critical'),
])
def test_hosts_without_facts_are_kept_and_say_why(outcome, state, severity):
    record = model.summarize_host('h', None, outcome)
    assert (record['state'], record['severity']) == (state, severity)
    if outcome and outcome.get('msg'):
        assert outcome['msg'] in record['alerts'][0]['message']


def test_missing_subsets_are_not_malformed(facts):
    for subset in ('io', 'namespaces', 'containers', 'filesystems'):
        del facts[subset]
    del facts['processes']['cpu']
    record = model.summarize_host('partial', facts)
    assert record['state'] == 'ok'
    assert record['busiest_disk'] is None and record['namespaces'] is None and record['cpu_busy_pct'] is None


def test_a_host_alert_of_unknown_severity_counts_as_a_warning(facts, quiet):
    facts = quiet(facts)
    facts['alerts'] = [{'severity': 'apocalyptic', 'subset': 'memory', 'message': 'm'}]
    record = model.summarize_host('h', facts)
    assert record['alerts'][0]['severity'] == 'warning' and record['severity'] == 'warning'


def set_path(facts, path, value):
    """facts[a][b][0][c] = value for path 'a.b.0.c'."""
    keys = [int(k) if k.isdigit() else k for k in path.split('.')]
    target = facts
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value


@pytest.mark.parametrize('path, value, reason', [
    ('memory.total', 10 ** 400, 'memory.total is an integer out of range'),
    ('processes.top_cpu.0.pid', [1, 2], 'processes.top_cpu[].pid is a list, not an integer'),
    ('namespaces.namespaces.3.inode', '4026532182', 'namespaces.namespaces[].inode is text, not an integer'),
    ('processes.load.load1', float('nan'), 'processes.load.load1 is nan, not a finite number'),
    ('processes.cpu_count', float('inf'), 'processes.cpu_count is inf, not a finite number'),
    ('io.top_writers.0.write_bytes_s', 1e300, 'io.top[].write_bytes_s is a number out of range'),
    ('processes', 'nope', 'hostfacts.processes is text, not a mapping'),
    ('filesystems.mounts', [None], 'filesystems.mounts holds null, not a mapping'),
    ('io.top_writers.0.command', {'$gt': 1}, 'io.top[].command is a mapping, not text'),
    ('processes.top_memory.0.args', 10 ** 5000, 'processes.top_memory[].args is an integer out of range'),
    ('memory.available_pct', True, 'memory.available_pct is a boolean, not a number'),
    ('warnings', 'one long warning', 'hostfacts.warnings is text, not a list'),
], ids=lambda value: value if isinstance(value, str) and len(value) < 40 else type(value).__name__)
def test_a_value_of_the_wrong_type_makes_a_malformed_record_that_names_the_place(facts, path, value, reason):
    set_path(facts, path, value)
    record = model.summarize_host('hostile', facts)
    assert (record['state'], record['severity']) == ('malformed', 'critical')
    assert record['alerts'] == [{'severity': 'critical', 'subset': 'host', 'message': 'malformed facts: ' + reason}]
    assert record['memory'] is None and record['top_cpu'] == []


@pytest.mark.parametrize('facts, reason', [
    ({}, 'hostfacts is empty'),
    ([], 'hostfacts is a list, not a mapping'),
    ('all good', 'hostfacts is text, not a mapping'),
    ({'collected_at': '2026-11-29T10:00:00+0000', 'alerts': []}, 'hostfacts holds none of the subsets'),
])
def test_empty_or_shapeless_hostfacts_is_malformed_not_healthy(facts, reason):
    record = model.summarize_host('h', facts, {'state': 'ok', 'msg': ''})
    assert (record['state'], record['severity']) == ('malformed', 'critical')
    assert record['alerts'][0]['message'].startswith('malformed facts: ' + reason)


def test_any_other_failure_on_a_host_is_malformed_and_names_no_host_data(facts):
    class Exploding(dict):
        def get(self, key, default=None):
            if key == 'memory':
                raise RuntimeError('secret value from the host')
            return dict.get(self, key, default)

    record = model.summarize_host('h', Exploding(facts))
    assert record['state'] == 'malformed'
    assert record['alerts'][0]['message'] == 'malformed facts: the report cannot read these facts (RuntimeError)'


def test_the_fixture_host_with_every_number_as_an_integer_is_not_malformed(facts):
    facts['memory']['available_pct'] = 13
    facts['interval'] = 1
    assert model.summarize_host('h', facts)['state'] == 'ok'


@pytest.mark.parametrize('limits, message', [
    ({'bogus': 1}, 'limits.bogus is not a known limit'),
    ({'process_cpu_pct': -1}, 'limits.process_cpu_pct must be a number of 0 or more'),
    ({'load_per_cpu': 'high'}, 'limits.load_per_cpu must be a number'),
    ({'load_per_cpu': float('inf')}, 'limits.load_per_cpu must be a number'),
])
def test_bad_limits_name_the_key(limits, message):
    with pytest.raises(model.FleetReportError, match=message):
        model.validate_limits(limits)


def test_limits_merge_over_the_defaults():
    merged = model.validate_limits({'process_mem_pct': 10, 'load_per_cpu': None})
    assert merged == dict(model.DEFAULT_LIMITS, process_mem_pct=10.0)


# ---------------------------------------------------------------- caps on what a host sends

def test_every_host_text_is_cut_and_every_list_bounded(facts):
    huge = 'x' * 10 ** 6
    top = facts['processes']['top_cpu'][0]
    top.update(command=huge, args=huge, user=huge, state=huge)
    facts['filesystems']['mounts'][0].update(mount_point=huge, device=huge, fstype=huge, status=huge, use_pct=100)
    facts['alerts'] = [{'severity': 'warning', 'subset': huge, 'message': huge}] * 100000
    facts['io']['findings'] = [huge] * 1000
    facts['warnings'] = [huge] * 300
    facts['namespaces']['namespaces'] = [
        {'type': 'type-%d' % index, 'inode': index, 'nprocs': 0, 'default': False, 'command': huge,
         'owner': {'kind': huge, 'id': huge}, 'pinned_by': [{'name': huge}] * 50} for index in range(20000)]
    record = model.summarize_host(huge, facts)
    assert record['state'] == 'ok'
    assert len(record['name']) == model.NAME_LENGTH and record['name'].endswith('\u2026')
    process = record['top_cpu'][0]
    assert (len(process['command']), len(process['args']), len(process['user']), len(process['state'])) == (
        256, subsets.ARGS_LENGTH, subsets.USER_LENGTH, subsets.SHORT_LENGTH)
    assert max(len(v) for v in record['filesystems'][0].values() if isinstance(v, str)) == 256
    assert len(record['alerts']) == model.ALERTS_KEPT
    assert record['alert_counts']['warning'] >= 10000  # every alert read is counted
    assert all(len(a['message']) <= model.MESSAGE_LENGTH and len(a['subset']) <= 32 for a in record['alerts'])
    assert len(record['findings']) == subsets.FINDINGS_KEPT and len(record['warnings']) == subsets.FINDINGS_KEPT
    namespaces = record['namespaces']
    assert namespaces['count'] == 10000  # LIST_LENGTH items read of the 20,000
    assert len(namespaces['by_type']) == subsets.NAMESPACE_TYPES + 1 and namespaces['by_type']['other'] == 9990
    assert len(namespaces['pinned_only']) == subsets.PINNED_SHOWN
    assert len(namespaces['entries'][0]['pinned_by']) == 256 and len(namespaces['entries'][0]['owner']) <= 64


def test_every_warning_is_counted_though_few_are_kept(facts, quiet):
    facts = quiet(facts)
    facts['warnings'] = ['cannot read /proc/%d/io' % pid for pid in range(300)]
    record = model.summarize_host('h', facts)
    assert len(record['warnings']) == subsets.FINDINGS_KEPT
    assert 'facts are partial: 300 warning(s) from hostfacts' in [a['message'] for a in record['alerts']]


def test_a_cut_text_ends_with_an_ellipsis_and_a_short_one_is_kept():
    from ansible_collections.hostops.fleet.plugins.plugin_utils._untrusted import cut
    assert cut('abcdef', 4) == 'abc\u2026' and cut('abcd', 4) == 'abcd'


# ---------------------------------------------------------------- identity, gathering time, user columns

SYSTEM = {'hostname': 'web1', 'os': {'id': 'debian', 'version_id': '12', 'pretty_name': 'Debian GNU/Linux 12'},
          'kernel': {'release': '6.1.0-18-amd64', 'machine': 'x86_64'}, 'uptime_seconds': 90061.5,
          'boot_time': '2026-11-28T00:00:00+0000',
          'primary_address': {'interface': 'eth0', 'ipv4': '10.0.0.5', 'ipv6': 'fe80::1'}}


def test_the_identity_facts_are_read_when_the_host_has_them(facts):
    facts['system'] = copy.deepcopy(SYSTEM)
    record = model.summarize_host('web1', facts)
    assert record['system'] == {'hostname': 'web1', 'os': 'Debian GNU/Linux 12', 'kernel': '6.1.0-18-amd64',
                                'machine': 'x86_64', 'interface': 'eth0', 'ipv4': '10.0.0.5', 'ipv6': 'fe80::1',
                                'boot_time': '2026-11-28T00:00:00+0000'}
    assert record['uptime_seconds'] == 90061.5


def test_identity_values_may_all_be_null_and_older_hosts_have_none(facts):
    older = model.summarize_host('old', copy.deepcopy(facts))
    assert older['system'] is None and older['uptime_seconds'] == facts['processes']['uptime_seconds']
    facts['system'] = {'hostname': None, 'os': {'id': 'alpine', 'version_id': None, 'pretty_name': None},
                       'kernel': None, 'uptime_seconds': None, 'boot_time': None, 'primary_address': None}
    record = model.summarize_host('h', facts)
    assert record['state'] == 'ok' and record['system']['os'] == 'alpine' and record['system']['ipv4'] is None


def test_a_host_with_only_the_system_subset_is_reported():
    record = model.summarize_host('h', {'system': copy.deepcopy(SYSTEM)})
    assert record['state'] == 'ok' and record['system']['kernel'] == '6.1.0-18-amd64'


def test_identity_of_the_wrong_type_is_malformed(facts):
    facts['system'] = dict(SYSTEM, primary_address=['10.0.0.5'])
    record = model.summarize_host('h', facts)
    assert record['alerts'][0]['message'] == 'malformed facts: system.primary_address is a list, not a mapping'


NOW = model.parse_time('2026-11-29T12:00:00+0000')


def test_the_gathering_time_is_the_controllers_and_old_facts_are_stale_not_dropped(facts):
    outcome = {'state': 'ok', 'msg': '', 'gathered_at': '2026-11-27T12:00:00Z'}
    record = model.summarize_host('h', facts, outcome, now=NOW, stale_after=86400)
    assert record['state'] == 'ok' and record['stale'] is True and record['age_seconds'] == 172800
    assert record['gathered_at'] == '2026-11-27T12:00:00Z'
    assert ('warning', 'facts are stale: gathered 2 day(s), 0:00 ago (2026-11-27T12:00:00Z), more than '
            '1 day(s), 0:00') in [(a['severity'], a['message']) for a in record['alerts']]
    assert record['memory']['total'] == facts['memory']['total']


def test_without_the_controllers_time_the_hosts_own_is_used(facts):
    record = model.summarize_host('h', facts, None, now=NOW, stale_after=86400)
    assert record['gathered_at'] == facts['collected_at'] and record['stale'] is False
    assert model.summarize_host('h', facts, now=NOW, stale_after=0)['stale'] is False


def test_a_host_whose_outcome_is_old_is_stale_whatever_its_state():
    outcome = {'state': 'unreachable', 'msg': 'timed out', 'gathered_at': '2026-11-20T12:00:00Z'}
    record = model.summarize_host('h', None, outcome, now=NOW, stale_after=3600)
    assert record['state'] == 'unreachable' and record['stale'] is True


@pytest.mark.parametrize('text', ['yesterday', '2026-13-01T00:00:00Z', 10 ** 400, None, '9' * 100])
def test_a_time_that_is_not_one_is_unknown(text):
    assert model.parse_time(text) is None


def test_user_columns_are_computed_cut_and_a_failing_one_is_null(facts):
    def boom(_facts):
        raise ValueError('query failed on this host')

    columns = [lambda f: f['memory']['available_pct'], lambda f: 'y' * 1000, lambda f: {'a': [1]}, boom]
    record = model.summarize_host('h', facts, columns=columns)
    assert record['columns'] == [facts['memory']['available_pct'], 'y' * 255 + '\u2026', '{"a":[1]}', None]
    assert model.summarize_host('down', None, {'state': 'failed'}, columns=columns)['columns'] == [None] * 4


def _strptime_time(text):
    """What parse_time returned before its shortcut: strptime with each layout."""
    import datetime
    for layout in model.TIME_FORMATS:
        try:
            return datetime.datetime.strptime(text, layout).timestamp()
        except ValueError:
            continue
    return None


@pytest.mark.parametrize('text', [
    '2026-11-29T12:00:00Z', '2026-11-29T12:00:00+0000', '2026-11-29T12:00:00-01:30', '2026-11-29T12:00:00.5Z',
    '2026-11-29T12:00:00.123456+05:30', '2026-11-29T12:00:00+23:59', '2026-11-29T12:00:00+05:30:15',
    '2026-1-2T3:4:5Z', '\u0662\u0660\u0662\u0666-11-29T12:00:00Z', '9999-12-31T23:59:59-2359',
    '2026-02-30T00:00:00Z', '2026-11-29T24:00:00Z', '2026-11-29T12:00:60Z', '0000-01-01T00:00:00Z',
    '2026-11-29T12:00:00+2500', '2026-11-29T12:00:00', '2026-11-29T12:00:00.1234567Z', '2026-11-29T12:00:00+05:3',
])
def test_the_common_time_shape_reads_as_strptime_reads_it(text):
    assert model.parse_time(text) == _strptime_time(text)


class _Facts(dict):
    """A mapping that is not a dict: the readers' shortcut for exact dicts must not refuse it."""


def test_mappings_that_are_not_dicts_and_integers_of_every_size_still_read(facts):
    facts['processes']['top_cpu'][0] = _Facts(facts['processes']['top_cpu'][0], pid=2 ** 63 - 1)
    facts['memory'] = _Facts(facts['memory'])
    record = model.summarize_host('h', _Facts(facts))
    assert record['state'] == 'ok' and record['top_cpu'][0]['pid'] == 2 ** 63 - 1
    assert record['memory']['total'] == facts['memory']['total']
    for pid, reason in ((2 ** 63, 'an integer out of range'), (True, 'a boolean, not an integer')):
        facts['processes']['top_cpu'][0]['pid'] = pid
        message = model.summarize_host('h', facts)['alerts'][0]['message']
        assert message == 'malformed facts: processes.top_cpu[].pid is ' + reason
