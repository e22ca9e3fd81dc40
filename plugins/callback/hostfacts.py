# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: hostfacts
type: stdout
short_description: Show hostfacts results as ps aux, free -h, df -h, iostat and lsns style tables
version_added: 0.1.0
description:
  - A stdout callback that prints the result of M(hostops.fleet.hostfacts) on each host as compact tables, the way
    C(ps aux), C(free -h), C(df -h), C(iostat -x) and C(lsns) would show them, with the alerts first.
  - The status line (V(ok) or V(changed)), the task banner and the warnings are the C(default) callback's own.
    With O(hostops.fleet.hostfacts#module:query), the answer is printed instead of the tables.
  - Every other result (other modules, failures, unreachable hosts, the play recap) is shown as the C(default)
    callback shows it; in an ad hoc run (C(ansible)), the result of another module is shown whole even without
    C(-v), as C(ansible) shows it without this callback (C(ansible all -m command -a uptime) prints the output).
  - Text that comes from a host (command lines, mount points, alert messages) is printed with every control
    character escaped (V(\\x1b) for ESC, V(\\x0a) for a newline, V(\\u202e) for a bidi override), so that a host
    cannot add lines of its own or send commands to the terminal.
  - For ad hoc commands, set E(ANSIBLE_LOAD_CALLBACK_PLUGINS=1) (C(bin_ansible_callbacks) in C(ansible.cfg)) as
    well, since C(ansible) otherwise always uses the C(minimal) callback. The collection's repository sets both.
author: hostops.fleet developers (@hostops)
extends_documentation_fragment:
  - default_callback
  - result_format_callback
requirements:
  - set as stdout callback in configuration
options:
  sections:
    description:
      - Which tables to print, in this order.
      - V(warnings) repeats the module's warnings, which Ansible already prints once.
    type: list
    elements: str
    default: [alerts, summary, memory, filesystems, processes, io, namespaces, containers]
    choices: [alerts, summary, memory, filesystems, processes, io, namespaces, containers, warnings]
    env:
      - name: HOSTOPS_HOSTFACTS_SECTIONS
    ini:
      - section: callback_hostfacts
        key: sections
  rows:
    description: At most this many rows in each process, namespace and container table.
    type: int
    default: 10
    env:
      - name: HOSTOPS_HOSTFACTS_ROWS
    ini:
      - section: callback_hostfacts
        key: rows
notes:
  - 'Ad hoc: C(ANSIBLE_LOAD_CALLBACK_PLUGINS=1 ANSIBLE_STDOUT_CALLBACK=hostops.fleet.hostfacts ansible all -m hostops.fleet.hostfacts).'
  - 'In a playbook run: C(ANSIBLE_STDOUT_CALLBACK=hostops.fleet.hostfacts ansible-playbook site.yml), or
    C(stdout_callback = hostops.fleet.hostfacts) in C(ansible.cfg).'
"""

from ansible import context
from ansible.plugins.callback.default import CallbackModule as DefaultCallback

from ansible_collections.hostops.fleet.plugins.plugin_utils._hostfacts_tables import (
    RENDERERS, render_hostfacts, render_query,
)

HOSTFACTS_ACTIONS = ('hostops.fleet.hostfacts', 'hostfacts', 'ansible.legacy.hostfacts')


def _result_of(result):
    """The result dictionary: ``result`` from ansible-core 2.19, ``_result`` before (the only name 2.16 has)."""
    data = getattr(result, 'result', None)
    return result._result if data is None else data


def _is_adhoc():
    """True in an ad hoc run: ``ansible`` is the command whose arguments name a module (-m)."""
    return bool(context.CLIARGS.get('module_name'))


def _task_of(result):
    task = getattr(result, 'task', None)
    return result._task if task is None else task


class CallbackModule(DefaultCallback):
    """The default callback, then the tables (or the query's answer) of each hostfacts result.

    The status line, banners, warnings and verbose output are the default callback's, through its public
    v2_runner_on_ok: no private method of a particular ansible-core release is called, so the same code
    works from 2.16 (``result._result``, ``_handle_warnings``) to 2.19 and later (``result.result``,
    ``_handle_warnings_and_exception``).
    """

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'hostops.fleet.hostfacts'

    def v2_runner_on_ok(self, result):
        # Read before the default callback runs: its _clean_results trims the result in place.
        text = self._hostfacts_text(result)
        if text is None and _is_adhoc():
            # The default callback shows a result's data only with -v; ad hoc, the data is what was asked
            # for (the minimal callback that `ansible` uses otherwise shows it). The flag is the one modules
            # set to be shown whole (CallbackBase._run_is_verbose reads it).
            _result_of(result)['_ansible_verbose_always'] = True
        super(CallbackModule, self).v2_runner_on_ok(result)
        if text is not None:
            self._display.display(text)

    def _hostfacts_text(self, result):
        task = _task_of(result)
        data = _result_of(result)
        facts = data.get('ansible_facts') if hasattr(data, 'get') else None
        if task.action not in HOSTFACTS_ACTIONS or task.loop or not hasattr(facts, 'get'):
            return None
        if not data.get('changed') and not self.get_option('display_ok_hosts'):
            return None
        host = self.host_label(result)
        if 'hostfacts_query' in facts:
            return render_query(host, task.args.get('query'), facts.get('hostfacts_query'))
        if not hasattr(facts.get('hostfacts'), 'get'):
            return None
        sections = [s for s in self.get_option('sections') if s in RENDERERS]
        return render_hostfacts(host, facts['hostfacts'], sections, self.get_option('rows'))
