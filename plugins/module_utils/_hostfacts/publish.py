# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What hostops.fleet.hostfacts does with its parameters: validate, gather, publish. Private.

The options are validated and prometheus_path is checked before gathering, so that a bad
value fails before any second is spent sampling. The query option never gets here: the
action plugin evaluates it on the controller (options.QUERY_ON_CONTROLLER says so if it does).
"""

from __future__ import annotations

import time

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.options import HostfactsOptions


def run_hostfacts(params, check_mode=False):
    """(module result, warnings) for the module's params; FleetError on bad input."""
    options = HostfactsOptions.from_params(params)
    if options.output == 'prometheus':
        _prometheus().check_path(options.prometheus_path)
    facts = gather(options)
    return publish(facts, options, check_mode), facts['warnings']


def _prometheus():
    """The Prometheus writer, imported only when output=prometheus (the module compiles what it imports)."""
    from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts import prometheus
    return prometheus


def publish(facts, options, check_mode=False):
    """The module result: ansible_facts.hostfacts, and the Prometheus file when output=prometheus."""
    result = {'changed': False, 'ansible_facts': {'hostfacts': facts}}
    if options.output == 'prometheus':
        prometheus = _prometheus()
        text = prometheus.render(facts, collected_at=time.time())
        result['prometheus_path'] = options.prometheus_path
        # The timestamp sample always differs, so a written file is always a change.
        result['changed'] = True
        if not check_mode:
            prometheus.write(options.prometheus_path, text)
    return result
