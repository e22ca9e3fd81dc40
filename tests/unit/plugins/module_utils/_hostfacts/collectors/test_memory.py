# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The memory collector against the free -b captured with each fixture tree."""

from __future__ import annotations

import os

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.collectors.memory import free_fields, human_bytes
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather

from support.hostfacts_fixtures import TREES, fixture_procfs, load_json, options

FREE_COLUMNS = ('total', 'used', 'free', 'shared', 'buff_cache', 'available')


def free_output(tree):
    lines = load_json(tree, 'tools.json')['free_b'].splitlines()
    mem = [int(x) for x in lines[1].split()[1:]]
    swap = [int(x) for x in lines[2].split()[1:]]
    return dict(zip(FREE_COLUMNS, mem)), dict(zip(('swap_total', 'swap_used', 'swap_free'), swap))


def memory_of(tree, tmp_path, **thresholds):
    procfs = fixture_procfs(tree, tmp_path)
    return gather(options(gather_subset=['memory'], thresholds=thresholds), procfs=procfs)


@pytest.mark.parametrize('tree', TREES)
def test_matches_free_b_captured_with_the_tree(tree, tmp_path):
    facts = memory_of(tree, tmp_path)['memory']
    mem, swap = free_output(tree)
    assert facts['total'] == mem['total']
    # free ran a few milliseconds after meminfo was copied, on a busy machine: 1 % of total.
    tolerance = mem['total'] // 100
    for column in FREE_COLUMNS[1:]:
        assert abs(facts[column] - mem[column]) <= tolerance, column
    for column, value in swap.items():
        assert abs(facts[column] - value) <= tolerance, column


@pytest.mark.parametrize('tree', TREES)
def test_procps_ng_4_formulas_on_the_raw_meminfo(tree, tmp_path):
    facts = memory_of(tree, tmp_path)['memory']
    with open(os.path.join(tmp_path, tree, 'proc', 'meminfo')) as handle:
        kb = dict((line.split(':')[0], int(line.split()[1]) * 1024) for line in handle)
    assert facts['used'] == kb['MemTotal'] - kb['MemAvailable']
    assert facts['buff_cache'] == kb['Buffers'] + kb['Cached'] + kb['SReclaimable']
    assert facts['available_pct'] == round(100.0 * kb['MemAvailable'] / kb['MemTotal'], 1)
    assert facts['status'] == 'ok'


def test_low_memory_raises_an_alert(tmp_path):
    facts = memory_of('bookworm-container', tmp_path, memory_available_pct=99.5)
    assert facts['memory']['status'] == 'low'
    alerts = [a for a in facts['alerts'] if a['subset'] == 'memory']
    assert len(alerts) == 1
    assert alerts[0]['severity'] == 'warning'
    assert 'below the 99.5 % threshold' in alerts[0]['message']


def test_no_alert_with_a_zero_threshold(tmp_path):
    facts = memory_of('bookworm-container', tmp_path, memory_available_pct=0)
    assert facts['memory']['status'] == 'ok'
    assert facts['alerts'] == []


def test_old_kernel_without_memavailable_uses_free():
    fields = free_fields({'MemTotal': 1000, 'MemFree': 300, 'Buffers': 10, 'Cached': 100, 'SReclaimable': 5})
    assert fields['available'] == 300
    assert fields['used'] == 700
    assert fields['buff_cache'] == 115


@pytest.mark.parametrize('value, text', [(512, '512 B'), (1536, '1.5 KiB'), (7.7 * 2 ** 30, '7.7 GiB')])
def test_human_bytes(value, text):
    assert human_bytes(value) == text
