#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: hostfacts
short_description: Host identity, processes, memory, filesystems, namespaces and I/O hogs from /proc and /sys, with alerts
version_added: 0.1.0
description:
  - Reports, as structured facts under C(ansible_facts.hostfacts), what C(uname), C(/etc/os-release), C(ps aux),
    C(top -n 1), C(free), C(df -h), C(lsblk -fp), C(findmnt), C(du -sh), C(lsns) and C(iostat -x)/C(iotop)/C(lsof)
    would show on the host.
  - Reads C(/proc) and C(/sys) directly, needs nothing but Python on the target and runs no subprocess.
  - Changes nothing on the host, except the Prometheus textfile when O(output=prometheus).
  - By default it samples for one second, as C(top) and C(iostat -x 1) do, so that it answers who is busy now - CPU %
    over the interval, disk and process I/O rates, iowait and state D sampling - and raises the alerts that need
    them. O(interval=0) takes one snapshot instead, as C(ps aux) and C(iostat) without an interval do.
  - The module's own process, and the processes Ansible started to run it on the host (the C(sh -c) that runs the
    module's Python, and C(sudo) or C(su) when becoming another user), are left out of every process list, as
    C(top) users expect of a tool that is not one of the host's workloads. They still count in C(tasks) and
    C(threads).
author: hostops.fleet developers (@hostops)
extends_documentation_fragment:
  - hostops.fleet.attributes
  - hostops.fleet.attributes.PLATFORM_LINUX
  - hostops.fleet.attributes.ACTION_ASYNC
  - hostops.fleet.attributes.FACTS
attributes:
  check_mode:
    support: full
    details:
      - With O(output=prometheus), the file is not written in check mode; C(changed) says it would be.
  diff_mode:
    support: none
  idempotent:
    support: partial
    details:
      - Facts are read-only. A Prometheus textfile carries the collection time, so writing it is always a change.
options:
  gather_subset:
    description:
      - Which subsets to collect, the way M(ansible.builtin.setup) selects them.
      - The subsets are V(system), V(processes), V(memory), V(filesystems), V(namespaces), V(io) and V(containers).
      - V(all) selects every subset, V(min) selects V(system), V(memory) and V(filesystems), and V(!name) excludes a
        subset.
      - As with M(ansible.builtin.setup), V(!all) excludes every subset but V(min), so V(!all) alone collects
        V(min) and V([!all, io]) collects V(min) and V(io); add V(!min) to drop those too. A subset named
        explicitly is collected even when an exclusion also covers it.
      - A list of exclusions only (V([!io])) starts from V(all), and named subsets do not bring V(min) along.
      - An unknown name fails with the list of valid ones.
    type: list
    elements: str
    default: [all]
  interval:
    description:
      - Seconds between the two samples from which rates are computed (per-process and system CPU %, I/O rates,
        iowait, state D counts) by the V(processes) and V(io) subsets; the other subsets are read once, inside the
        interval, and add nothing to it. When neither of those two subsets is selected, nothing is sampled.
      - The default, V(1), gives what C(top) and C(iostat -x 1) show, and the run takes that second longer.
      - With V(0), one sample is taken, rate fields are left out, not faked, C(top_cpu) ranks by CPU time over each
        process's lifetime (as C(ps aux)), the I/O lists rank by bytes since each process started (the first,
        since-boot report of C(iostat), which answers last month's question), and the iowait and disk utilisation
        alerts cannot fire.
      - At most V(60); a value that is not a finite number, or is out of range, fails naming the option.
    type: float
    default: 1.0
  samples:
    description:
      - How many times processes in state D (uninterruptible sleep) are sampled across O(interval) by the V(io) subset.
      - From V(1) to V(20). Each sample reads the C(stat) file of every process, whatever O(interval).
    type: int
    default: 5
  top:
    description:
      - Length of each ranked list (top CPU, memory, readers and writers), the same in every subset; V(0) empties them.
      - At most V(1000); O(process_list=full) returns every process.
    type: int
    default: 10
  process_list:
    description:
      - V(top) returns only the ranked lists, which keeps facts from large fleets small.
      - V(full) also returns every process, like C(ps aux).
      - Either way the module's own process and the processes Ansible started to run it are left out.
    type: str
    choices: [top, full]
    default: top
  cmdline_length:
    description:
      - Every command line in the facts (process C(args), the C(command) of I/O processes, of processes in state D
        and of namespace holders) is cut to this many characters.
      - At most V(131072), the longest single argument Linux accepts (MAX_ARG_STRLEN).
    type: int
    default: 256
  redact_secrets:
    description:
      - Mask the values of well-known secrets in every command line the facts hold (process C(args), the
        C(command) of I/O processes, of processes in state D and of namespace holders, and so what
        M(hostops.fleet.hostfacts_baseline) stores), before O(cmdline_length) cuts them.
      - The patterns - an option named C(password), C(passwd), C(token) or C(secret) (or ending in C(-password),
        C(_token)...) with its value attached (C(--password=V)) or next (C(--token V)); an assignment C(*_TOKEN=V),
        C(*_PASSWORD=V), C(*_PASSWD=V), C(*_SECRET=V); the password of a URL (C(scheme://user:V@host)); mysql's
        C(-pV) after a program named C(mysql*) or C(mariadb*). Each value becomes C(********).
      - V(false) returns command lines as C(/proc/PID/cmdline) holds them.
    type: bool
    default: true
  include_pseudo:
    description:
      - Also report the filesystems left out by default, as C(df -x) would leave them out - what C(findmnt --real)
        does not list (pseudo filesystems such as proc, sysfs and cgroup; memory-backed ones such as tmpfs and
        devtmpfs; container layers such as overlay), except the root filesystem, and filesystems without blocks.
    type: bool
    default: false
  du_paths:
    description:
      - Absolute paths whose disk usage is summed, like C(du -s -x PATH), within the run's O(timeout). The walks run
        together, while the mounts are probed.
    type: list
    elements: path
    default: []
  timeout:
    description:
      - Seconds the whole run waits, in all, for filesystems that do not answer - C(statvfs) of every mount, C(stat)
        of the files the top I/O processes hold open, the O(du_paths) walks - counted from the first such call.
        What does not answer in time (a hard NFS mount, a dead FUSE daemon) is reported as C(timed_out) with a
        warning and is not asked again in the same run; the module never hangs on it, and the run ends within
        O(interval) + O(timeout) plus the time reading C(/proc) takes.
      - More than V(0) and at most V(600); a value that is not a finite number fails naming the option.
    type: float
    default: 5.0
  open_files:
    description: How many open regular files are listed for each of the top I/O processes (like C(lsof -p)), at most V(100).
    type: int
    default: 5
  thresholds:
    description: Limits that raise alerts, each a percentage from 0 to 100.
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
      - The query is always evaluated on the controller by the C(hostops.fleet.hostfacts) action plugin, where
        C(jmespath) is installed, which checks the expression before the module runs; an invalid expression
        fails with JMESPath's message and the position of the error. The target never evaluates it and needs no
        C(jmespath); if the module is ever reached with O(query) set, it fails saying so.
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
- name: Gather every subset, with the rates of top and iostat -x over one second
  hostops.fleet.hostfacts:

- name: Every subset in one snapshot, without rates, as ps aux and iostat without an interval
  hostops.fleet.hostfacts:
    interval: 0

- name: Which host this is, memory and filesystems only
  hostops.fleet.hostfacts:
    gather_subset: min

- name: Everything but the I/O subset, with a disk usage summary of /var/log
  hostops.fleet.hostfacts:
    gather_subset: ['all', '!io']
    du_paths: [/var/log]

- name: Alert earlier on memory
  hostops.fleet.hostfacts:
    thresholds:
      memory_available_pct: 30

# Ad hoc, across a fleet (at about the cost of ansible.builtin.ping):
#   ansible all -m hostops.fleet.hostfacts
#   ansible all -m hostops.fleet.hostfacts -a 'gather_subset=system,memory'
"""

RETURN = r"""
prometheus_path:
  description: The Prometheus textfile written (or that would be written in check mode).
  returned: when output=prometheus
  type: str
  sample: /var/lib/prometheus/node-exporter/hostops.prom
ansible_facts:
  description: Facts added to the host.
  returned: always
  type: complex
  contains:
    hostfacts_query:
      description:
        - The result of O(query) evaluated on the facts that would have been returned as RV(ansible_facts.hostfacts);
          its type depends on the expression. When O(query) is set, C(hostfacts) itself is not returned.
      returned: when query is set
      type: raw
      sample: [{pid: 4242, cmd: ffmpeg}]
    hostfacts:
      description: Everything collected, one key per selected subset plus C(alerts) and C(warnings).
      returned: unless query is set
      type: dict
      contains:
        gather_subset:
          description: The subsets collected, after resolving V(all), V(min) and exclusions.
          type: list
          elements: str
          returned: always
        interval:
          description: The sampling interval used, in seconds; V(0) when no selected subset samples.
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
        system:
          description:
            - Which host this is, from C(/etc/os-release) (else C(/usr/lib/os-release)), C(uname), C(/proc/uptime),
              the C(btime) of C(/proc/stat) and the routing tables, with no subprocess and no packet sent. A value that
              cannot be known is null.
          returned: when the system subset is selected
          type: dict
          contains:
            hostname:
              description: The kernel's host name, as C(hostname) (C(uname -n)) prints it.
              type: str
              returned: always
              sample: web-01
            os:
              description: C(ID), C(VERSION_ID) and C(PRETTY_NAME) of os-release, as C(id), C(version_id) and C(pretty_name).
              type: dict
              returned: always
              sample: {id: debian, version_id: "12", pretty_name: "Debian GNU/Linux 12 (bookworm)"}
            kernel:
              description: C(release) (C(uname -r)) and C(machine) (C(uname -m)).
              type: dict
              returned: always
              sample: {release: 6.1.0-28-amd64, machine: x86_64}
            uptime_seconds:
              description: Seconds since boot (C(/proc/uptime)).
              type: float
              returned: always
              sample: 3725.51
            boot_time:
              description: Boot time, ISO 8601 local time.
              type: str
              returned: always
              sample: "2026-11-28T08:02:13+0000"
            primary_address:
              description:
                - The source addresses the kernel picks for the default route, as C(ip route get) prints them as
                  C(src) (asked about the addresses M(ansible.builtin.setup) asks about, found by connecting a UDP
                  socket, which sends nothing), and the interface they leave by (the IPv4 route's, else the IPv6
                  one's).
                - Keys C(interface), C(ipv4) and C(ipv6); null without such a route.
              type: dict
              returned: always
              sample: {interface: eth0, ipv4: 192.0.2.10, ipv6: "2001:db8::10"}
        processes:
          description:
            - What C(ps aux) and C(top -n 1) show. Rates (C(cpu), C(cpu_pct)) need O(interval) > 0 and are left out
              with O(interval=0).
          returned: when the processes subset is selected
          type: dict
          contains:
            tasks:
              description:
                - Processes by state, as the C(Tasks:) line of top (C(sleeping) counts states S, D and I like top;
                  C(uninterruptible) (D) and C(idle) (I) are broken out of it).
              type: dict
              returned: always
              sample: {total: 115, running: 1, sleeping: 114, stopped: 0, zombie: 0, uninterruptible: 0, idle: 40}
            threads:
              description: Threads of all processes together.
              type: int
              returned: always
            load:
              description: Load averages over 1, 5 and 15 minutes.
              type: dict
              returned: always
              sample: {load1: 0.15, load5: 0.2, load15: 0.1}
            cpu_count:
              description: Online CPUs.
              type: int
              returned: always
            cpu:
              description:
                - The C(%Cpu(s)) line of top over O(interval), in percent of all CPU time
                  (us, sy, ni, id, wa, hi, si, st). None when the counters did not move.
              type: dict
              returned: when interval > 0
              sample: {us: 1.5, sy: 0.5, ni: 0.0, id: 97.9, wa: 0.1, hi: 0.0, si: 0.0, st: 0.0}
            uptime_seconds:
              description: Seconds since boot.
              type: float
              returned: always
            boot_time:
              description: Boot time, ISO 8601 local time.
              type: str
              returned: always
            vanished:
              description: Processes that exited while they were being sampled (left out of the lists).
              type: int
              returned: always
            top_cpu:
              description:
                - The O(top) processes using most CPU, as process dicts (see RV(ansible_facts.hostfacts.processes.list)),
                  ranked by C(cpu_pct) over the interval, or by C(cpu_pct_lifetime) with O(interval=0).
              type: list
              elements: dict
              returned: always
            top_memory:
              description:
                - The O(top) processes with the largest resident set (C(rss_kb), what C(ps -o rss) shows, read from
                  C(/proc/PID/statm)).
              type: list
              elements: dict
              returned: always
            list:
              description:
                - Every process, like C(ps aux). Each process is a dict with C(pid), C(ppid), C(user) (effective),
                  C(uid), C(state) (one letter, as C(ps -o s)), C(cpu_pct) (top's %CPU over O(interval), 100 = one
                  CPU; only when O(interval) > 0), C(cpu_pct_lifetime) (ps's %CPU, CPU time over the process
                  lifetime), C(mem_pct), C(rss_kb), C(vsz_kb), C(tty) (V(?) for none), C(start_time) (ISO 8601),
                  C(cpu_time) (seconds), C(cpu_time_str) (ps TIME, [DD-]HH:MM:SS), C(command) (the name, V([name])
                  for kernel threads), C(args) (the command line cut to O(cmdline_length) characters; V([name])
                  for kernel threads, V([name] <defunct>) for zombies) and C(threads).
              type: list
              elements: dict
              returned: when process_list=full
        memory:
          description:
            - What C(free -b) shows, in bytes, with the formulas of procps-ng 4 (C(used) = C(total) - C(available);
              C(buff_cache) = Buffers + Cached + SReclaimable).
            - Where MemAvailable is above MemTotal (lxcfs in a container shows the host's MemAvailable beside the
              container's MemTotal), C(available) is MemFree, as C(free) shows it, with a warning.
          returned: when the memory subset is selected
          type: dict
          contains:
            total:
              description: MemTotal.
              type: int
              returned: always
            used:
              description: C(total) - C(available).
              type: int
              returned: always
            free:
              description: MemFree.
              type: int
              returned: always
            shared:
              description: Shmem.
              type: int
              returned: always
            buffers:
              description: Buffers.
              type: int
              returned: always
            cache:
              description: Cached + SReclaimable.
              type: int
              returned: always
            buff_cache:
              description: C(buffers) + C(cache), the buff/cache column.
              type: int
              returned: always
            available:
              description: MemAvailable (MemFree on kernels without it, or when MemAvailable is above MemTotal).
              type: int
              returned: always
            available_pct:
              description: C(available) in percent of C(total).
              type: float
              returned: always
            status:
              description: V(low) when C(available_pct) is below O(thresholds.memory_available_pct), else V(ok).
              type: str
              returned: always
              sample: ok
            swap_total:
              description: SwapTotal.
              type: int
              returned: always
            swap_used:
              description: SwapTotal - SwapFree.
              type: int
              returned: always
            swap_free:
              description: SwapFree.
              type: int
              returned: always
        filesystems:
          description: What C(df), C(findmnt), C(lsblk -f) and C(du -s) show.
          returned: when the filesystems subset is selected
          type: dict
          contains:
            mounts:
              description:
                - One dict per filesystem as C(df) lists them - without what C(findmnt --real) leaves out (tmpfs,
                  overlay, cgroup, ...; the root filesystem always stays) unless O(include_pseudo); a filesystem
                  mounted twice, such as a bind mount, once, with its other mount points in C(also_mounted_at); each
                  btrfs subvolume apart, as C(df) lists them.
                - Keys C(device), C(mount_point), C(fstype), C(options) (as findmnt), C(readonly), C(root) (the
                  mounted directory of the filesystem), C(also_mounted_at), C(uuid), C(label) and C(status)
                  (V(ok), V(timed_out), V(error), V(skipped) for autofs, which is never touched, or V(shadowed) with
                  C(shadowed_by) for a mount hidden under a later one, which C(df) leaves out).
                - Paths are shown as C(findmnt) shows them - control characters, line separators and bytes that
                  are not UTF-8 as C(\xHH).
                - With C(status=ok) also, in bytes and percent as C(df -B1) and C(df -i) compute them, C(size),
                  C(used), C(available), C(use_pct), C(inodes_total), C(inodes_used), C(inodes_free) and
                  C(inodes_use_pct).
              type: list
              elements: dict
              returned: always
            du:
              description:
                - One dict per O(du_paths) entry, like C(du -s -x) (one filesystem, hard links once) - C(path),
                  C(status) (V(ok), V(timed_out) with lower-bound sizes, V(error) with C(error), du's message for the
                  first path it could not read, and C(errors), how many), C(bytes) (disk usage), C(apparent_bytes)
                  (C(du -sb)), C(files), C(directories) and C(unreadable_directories) when some could not be read
                  for want of permission.
                - A directory that fails while being read (a corrupt block) is reported and everything else is
                  summed, as C(du) does.
              type: list
              elements: dict
              returned: always
        namespaces:
          description: What C(lsns) lists, plus namespaces pinned without a process, with their owners.
          returned: when the namespaces subset is selected
          type: dict
          contains:
            default:
              description: The host's default namespaces, namespace type to inode.
              type: dict
              returned: always
            default_source:
              description:
                - Where the defaults come from - V(pid1), V(kthreadd) when PID 1 cannot be read (kernel threads
                  always live in the initial namespaces), or V(self) (the module's own process) as a last resort,
                  each with a warning.
              type: str
              returned: always
            namespaces:
              description:
                - One dict per namespace of a type the kernel exposes - C(type), C(inode), C(nprocs), C(pid) (the
                  lowest), C(user) (effective, as C(ps) and C(lsns) show it), C(command), C(default), C(owner)
                  (C(kind) V(host), V(docker), V(containerd), V(crio), V(podman), V(sandbox), V(kernel), V(systemd)
                  or V(unknown), with C(id) and C(name)) and C(pinned_by) (C(kind) V(netns_name), V(bind_mount) or
                  V(fd), with C(path), C(name), C(pid)).
                - Namespaces with C(nprocs=0) are held only by a bind mount or an open descriptor; every descriptor
                  of every process is looked at, within the run's O(timeout) (a warning says when the scan was cut).
              type: list
              elements: dict
              returned: always
            non_default:
              description: One readable line per non-default namespace, like the listns script's table.
              type: list
              elements: str
              returned: always
            counts:
              description: Number of namespaces per type.
              type: dict
              returned: always
            unreadable_processes:
              description: Processes whose namespaces could not be read (permission denied, or gone).
              type: int
              returned: always
        io:
          description: What top's wa, C(iostat -x), C(iotop), C(ps) state D and C(lsof -p) show, over O(interval).
          returned: when the io subset is selected
          type: dict
          contains:
            iowait_pct:
              description: CPU time spent in iowait over the interval, percent (left out when O(interval=0)).
              type: float
              returned: when interval > 0
            disks:
              description:
                - One dict per used block device - C(name), C(kind) (V(disk), V(partition), V(dm)), C(parent),
                  C(partitions), C(dm_name), C(slaves), C(rotational), C(mounts), totals C(reads), C(writes),
                  C(read_bytes), C(write_bytes), and with an interval iostat's C(r_s), C(w_s), C(rkb_s), C(wkb_s),
                  C(rrqm_s), C(wrqm_s), C(r_await), C(w_await), C(aqu_sz), C(util_pct), C(d_s), C(f_s).
                - Partitions and dm devices repeat their disk's I/O - never add them up.
              type: list
              elements: dict
              returned: always
            top_readers:
              description:
                - Processes ranked by bytes read from storage per second (by total bytes when O(interval=0)) -
                  C(pid), C(comm), C(command), C(user) (effective, as C(ps) shows it), C(read_bytes), C(write_bytes)
                  (write_bytes minus cancelled_write_bytes), C(read_bytes_s), C(write_bytes_s), and C(open_files) (at
                  most O(open_files) regular files, largest first, with C(size), C(offset), C(mode), C(status) of their
                  C(stat) (V(timed_out) on a hung filesystem, whose C(size) is then null), C(mount_point) (the mount
                  the file was opened through; null when that mount is no longer in the mount table, as after
                  C(umount -l)), C(device) and C(disk) (from the file's device number)).
              type: list
              elements: dict
              returned: always
            top_writers:
              description: Like RV(ansible_facts.hostfacts.io.top_readers), ranked by bytes written.
              type: list
              elements: dict
              returned: always
            d_state:
              description: Processes seen in state D - C(pid), C(command), C(samples_in_d), C(of_samples).
              type: list
              elements: dict
              returned: always
            findings:
              description:
                - Sentences naming the busy disk, the process, its file and filesystem, when a threshold is crossed.
              type: list
              elements: str
              returned: always
              sample: ["vda 78 % util, iowait 24 %: pid 15487 (dd) writes 36.1 MB/s to /var/tmp/big.bin on / (vda)"]
        containers:
          description:
            - One dict per container cgroup with a visible process - C(id), C(runtime), C(cgroup_path),
              C(cgroup_layout) (V(v1), V(v2), V(hybrid)), C(nprocs), C(pids), C(namespaces) (type to inode, the
              same inodes as in RV(ansible_facts.hostfacts.namespaces.namespaces)), C(memory_usage_bytes),
              C(memory_limit_bytes) (null when unlimited), C(memory_failcnt) (v1) or C(memory_events_max) and
              C(memory_events_oom_kill) (v2), C(cpu_usage_seconds) and C(pids_current).
          returned: when the containers subset is selected
          type: list
          elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hostops.fleet.plugins.module_utils._errors import FleetError
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.options import argument_spec
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.publish import run_hostfacts


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_if=[('output', 'prometheus', ['prometheus_path'])])
    try:
        result, warnings = run_hostfacts(module.params, module.check_mode)
    except FleetError as exc:
        module.fail_json(msg=str(exc))
    for warning in warnings:
        module.warn(warning)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
