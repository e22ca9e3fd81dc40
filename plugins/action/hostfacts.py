# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin in front of hostops.fleet.hostfacts: evaluates O(query) on the controller.

ansible-core picks an action plugin named like the module (TaskExecutor._get_action_handler_with_module_context
looks the action name up in the action loader before falling back to ``normal``). For the full name
that is this plugin of the collection, the one way to call the module (the repository's ansible.cfg
sets no ``library`` or ``action_plugins``), so the module never sees a query (it refuses one that
reaches it, for example from a short name on a library path with no action plugin).

What the host sends back is untrusted: its warnings and failure message reach the operator's terminal
through every callback, so their control characters are escaped here, once, for all of them.
"""

from __future__ import annotations

import shlex

from ansible.plugins.action import ActionBase
from ansible.release import __version__ as ansible_version

from ansible_collections.hostops.fleet.plugins.plugin_utils._format import printable
from ansible_collections.hostops.fleet.plugins.plugin_utils._query import (
    QueryError, compile_query, missing_paths, search,
)
from ansible_collections.hostops.fleet.plugins.plugin_utils._target_python import (
    VERSION_PROBE, could_not_compile, too_old_message, version_in,
)

ASYNC_QUERY = ('query cannot be combined with async: with async, Ansible takes the result from async_status '
               'once the module has finished, so the expression would never be evaluated. Gather without query '
               'and select from the registered facts (the hostops.fleet.hosts_where filter, for example)')


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = True
    # The module runs under async_wrapper like any other (ansible.builtin.normal does the same).
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        module_args = dict(self._task.args)
        try:
            # Before the module runs, so a typo costs no round trip to any host.
            compiled = self._compile(module_args.pop('query', None))
        except QueryError as exc:
            result.update(failed=True, msg=str(exc))
            return result

        wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
        result.update(self._execute_module(module_args=module_args, task_vars=task_vars, wrap_async=wrap_async))
        _escape_host_text(result)
        if result.get('failed'):
            self._explain_old_python(result)
            return result
        return result if compiled is None else self._answer(result, compiled)

    def _compile(self, query):
        if query is None:
            return None
        if self._task.async_val:
            raise QueryError(ASYNC_QUERY)
        return compile_query(query)

    def _answer(self, result, compiled):
        facts = (result.get('ansible_facts') or {}).get('hostfacts')
        if facts is None:
            result.update(failed=True, msg='query: the module returned no ansible_facts.hostfacts to query')
            return result
        missing = missing_paths(compiled, [facts])
        if missing:
            result.setdefault('warnings', []).append(
                'query reads %s, not in the facts of this host (gather_subset: %s): the expression sees null there; '
                'add the subset to gather_subset, or check the name' % (
                    ', '.join(missing), ','.join(printable(s) for s in facts.get('gather_subset') or []) or 'none'))
        try:
            value = search(compiled, facts)
        except QueryError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        # Only the answer: facts from a fleet stay as small as the question.
        result['ansible_facts'] = {'hostfacts_query': value}
        return result

    def _explain_old_python(self, result):
        """Replace ansible-core's MODULE FAILURE / No start of json char found by what the user must change."""
        syntax_error = could_not_compile(result)
        if syntax_error is None:
            return
        version = self._target_python_version() or version_in(result.get('module_stderr'))
        result['msg'] = too_old_message('hostops.fleet.hostfacts', syntax_error, version, ansible_version)
        # 2.19 and later print the exception (the deserialization error) instead of msg when there is one.
        result.pop('exception', None)

    def _target_python_version(self):
        """(major, minor) of the interpreter the module was started with, asked once more; None if unknown."""
        interpreter = (getattr(self, '_used_interpreter', None) or '').lstrip('#!').strip()
        if not interpreter:
            return None
        probe = self._low_level_execute_command('%s -c %s' % (interpreter, shlex.quote(VERSION_PROBE)))
        return version_in('Python %s' % probe.get('stdout', '')) if probe.get('rc') == 0 else None


def _escape_host_text(result):
    """Escape control characters in the host's warnings and in the failure message the module sent."""
    warnings = result.get('warnings')
    if isinstance(warnings, list):
        # From 2.19 a warning may arrive as a summary object; its text is event.msg.
        result['warnings'] = [printable(getattr(getattr(w, 'event', None), 'msg', w)) for w in warnings]
    if isinstance(result.get('msg'), str) and 'module_stderr' not in result:
        result['msg'] = printable(result['msg'])
