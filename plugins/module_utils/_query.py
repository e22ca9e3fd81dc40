# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The target side of the query option: the module refuses a query that reaches it. Private.

Queries are evaluated on the controller (plugins/plugin_utils/_query.py), by the action plugin that
both the full name and the repository's short name go through. A query reaches the module only when
a task bypasses that plugin, for example a short name resolved from a library path alone.
"""

from __future__ import annotations

from ansible_collections.hostops.fleet.plugins.module_utils._collector import HostfactsError

QUERY_REACHED_THE_MODULE = ('%s is evaluated on the controller by the action plugin of hostops.fleet.hostfacts, '
                            'but this task reached the module without it: call the module as '
                            'hostops.fleet.hostfacts (a short name must resolve to the collection\'s action '
                            'plugin as well, not only to its module)')


class QueryError(HostfactsError):
    """A query reached the module on the target."""


def compile_query(expression, option='query', where='target'):
    """Refuse: the module never evaluates a query itself."""
    raise QueryError(QUERY_REACHED_THE_MODULE % option)


def search(compiled, data, option='query'):
    """Refuse, as compile_query does."""
    raise QueryError(QUERY_REACHED_THE_MODULE % option)
