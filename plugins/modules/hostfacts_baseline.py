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
  - Drift is reported in RV(drift) and RV(drift_count), never in C(changed). C(changed) is true only when the
    baseline file is (or, in check mode, would be) created, updated or removed; in diff mode (C(--diff)) the diff
    shows that change of the file. A host that drifted is C(ok) in the play recap until the drift is accepted with
    O(update=true), which rewrites the file and is C(changed).
  - Namespaces younger than O(min_namespace_age) are left out of the baseline and of the comparison, so that the
    short-lived namespaces of builds, C(docker run --rm) and sandboxed units are not drift.
  - To keep a copy on the controller, fetch O(path) with M(ansible.builtin.fetch) (see C(playbooks/drift_report.yml)).
author: hostops.fleet developers (@hostops)
extends_documentation_fragment:
  - hostops.fleet.attributes
  - hostops.fleet.attributes.PLATFORM_LINUX
attributes:
  check_mode:
    support: full
    details:
      - Drift is computed and C(changed) says whether the baseline file would be created, updated or removed;
        the file is not touched.
  diff_mode:
    support: full
    details:
      - When the baseline file is (or would be) created, updated or removed, the diff shows its content before
        and after, one line per namespace, command, mount and socket. Comparing alone changes nothing and shows
        no diff.
  idempotent:
    support: full
    details:
      - Recording, comparing and removing change nothing on a second run. With O(update=true), a run that
        accepted the drift rewrites the baseline, and the next run finds no drift to accept.
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
  min_namespace_age:
    description:
      - Seconds a non-default namespace must have existed to be part of the baseline and of the comparison, from
        V(0) (every namespace) to V(86400). Younger ones are listed in RV(young_namespaces) and are not drift.
      - The age of a namespace is that of its lowest-numbered process (else of the process holding it by an open
        descriptor), from the process's start time. A namespace pinned only by a bind mount has no process, so
        no age, and is always compared.
      - The default of one minute leaves out the namespaces of builds, C(docker run --rm) and one-shot sandboxed
        units; a namespace that stays is reported by the first run after it is a minute old.
    type: float
    default: 60.0
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
    that: baseline.drift.namespaces.new | default([]) | selectattr('hidden') | list | length == 0
    fail_msg: "{{ baseline.findings | first }}"

- name: Fail when the host drifted (changed only says that the baseline file was written)
  ansible.builtin.assert:
    that: baseline.drift_count == 0
    fail_msg: "{{ baseline.findings | join('; ') }}"

- name: Ignore namespaces younger than five minutes (a CI runner's containers)
  hostops.fleet.hostfacts_baseline:
    min_namespace_age: 300

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
uid:
  description:
    - The baseline file's owner uid. This and the file's C(gid), C(owner), C(group), C(mode), C(size) and C(state)
      are added by ansible-core to every result that has a RV(path) which exists.
  returned: when the baseline file exists after the run (not in check mode before it is recorded)
  type: int
  sample: 0
gid:
  description: The baseline file's group id (see RV(uid)).
  sample: 0
  returned: when the baseline file exists after the run (not in check mode before it is recorded)
  type: int
owner:
  description: The baseline file's owner name (see RV(uid)).
  type: str
  sample: root
  returned: when the baseline file exists after the run (not in check mode before it is recorded)
group:
  description: The baseline file's group name (see RV(uid)).
  type: str
  sample: root
  returned: when the baseline file exists after the run (not in check mode before it is recorded)
mode:
  description: The baseline file's mode, in octal (see RV(uid)).
  type: str
  sample: "0600"
  returned: when the baseline file exists after the run (not in check mode before it is recorded)
size:
  description: The baseline file's size in bytes (see RV(uid)).
  sample: 13613
  returned: when the baseline file exists after the run (not in check mode before it is recorded)
  type: int
state:
  description: V(file) (see RV(uid)).
  type: str
  sample: file
  returned: when the baseline file exists after the run (not in check mode before it is recorded)
baseline_action:
  description:
    - What happened to the baseline file. V(recorded) (there was none), V(compared), V(updated) (drift accepted with
      O(update=true)), V(removed) or V(absent) (there was none to remove). In check mode, what would have happened.
    - C(changed) is true for V(recorded), V(updated) and V(removed), and only for them.
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
      was just recorded or removed. Only the sections both the baseline and O(sections) hold are there.
    - The host has drifted when RV(drift_count) is more than V(0); C(changed) does not say it.
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
  contains:
    namespaces:
      description: Namespaces that appeared or vanished.
      returned: when namespaces is in sections and in the baseline
      type: dict
      contains:
        new:
          description: Namespaces there now that the baseline does not hold.
          returned: always
          type: list
          elements: dict
          contains: &namespace_item
            key:
              description: What makes the namespace the same one, C(type:[inode]).
              returned: always
              type: str
              sample: "net:[4026532401]"
            type:
              description: The namespace type, as C(lsns) shows it.
              returned: always
              type: str
              sample: net
            inode:
              description: The inode of the namespace.
              returned: always
              type: int
              sample: 4026532401
            owner:
              description:
                - What owns the namespace - V(host), V(docker), V(containerd), V(crio), V(podman), V(sandbox),
                  V(kernel), V(systemd) or V(unknown), followed by the container id (12 characters) or the name when
                  known.
              returned: always
              type: str
              sample: docker 3f4e5d6c7b8a
            user:
              description: The effective user of the namespace's lowest-numbered process; null without a process.
              returned: always
              type: str
              sample: root
            command:
              description: The command line of that process; null without a process.
              returned: always
              type: str
              sample: nginx -g daemon off;
            processes:
              description: How many processes are in the namespace.
              returned: always
              type: int
              sample: 3
            pinned_by:
              description:
                - What keeps the namespace alive besides its processes, one C(KIND PATH) string each - V(netns_name)
                  (a name under C(/run/netns)), V(bind_mount) or V(fd) (an open descriptor, C(/proc/PID/fd/N)).
              returned: always
              type: list
              elements: str
              sample: [bind_mount /srv/.cache/ns]
            named:
              description: Whether the namespace has a name under C(/run/netns) (C(ip netns list) shows it).
              returned: always
              type: bool
              sample: false
            hidden:
              description: A network namespace with no process and no name - no usual tool shows what runs in it.
              returned: always
              type: bool
              sample: true
        vanished:
          description: Namespaces of the baseline that are not there now (as the baseline recorded them).
          returned: always
          type: list
          elements: dict
          contains: *namespace_item
    processes:
      description: Long-running commands that appeared, and those that no process runs any more.
      returned: when processes is in sections and in the baseline
      type: dict
      contains:
        new:
          description: Commands running for O(min_process_age) seconds or more that the baseline does not hold.
          returned: always
          type: list
          elements: dict
          contains: &process_item
            key:
              description: "What makes the command the same one, C(USER: ARGS)."
              returned: always
              type: str
              sample: "www-data: php-fpm: pool www"
            user:
              description: The effective user, as C(ps) shows it.
              returned: always
              type: str
              sample: www-data
            command:
              description: The command line (C(ps -o args)), cut to 256 characters.
              returned: always
              type: str
              sample: "php-fpm: pool www"
            count:
              description: How many processes ran the command for O(min_process_age) seconds or more.
              returned: always
              type: int
              sample: 2
            pid:
              description: The lowest pid of those processes.
              returned: always
              type: int
              sample: 812
            start_time:
              description: When that process started, ISO 8601.
              returned: always
              type: str
              sample: "2026-11-28T08:02:19+0000"
        vanished:
          description: Long-running commands of the baseline that no process runs now, however young.
          returned: always
          type: list
          elements: dict
          contains: *process_item
    mounts:
      description: Entries of C(/proc/self/mountinfo) that appeared or vanished.
      returned: when mounts is in sections and in the baseline
      type: dict
      contains:
        new:
          description: Mounts there now that the baseline does not hold.
          returned: always
          type: list
          elements: dict
          contains: &mount_item
            key:
              description: What makes the mount the same one, C(MOUNT_POINT FSTYPE SOURCE).
              returned: always
              type: str
              sample: /srv/.cache/ns nsfs nsfs
            mount_point:
              description: The mount point, as C(findmnt) shows it.
              returned: always
              type: str
              sample: /srv/.cache/ns
            fstype:
              description: The filesystem type.
              returned: always
              type: str
              sample: nsfs
            source:
              description: The mount source, as C(findmnt) shows it.
              returned: always
              type: str
              sample: nsfs
            options:
              description: The mount options, as C(findmnt) shows them.
              returned: always
              type: str
              sample: rw
        vanished:
          description: Mounts of the baseline that are not there now.
          returned: always
          type: list
          elements: dict
          contains: *mount_item
    listening:
      description: Listening TCP and bound UDP sockets that appeared or vanished.
      returned: when listening is in sections and in the baseline
      type: dict
      contains:
        new:
          description: Sockets there now that the baseline does not hold.
          returned: always
          type: list
          elements: dict
          contains: &listening_item
            key:
              description: What makes the socket the same one, C(PROTO ADDRESS:PORT).
              returned: always
              type: str
              sample: "tcp 127.0.0.1:631"
            proto:
              description: V(tcp), V(tcp6), V(udp) or V(udp6).
              returned: always
              type: str
              sample: tcp
            address:
              description: The local address.
              returned: always
              type: str
              sample: 127.0.0.1
            port:
              description: The local port.
              returned: always
              type: int
              sample: 631
            uid:
              description: The uid that owns the socket.
              returned: always
              type: int
              sample: 0
        vanished:
          description: Sockets of the baseline that are not there now.
          returned: always
          type: list
          elements: dict
          contains: *listening_item
drift_count:
  description: How many items are new or vanished, over all sections; V(0) when the host has not drifted.
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
  description:
    - Every network namespace with no process and no name on the host now, whether new or not, and however young.
  returned: always
  type: list
  elements: dict
  contains:
    <<: *namespace_item
    age:
      description: Seconds since the namespace's process started.
      returned: when it is younger than O(min_namespace_age)
      type: float
      sample: 4.0
young_namespaces:
  description:
    - Non-default namespaces younger than O(min_namespace_age), left out of the baseline and of the comparison.
  returned: always
  type: list
  elements: dict
  contains:
    <<: *namespace_item
    age:
      description: Seconds since the namespace's process started.
      returned: always
      type: float
      sample: 4.0
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
    min_namespace_age=dict(type='float', default=60.0),
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
