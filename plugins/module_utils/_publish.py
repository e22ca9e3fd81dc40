# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What hostops.fleet.hostfacts does with the facts it gathered: query, Prometheus file. Private.

``Publisher`` is built before gathering, so that a bad query or prometheus_path fails
before any second is spent sampling.
"""

from __future__ import annotations

import time

from ansible_collections.hostops.fleet.plugins.module_utils import _prometheus
from ansible_collections.hostops.fleet.plugins.module_utils._query import compile_query, search


class Publisher(object):

    def __init__(self, options, check_mode=False):
        self.check_mode = check_mode
        self.output = options.get('output') or 'facts'
        self.prometheus_path = options.get('prometheus_path')
        # Set only when the module runs without its action plugin (short name from a library path).
        query = options.get('query')
        self.compiled = None if query is None else compile_query(query, where='target')
        if self.output == 'prometheus':
            _prometheus.check_path(self.prometheus_path)

    def publish(self, facts):
        """The module result: ansible_facts (or only the query's answer), and the Prometheus file if asked."""
        result = {'changed': False}
        if self.output == 'prometheus':
            text = _prometheus.render(facts, collected_at=time.time())
            result['prometheus_path'] = self.prometheus_path
            # The timestamp sample always differs, so a written file is always a change.
            result['changed'] = True
            if not self.check_mode:
                _prometheus.write(self.prometheus_path, text)
        if self.compiled is not None:
            result['ansible_facts'] = {'hostfacts_query': search(self.compiled, facts)}
        else:
            result['ansible_facts'] = {'hostfacts': facts}
        return result
