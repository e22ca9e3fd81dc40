# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""hostfacts as Prometheus text exposition for node_exporter's textfile collector. Private.

Names follow the Prometheus conventions: a ``hostops_`` prefix, base units
(ratios 0..1, bytes, seconds), and every metric family has HELP and TYPE.
The file is replaced atomically: node_exporter reads ``*.prom`` files at any
moment and must never see half of one.
"""

from __future__ import annotations

import os

from ansible_collections.hostops.fleet.plugins.module_utils._atomic import write_atomic
from ansible_collections.hostops.fleet.plugins.module_utils._errors import OptionError

SEVERITIES = ('critical', 'warning', 'info')


class PrometheusError(OptionError):
    """prometheus_path unusable: not absolute, not *.prom, or its directory is missing."""


class MetricFamily(object):
    """One metric name with its HELP, TYPE and samples."""

    def __init__(self, name, help_text, metric_type='gauge'):
        self.name = name
        self.help_text = help_text
        self.metric_type = metric_type
        self.samples = []

    def add(self, value, **labels):
        if value is not None:
            self.samples.append((labels, value))
        return self

    def render(self):
        lines = ['# HELP %s %s' % (self.name, _escape_help(self.help_text)),
                 '# TYPE %s %s' % (self.name, self.metric_type)]
        for labels, value in self.samples:
            label_text = ','.join('%s="%s"' % (key, _escape_label(str(val))) for key, val in sorted(labels.items()))
            lines.append('%s%s %s' % (self.name, '{%s}' % label_text if label_text else '', _format_value(value)))
        return '\n'.join(lines)


def _escape_help(text):
    return text.replace('\\', '\\\\').replace('\n', '\\n')


def _escape_label(text):
    return text.replace('\\', '\\\\').replace('\n', '\\n').replace('"', '\\"')


def _format_value(value):
    if isinstance(value, bool):
        return '1' if value else '0'
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def _ratio(part, whole):
    if part is None or not whole:
        return None
    return float(part) / float(whole)


def _pct_ratio(pct):
    return None if pct is None else float(pct) / 100.0


def metric_families(facts):
    """The metric families for the subsets present in ``facts`` (absent subsets give no samples)."""
    return (_memory_families(facts.get('memory') or {}) + _filesystem_families(facts.get('filesystems') or {})
            + _io_families(facts.get('io') or {}, facts.get('processes') or {})
            + _namespace_families(facts.get('namespaces')) + _report_families(facts))


def _memory_families(memory):
    return [MetricFamily('hostops_memory_available_ratio',
                         'Memory available (MemAvailable) as a fraction of total memory.')
            .add(_ratio(memory.get('available'), memory.get('total'))),
            MetricFamily('hostops_memory_total_bytes', 'Total usable memory (MemTotal) in bytes.')
            .add(memory.get('total'))]


def _filesystem_families(filesystems):
    used = MetricFamily('hostops_filesystem_used_ratio',
                        'Filesystem space used as a fraction of the space non-root users can use, as df computes it.')
    inodes = MetricFamily('hostops_filesystem_inodes_used_ratio', 'Filesystem inodes used as a fraction of all inodes.')
    timed_out = MetricFamily('hostops_filesystem_timed_out',
                             '1 when statvfs on the mount did not answer within the timeout (hung network mount).')
    for mount in filesystems.get('mounts') or []:
        labels = {'mountpoint': mount.get('mount_point'), 'device': mount.get('device'), 'fstype': mount.get('fstype')}
        if mount.get('status') == 'ok':
            usable = (mount.get('used') or 0) + (mount.get('available') or 0)
            used.add(_ratio(mount.get('used'), usable), **labels)
            inodes.add(_ratio(mount.get('inodes_used'), mount.get('inodes_total')), **labels)
        timed_out.add(1 if mount.get('status') == 'timed_out' else 0, **labels)
    return [used, inodes, timed_out]


def _io_families(io, processes):
    iowait = MetricFamily('hostops_cpu_iowait_ratio',
                          'Fraction of CPU time spent waiting for I/O over the sampling interval.')
    iowait.add(_pct_ratio(io.get('iowait_pct')))
    util = MetricFamily('hostops_disk_utilization_ratio',
                        'Fraction of the sampling interval the device was busy (iostat %util / 100).')
    for disk in io.get('disks') or []:
        util.add(_pct_ratio(disk.get('util_pct')), device=disk.get('name'), kind=disk.get('kind'))
    d_state = (processes.get('tasks') or {}).get('uninterruptible')
    if d_state is None and 'd_state' in io:
        d_state = len(io['d_state'])
    uninterruptible = MetricFamily('hostops_processes_uninterruptible',
                                   'Processes in state D (uninterruptible sleep), usually waiting for I/O.')
    return [iowait, util, uninterruptible.add(d_state)]


def _namespace_families(namespaces):
    non_default = MetricFamily('hostops_namespaces_non_default',
                               'Namespaces that are not the host default (those of PID 1), by type.')
    hidden = MetricFamily('hostops_network_namespaces_hidden',
                          'Network namespaces with no process in them and no name under /run/netns.')
    if namespaces:
        counts = dict((kind, 0) for kind in namespaces.get('default') or {})
        hidden_count = 0
        for entry in namespaces.get('namespaces') or []:
            if not entry.get('default'):
                counts[entry['type']] = counts.get(entry['type'], 0) + 1
                if entry['type'] == 'net' and is_hidden_netns(entry):
                    hidden_count += 1
        for kind in sorted(counts):
            non_default.add(counts[kind], type=kind)
        hidden.add(hidden_count)
    return [non_default, hidden]


def _report_families(facts):
    alerts = MetricFamily('hostops_alerts', 'Health alerts raised by hostops.fleet.hostfacts, by severity.')
    for severity in SEVERITIES:
        alerts.add(sum(1 for alert in facts.get('alerts') or [] if alert.get('severity') == severity),
                   severity=severity)
    warnings = MetricFamily('hostops_facts_warnings', 'Warnings about partial facts in the last collection.')
    return [alerts, warnings.add(len(facts.get('warnings') or []))]


def is_hidden_netns(entry):
    """A namespace no process lives in and no /run/netns name pins: what the source calls a hidden guest."""
    return not entry.get('nprocs') and not any(pin.get('kind') == 'netns_name' for pin in entry.get('pinned_by') or [])


def render(facts, collected_at=None):
    """The exposition text (ends with a newline). Families without samples keep their HELP and TYPE."""
    families = metric_families(facts)
    if collected_at is not None:
        families.append(MetricFamily('hostops_facts_collected_timestamp_seconds',
                                     'Unix time at which the facts in this file were collected.')
                        .add(float(collected_at)))
    return '\n'.join(family.render() for family in families) + '\n'


def check_path(path):
    """Fail early, naming the option, when node_exporter could not or would not read the file."""
    if not path or not os.path.isabs(path):
        raise PrometheusError('prometheus_path must be an absolute path, got %r' % (path,))
    if not path.endswith('.prom'):
        raise PrometheusError('prometheus_path %s must end in .prom: node_exporter\'s textfile collector reads '
                              'only *.prom files' % path)
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise PrometheusError('prometheus_path: directory %s does not exist; create it or point prometheus_path at '
                              'the directory given to --collector.textfile.directory' % directory)


def write(path, text):
    """Replace the .prom file atomically (see _atomic.write_atomic)."""
    write_atomic(path, text, option='prometheus_path')
