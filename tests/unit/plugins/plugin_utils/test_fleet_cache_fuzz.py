# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hypothesis against the fact cache reader: whatever a jsonfile entry holds (any JSON value at any depth, any
bytes, a payload of any JSON), reading never raises, every other host is read, and no file changes."""

from __future__ import annotations

import json
import os
import tempfile

import pytest

from ansible_collections.hostops.fleet.plugins.action import fleet_report as action
from ansible_collections.hostops.fleet.plugins.plugin_utils import _fleet_cache
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import summarize_host

hypothesis = pytest.importorskip('hypothesis')  # not in the compat lines' venvs
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

OUTCOME = 'hostops_fleet_outcome'
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(['hostfacts', OUTCOME, '__payload__', 'memory', 'state', 'value', 'x']),
                        inner, max_size=4), max_leaves=12)
STORED = st.one_of(
    JSON.map(lambda value: json.dumps(value).encode()),
    JSON.map(lambda value: json.dumps({'__payload__': json.dumps(value)}).encode()),
    st.binary(max_size=40),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=STORED)
def test_any_stored_bytes_are_one_hosts_record_and_stay(stored, facts, monkeypatch):
    with tempfile.TemporaryDirectory() as directory:
        monkeypatch.setenv('ANSIBLE_CACHE_PLUGIN_CONNECTION', directory)
        monkeypatch.setenv('ANSIBLE_CACHE_PLUGIN_TIMEOUT', '0')
        monkeypatch.setattr(action.C, 'CACHE_PLUGIN', 'jsonfile')
        writer = action.configured_cache()
        writer.set('good', {'hostfacts': facts, OUTCOME: {'state': 'ok'}})
        writer.set('odd', {})
        [odd] = [name for name in os.listdir(directory) if name.endswith('odd')]
        with open(os.path.join(directory, odd), 'wb') as stream:
            stream.write(stored)
        before = dict((name, open(os.path.join(directory, name), 'rb').read()) for name in os.listdir(directory))
        plugin = action.configured_cache()
        names, _foreign = _fleet_cache.cache_listing(plugin, 'jsonfile')
        records = dict((host[0], summarize_host(*host)) for host in _fleet_cache.cache_hosts(plugin, 'jsonfile', names, OUTCOME))
        assert records['good']['state'] == 'ok'
        assert sorted(records) == ['good', 'odd']
        assert dict((name, open(os.path.join(directory, name), 'rb').read()) for name in os.listdir(directory)) == before
