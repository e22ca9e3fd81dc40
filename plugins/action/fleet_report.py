# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of hostops.fleet.fleet_report: renders the fleet report on the controller.

An action plugin, not a module: the hostvars of thousands of hosts never get serialised into
module arguments and shipped to a Python subprocess; each host's facts are read from the
controller's variable manager one host at a time and reduced to a small record.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_files import (
    csv_chunks, json_chunks, write_atomically,
)
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_html import html_chunks
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import (
    DEFAULT_LIMITS, FleetReportError, summarize_host, validate_limits,
)
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_summary import build_report

FORMATS = ('html', 'json', 'csv')

ARGUMENT_SPEC = dict(
    dest=dict(type='path', required=True),
    basename=dict(type='str', default='fleet-report'),
    hosts=dict(type='list', elements='str'),
    outcome_var=dict(type='str', default='hostops_fleet_outcome'),
    title=dict(type='str', default='Fleet report'),
    page_size=dict(type='int', default=50),
    formats=dict(type='list', elements='str', choices=list(FORMATS), default=list(FORMATS)),
    limits=dict(type='dict', default={}, options=dict(
        (name, dict(type='float', default=value)) for name, value in DEFAULT_LIMITS.items())),
)


def fact_caches(hostvars):
    """The variable manager's fact caches behind hostvars, or None where this ansible-core lacks them.

    HostVars.raw_get() merges every variable source for a host (inventory, group_vars, magic variables)
    and costs milliseconds per host: 5,000 hosts took minutes. The report needs only two things the
    gathering play left, the module's facts and the set_fact outcome, which live in these two caches.
    """
    manager = getattr(hostvars, '_variable_manager', None)
    facts = getattr(manager, '_fact_cache', None)
    nonpersistent = getattr(manager, '_nonpersistent_fact_cache', None)
    if isinstance(nonpersistent, Mapping) and hasattr(facts, 'get'):
        return facts, nonpersistent
    return None


def _cached(cache, name):
    try:
        found = cache.get(name)
    except KeyError:  # a cache plugin may raise instead of returning None
        return {}
    return found if isinstance(found, Mapping) else {}


def collect_records(hostvars, names, outcome_var, limits):
    """One small record per host, read one host at a time; the full facts are never copied."""
    caches = fact_caches(hostvars)
    records = []
    for name in dict.fromkeys(names):
        facts = outcome = None
        if caches is not None:
            cached, nonpersistent = _cached(caches[0], name), _cached(caches[1], name)
            facts = cached.get('hostfacts')
            outcome = nonpersistent.get(outcome_var, cached.get(outcome_var))
        if facts is None and outcome is None:
            # Not in the caches (or no caches): ask for the host's merged variables, the slow but general way.
            known = hostvars is not None and (not hasattr(hostvars, '__contains__') or name in hostvars)
            host_vars = hostvars.raw_get(name) if known else None
            if not isinstance(host_vars, Mapping):
                records.append(summarize_host(name, None, {'state': 'no_facts', 'msg': 'not in the inventory'},
                                              limits))
                continue
            facts = (host_vars.get('ansible_facts') or {}).get('hostfacts')
            outcome = host_vars.get(outcome_var)
        records.append(summarize_host(name, facts, outcome, limits))
    return records


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        task_vars = task_vars or {}
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        try:
            limits = validate_limits(args['limits'])
            if args['page_size'] < 1:
                raise FleetReportError('page_size must be 1 or more, got %d' % args['page_size'])
        except FleetReportError as exc:
            raise AnsibleActionFail(str(exc))
        if '/' in args['basename'] or not args['basename']:
            raise AnsibleActionFail('basename must be a file name without a directory, got %r' % args['basename'])
        dest = args['dest']
        if not self._task.check_mode:
            try:
                os.makedirs(dest, exist_ok=True)
            except OSError as exc:
                raise AnsibleActionFail('dest %s cannot be created as a directory: %s' % (dest, exc.strerror))

        names = args['hosts']
        if names is None:
            names = list((task_vars.get('groups') or {}).get('all') or [])
        started = time.monotonic()
        records = collect_records(task_vars.get('hostvars'), names, args['outcome_var'], limits)
        report = build_report(records, title=args['title'], limits=limits)

        writers = {'html': lambda: html_chunks(report, args['page_size']),
                   'json': lambda: json_chunks(report), 'csv': lambda: csv_chunks(report)}
        files = {}
        for fmt in args['formats']:
            path = os.path.join(dest, '%s.%s' % (args['basename'], fmt))
            files[fmt] = path
            if not self._task.check_mode:
                write_atomically(path, writers[fmt]())

        summary = report['summary']
        result.update(
            changed=True,
            files=files,
            hosts=summary['hosts'],
            by_state=summary['by_state'],
            by_severity=summary['by_severity'],
            ranking=[{'host': r['name'], 'severity': r['severity'], 'state': r['state'],
                      'alerts': [a['message'] for a in r['alerts'] if a['severity'] != 'info']}
                     for r in report['hosts'][:20]],
            render_seconds=round(time.monotonic() - started, 3),
        )
        return result
