# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: hosts_where
short_description: Names of the hosts whose hostfacts match a JMESPath expression
version_added: 0.1.0
description:
  - Evaluates a JMESPath expression against the facts of M(hostops.fleet.hostfacts) of every host in O(_input)
    (usually C(hostvars)) and returns the names of the hosts for which the result is a match.
  - A result is a match unless it is V(false), V(null), an empty list, an empty object or an empty string, the
    truthiness of JMESPath; V(0) is a match.
  - Hosts without the facts (never gathered, unreachable) are left out, never matched.
  - A path of the expression that none of the hosts has (a mistyped name such as C(memroy.available_pct), or a
    subset that was not gathered) gives one warning per expression that names it, as the O(query) option of
    M(hostops.fleet.hostfacts) does for one host; so does a list of hosts none of which has the facts. A path
    that only meets a null or an empty list on the way is not reported.
  - Runs on the controller; needs the C(jmespath) Python library there.
author: hostops.fleet developers (@hostops)
positional: expression
options:
  _input:
    description:
      - C(hostvars), or any mapping of host name to host variables.
    type: dict
    required: true
  expression:
    description:
      - A JMESPath expression. Its paths start from O(root) of each host (by default the content of
        C(ansible_facts.hostfacts), so for example V(memory.available_pct)).
      - An invalid expression fails with JMESPath's message and the position of the error.
    type: str
    required: true
  hosts:
    description:
      - Only look at these hosts (for example C(ansible_play_hosts)); by default every host of O(_input).
    type: list
    elements: str
  root:
    description:
      - What the expression is evaluated against for each host.
      - V(hostfacts) is C(ansible_facts.hostfacts); V(hostvars) is the whole set of host variables.
    type: str
    choices: [hostfacts, hostvars]
    default: hostfacts
"""

EXAMPLES = r"""
# Every example assumes hostops.fleet.hostfacts ran on the hosts first.

- name: Hosts with less than 20 % of memory available
  ansible.builtin.debug:
    msg: "{{ hostvars | hostops.fleet.hosts_where('memory.available_pct < `20`', hosts=ansible_play_hosts) }}"

- name: Hosts with a process in state D (uninterruptible sleep, usually stuck on I/O)
  ansible.builtin.debug:
    msg: "{{ hostvars | hostops.fleet.hosts_where('processes.tasks.uninterruptible > `0` || length(io.d_state || `[]`) > `0`') }}"

- name: Hosts with network namespaces other than the default one
  ansible.builtin.debug:
    msg: "{{ hostvars | hostops.fleet.hosts_where(\"namespaces.namespaces[?type == 'net' && !default]\") }}"

- name: Hosts whose hostname starts with web, from the whole set of host variables
  ansible.builtin.debug:
    msg: "{{ hostvars | hostops.fleet.hosts_where(\"starts_with(inventory_hostname, 'web')\", root='hostvars') }}"
"""

RETURN = r"""
_value:
  description: The matching host names, in the order of O(hosts) or of O(_input).
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.hostops.fleet.plugins.plugin_utils._query import (
    PathCheck, QueryError, compile_query, is_match, search,
)


def _host_data(host_vars, root):
    """The data the expression sees for one host, or None when the host has no hostfacts."""
    if root == 'hostvars':
        return dict(host_vars)
    facts = host_vars.get('ansible_facts') or {}
    return facts.get('hostfacts')


def hosts_where(hostvars, expression, hosts=None, root='hostfacts'):
    """The names of the hosts in ``hostvars`` whose data matches ``expression``."""
    if root not in ('hostfacts', 'hostvars'):
        raise AnsibleFilterError("hosts_where: root must be 'hostfacts' or 'hostvars', got %r" % (root,))
    if not hasattr(hostvars, 'keys') or not hasattr(hostvars, '__getitem__'):
        raise AnsibleFilterError('hosts_where: the input must be hostvars (a mapping of host name to variables), '
                                 'got %s' % type(hostvars).__name__)
    try:
        compiled = compile_query(expression, option='hosts_where expression')
    except QueryError as exc:
        raise AnsibleFilterError(str(exc))
    names = list(hostvars.keys()) if hosts is None else list(hosts)
    matched, paths = [], PathCheck(compiled)
    for name in names:
        if name not in hostvars:
            continue
        data = _host_data(hostvars[name], root)
        if data is None:
            continue
        paths.add(data)
        try:
            result = search(compiled, data, option='hosts_where expression')
        except QueryError as exc:
            raise AnsibleFilterError('%s (host %s)' % (exc, name))
        if is_match(result):
            matched.append(name)
    _warn_unanswerable(expression, root, names, paths)
    return matched


def _warn_unanswerable(expression, root, names, paths):
    """Say why the answer may be [] for a reason other than the hosts: a path no host has, or no facts at all.

    The text depends on the expression alone, so that Display, which shows a warning text once, shows it
    once per expression however many tasks ask it.
    """
    where = 'ansible_facts.hostfacts' if root == 'hostfacts' else 'the host variables'
    if names and not paths.documents and root == 'hostfacts':
        Display().warning('hosts_where %r: none of the hosts has %s, so none matches: run hostops.fleet.hostfacts on '
                          'them first' % (expression, where))
        return
    missing = paths.missing()
    if missing:
        Display().warning('hosts_where %r reads %s, which no host has in %s: the expression sees null there; check '
                          'the name, or add the subset to gather_subset' % (expression, ', '.join(missing), where))


class FilterModule(object):

    def filters(self):
        return {'hosts_where': hosts_where}
