# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading Prometheus text exposition back, with prometheus_client's own parser and line by line."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

EXPECTED_FAMILIES = {
    'hostops_memory_available_ratio', 'hostops_memory_total_bytes', 'hostops_filesystem_used_ratio',
    'hostops_filesystem_inodes_used_ratio', 'hostops_filesystem_timed_out', 'hostops_cpu_iowait_ratio',
    'hostops_disk_utilization_ratio', 'hostops_processes_uninterruptible', 'hostops_namespaces_non_default',
    'hostops_network_namespaces_hidden', 'hostops_alerts', 'hostops_facts_warnings',
    'hostops_facts_collected_timestamp_seconds',
}


def parse(text):
    return dict((family.name, family) for family in text_string_to_metric_families(text))


def assert_help_and_type_everywhere(text):
    """Independently of the parser: each sample's name has a HELP and a TYPE line before it."""
    helped, typed = set(), set()
    for line in text.splitlines():
        if line.startswith('# HELP '):
            helped.add(line.split()[2])
        elif line.startswith('# TYPE '):
            typed.add(line.split()[2])
        elif line and not line.startswith('#'):
            name = line.split('{')[0].split(' ')[0]
            assert name in helped and name in typed, line
    for family in parse(text).values():
        assert family.documentation, family.name
        assert family.type == 'gauge', family.name


def samples(families, name):
    return dict((tuple(sorted(sample.labels.items())), sample.value) for sample in families[name].samples)
