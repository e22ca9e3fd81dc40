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
      - Also report the filesystems left out by default. By default the list is what C(df) lists - disks,
        memory filesystems (tmpfs), network and FUSE filesystems - without kernel interfaces (proc, sysfs, cgroup,
        ...), container layers (overlay, except the root filesystem), mounts on C(/proc) and C(/sys), and
        filesystems without blocks.
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
          sample: [system, processes, memory, filesystems, namespaces, io, containers]
        interval:
          description: The sampling interval used, in seconds; V(0) when no selected subset samples.
          type: float
          returned: always
          sample: 1.0
        collected_at:
          description: Local time of collection, ISO 8601.
          type: str
          returned: always
          sample: "2026-11-28T23:57:55+0000"
        alerts:
          description: Health alerts an operator can read, most severe first.
          type: list
          elements: dict
          returned: always
          sample: [{severity: warning, subset: memory, message: "memory available 12.0 % of 7.7 GiB is below 20 %"}]
          contains:
            severity:
              description: V(critical), V(warning) or V(info).
              type: str
              returned: always
              sample: warning
            subset:
              description: The subset that raised the alert.
              type: str
              returned: always
              sample: memory
            message:
              description: What is wrong, as a sentence.
              type: str
              returned: always
              sample: "memory available 12.0 % of 7.7 GiB is below 20 %"
        warnings:
          description: Why facts are partial (permission denied, timed out mounts, vanished processes).
          type: list
          elements: str
          returned: always
          sample: ["namespaces: 12 of 230 processes could not be read (permission denied); run with become"]
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
              description: The operating system, from os-release.
              type: dict
              returned: always
              sample: {id: debian, version_id: "12", pretty_name: "Debian GNU/Linux 12 (bookworm)"}
              contains:
                id:
                  description: C(ID) of os-release.
                  type: str
                  returned: always
                  sample: debian
                version_id:
                  description: C(VERSION_ID) of os-release; null where there is none (Debian testing, Arch).
                  type: str
                  returned: always
                  sample: "12"
                pretty_name:
                  description: C(PRETTY_NAME) of os-release.
                  type: str
                  returned: always
                  sample: Debian GNU/Linux 12 (bookworm)
            kernel:
              description: The running kernel.
              type: dict
              returned: always
              sample: {release: 6.1.0-28-amd64, machine: x86_64}
              contains:
                release:
                  description: The kernel release, as C(uname -r) prints it.
                  type: str
                  returned: always
                  sample: 6.1.0-28-amd64
                machine:
                  description: The hardware name, as C(uname -m) prints it.
                  type: str
                  returned: always
                  sample: x86_64
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
                  socket, which sends nothing), and the interface they leave by. Each is null without such a route.
              type: dict
              returned: always
              sample: {interface: eth0, ipv4: 192.0.2.10, ipv6: "2001:db8::10"}
              contains:
                interface:
                  description: The interface the IPv4 default route leaves by, else the IPv6 one's.
                  type: str
                  returned: always
                  sample: eth0
                ipv4:
                  description: The source address of the IPv4 default route.
                  type: str
                  returned: always
                  sample: 192.0.2.10
                ipv6:
                  description: The source address of the IPv6 default route.
                  type: str
                  returned: always
                  sample: "2001:db8::10"
        processes:
          description:
            - What C(ps aux) and C(top -n 1) show. Rates (C(cpu), C(cpu_pct)) need O(interval) > 0 and are left out
              with O(interval=0).
          returned: when the processes subset is selected
          type: dict
          contains:
            tasks:
              description:
                - Processes by state, as the C(Tasks:) line of top.
              type: dict
              returned: always
              sample: {total: 115, running: 1, sleeping: 114, stopped: 0, zombie: 0, uninterruptible: 0, idle: 40}
              contains:
                total:
                  description: Every process.
                  type: int
                  returned: always
                  sample: 115
                running:
                  description: Processes in state R.
                  type: int
                  returned: always
                  sample: 1
                sleeping:
                  description: Processes in states S, D and I, counted together as top counts them.
                  type: int
                  returned: always
                  sample: 114
                stopped:
                  description: Processes in states T and t.
                  type: int
                  returned: always
                  sample: 0
                zombie:
                  description: Processes in state Z.
                  type: int
                  returned: always
                  sample: 0
                uninterruptible:
                  description: Processes in state D (also counted in C(sleeping)).
                  type: int
                  returned: always
                  sample: 0
                idle:
                  description: Kernel threads in state I (also counted in C(sleeping)).
                  type: int
                  returned: always
                  sample: 40
            threads:
              description: Threads of all processes together.
              type: int
              returned: always
              sample: 231
            load:
              description: Load averages (C(/proc/loadavg)); null when it cannot be read.
              type: dict
              returned: always
              sample: {load1: 0.15, load5: 0.2, load15: 0.1}
              contains:
                load1:
                  description: Over 1 minute.
                  type: float
                  returned: always
                  sample: 0.15
                load5:
                  description: Over 5 minutes.
                  type: float
                  returned: always
                  sample: 0.2
                load15:
                  description: Over 15 minutes.
                  type: float
                  returned: always
                  sample: 0.1
            cpu_count:
              description: Online CPUs.
              type: int
              returned: always
              sample: 2
            cpu:
              description:
                - The C(%Cpu(s)) line of top over O(interval), in percent of all CPU time. Null when the counters did
                  not move.
              type: dict
              returned: when interval > 0
              sample: {us: 1.5, sy: 0.5, ni: 0.0, id: 97.9, wa: 0.1, hi: 0.0, si: 0.0, st: 0.0}
              contains:
                us:
                  description: User time.
                  type: float
                  returned: always
                  sample: 1.5
                sy:
                  description: System time.
                  type: float
                  returned: always
                  sample: 0.5
                ni:
                  description: User time of niced processes.
                  type: float
                  returned: always
                  sample: 0.0
                id:
                  description: Idle time.
                  type: float
                  returned: always
                  sample: 97.9
                wa:
                  description: Time idle while waiting for I/O (iowait).
                  type: float
                  returned: always
                  sample: 0.1
                hi:
                  description: Time serving hardware interrupts.
                  type: float
                  returned: always
                  sample: 0.0
                si:
                  description: Time serving software interrupts.
                  type: float
                  returned: always
                  sample: 0.0
                st:
                  description: Time stolen by the hypervisor.
                  type: float
                  returned: always
                  sample: 0.0
            uptime_seconds:
              description: Seconds since boot.
              type: float
              returned: always
              sample: 3725.51
            boot_time:
              description: Boot time, ISO 8601 local time.
              type: str
              returned: always
              sample: "2026-11-28T08:02:13+0000"
            vanished:
              description: Processes that exited while they were being sampled (left out of the lists).
              type: int
              returned: always
              sample: 0
            top_cpu:
              description:
                - The O(top) processes using most CPU, ranked by C(cpu_pct) over the interval, or by
                  C(cpu_pct_lifetime) with O(interval=0).
              type: list
              elements: dict
              returned: always
              contains: &process_row
                pid:
                  description: Process id.
                  type: int
                  returned: always
                  sample: 1234
                ppid:
                  description: Parent process id.
                  type: int
                  returned: always
                  sample: 1
                user:
                  description: Effective user name (the uid when it has no name).
                  type: str
                  returned: always
                  sample: www-data
                uid:
                  description: Effective uid.
                  type: int
                  returned: always
                  sample: 33
                state:
                  description: One letter, as C(ps -o s) shows it.
                  type: str
                  returned: always
                  sample: S
                cpu_pct:
                  description: top's %CPU over O(interval), V(100) = one CPU.
                  type: float
                  returned: when interval > 0
                  sample: 12.5
                cpu_pct_lifetime:
                  description: ps's %CPU, CPU time over the process's lifetime.
                  type: float
                  returned: always
                  sample: 0.3
                mem_pct:
                  description: Resident set in percent of memory, as C(ps -o %mem).
                  type: float
                  returned: always
                  sample: 1.2
                rss_kb:
                  description: Resident set in KiB, as C(ps -o rss) (from C(/proc/PID/statm)).
                  type: int
                  returned: always
                  sample: 98304
                vsz_kb:
                  description: Virtual size in KiB, as C(ps -o vsz).
                  type: int
                  returned: always
                  sample: 301120
                tty:
                  description: The controlling terminal, V(?) for none.
                  type: str
                  returned: always
                  sample: "?"
                start_time:
                  description: When the process started, ISO 8601 local time.
                  type: str
                  returned: always
                  sample: "2026-11-28T08:02:19+0000"
                cpu_time:
                  description: CPU time in seconds.
                  type: float
                  returned: always
                  sample: 12.34
                cpu_time_str:
                  description: CPU time as ps TIME shows it, [DD-]HH:MM:SS.
                  type: str
                  returned: always
                  sample: "00:00:12"
                command:
                  description: The process name, V([name]) for kernel threads.
                  type: str
                  returned: always
                  sample: nginx
                args:
                  description:
                    - The command line, secrets masked, cut to O(cmdline_length) characters; V([name]) for kernel
                      threads, V([name] <defunct>) for zombies.
                  type: str
                  returned: always
                  sample: "nginx: worker process"
                threads:
                  description: Threads of the process.
                  type: int
                  returned: always
                  sample: 1
            top_memory:
              description:
                - The O(top) processes with the largest resident set (C(rss_kb), what C(ps -o rss) shows, read from
                  C(/proc/PID/statm)).
              type: list
              elements: dict
              returned: always
              contains: *process_row
            list:
              description:
                - Every process, like C(ps aux).
              type: list
              elements: dict
              returned: when process_list=full
              contains: *process_row
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
              sample: 8267812864
            used:
              description: C(total) - C(available).
              type: int
              returned: always
              sample: 1395314688
            free:
              description: MemFree.
              type: int
              returned: always
              sample: 5221896192
            shared:
              description: Shmem.
              type: int
              returned: always
              sample: 1179648
            buffers:
              description: Buffers.
              type: int
              returned: always
              sample: 72450048
            cache:
              description: Cached + SReclaimable.
              type: int
              returned: always
              sample: 1578152960
            buff_cache:
              description: C(buffers) + C(cache), the buff/cache column.
              type: int
              returned: always
              sample: 1650603008
            available:
              description: MemAvailable (MemFree on kernels without it, or when MemAvailable is above MemTotal).
              type: int
              returned: always
              sample: 6872498176
            available_pct:
              description: C(available) in percent of C(total).
              type: float
              returned: always
              sample: 83.1
            status:
              description: V(low) when C(available_pct) is below O(thresholds.memory_available_pct), else V(ok).
              type: str
              returned: always
              sample: ok
            swap_total:
              description: SwapTotal.
              type: int
              returned: always
              sample: 0
            swap_used:
              description: SwapTotal - SwapFree.
              type: int
              returned: always
              sample: 0
            swap_free:
              description: SwapFree.
              type: int
              returned: always
              sample: 0
        filesystems:
          description: What C(df), C(findmnt), C(lsblk -f) and C(du -s) show.
          returned: when the filesystems subset is selected
          type: dict
          contains:
            mounts:
              description:
                - One dict per filesystem as C(df) lists them (tmpfs, NFS and FUSE included) - without kernel
                  interfaces, container layers (overlay; the root filesystem always stays) and mounts on C(/proc) and
                  C(/sys) unless O(include_pseudo); a filesystem mounted twice, such as a bind mount, once, with its
                  other mount points in C(also_mounted_at); each btrfs subvolume apart, as C(df) lists them.
                - Paths are shown as C(findmnt) shows them - control characters, line separators and bytes that
                  are not UTF-8 as C(\xHH).
                - The sizes, in bytes and percent as C(df -B1) and C(df -i) compute them, are there with
                  C(status=ok) only.
              type: list
              elements: dict
              returned: always
              contains:
                device:
                  description: The mount source, as C(df) shows it.
                  type: str
                  returned: always
                  sample: /dev/vda1
                mount_point:
                  description: Where it is mounted.
                  type: str
                  returned: always
                  sample: /
                fstype:
                  description: The filesystem type.
                  type: str
                  returned: always
                  sample: ext4
                options:
                  description: The mount options, as C(findmnt -o OPTIONS) shows them.
                  type: str
                  returned: always
                  sample: rw,relatime,errors=remount-ro
                readonly:
                  description: Whether it is mounted read-only.
                  type: bool
                  returned: always
                  sample: false
                root:
                  description: The directory of the filesystem that is mounted (V(/) but for bind mounts and subvolumes).
                  type: str
                  returned: always
                  sample: /
                also_mounted_at:
                  description: The other mount points of the same filesystem and root.
                  type: list
                  elements: str
                  returned: always
                  sample: [/srv/data]
                uuid:
                  description:
                    - The filesystem UUID, as C(lsblk -f) shows it, from udev data or, as root where there is none,
                      from the superblock of ext2/3/4, xfs, btrfs and vfat (as C(blkid -p) reads it); null when unknown.
                  type: str
                  returned: always
                  sample: 0a3407de-014b-458b-b5c1-848e92a327a3
                label:
                  description:
                    - The filesystem label, from udev data or, as root where there is none, from the superblock (as for
                      C(uuid)); null when there is none or it is unknown.
                  type: str
                  returned: always
                  sample: root
                status:
                  description:
                    - V(ok), V(timed_out) (statvfs did not answer within O(timeout)), V(error), V(skipped) (autofs,
                      which is never touched) or V(shadowed) (hidden under a later mount, which C(df) leaves out).
                  type: str
                  returned: always
                  sample: ok
                shadowed_by:
                  description: The mount point of the later mount that hides this one.
                  type: str
                  returned: when status=shadowed
                  sample: /srv
                error:
                  description: Why statvfs failed.
                  type: str
                  returned: when status=error
                  sample: "[Errno 13] Permission denied"
                size:
                  description: Size in bytes (C(df -B1) 1B-blocks).
                  type: int
                  returned: when status=ok
                  sample: 20956397568
                used:
                  description: Used bytes.
                  type: int
                  returned: when status=ok
                  sample: 4380459008
                available:
                  description: Bytes available to unprivileged users.
                  type: int
                  returned: when status=ok
                  sample: 15681675264
                use_pct:
                  description: C(df)'s Use%, C(used) / (C(used) + C(available)) rounded up.
                  type: int
                  returned: when status=ok
                  sample: 22
                inodes_total:
                  description: Inodes (C(df -i)).
                  type: int
                  returned: when status=ok
                  sample: 1310720
                inodes_used:
                  description: Inodes used.
                  type: int
                  returned: when status=ok
                  sample: 123456
                inodes_free:
                  description: Inodes free.
                  type: int
                  returned: when status=ok
                  sample: 1187264
                inodes_use_pct:
                  description: C(df -i)'s IUse%, rounded up.
                  type: int
                  returned: when status=ok
                  sample: 10
            du:
              description:
                - One dict per O(du_paths) entry, like C(du -s -x) (one filesystem, hard links once). A directory
                  that fails while being read (a corrupt block) is reported and everything else is summed, as C(du)
                  does.
              type: list
              elements: dict
              returned: always
              contains:
                path:
                  description: The path, as given in O(du_paths).
                  type: str
                  returned: always
                  sample: /var/log
                status:
                  description: V(ok), V(timed_out) (the sizes are a lower bound) or V(error).
                  type: str
                  returned: always
                  sample: ok
                bytes:
                  description: Disk usage in bytes, as C(du -s -B1).
                  type: int
                  returned: always
                  sample: 104857600
                apparent_bytes:
                  description: Apparent size in bytes, as C(du -sb).
                  type: int
                  returned: always
                  sample: 99614720
                files:
                  description: Files counted.
                  type: int
                  returned: always
                  sample: 512
                directories:
                  description: Directories counted.
                  type: int
                  returned: always
                  sample: 40
                error:
                  description: du's message for the first path that could not be read.
                  type: str
                  returned: when a path could not be read
                  sample: "cannot read directory '/var/log/private': Permission denied"
                errors:
                  description: How many paths could not be read.
                  type: int
                  returned: when a path could not be read
                  sample: 1
                unreadable_directories:
                  description: Directories that could not be read for want of permission.
                  type: int
                  returned: when some could not be read for want of permission
                  sample: 1
        namespaces:
          description: What C(lsns) lists, plus namespaces pinned without a process, with their owners.
          returned: when the namespaces subset is selected
          type: dict
          contains:
            default:
              description: The host's default namespaces, one key per namespace type the kernel exposes, to its inode.
              type: dict
              returned: always
              sample: {cgroup: 4026531835, ipc: 4026531839, mnt: 4026531841, net: 4026531840, pid: 4026531836,
                       time: 4026531834, user: 4026531837, uts: 4026531838}
              contains: &namespace_types
                cgroup:
                  description: Cgroup namespace (Linux 4.6 and later).
                  type: int
                  returned: when the kernel has it
                ipc:
                  description: IPC namespace.
                  type: int
                  returned: when the kernel has it
                mnt:
                  description: Mount namespace.
                  type: int
                  returned: when the kernel has it
                net:
                  description: Network namespace.
                  type: int
                  returned: when the kernel has it
                pid:
                  description: PID namespace.
                  type: int
                  returned: when the kernel has it
                time:
                  description: Time namespace (Linux 5.6 and later).
                  type: int
                  returned: when the kernel has it
                user:
                  description: User namespace.
                  type: int
                  returned: when the kernel has it
                uts:
                  description: UTS namespace (host and domain name).
                  type: int
                  returned: when the kernel has it
            default_source:
              description:
                - Where the defaults come from - V(pid1), V(kthreadd) when PID 1 cannot be read (kernel threads
                  always live in the initial namespaces), or V(self) (the module's own process) as a last resort,
                  each with a warning; V(container) when the module runs inside a PID namespace that is not the
                  host's (no kernel thread visible, as under C(docker exec) or C(nsenter)) - the defaults are then
                  that namespace's PID 1's, the owner of the default namespaces is not V(host), and a warning says
                  that the host's namespaces cannot be seen.
              type: str
              returned: always
              sample: pid1
            namespaces:
              description:
                - One dict per namespace of a type the kernel exposes. Namespaces with C(nprocs=0) are held only by a
                  bind mount or an open descriptor; every descriptor of every process is looked at, within the run's
                  O(timeout) (a warning says when the scan was cut).
              type: list
              elements: dict
              returned: always
              contains:
                type:
                  description: The namespace type, as C(lsns) shows it.
                  type: str
                  returned: always
                  sample: net
                inode:
                  description: The inode of the namespace, as in C(net:[4026532401]).
                  type: int
                  returned: always
                  sample: 4026532401
                nprocs:
                  description: How many processes are in it.
                  type: int
                  returned: always
                  sample: 3
                pid:
                  description: The lowest pid in it; null when no process is in it.
                  type: int
                  returned: always
                  sample: 2041
                user:
                  description: The effective user of that process (or of the process holding it by a descriptor), as C(ps) and C(lsns) show it.
                  type: str
                  returned: always
                  sample: root
                command:
                  description: The command line of that process, secrets masked, cut to O(cmdline_length).
                  type: str
                  returned: always
                  sample: nginx -g daemon off;
                default:
                  description: Whether it is one of the host's default namespaces.
                  type: bool
                  returned: always
                  sample: false
                owner:
                  description: Who owns the namespace.
                  type: dict
                  returned: always
                  sample: {kind: docker, id: 3f4e5d6c7b8a9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80, name: null}
                  contains:
                    kind:
                      description: V(host), V(docker), V(containerd), V(crio), V(podman), V(lxc), V(sandbox), V(kernel), V(systemd) or V(unknown).
                      type: str
                      returned: always
                      sample: docker
                    id:
                      description: The container id, when there is one (for V(lxc), the container's name).
                      type: str
                      returned: always
                      sample: 3f4e5d6c7b8a9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80
                    name:
                      description: The unit, sandbox or container name, when there is one.
                      type: str
                      returned: always
                      sample: null
                pinned_by:
                  description: What keeps the namespace alive besides its processes.
                  type: list
                  elements: dict
                  returned: always
                  sample: [{kind: netns_name, path: /run/netns/blue, name: blue}]
                  contains:
                    kind:
                      description: V(netns_name) (a name under C(/run/netns)), V(bind_mount) or V(fd) (an open descriptor).
                      type: str
                      returned: always
                      sample: netns_name
                    path:
                      description: The mount point, or C(/proc/PID/fd/N) for a descriptor.
                      type: str
                      returned: always
                      sample: /run/netns/blue
                    name:
                      description: The C(ip netns) name; null but for V(netns_name).
                      type: str
                      returned: always
                      sample: blue
                    pid:
                      description: The process holding the descriptor.
                      type: int
                      returned: when kind=fd
                      sample: 4242
            non_default:
              description: One readable line per non-default namespace, like the listns script's table.
              type: list
              elements: str
              returned: always
              sample: ["   2041  net:[4026532401]    docker 3f4e5d6c7b8a   nginx -g daemon off;"]
            counts:
              description: Number of namespaces per type.
              type: dict
              returned: always
              sample: {cgroup: 1, ipc: 3, mnt: 9, net: 3, pid: 3, time: 1, user: 1, uts: 5}
              contains: *namespace_types
            unreadable_processes:
              description: Processes whose namespaces could not be read (permission denied, or gone).
              type: int
              returned: always
              sample: 0
        io:
          description: What top's wa, C(iostat -x), C(iotop), C(ps) state D and C(lsof -p) show, over O(interval).
          returned: when the io subset is selected
          type: dict
          contains:
            iowait_pct:
              description: CPU time spent in iowait over the interval, percent.
              type: float
              returned: when interval > 0
              sample: 0.5
            seconds:
              description: The length of the sampling window, in seconds, by C(/proc/uptime) (iostat's clock).
              type: float
              returned: when interval > 0
              sample: 1.002
            disks:
              description:
                - One dict per used block device. Partitions and dm devices repeat their disk's I/O - never add them
                  up.
              type: list
              elements: dict
              returned: always
              contains:
                name:
                  description: The kernel name.
                  type: str
                  returned: always
                  sample: vda
                major:
                  description: The major device number.
                  type: int
                  returned: always
                  sample: 253
                minor:
                  description: The minor device number.
                  type: int
                  returned: always
                  sample: 0
                kind:
                  description: V(disk), V(partition), V(dm) or V(unknown).
                  type: str
                  returned: always
                  sample: disk
                parent:
                  description: The disk a partition belongs to; null for a disk.
                  type: str
                  returned: always
                  sample: null
                partitions:
                  description: The partitions of a disk.
                  type: list
                  elements: str
                  returned: always
                  sample: [vda1, vda14, vda15]
                dm_name:
                  description: The device-mapper name of a dm device.
                  type: str
                  returned: always
                  sample: null
                slaves:
                  description: The devices a dm device is built on.
                  type: list
                  elements: str
                  returned: always
                  sample: []
                rotational:
                  description: Whether the kernel says the device rotates.
                  type: bool
                  returned: always
                  sample: false
                mounts:
                  description: The mount points of the device.
                  type: list
                  elements: str
                  returned: always
                  sample: [/]
                reads:
                  description: Reads completed since boot.
                  type: int
                  returned: always
                  sample: 12345
                writes:
                  description: Writes completed since boot.
                  type: int
                  returned: always
                  sample: 67890
                read_bytes:
                  description: Bytes read since boot.
                  type: int
                  returned: always
                  sample: 512000000
                write_bytes:
                  description: Bytes written since boot.
                  type: int
                  returned: always
                  sample: 2048000000
                r_s: &iostat_rate
                  description: iostat -x's column of the same name, over the interval.
                  type: float
                  returned: when interval > 0
                  sample: 0.0
                w_s: *iostat_rate
                rkb_s: *iostat_rate
                wkb_s: *iostat_rate
                rrqm_s: *iostat_rate
                wrqm_s: *iostat_rate
                r_await: *iostat_rate
                w_await: *iostat_rate
                aqu_sz: *iostat_rate
                util_pct:
                  description: iostat -x's %util over the interval.
                  type: float
                  returned: when interval > 0
                  sample: 3.2
                d_s: *iostat_rate
                f_s: *iostat_rate
            top_readers:
              description: Processes ranked by bytes read from storage per second (by total bytes when O(interval=0)).
              type: list
              elements: dict
              returned: always
              contains: &io_process
                pid:
                  description: Process id.
                  type: int
                  returned: always
                  sample: 15487
                comm:
                  description: The process name (C(/proc/PID/comm)).
                  type: str
                  returned: always
                  sample: dd
                command:
                  description: The command line, secrets masked, cut to O(cmdline_length).
                  type: str
                  returned: always
                  sample: dd if=/dev/zero of=/var/tmp/big.bin bs=1M
                user:
                  description: The effective user, as C(ps) shows it.
                  type: str
                  returned: always
                  sample: root
                read_bytes:
                  description: Bytes read from storage since the process started.
                  type: int
                  returned: always
                  sample: 0
                write_bytes:
                  description: Bytes written to storage since the process started (write_bytes minus cancelled_write_bytes).
                  type: int
                  returned: always
                  sample: 1073741824
                read_bytes_s:
                  description: Bytes read per second over the interval.
                  type: float
                  returned: when interval > 0
                  sample: 0.0
                write_bytes_s:
                  description: Bytes written per second over the interval.
                  type: float
                  returned: when interval > 0
                  sample: 37849088.0
                open_files:
                  description: At most O(open_files) regular files the process has open, largest first.
                  type: list
                  elements: dict
                  returned: always
                  contains:
                    path:
                      description: The file, as C(lsof) shows it.
                      type: str
                      returned: always
                      sample: /var/tmp/big.bin
                    size:
                      description: Its size in bytes; null on a hung filesystem.
                      type: int
                      returned: always
                      sample: 1073741824
                    offset:
                      description: The position of the descriptor (C(/proc/PID/fdinfo)).
                      type: int
                      returned: always
                      sample: 1073741824
                    mode:
                      description: V(r), V(w) or V(rw), as the descriptor was opened.
                      type: str
                      returned: always
                      sample: w
                    status:
                      description: V(ok), V(timed_out) on a hung filesystem, or V(error).
                      type: str
                      returned: always
                      sample: ok
                    mount_point:
                      description: The mount the file was opened through; null when that mount is no longer in the mount table, as after C(umount -l).
                      type: str
                      returned: always
                      sample: /
                    device:
                      description: The block device, from the file's device number.
                      type: str
                      returned: always
                      sample: vda1
                    disk:
                      description: The disk of that device.
                      type: str
                      returned: always
                      sample: vda
            top_writers:
              description: Like RV(ansible_facts.hostfacts.io.top_readers), ranked by bytes written.
              type: list
              elements: dict
              returned: always
              contains: *io_process
            io_readable_processes:
              description: Processes whose C(/proc/PID/io) could be read.
              type: int
              returned: always
              sample: 230
            io_unreadable_processes:
              description: Processes whose C(/proc/PID/io) could not be read (they are not ranked); use become.
              type: int
              returned: always
              sample: 0
            exited_during_interval:
              description: Processes that exited (or whose pid was reused) between the first and the last sample.
              type: int
              returned: always
              sample: 2
            d_state:
              description: Processes seen in state D.
              type: list
              elements: dict
              returned: always
              contains:
                pid:
                  description: Process id.
                  type: int
                  returned: always
                  sample: 15487
                command:
                  description: The command line; null when the process has gone.
                  type: str
                  returned: always
                  sample: dd if=/dev/zero of=/mnt/nfs/big.bin
                samples_in_d:
                  description: In how many samples it was in state D.
                  type: int
                  returned: always
                  sample: 4
                of_samples:
                  description: Out of how many samples.
                  type: int
                  returned: always
                  sample: 5
            findings:
              description:
                - Sentences naming the busy disk, the process, its file and filesystem, when a threshold is crossed.
              type: list
              elements: str
              returned: always
              sample: ["vda 78 % util, iowait 24 %: pid 15487 (dd) writes 36.1 MB/s to /var/tmp/big.bin on / (vda)"]
        containers:
          description: One dict per container cgroup with a visible process.
          returned: when the containers subset is selected
          type: list
          elements: dict
          contains:
            id:
              description: The container id (for V(lxc), the container's name, as C(lxc-ls) lists it).
              type: str
              returned: always
              sample: 3f4e5d6c7b8a9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80
            runtime:
              description: What runs it - V(docker), V(containerd), V(crio), V(podman), V(lxc) (LXC, LXD, Proxmox
                containers).
              type: str
              returned: always
              sample: docker
            cgroup_path:
              description: Its cgroup, relative to the hierarchy's root.
              type: str
              returned: always
              sample: /system.slice/docker-3f4e5d6c7b8a9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80.scope
            cgroup_layout:
              description: V(v1), V(v2) or V(hybrid).
              type: str
              returned: always
              sample: v2
            nprocs:
              description: How many processes are in it.
              type: int
              returned: always
              sample: 7
            pids:
              description: Their pids, at most 100.
              type: list
              elements: int
              returned: always
              sample: [8552, 8571]
            namespaces:
              description:
                - The namespaces of its first process, type to inode, the same inodes as in
                  RV(ansible_facts.hostfacts.namespaces.namespaces); empty when that process could not be read (it
                  exited, or permission was denied).
              type: dict
              returned: always
              contains: *namespace_types
            memory_usage_bytes:
              description: Memory in use.
              type: int
              returned: always
              sample: 52428800
            memory_limit_bytes:
              description: Its memory limit; null when unlimited.
              type: int
              returned: always
              sample: null
            memory_failcnt:
              description: How often the memory limit was hit (cgroup v1).
              type: int
              returned: with cgroup v1
              sample: 0
            memory_events_max:
              description: How often the memory limit was reached (cgroup v2 C(memory.events) C(max)).
              type: int
              returned: with cgroup v2
              sample: 0
            memory_events_oom_kill:
              description: Processes killed by the OOM killer in it (cgroup v2 C(memory.events) C(oom_kill)).
              type: int
              returned: with cgroup v2
              sample: 0
            cpu_usage_seconds:
              description: CPU time used, in seconds.
              type: float
              returned: always
              sample: 12.5
            pids_current:
              description: Tasks in it (C(pids.current)).
              type: int
              returned: always
              sample: 9
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
