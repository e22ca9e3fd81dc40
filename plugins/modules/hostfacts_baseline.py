#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: hostfacts_baseline
short_description: Record a baseline of a host's namespaces, long-running commands, mounts and sockets, and report drift
version_added: 0.1.0
description:
  - Records the stable parts of the facts of M(hostops.fleet.hostfacts) to a JSON file on the host, and on later runs
    reports what appeared or vanished since.
  - The stable parts are every non-default namespace by type and inode with its owner (host, docker, containerd,
    podman, ... or unknown), the long-running commands, every mount of C(/proc/self/mountinfo), and the listening
    TCP and bound UDP sockets of C(/proc/net/tcp), C(tcp6), C(udp) and C(udp6).
  - A new network namespace with no process in it and no name under C(/run/netns) is called out first, with its
    inode; no usual tool (C(ip netns), C(ps)) shows what runs in it.
  - C(changed) is true when the baseline file is (or, in check mode, would be) created, updated or removed, and when
    the host has drifted from its baseline; hosts with drift therefore show as changed in the play recap. In diff
    mode (C(--diff)), the diff shows the drift.
  - To keep a copy on the controller, fetch O(path) with M(ansible.builtin.fetch) (see C(playbooks/drift_report.yml)).
author: hostops.fleet developers (@hostops)
extends_documentation_fragment:
  - hostops.fleet.attributes
  - hostops.fleet.attributes.PLATFORM_LINUX
attributes:
  check_mode:
    support: full
    details:
      - Drift is computed; the baseline file is not created, updated or removed.
  diff_mode:
    support: full
    details:
      - The diff compares the baseline (one line per namespace, command, mount and socket) with the host now.
  idempotent:
    support: partial
    details:
      - Recording and removing are idempotent. A host that drifted reports C(changed) on every run until the
        drift is accepted with O(update=true) or reverted.
options:
  path:
    description:
      - The baseline file on the host. Missing parent directories are created with mode C(0700); the file is
        written atomically with mode C(0600).
    type: path
    default: /var/lib/hostops/baseline.json
  state:
    description:
      - V(present) records the baseline when O(path) does not exist, and otherwise compares the host with it.
      - V(absent) removes the baseline.
    type: str
    choices: [present, absent]
    default: present
  update:
    description:
      - Accept the drift found, by rewriting the baseline with the current state after reporting the drift.
    type: bool
    default: false
  sections:
    description:
      - What the baseline covers.
      - Sections missing from an existing baseline are warned about and left out of the comparison.
    type: list
    elements: str
    choices: [namespaces, processes, mounts, listening]
    default: [namespaces, processes, mounts, listening]
  min_process_age:
    description:
      - Seconds a process must have been running to count as a long-running command.
      - A long-running command of the baseline is reported as vanished only when no process runs it any more,
        so a restarted daemon is not drift.
    type: float
    default: 3600.0
  timeout:
    description:
      - Seconds the gathering waits, in all, for filesystems that do not answer, as the
        O(hostops.fleet.hostfacts#module:timeout) option of M(hostops.fleet.hostfacts) - more than V(0) and at most
        V(600).
    type: float
    default: 5.0
notes:
  - Namespaces and mounts are those visible from the module's mount and network namespace; run it with C(become)
    for complete facts. Listening sockets are those of the module's network namespace.
  - Container namespaces get new inodes when a container restarts, which shows as one vanished and one new namespace
    with the same owner.
seealso:
  - module: hostops.fleet.hostfacts
"""

EXAMPLES = r"""
- name: Record the baseline on the first run, report drift on later runs
  hostops.fleet.hostfacts_baseline:
  register: baseline

- name: Fail on a hidden network namespace
  ansible.builtin.assert:
    that: baseline.drift.namespaces.new | selectattr('hidden') | list | length == 0
    fail_msg: "{{ baseline.findings | first }}"

- name: Accept the current state as the new baseline, namespaces and mounts only
  hostops.fleet.hostfacts_baseline:
    sections: [namespaces, mounts]
    update: true

- name: Forget the baseline
  hostops.fleet.hostfacts_baseline:
    state: absent
"""

RETURN = r"""
path:
  description: The baseline file.
  returned: always
  type: str
  sample: /var/lib/hostops/baseline.json
baseline_action:
  description:
    - What happened to the baseline file. V(recorded) (there was none), V(compared), V(updated) (drift accepted with
      O(update=true)), V(removed) or V(absent) (there was none to remove). In check mode, what would have happened.
  returned: always
  type: str
  sample: compared
recorded_at:
  description: When the baseline compared against (or just recorded) was taken, ISO 8601.
  returned: when state=present
  type: str
  sample: "2026-11-28T23:57:55+0000"
drift:
  description:
    - By section, the items that are V(new) since the baseline and those that V(vanished); empty when the baseline
      was just recorded.
    - Namespace items have C(key) (C(type:[inode])), C(type), C(inode), C(owner), C(user), C(command), C(processes),
      C(pinned_by), C(named) and C(hidden) (a network namespace with no process and no name).
  returned: always
  type: dict
  sample:
    namespaces:
      new:
        - {key: "net:[4026532401]", type: net, inode: 4026532401, owner: unknown, user: null, command: null,
           processes: 0, pinned_by: [bind_mount /srv/.cache/ns], named: false, hidden: true}
      vanished: []
    processes: {new: [], vanished: []}
    mounts: {new: [], vanished: []}
    listening: {new: [], vanished: []}
drift_count:
  description: How many items are new or vanished, over all sections.
  returned: always
  type: int
  sample: 1
findings:
  description: The drift as sentences, hidden network namespaces first.
  returned: always
  type: list
  elements: str
  sample:
    - "new network namespace net:[4026532401] has no process and no name under /run/netns: a hidden guest can live
      there (pinned by bind_mount /srv/.cache/ns)"
hidden_network_namespaces:
  description: Every network namespace with no process and no name on the host now, whether new or not.
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hostops.fleet.plugins.module_utils._errors import FleetError
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.baseline import SECTIONS, BaselineManager
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.options import option_spec

ARGUMENT_SPEC = dict(
    path=dict(type='path', default='/var/lib/hostops/baseline.json'),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    update=dict(type='bool', default=False),
    sections=dict(type='list', elements='str', choices=list(SECTIONS), default=list(SECTIONS)),
    min_process_age=dict(type='float', default=3600.0),
    # The same option as hostfacts' timeout: its type, default and bounds come from the hostfacts table.
    timeout=option_spec('timeout'),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = BaselineManager(module.params, check_mode=module.check_mode).run()
    except FleetError as exc:
        module.fail_json(msg=str(exc))
    for warning in result.pop('warnings'):
        module.warn(warning)
    if not module._diff:
        result.pop('diff', None)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
