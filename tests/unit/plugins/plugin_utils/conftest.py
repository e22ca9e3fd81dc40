# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The captured host of tests/fixtures/fleet_report, for every test of the fleet report."""

from __future__ import annotations

import json
import os

import pytest

from support import paths

FIXTURE = os.path.join(paths.FIXTURES, 'fleet_report', 'hostfacts-localhost.json')


@pytest.fixture
def facts():
    with open(FIXTURE, encoding='utf-8') as stream:
        return json.load(stream)


def quiet_facts(facts):
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


@pytest.fixture
def quiet():
    return quiet_facts
