# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report's model of the fleet: host records ranked, and the summary of all of them. Private.

The report is a plain dict (title, generated_at, limits, summary, hosts), which the JSON writer
writes as it is and the CSV and HTML writers read.
"""

from __future__ import annotations

import time

from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import (
    DEFAULT_LIMITS, SEVERITIES, STATES, sort_key,
)

# The summary's histograms: summary key, the value of a record, the bucket edges.
HISTOGRAMS = (
    ('memory_available_pct', lambda r: (r['memory'] or {}).get('available_pct'), (0, 10, 20, 40, 60, 80, 100)),
    ('fullest_filesystem_pct', lambda r: r['filesystems'][0]['use_pct'] if r['filesystems'] else None,
     (0, 50, 70, 80, 90, 95, 100)),
    ('load_per_cpu', lambda r: r['load_per_cpu'], (0, 0.25, 0.5, 1, 2, 4, 1e9)),
    ('iowait_pct', lambda r: r['iowait_pct'], (0, 1, 5, 10, 20, 40, 100)),
)


def histogram(values, edges):
    """Counts per bucket [edges[i], edges[i+1]); the last bucket is closed; None values counted apart."""
    counts = [0] * (len(edges) - 1)
    missing = 0
    for value in values:
        if value is None:
            missing += 1
            continue
        for index in range(len(counts)):
            if value < edges[index + 1] or index == len(counts) - 1:
                counts[index] += 1
                break
    return {'edges': list(edges), 'counts': counts, 'missing': missing}


def _ranked(items):
    return sorted(items, key=lambda item: (-item[1], item[0]))


def summarize_fleet(hosts):
    """Counts by state, severity and alerting subset, the hottest commands, and the histograms."""
    by_state = dict((state, 0) for state in STATES)
    by_severity = dict((sev, 0) for sev in SEVERITIES)
    by_subset = {}
    hot_commands = {}
    namespaces = containers = 0
    for record in hosts:
        by_state[record['state']] += 1
        by_severity[record['severity']] += 1
        for alert in record['alerts']:
            if alert['severity'] != 'info':
                by_subset[alert['subset']] = by_subset.get(alert['subset'], 0) + 1
        if record['top_cpu'] and record['top_cpu'][0]['command']:
            command = record['top_cpu'][0]['command']
            hot_commands[command] = hot_commands.get(command, 0) + 1
        namespaces += (record['namespaces'] or {}).get('count', 0)
        containers += (record['containers'] or {}).get('count', 0)
    summary = {
        'hosts': len(hosts),
        'by_state': by_state,
        'by_severity': by_severity,
        'alerts_by_subset': dict(_ranked(by_subset.items())),
        'top_cpu_commands': _ranked(hot_commands.items())[:8],
        'non_default_namespaces': namespaces,
        'containers': containers,
    }
    reporting = [record for record in hosts if record['state'] == 'ok']
    for key, value_of, edges in HISTOGRAMS:
        summary[key] = histogram([value_of(record) for record in reporting], edges)
    return summary


def build_report(records, title='Fleet report', generated_at=None, limits=None):
    """Sort the host records by severity, number their ranks and compute the fleet summary."""
    hosts = sorted(records, key=sort_key)
    for rank, record in enumerate(hosts, 1):
        record['rank'] = rank
    return {
        'title': title,
        'generated_at': generated_at or time.strftime('%Y-%m-%dT%H:%M:%S%z'),
        'limits': dict(limits or DEFAULT_LIMITS),
        'summary': summarize_fleet(hosts),
        'hosts': hosts,
    }
