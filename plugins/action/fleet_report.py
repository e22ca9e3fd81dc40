# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of hostops.fleet.fleet_report: renders the fleet report on the controller.

An action plugin, not a module: the hostvars of thousands of hosts never get serialised into
module arguments and shipped to a Python subprocess. Each host's facts are read one host at a time,
from what the gathering play left in the controller's variable manager (source=play) or from the
configured fact cache (source=cache), reduced to a small record, rendered into its pieces of the
report and dropped (plugin_utils/_fleet_summary.py).
"""

from __future__ import annotations

import bisect
import os
import time
from collections.abc import Mapping

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.plugins.loader import cache_loader

from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_cache import (
    cache_hosts, cache_listing, foreign_warning,
)
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_cache_fast import play_caches
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_files import (
    file_mode, prepare_directory,
)
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import (
    DEFAULT_FAIL_ON, DEFAULT_LIMITS, FAIL_REASONS, FAIL_WORDS, FleetReportError, failure_reason, summarize_host,
    validate_limits,
)
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_render import (
    FORMATS, frozen_heap, parse_columns, report_builder, write_report,
)

ARGUMENT_SPEC = dict(
    dest=dict(type='path'),
    basename=dict(type='str', default='fleet-report'),
    hosts=dict(type='list', elements='str'),
    outcome_var=dict(type='str', default='hostops_fleet_outcome'),
    title=dict(type='str', default='Fleet report'),
    page_size=dict(type='int', default=50),
    formats=dict(type='list', elements='str', choices=list(FORMATS), default=list(FORMATS)),
    limits=dict(type='dict', default={}, options=dict(
        (name, dict(type='float', default=value)) for name, value in DEFAULT_LIMITS.items())),
    mode=dict(type='raw', default='0600'),
    columns=dict(type='list', elements='raw'),
    template_dir=dict(type='path'),
    source=dict(type='str', choices=['play', 'cache'], default='play'),
    cache_hosts=dict(type='str', choices=['inventory', 'cache'], default='inventory'),
    stale_after=dict(type='float', default=86400.0),
    # raw: a list of reasons, never, or either written on the command line (-e fleet_report_fail_on=never).
    fail_on=dict(type='raw', default=list(DEFAULT_FAIL_ON)),
)
# The cache plugin that only lives as long as one run: nothing to read in a run that gathers nothing.
MEMORY_CACHES = ('memory', 'ansible.builtin.memory')
# Host names a failure message lists for each reason; the others are counted.
FAILING_NAMED = 10


def fail_reasons(value):
    """The fail_on option as a tuple of reasons; () for never. FleetReportError names the option and the
    playbooks' variable, since that is where the value usually comes from."""
    names = value.split(',') if isinstance(value, str) else value
    if isinstance(names, (list, tuple)) and all(isinstance(name, str) for name in names):
        names = [name.strip() for name in names if name.strip()]
        if names == ['never'] or not names:
            return ()
        if all(name in FAIL_REASONS for name in names):
            return tuple(dict.fromkeys(names))
    raise FleetReportError('fail_on (fleet_report_fail_on in the playbooks) must be never or a list of %s; got %r'
                           % (', '.join(FAIL_REASONS), value))


class FailingHosts:
    """The hosts that fail the task, by reason: all of them counted, the first FAILING_NAMED of each by name
    kept (hosts arrive in no stable order; a name order makes the same fleet give the same message)."""

    def __init__(self, reasons):
        self.reasons = reasons
        self.named = {reason: [] for reason in reasons}
        self.counts = {reason: 0 for reason in reasons}

    def add(self, record):
        reason = failure_reason(record)
        if reason in self.counts:
            self.counts[reason] += 1
            named = self.named[reason]
            if len(named) < FAILING_NAMED or record['name'] < named[-1]:
                bisect.insort(named, record['name'])
                del named[FAILING_NAMED:]

    def message(self, hosts, where, check_mode):
        """What fails the task: how many hosts of each reason, named, and where the report is."""
        parts = []
        for reason in self.reasons:
            count, named = self.counts[reason], self.named[reason]
            if count:
                more = ' and %d more' % (count - len(named)) if count > len(named) else ''
                parts.append('%d %s (%s%s)' % (count, FAIL_WORDS[reason], ', '.join(named), more))
        if not parts:
            return None
        report = ('check mode: nothing was written; the report would be %s' if check_mode
                  else 'the report is written: %s') % where
        return '%d of %d host(s) fail the report: %s; %s (fail_on: %s)' % (
            sum(self.counts.values()), hosts, '; '.join(parts), report, ', '.join(self.reasons))


def _cached(cache, name):
    try:
        found = cache.get(name)
    except KeyError:  # a cache plugin may raise instead of returning None
        return {}
    return found if isinstance(found, Mapping) else {}


def play_hosts(hostvars, names, outcome_var):
    """(name, hostfacts, outcome) of each host, from what the gathering play left on the controller.

    hostvars[host] is the public way, and it merges every variable source of a host; where the variable
    manager's fact caches are there (_fleet_cache_fast.play_caches), only the two things the report needs
    are read from them.
    """
    caches = play_caches(hostvars)
    for name in names:
        facts = outcome = None
        if caches is not None:
            cached, nonpersistent = _cached(caches[0], name), _cached(caches[1], name)
            facts = cached.get('hostfacts')
            outcome = nonpersistent.get(outcome_var, cached.get(outcome_var))
        if facts is None and outcome is None:
            # Not in the caches (or no caches): the host's merged variables, the slow but general way.
            host_vars = hostvars[name] if hostvars is not None and name in hostvars else None
            if not isinstance(host_vars, Mapping):
                yield name, None, {'state': 'no_facts', 'msg': 'not in the inventory'}
                continue
            facts = (host_vars.get('ansible_facts') or {}).get('hostfacts')
            outcome = host_vars.get(outcome_var)
        yield name, facts, outcome


def configured_cache():
    """An instance of the configured fact cache plugin of our own, to read every host once."""
    if C.CACHE_PLUGIN in MEMORY_CACHES:
        raise FleetReportError(
            'source=cache reads the fact cache, but no fact cache is configured: the cache plugin is %s, which '
            'lives only as long as one run. Set fact_caching (ANSIBLE_CACHE_PLUGIN) to jsonfile or '
            'community.general.redis, with its connection, in the gathering runs and in this one' % C.CACHE_PLUGIN)
    try:
        plugin = cache_loader.get(C.CACHE_PLUGIN)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        raise FleetReportError('the fact cache plugin %s cannot be loaded: %s' % (C.CACHE_PLUGIN, exc))
    if plugin is None:
        raise FleetReportError('the fact cache plugin %s is not installed' % C.CACHE_PLUGIN)
    try:
        if plugin.get_option('_prefix') is None:
            # jsonfile declares _prefix without a default, and BaseFileCacheModule.keys() takes its len():
            # a TypeError when no prefix is set (ansible/ansible#87395). Unset means no prefix.
            plugin.set_option('_prefix', '')
    except (AttributeError, KeyError):
        pass  # a plugin without options, or without that one
    return plugin


def default_dest():
    """fleet-report in the current directory; in the home directory when that is / (cron, systemd units)."""
    try:
        here = os.getcwd()
    except OSError:
        here = '/'
    if here != os.sep:
        return os.path.join(here, 'fleet-report')
    home = os.path.expanduser('~')
    if os.path.isabs(home) and home != os.sep:
        return os.path.join(home, 'fleet-report')
    raise FleetReportError('dest is not set, and neither the current directory nor the home directory is a place '
                           'for the report (both are /): set dest')


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def _options(self, args):
        limits = validate_limits(args['limits'])
        if args['page_size'] < 1:
            raise FleetReportError('page_size must be 1 or more, got %d' % args['page_size'])
        if '/' in args['basename'] or not args['basename']:
            raise FleetReportError('basename must be a file name without a directory, got %r' % args['basename'])
        if args['stale_after'] < 0:
            raise FleetReportError('stale_after must be 0 (never stale) or more seconds, got %g' % args['stale_after'])
        template_dir = args['template_dir']
        if template_dir and not os.path.isdir(template_dir):
            raise FleetReportError('template_dir %s is not a directory' % template_dir)
        table, columns = parse_columns(args['columns'])
        dest = os.path.abspath(args['dest'] or default_dest())
        return dict(limits=limits, mode=file_mode(args['mode']), table=table, columns=columns, dest=dest,
                    fail_on=fail_reasons(args['fail_on']))

    def _hosts(self, args, task_vars):
        """The names to report on and where to read each one: [(name, facts, outcome)] as a generator."""
        plugin = configured_cache() if args['source'] == 'cache' else None
        cached, foreign = cache_listing(plugin, C.CACHE_PLUGIN) if plugin is not None else ([], [])
        if plugin is not None and args['cache_hosts'] == 'cache' and args['hosts'] is None:
            names = cached
            where = 'the fact cache (%s) holds no host' % C.CACHE_PLUGIN
        else:
            names = args['hosts'] if args['hosts'] is not None else list((task_vars.get('groups') or {}).get('all') or [])
            where = ('hosts is an empty list' if args['hosts'] is not None else 'the inventory has no host')
            where += (': give an inventory with -i (the pattern matches no host of this one), or read every host '
                      'of the fact cache with source=cache and cache_hosts=cache')
        names = list(dict.fromkeys(names))
        warning = foreign_warning(foreign, C.CACHE_PLUGIN)
        if not names:
            raise FleetReportError('no host to report on: %s%s' % (where, '; ' + warning if warning else ''))
        if plugin is not None:
            return names, cache_hosts(plugin, C.CACHE_PLUGIN, names, args['outcome_var']), warning
        return names, play_hosts(task_vars.get('hostvars'), names, args['outcome_var']), None

    def _render(self, args, options, names, hosts):
        with frozen_heap():
            return self._render_files(args, options, names, hosts)

    def _render_files(self, args, options, names, hosts):
        builder = report_builder(args['formats'], options['table'], title=args['title'], limits=options['limits'],
                                 columns=[label for label, _query in options['columns']],
                                 stale_after=args['stale_after'])
        now, functions = time.time(), [query for _label, query in options['columns']]
        failing = FailingHosts(options['fail_on'])
        for name, facts, outcome in hosts:
            record = summarize_host(name, facts, outcome, options['limits'], now, args['stale_after'], functions)
            failing.add(record)
            builder.add(record)
        report = builder.finish()
        check_mode = self._task.check_mode
        try:
            files = write_report(report, options['dest'], args['basename'], args['formats'], options['mode'],
                                 args['page_size'], args['template_dir'], check_mode)
            result = dict(files=files, hosts=len(names), by_state=report.summary['by_state'],
                          by_severity=report.summary['by_severity'], stale=report.summary['stale'],
                          ranking=report.ranking(), fail_on=list(options['fail_on']))
        finally:
            report.close()
        where = 'file://%s' % files['html'] if 'html' in files else ' and '.join(files[fmt] for fmt in args['formats'])
        # Only now, with the files in place: a failing fleet is exactly when the report is needed.
        failure = failing.message(len(names), where, check_mode)
        if failure:
            result.update(failed=True, msg=failure)
        else:
            result['msg'] = ('check mode: nothing was written; the report would be %s' if check_mode
                             else 'the report is written: %s') % where
        return result

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        started, cpu = time.monotonic(), time.process_time()
        try:
            options = self._options(args)
            if not args['formats']:
                # Nothing to render: the directory is checked and made (the drift_report playbook does this).
                created = prepare_directory(options['dest'], options['mode'], create=not self._task.check_mode)
                return dict(result, changed=created, dest=options['dest'], files={})
            names, hosts, warning = self._hosts(args, task_vars or {})
            if warning:
                result.setdefault('warnings', []).append(warning)
            prepare_directory(options['dest'], options['mode'], create=not self._task.check_mode)
            result.update(changed=True, dest=options['dest'], source=args['source'])
            result.update(self._render(args, options, names, hosts))
        except FleetReportError as exc:
            raise AnsibleActionFail(str(exc))
        result['render_seconds'] = round(time.monotonic() - started, 3)
        result['render_cpu_seconds'] = round(time.process_time() - cpu, 3)
        return result
