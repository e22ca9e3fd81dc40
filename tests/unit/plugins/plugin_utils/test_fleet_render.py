# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report from options to files: the user's columns and templates, the files' modes, and the bound on
what one hostile host can add to them."""

from __future__ import annotations

import copy
import json
import os
import random
import stat

import pytest

from ansible_collections.hostops.fleet.plugins.plugin_utils import _fleet_render as render
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import FleetReportError, summarize_host
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_view import DEFAULT_TABLE

# Characters of four bytes in UTF-8 and twelve as a JSON escape, at random so that nothing compresses:
# the costliest text a host can send.
RANDOM = random.Random(7)
# What one host may add to each file at most, whatever it sends (docs/security.md quotes these).
SHARE_BOUND = {'json': 320 * 1024, 'csv': 40 * 1024, 'html': 200 * 1024}


def written(tmp_path, records, **options):
    tmp_path.mkdir(exist_ok=True)
    report = render.build_report(records, **{k: v for k, v in options.items() if k in ('columns', 'table')})
    files = render.write_report(report, str(tmp_path), **dict(
        (key, value) for key, value in options.items() if key in ('mode', 'template_dir', 'page_size')))
    report.close()
    return files


def wide(length=1000):
    return ''.join(chr(RANDOM.randrange(0x10000, 0x10FFFF)) for _index in range(length))


def hostile(value):
    """Every text of the facts replaced by a different random one."""
    if isinstance(value, dict):
        return dict((key, hostile(item)) for key, item in value.items())
    if isinstance(value, list):
        return [hostile(item) for item in value]
    return wide() if isinstance(value, str) else value


def worst_host(facts):
    """Every text 1,000 wide characters long (longer than any cap), and lists longer than anything is kept."""
    facts = hostile(facts)
    facts['alerts'] = [{'severity': 'critical', 'subset': wide(), 'message': wide()} for _index in range(1000)]
    facts['io']['findings'] = [wide() for _index in range(100)]
    for key in ('top_cpu', 'top_memory'):
        facts['processes'][key] = hostile(facts['processes'][key] * 10)
    facts['system'] = hostile({'hostname': '', 'os': {'id': '', 'version_id': '', 'pretty_name': ''},
                               'kernel': {'release': '', 'machine': ''}, 'boot_time': '',
                               'primary_address': {'interface': '', 'ipv4': '', 'ipv6': ''}})
    return wide(), facts


def test_one_hostile_host_adds_a_bounded_share_to_every_file(facts, tmp_path):
    text, hostile_facts = worst_host(copy.deepcopy(facts))
    columns = [lambda f: text] * 3
    quiet = written(tmp_path / 'one', [summarize_host('quiet', copy.deepcopy(facts), columns=columns)],
                    columns=['a', 'b', 'c'])
    both = written(tmp_path / 'two', [summarize_host('quiet', copy.deepcopy(facts), columns=columns),
                                      summarize_host(text, hostile_facts, columns=columns)], columns=['a', 'b', 'c'])
    for fmt, bound in SHARE_BOUND.items():
        share = os.path.getsize(both[fmt]) - os.path.getsize(quiet[fmt])
        assert 0 < share <= bound, '%s: %d bytes' % (fmt, share)


def test_a_ten_megabyte_process_name_does_not_make_ten_megabytes_of_files(facts, tmp_path):
    facts['processes']['top_cpu'][0].update(command='x' * 10 ** 7, args='x' * 10 ** 7, cpu_pct=99.0)
    files = written(tmp_path, [summarize_host('h', facts)])
    assert sum(os.path.getsize(path) for path in files.values()) < 1024 * 1024


def test_files_are_written_for_the_owner_alone_unless_the_mode_widens_them(facts, tmp_path):
    files = written(tmp_path / 'private', [summarize_host('h', copy.deepcopy(facts))])
    assert sorted(files) == ['csv', 'html', 'json']
    assert all(stat.S_IMODE(os.stat(path).st_mode) == 0o600 for path in files.values())
    (tmp_path / 'shared').mkdir()
    files = written(tmp_path / 'shared', [summarize_host('h', facts)], mode=0o644)
    assert all(stat.S_IMODE(os.stat(path).st_mode) == 0o644 for path in files.values())


def test_check_mode_writes_nothing(facts, tmp_path):
    report = render.build_report([summarize_host('h', facts)])
    files = render.write_report(report, str(tmp_path), check_mode=True)
    assert files['html'] == str(tmp_path / 'fleet-report.html') and os.listdir(str(tmp_path)) == []


def test_columns_default_to_the_table_of_the_issue_and_take_names_and_queries():
    assert render.parse_columns(None) == (DEFAULT_TABLE, [])
    table, user = render.parse_columns(['host', 'iowait', {'label': 'containers', 'query': 'length(containers)'}])
    assert table == ('host', 'iowait')
    assert user[0][0] == 'containers' and user[0][1]({'containers': [1, 2]}) == 2


@pytest.mark.parametrize('spec, message', [
    ('host', 'columns must be a list'),
    (['hostname'], "columns: 'hostname' is not a column of the table"),
    ([{'label': 'x'}], r'columns\[0\].query must be a non-empty JMESPath expression'),
    ([{'label': 'x', 'query': 'memory.['}], r'columns\[0\].query: invalid JMESPath expression'),
    ([{'query': 'memory'}], r'columns\[0\] must be a mapping with label'),
    ([{'label': 'x', 'query': 'memory', 'format': '%d'}], 'unknown keys: format'),
    ([{'label': 'l' * 65, 'query': 'memory'}], 'text of 1 to 64 characters'),
])
def test_bad_columns_name_the_column(spec, message):
    with pytest.raises(FleetReportError, match=message):
        render.parse_columns(spec)


def test_user_columns_reach_the_table_the_csv_and_the_json(facts, tmp_path):
    table, user = render.parse_columns(['host', {'label': 'mounts', 'query': 'length(filesystems.mounts)'},
                                        {'label': 'first mount', 'query': 'filesystems.mounts[0].mount_point'}])
    record = summarize_host('h', facts, columns=[query for _label, query in user])
    files = written(tmp_path, [record], columns=[label for label, _query in user], table=table)
    with open(files['json'], encoding='utf-8') as stream:
        report = json.load(stream)
    mounts = len(facts['filesystems']['mounts'])
    assert report['columns'] == ['mounts', 'first mount'] and report['hosts'][0]['columns'] == [
        mounts, facts['filesystems']['mounts'][0]['mount_point']]
    with open(files['csv'], encoding='utf-8') as stream:
        header, row = stream.read().splitlines()[:2]
    assert header.endswith(',mounts,first mount') and row.endswith(',%s,%s' % (
        mounts, facts['filesystems']['mounts'][0]['mount_point']))
    with open(files['html'], encoding='utf-8') as stream:
        page = stream.read()
    assert 'data-name="user">mounts</button>' in page and '<td class="num cut" tabindex="-1" title="%d">%d</td>' % (
        mounts, mounts) in page


def test_a_template_directory_of_the_user_replaces_ours_by_name(facts, tmp_path):
    mine = tmp_path / 'templates' / 'fleet_report'
    mine.mkdir(parents=True)
    (mine / 'card.html.j2').write_text(
        "{% macro card(c, tables) %}<article class=\"mine\">{{ c.name }} {{ c.identity }}</article>{% endmacro %}")
    (mine / 'report.css').write_text('body{background:#123456}')
    files = written(tmp_path / 'out', [summarize_host('<b>web1</b>', facts)], template_dir=str(tmp_path / 'templates'))
    with open(files['html'], encoding='utf-8') as stream:
        page = stream.read()
    assert '<article class="mine">&lt;b&gt;web1&lt;/b&gt; ' in page  # autoescape holds in the user's template
    assert 'body{background:#123456}' in page
    assert '<table id="hosttable">' in page  # every other template is still ours


def test_the_heap_is_frozen_while_the_report_renders_and_thawed_after_even_on_failure():
    import gc
    # Some interpreters start with a frozen heap (Python 3.12 under ansible-core 2.16's test run did):
    # start thawed, and freeze again at the end if it was.
    was_frozen = gc.get_freeze_count() > 0
    gc.unfreeze()
    try:
        with render.frozen_heap():
            assert gc.get_freeze_count() > 0
        assert gc.get_freeze_count() == 0
        with pytest.raises(ValueError):
            with render.frozen_heap():
                raise ValueError('a failure while rendering')
        assert gc.get_freeze_count() == 0
        # Frozen by the caller already: left as it is, and not thawed at the end.
        gc.freeze()
        frozen = gc.get_freeze_count()
        with render.frozen_heap():
            assert gc.get_freeze_count() == frozen
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
        if was_frozen:
            gc.freeze()
