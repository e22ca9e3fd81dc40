# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module's RETURN describes nested keys with contains:, and the facts of captured hosts match it.

The live counterpart (this machine's facts against RETURN) is tests/integration/modules/test_return_docs_live.py.
"""

from __future__ import annotations

import datetime
import json
import re

import pytest
import yaml

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.baseline import BaselineManager
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS

from support import hybrid_host_fixtures
from support.hostfacts_fixtures import TREES, fixture_procfs, options
from support.hybrid_host_fixtures import HYBRID_A, linux_tree
from support.return_docs import MODULES, doc_problems, module_return, module_yaml, result_problems

MARKUP = re.compile(r'\b(O|RV)\(([^)]*)\)')


def facts_result(facts):
    return {'ansible_facts': {'hostfacts': facts}, 'changed': False}


@pytest.mark.parametrize('module', MODULES)
def test_every_nested_return_value_lists_its_keys_with_contains(module):
    assert doc_problems(module_return(module)) == []


def _return_paths(entries, prefix=''):
    for key, spec in entries.items():
        yield prefix + key
        yield from _return_paths(spec.get('contains') or {}, prefix + key + '.')


def _option_paths(entries, prefix=''):
    for key, spec in entries.items():
        yield prefix + key
        yield from _option_paths(spec.get('suboptions') or {}, prefix + key + '.')


@pytest.mark.parametrize('module', MODULES)
def test_option_and_return_value_references_in_return_resolve(module):
    """O(...) and RV(...) in RETURN name what the module has, as validate-modules' markup check wants."""
    returned = set(_return_paths(module_return(module)))
    documented = set(_option_paths(module_yaml(module, 'DOCUMENTATION').get('options') or {}))
    wrong = []
    for kind, text in MARKUP.findall(yaml.safe_dump(module_return(module), width=10 ** 6)):
        if '#' in text:
            continue  # another plugin's option or return value
        name = text.split('=', 1)[0].replace('[]', '')
        if name not in (documented if kind == 'O' else returned):
            wrong.append('%s(%s)' % (kind, text))
    assert wrong == []


@pytest.mark.parametrize('tree', TREES)
@pytest.mark.parametrize('interval', [0.0, 1.0])
def test_facts_of_captured_hosts_match_return(tmp_path, tree, interval):
    clock = [100.0]

    def sleep(seconds):
        clock[0] += seconds

    facts = gather(options(interval=interval, samples=2, du_paths=[]), procfs=fixture_procfs(tree, tmp_path),
                   sleep=sleep, monotonic=lambda: clock[0])
    assert result_problems(facts_result(facts), 'hostfacts') == []


@pytest.fixture(scope='module')
def hybrid_tree(tmp_path_factory):
    return linux_tree(HYBRID_A, tmp_path_factory.mktemp('return_docs'), 'hybrid-a')


@pytest.mark.parametrize('process_list', ['top', 'full'])
def test_namespaces_io_and_containers_of_a_captured_host_match_return(hybrid_tree, process_list):
    opts = hybrid_host_fixtures.options(gather_subset=['processes', 'namespaces', 'io', 'containers'], interval=0,
                                        process_list=process_list)
    facts = gather(opts, procfs=ProcFS(hybrid_tree))
    assert facts['namespaces']['namespaces'] and facts['containers'] and facts['io']['disks']
    assert any(entry['pinned_by'] for entry in facts['namespaces']['namespaces'])
    assert result_problems(facts_result(facts), 'hostfacts') == []


def test_baseline_results_match_return(tmp_path, hybrid_tree):
    """Recorded, compared with drift (a mount and a namespace gone from the baseline), updated, removed; 10 s
    after the youngest process started, so that some namespaces are young."""
    processes = gather(hybrid_host_fixtures.options(gather_subset=['processes'], interval=0, process_list='full'),
                       procfs=ProcFS(hybrid_tree))['processes']['list']
    now = max(datetime.datetime.strptime(row['start_time'], '%Y-%m-%dT%H:%M:%S%z') for row in processes)
    now += datetime.timedelta(seconds=10)

    def run(**overrides):
        params = dict(path=str(tmp_path / 'baseline.json'), state='present', update=False,
                      sections=['namespaces', 'processes', 'mounts', 'listening'], min_process_age=0.0,
                      min_namespace_age=60.0, timeout=5.0)
        params.update(overrides)
        return BaselineManager(params, procfs=ProcFS(hybrid_tree), now=now).run()

    results = [run()]
    data = json.loads((tmp_path / 'baseline.json').read_text())
    data['mounts'] = data['mounts'][1:]
    data['namespaces'].append(dict(data['namespaces'][0], key='net:[1]', inode=1))
    (tmp_path / 'baseline.json').write_text(json.dumps(data))
    results += [run(), run(update=True), run(state='absent')]
    assert results[1]['drift']['mounts']['new'] and results[1]['drift']['namespaces']['vanished']
    assert results[1]['young_namespaces'] and results[1]['hidden_network_namespaces']
    assert [result['baseline_action'] for result in results] == ['recorded', 'compared', 'updated', 'removed']
    for result in results:
        assert result_problems(result, 'hostfacts_baseline') == [], result['baseline_action']
