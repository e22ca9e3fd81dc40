# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin in front of hostops.fleet.hostfacts: evaluates O(query) on the controller.

ansible-core picks an action plugin named like the module (TaskExecutor._get_action_handler_with_module_context
looks the action name up in the action loader before falling back to ``normal``). For the full name
that is this plugin of the collection. A short name resolves as ``ansible.legacy.hostfacts`` in the
configured ``library`` and ``action_plugins`` directories: the repository's ansible.cfg lists this
directory as ``action_plugins`` beside ``library``, so the short name comes through this same plugin,
and the module never sees a query (it refuses one that reaches it).
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.hostops.fleet.plugins.plugin_utils._query import QueryError, compile_query, search


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        module_args = dict(self._task.args)
        query = module_args.pop('query', None)
        compiled = None
        if query is not None:
            # Before the module runs, so a typo costs no round trip to any host.
            try:
                compiled = compile_query(query)
            except QueryError as exc:
                result.update(failed=True, msg=str(exc))
                return result

        result.update(self._execute_module(module_args=module_args, task_vars=task_vars))
        if compiled is None or result.get('failed'):
            return result

        facts = (result.get('ansible_facts') or {}).get('hostfacts')
        if facts is None:
            result.update(failed=True, msg='query: the module returned no ansible_facts.hostfacts to query')
            return result
        try:
            value = search(compiled, facts)
        except QueryError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        # Only the answer: facts from a fleet stay as small as the question.
        result['ansible_facts'] = {'hostfacts_query': value}
        return result
