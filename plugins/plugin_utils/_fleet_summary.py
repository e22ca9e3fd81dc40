# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report's model of the fleet: host records ranked, and the summary of all of them. Private.

Records arrive one at a time (``ReportBuilder.add``). Each one updates the fleet's counters and is
rendered at once into the pieces the writers need (its JSON record, its CSV row, its card and table
data); the pieces wait in a spool file, and the record is dropped. ``finish`` sorts the hosts by
severity and returns the Report, from which each writer reads the pieces of every host in rank order.
Memory is then the summary plus a few hundred bytes per host, whatever the facts weighed.
"""

from __future__ import annotations

import json
import time

from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import (
    DEFAULT_LIMITS, SEVERITIES, STATES, sort_key,
)
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_spool import HostSpool

# The summary's histograms: summary key, the value of a record, the bucket edges.
HISTOGRAMS = (
    ('memory_available_pct', lambda r: (r['memory'] or {}).get('available_pct'), (0, 10, 20, 40, 60, 80, 100)),
    ('fullest_filesystem_pct', lambda r: r['filesystems'][0]['use_pct'] if r['filesystems'] else None,
     (0, 50, 70, 80, 90, 95, 100)),
    ('load_per_cpu', lambda r: r['load_per_cpu'], (0, 0.25, 0.5, 1, 2, 4, 1e9)),
    ('iowait_pct', lambda r: r['iowait_pct'], (0, 1, 5, 10, 20, 40, 100)),
)
# Alert subsets and commands are host text: the summary names the most frequent, and counts the rest.
SUBSETS_NAMED = 20
COMMANDS_NAMED = 8


def bucket(value, edges):
    """The index of the bucket [edges[i], edges[i+1]) that holds value; the last bucket takes the rest."""
    last = len(edges) - 2
    for index in range(last):
        if value < edges[index + 1]:
            return index
    return last


def histogram(values, edges):
    """Counts per bucket [edges[i], edges[i+1]); the last bucket is closed; None values counted apart."""
    counts = [0] * (len(edges) - 1)
    missing = 0
    for value in values:
        if value is None:
            missing += 1
        else:
            counts[bucket(value, edges)] += 1
    return {'edges': list(edges), 'counts': counts, 'missing': missing}


def _ranked(items):
    return sorted(items, key=lambda item: (-item[1], item[0]))


class FleetSummary(object):
    """Counts by state, severity and alerting subset, the hottest commands and the histograms, host by host."""

    def __init__(self):
        self.hosts = self.namespaces = self.containers = self.stale = 0
        self.by_state = dict((state, 0) for state in STATES)
        self.by_severity = dict((severity, 0) for severity in SEVERITIES)
        self.by_subset = {}
        self.hot_commands = {}
        self.histograms = dict((key, histogram([], edges)) for key, _value_of, edges in HISTOGRAMS)

    def add(self, record):
        self.hosts += 1
        self.by_state[record['state']] += 1
        self.by_severity[record['severity']] += 1
        self.stale += 1 if record['stale'] else 0
        for alert in record['alerts']:
            if alert['severity'] != 'info':
                self.by_subset[alert['subset']] = self.by_subset.get(alert['subset'], 0) + 1
        if record['top_cpu'] and record['top_cpu'][0]['command']:
            command = record['top_cpu'][0]['command']
            self.hot_commands[command] = self.hot_commands.get(command, 0) + 1
        self.namespaces += (record['namespaces'] or {}).get('count', 0)
        self.containers += (record['containers'] or {}).get('count', 0)
        if record['state'] != 'ok':
            return
        for key, value_of, edges in HISTOGRAMS:
            value = value_of(record)
            if value is None:
                self.histograms[key]['missing'] += 1
            else:
                self.histograms[key]['counts'][bucket(value, edges)] += 1

    def result(self):
        subsets = _ranked(self.by_subset.items())
        named = dict(subsets[:SUBSETS_NAMED])
        if len(subsets) > SUBSETS_NAMED:
            named['(other)'] = sum(count for _subset, count in subsets[SUBSETS_NAMED:])
        summary = {
            'hosts': self.hosts,
            'by_state': dict(self.by_state),
            'by_severity': dict(self.by_severity),
            'stale': self.stale,
            'alerts_by_subset': named,
            'top_cpu_commands': [list(item) for item in _ranked(self.hot_commands.items())[:COMMANDS_NAMED]],
            'non_default_namespaces': self.namespaces,
            'containers': self.containers,
        }
        summary.update(self.histograms)
        return summary


def brief(record):
    """What the action's result says of a host in its ranking."""
    return json.dumps({'host': record['name'], 'severity': record['severity'], 'state': record['state'],
                       'alerts': [a['message'] for a in record['alerts'] if a['severity'] != 'info']})


class Report(object):
    """The fleet, ranked: the head of the report, and every host's pieces in rank order."""

    def __init__(self, head, summary, spool, order):
        self.head = head
        self.summary = summary
        self._spool = spool
        self._order = order

    def __len__(self):
        return len(self._order)

    def pieces(self, name, start=0, stop=None):
        """(rank, text) of one kind of piece for the hosts ranked start+1 .. stop, in rank order."""
        for index in range(start, len(self._order) if stop is None else min(stop, len(self._order))):
            yield index + 1, self._spool.read(self._order[index], name)

    def records(self, start=0, stop=None):
        """The hosts' records, with their ranks, decoded from their JSON pieces."""
        for rank, text in self.pieces('json', start, stop):
            record = json.loads(text)
            record['rank'] = rank
            yield record

    def ranking(self, count=20):
        return [json.loads(text) for _rank, text in self.pieces('brief', 0, count)]

    def close(self):
        self._spool.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class ReportBuilder(object):
    """Takes records one at a time; ``makers`` render each into the pieces its writers will need."""

    def __init__(self, makers, title='Fleet report', limits=None, columns=(), table=(), generated_at=None,
                 stale_after=0):
        self._makers = dict(makers, brief=brief)
        self._spool = HostSpool(sorted(self._makers))
        self._summary = FleetSummary()
        self._keys = []
        self.head = {'title': title, 'generated_at': generated_at or time.strftime('%Y-%m-%dT%H:%M:%S%z'),
                     'limits': dict(limits or DEFAULT_LIMITS), 'columns': list(columns), 'table': list(table),
                     'stale_after': stale_after}

    def add(self, record):
        self._summary.add(record)
        where = self._spool.add(dict((name, make(record)) for name, make in self._makers.items()))
        self._keys.append((sort_key(record), where))

    def finish(self):
        """The Report: hosts sorted most severe first, then by the number of alerts, the score and the name."""
        self._keys.sort(key=lambda item: item[0])
        order = [where for _key, where in self._keys]
        self._keys = []
        return Report(self.head, self._summary.result(), self._spool, order)
