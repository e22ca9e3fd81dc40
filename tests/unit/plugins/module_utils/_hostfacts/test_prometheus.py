# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Prometheus textfile output of hostfacts, parsed back with prometheus_client's own text parser."""

from __future__ import annotations

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.prometheus import (
    PrometheusError, check_path, render)

from support.hostfacts_fixtures import fixture_procfs, options
from support.prometheus_text import EXPECTED_FAMILIES, assert_help_and_type_everywhere, parse, samples


def test_fixture_facts_render_and_parse(tmp_path):
    facts = gather(options(), procfs=fixture_procfs('debian12-host', tmp_path))
    text = render(facts, collected_at=1700000000.5)
    assert_help_and_type_everywhere(text)
    families = parse(text)
    assert set(families) == EXPECTED_FAMILIES
    memory = facts['memory']
    assert samples(families, 'hostops_memory_available_ratio')[()] == pytest.approx(
        memory['available'] / float(memory['total']))
    used = samples(families, 'hostops_filesystem_used_ratio')
    ok_mounts = [m for m in facts['filesystems']['mounts'] if m['status'] == 'ok']
    assert len(used) == len(ok_mounts) > 0
    for mount in ok_mounts:
        key = tuple(sorted({'mountpoint': mount['mount_point'], 'device': mount['device'],
                            'fstype': mount['fstype']}.items()))
        assert used[key] == pytest.approx(mount['used'] / float(mount['used'] + mount['available']))
        # df's Use% is the same fraction rounded up.
        assert mount['use_pct'] - 1 <= used[key] * 100 <= mount['use_pct']
    # The tree's process list has no D state; the gauge is there with 0.
    assert samples(families, 'hostops_processes_uninterruptible')[()] == facts['processes']['tasks']['uninterruptible']
    alerts = samples(families, 'hostops_alerts')
    assert sorted(dict(k)['severity'] for k in alerts) == ['critical', 'info', 'warning']
    assert sum(alerts.values()) == len(facts['alerts'])
    assert samples(families, 'hostops_facts_collected_timestamp_seconds')[()] == 1700000000.5
    # Subsets not gathered keep HELP and TYPE but have no samples: never a fake 0.
    assert families['hostops_cpu_iowait_ratio'].samples == []
    assert families['hostops_namespaces_non_default'].samples == []


def test_label_values_are_escaped(tmp_path):
    facts = {'filesystems': {'mounts': [{
        'mount_point': '/srv/we"ird\\path\nx', 'device': '/dev/sdz1', 'fstype': 'ext4', 'status': 'ok',
        'used': 25, 'available': 75, 'inodes_used': 1, 'inodes_total': 4}]}}
    text = render(facts)
    assert_help_and_type_everywhere(text)
    used = samples(parse(text), 'hostops_filesystem_used_ratio')
    assert used == {(('device', '/dev/sdz1'), ('fstype', 'ext4'), ('mountpoint', '/srv/we"ird\\path\nx')): 0.25}


@pytest.mark.parametrize('path, message', [
    ('relative.prom', 'must be an absolute path'),
    ('/tmp/hostops.txt', 'must end in .prom'),
    ('/nonexistent-dir-hostops/x.prom', 'directory /nonexistent-dir-hostops does not exist'),
])
def test_bad_prometheus_path(path, message):
    with pytest.raises(PrometheusError) as info:
        check_path(path)
    assert message in str(info.value) and 'prometheus_path' in str(info.value)
