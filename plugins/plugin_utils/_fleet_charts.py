# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet summary of the report's page: tiles and the geometry of its SVG charts. Private.

The template (templates/fleet_report/charts.html.j2) draws what these functions measure; numbers
are formatted here so that the template only places them.
"""

from __future__ import annotations

from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import SEVERITIES

_GOOD, _WARN, _CRIT = 'bar-good', 'bar-warn', 'bar-crit'
# The summary's histograms: title, summary key, bucket labels, bucket colours.
HISTOGRAM_CHARTS = (
    ('memory available %', 'memory_available_pct', ('<10', '10-20', '20-40', '40-60', '60-80', '80+'),
     (_CRIT, _WARN, _GOOD, _GOOD, _GOOD, _GOOD)),
    ('fullest filesystem use %', 'fullest_filesystem_pct', ('<50', '50-70', '70-80', '80-90', '90-95', '95+'),
     (_GOOD, _GOOD, _GOOD, _WARN, _CRIT, _CRIT)),
    ('load per CPU', 'load_per_cpu', ('<.25', '.25-.5', '.5-1', '1-2', '2-4', '4+'),
     (_GOOD, _GOOD, _GOOD, _WARN, _CRIT, _CRIT)),
    ('iowait %', 'iowait_pct', ('<1', '1-5', '5-10', '10-20', '20-40', '40+'),
     (_GOOD, _GOOD, _GOOD, _WARN, _CRIT, _CRIT)),
)
# The donut's circle has a circumference of 100, so that dash lengths are percentages.
DONUT_RADIUS = '15.9155'
COLUMNS_WIDTH, COLUMNS_HEIGHT, COLUMNS_PAD = 260, 120, 18
HBAR_ROW, HBAR_LENGTH = 18, 130.0


def tiles(summary):
    """[label, count, css class] of the counters at the top."""
    state, sev = summary['by_state'], summary['by_severity']

    def alarm(count, css):
        return css if count else ''

    return [
        ['hosts', summary['hosts'], ''],
        ['reporting', state['ok'], 'good'],
        ['unreachable', state['unreachable'], alarm(state['unreachable'], 'crit')],
        ['failed', state['failed'], alarm(state['failed'], 'crit')],
        ['malformed facts', state['malformed'], alarm(state['malformed'], 'crit')],
        ['critical', sev['critical'], 'crit'],
        ['warning', sev['warning'], 'warn'],
        ['no facts', state['no_facts'], alarm(state['no_facts'], 'warn')],
        ['stale', summary['stale'], alarm(summary['stale'], 'warn')],
        ['namespaces', summary['non_default_namespaces'], 'info'],
        ['containers', summary['containers'], 'info'],
    ]


def donut(by_severity):
    """Hosts by severity: one circle per slice, drawn with stroke-dasharray."""
    total = sum(by_severity.get(name, 0) for name in SEVERITIES)
    slices = []
    offset = 25.0
    for name in SEVERITIES:
        count = by_severity.get(name, 0)
        if not count:
            continue
        share = 100.0 * count / total
        slices.append({'css': 's-' + name, 'dasharray': '%.3f %.3f' % (share, 100.0 - share),
                       'offset': '%.3f' % offset, 'title': '%s: %d' % (name, count)})
        offset -= share
    return {'radius': DONUT_RADIUS, 'slices': slices, 'total': total,
            'legend': [[name, by_severity.get(name, 0)] for name in SEVERITIES]}


def columns(title, labels, counts, classes, unit='hosts'):
    """A column chart with one column per bucket."""
    width, height, pad = COLUMNS_WIDTH, COLUMNS_HEIGHT, COLUMNS_PAD
    top = float(max(counts) or 1)
    step = (width - 8) / float(len(counts))
    bars = []
    for index, count in enumerate(counts):
        bar_h = (height - 2 * pad) * count / top
        x = 4 + index * step
        bars.append({
            'x': '%.1f' % (x + 2), 'y': '%.1f' % (height - pad - bar_h), 'width': '%.1f' % (step - 4),
            'height': '%.1f' % bar_h, 'css': classes[index], 'title': '%s: %d %s' % (labels[index], count, unit),
            'center': '%.1f' % (x + step / 2), 'label': labels[index],
            'count': count, 'count_y': '%.1f' % (height - pad - bar_h - 3),
        })
    return {'title': title, 'width': width, 'height': height, 'tick_y': height - 4, 'bars': bars}


def hbars(title, items, css='bar-warn'):
    """Horizontal bars for named counts (alerts by subset, hottest commands)."""
    top = float(max([count for _name, count in items] or [1]))
    rows = []
    for index, (name, count) in enumerate(items):
        y = 2 + index * HBAR_ROW
        length = HBAR_LENGTH * count / top
        rows.append({'label': str(name)[:15], 'name': str(name), 'count': count, 'css': css,
                     'text_y': y + 11, 'bar_y': y + 1, 'length': '%.1f' % length, 'count_x': '%.1f' % (100 + length)})
    return {'title': title, 'height': HBAR_ROW * len(items) + 4, 'rows': rows}


def summary_view(summary):
    """Everything the summary panels show."""
    return {
        'tiles': tiles(summary),
        'donut': donut(summary['by_severity']),
        'histograms': [columns(title, labels, summary[key]['counts'], classes)
                       for title, key, labels, classes in HISTOGRAM_CHARTS],
        'alerts_by_subset': hbars('alerts by subset', list(summary['alerts_by_subset'].items())[:8]),
        'top_cpu_commands': hbars('top CPU process, by hosts', summary['top_cpu_commands'], 'bar-info'),
    }
