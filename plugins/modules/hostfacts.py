#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: hostfacts
short_description: Processes, memory, filesystems, namespaces and I/O hogs from /proc and /sys, with health alerts
version_added: 0.1.0
description:
  - Reports, as structured facts under C(ansible_facts.hostfacts), what C(ps aux), C(top -n 1), C(free), C(df -h),
    C(lsblk -fp), C(findmnt), C(du -sh), C(lsns) and C(iostat -x)/C(iotop)/C(lsof) would show on the host.
  - Reads C(/proc) and C(/sys) directly, needs nothing but Python on the target and runs no subprocess.
  - Never changes anything; O(interval) seconds are spent sampling so that rates (CPU %, disk and process I/O) can be
    computed from two samples.
author:
  - hostops.fleet developers (@hostops)
extends_documentation_fragment:
  - hostops.fleet.attributes
  - hostops.fleet.attributes.INFO_MODULE
  - hostops.fleet.attributes.FACTS
options:
  gather_subset:
    description:
      - Which subsets to collect, the way M(ansible.builtin.setup) selects them.
      - V(all) selects every subset, V(min) selects V(memory) and V(filesystems), and V(!name) excludes a subset.
      - An unknown name fails with the list of valid ones.
    type: list
    elements: str
    default: [all]
  interval:
    description:
      - Seconds between the two samples from which rates are computed (per-process and system CPU %, I/O rates).
      - With V(0), one sample is taken and rate fields are left out, not faked.
    type: float
    default: 1.0
  samples:
    description:
      - How many times processes in state D (uninterruptible sleep) are sampled across O(interval) by the V(io) subset.
    type: int
    default: 5
  top:
    description: Length of each ranked list (top CPU, memory, readers and writers).
    type: int
    default: 10
  process_list:
    description:
      - V(top) returns only the ranked lists, which keeps facts from large fleets small.
      - V(full) also returns every process, like C(ps aux).
    type: str
    choices: [top, full]
    default: top
  cmdline_length:
    description: Process arguments longer than this many characters are truncated in the facts.
    type: int
    default: 256
  include_pseudo:
    description: Also report pseudo filesystems (proc, sysfs, cgroup, tmpfs with no size, ...), which are left out by default.
    type: bool
    default: false
  du_paths:
    description:
      - Absolute paths whose disk usage is summed, like C(du -sb PATH). Each path is bounded by O(timeout).
    type: list
    elements: path
    default: []
  timeout:
    description:
      - Seconds allowed for each C(statvfs) call and each O(du_paths) entry. A mount that does not answer in time
        (a hard NFS mount, say) is reported as C(timed_out) with a warning; the module never hangs on it.
    type: float
    default: 5.0
  open_files:
    description: How many open regular files are listed for each of the top I/O processes (bounded, like C(lsof -p)).
    type: int
    default: 5
  thresholds:
    description: Limits that raise alerts.
    type: dict
    default: {}
    suboptions:
      memory_available_pct:
        description: Memory available below this share of the total raises an alert.
        type: float
        default: 20.0
      filesystem_use_pct:
        description: Filesystem use at or above this percentage raises an alert.
        type: float
        default: 90.0
      inode_use_pct:
        description: Inode use at or above this percentage raises an alert.
        type: float
        default: 90.0
      iowait_pct:
        description: CPU time waiting for I/O at or above this percentage over O(interval) raises an alert.
        type: float
        default: 20.0
      disk_util_pct:
        description: Disk utilisation (%util of C(iostat -x)) at or above this percentage raises an alert.
        type: float
        default: 90.0
  query:
    description:
      - A JMESPath expression evaluated against the facts (the content of C(ansible_facts.hostfacts), so paths start
        with a subset name, for example V(memory.available_pct)).
      - Only its result is returned, under C(ansible_facts.hostfacts_query), instead of C(ansible_facts.hostfacts).
      - Called as M(hostops.fleet.hostfacts), the action plugin evaluates the query on the controller, where
        C(jmespath) is always installed, and checks the expression before the module runs; an invalid expression
        fails with JMESPath's message and the position of the error.
      - Called by a short name from a C(library) path (C(ansible localhost -m hostfacts)), the action plugin is
        bypassed and the query is evaluated on the target, which then needs C(jmespath); without it the module
        fails with a message that names C(jmespath).
    type: str
  output:
    description:
      - V(facts) only returns the facts.
      - V(prometheus) also writes the key figures in the Prometheus text exposition format to O(prometheus_path),
        atomically, for node_exporter's textfile collector. The facts are returned as well. In check mode the
        file is not written.
    type: str
    choices: [facts, prometheus]
    default: facts
  prometheus_path:
    description:
      - The C(.prom) file written when O(output=prometheus), in the directory node_exporter reads with
        C(--collector.textfile.directory) (C(/var/lib/prometheus/node-exporter) on Debian).
      - Required when O(output=prometheus).
    type: path
notes:
  - Run unprivileged, the module returns what it can read and one warning counting what it could not; use
    C(become) for complete facts (other users' C(/proc/PID/io), C(/proc/PID/fd) and namespaces).
seealso:
  - module: ansible.builtin.setup
"""

EXAMPLES = r"""
- name: Gather every subset
  hostops.fleet.hostfacts:

- name: Memory and filesystems only, without sampling
  hostops.fleet.hostfacts:
    gather_subset: min
    interval: 0

- name: Everything but the I/O subset, with a disk usage summary of /var/log
  hostops.fleet.hostfacts:
    gather_subset: ['all', '!io']
    du_paths: [/var/log]

- name: Alert earlier on memory
  hostops.fleet.hostfacts:
    thresholds:
      memory_available_pct: 30

# Ad hoc, across a fleet:
#   ansible all -m hostops.fleet.hostfacts -a 'gather_subset=memory,filesystems interval=0'
"""

RETURN = r"""
ansible_facts:
  description: Facts added to the host.
  returned: always
  type: complex
  contains:
    hostfacts:
      description: Everything collected, one key per selected subset plus C(alerts) and C(warnings).
      returned: always
      type: dict
      contains:
        gather_subset:
          description: The subsets collected, after resolving V(all), V(min) and exclusions.
          type: list
          elements: str
          returned: always
        interval:
          description: The sampling interval used, in seconds.
          type: float
          returned: always
        collected_at:
          description: Local time of collection, ISO 8601.
          type: str
          returned: always
        alerts:
          description: Health alerts an operator can read, most severe first.
          type: list
          elements: dict
          returned: always
          sample: [{severity: warning, subset: memory, message: "memory available 12.0 % of 7.7 GiB is below 20 %"}]
        warnings:
          description: Why facts are partial (permission denied, timed out mounts, vanished processes).
          type: list
          elements: str
          returned: always
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hostops.fleet.plugins.module_utils._collector import HostfactsError
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts import gather
from ansible_collections.hostops.fleet.plugins.module_utils._publish import Publisher

THRESHOLD_SPEC = dict(
    memory_available_pct=dict(type='float', default=20.0),
    filesystem_use_pct=dict(type='float', default=90.0),
    inode_use_pct=dict(type='float', default=90.0),
    iowait_pct=dict(type='float', default=20.0),
    disk_util_pct=dict(type='float', default=90.0),
)

ARGUMENT_SPEC = dict(
    gather_subset=dict(type='list', elements='str', default=['all']),
    interval=dict(type='float', default=1.0),
    samples=dict(type='int', default=5),
    top=dict(type='int', default=10),
    process_list=dict(type='str', choices=['top', 'full'], default='top'),
    cmdline_length=dict(type='int', default=256),
    include_pseudo=dict(type='bool', default=False),
    du_paths=dict(type='list', elements='path', default=[]),
    timeout=dict(type='float', default=5.0),
    open_files=dict(type='int', default=5),
    thresholds=dict(type='dict', default={}, options=THRESHOLD_SPEC, apply_defaults=True),
    query=dict(type='str'),
    output=dict(type='str', choices=['facts', 'prometheus'], default='facts'),
    prometheus_path=dict(type='path'),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True,
                           required_if=[('output', 'prometheus', ['prometheus_path'])])
    try:
        publisher = Publisher(module.params, module.check_mode)
        facts = gather(module.params)
        result = publisher.publish(facts)
    except HostfactsError as exc:
        module.fail_json(msg=str(exc))
    for warning in facts['warnings']:
        module.warn(warning)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
