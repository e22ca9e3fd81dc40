#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_report
short_description: Render the hostfacts of a fleet as one HTML report, with the same data as JSON and CSV
version_added: 0.1.0
description:
  - Reads the C(ansible_facts.hostfacts) that M(hostops.fleet.hostfacts) left on every host and writes, on the
    controller, a self-contained HTML page (inline CSS and SVG, a little plain JavaScript, nothing fetched from
    the network), a JSON file and a CSV file with the same data.
  - Hosts are sorted by the severity of their alerts, then by how busy they are. Each host shows memory available,
    filesystem use, load against CPUs, iowait and the busiest disk, the top CPU, memory and I/O processes,
    non-default namespaces and containers. The summary shows counts and charts for the whole fleet.
  - Hosts that were unreachable or whose gathering failed appear as such, from the outcome variable the
    gathering play sets (O(outcome_var)); hosts with neither facts nor an outcome appear as C(no_facts).
  - A host whose facts the report cannot read (a value of the wrong type, such as a list where a pid belongs or
    an integer too large for a number, or empty hostfacts) appears as C(malformed), with a critical alert that
    names the place; the other hosts are not affected.
  - Every text a host reported is escaped in the HTML page, including inside the data the page script reads.
  - Runs entirely on the controller as an action plugin. Facts are read host by host and reduced to a small
    record, so 5,000 hosts render in seconds (see C(docs/performance.md)).
author:
  - hostops.fleet developers (@hostops)
extends_documentation_fragment:
  - hostops.fleet.attributes
  - hostops.fleet.attributes.PLATFORM_CONTROLLER
options:
  dest:
    description: Directory on the controller to write the report files into; created (with parents) if missing.
    type: path
    required: true
  basename:
    description: File name without extension; the files are C(BASENAME.html), C(BASENAME.json) and C(BASENAME.csv).
    type: str
    default: fleet-report
  hosts:
    description:
      - Inventory host names to report on, in any order (the report sorts them).
      - Defaults to every host of the inventory (C(groups.all)).
    type: list
    elements: str
  outcome_var:
    description:
      - Name of the host variable in which the gathering play stored a dict with keys C(state) and C(msg) for each host, where
        C(state) is V(ok), V(failed) or V(unreachable). The playbook C(hostops.fleet.fleet_report) sets it.
    type: str
    default: hostops_fleet_outcome
  title:
    description: Title of the HTML page.
    type: str
    default: Fleet report
  page_size:
    description: Host cards shown per page in the HTML report (the reader can change it on the page).
    type: int
    default: 50
  formats:
    description: Which files to write.
    type: list
    elements: str
    choices: [html, json, csv]
    default: [html, json, csv]
  limits:
    description:
      - Limits the report adds to the alerts of M(hostops.fleet.hostfacts) (whose own thresholds cover memory,
        filesystems, iowait and disk utilisation). Each one raises a C(warning) on the host.
    type: dict
    default: {}
    suboptions:
      process_cpu_pct:
        description: One process at or above this share of one CPU over the sampling interval.
        type: float
        default: 80.0
      process_mem_pct:
        description: One process holding at least this share of the host's memory (resident set).
        type: float
        default: 25.0
      process_io_mib_s:
        description: One process reading plus writing at least this many MiB per second.
        type: float
        default: 10.0
      load_per_cpu:
        description: The 1-minute load average divided by the number of CPUs.
        type: float
        default: 1.0
attributes:
  action:
    description: Runs on the controller as an action plugin.
    support: full
  check_mode:
    support: full
    details:
      - In check mode the report is computed and the paths are returned, but no file is written.
  diff_mode:
    support: none
  idempotent:
    support: none
    details:
      - Every run writes a new report with the time it was generated.
notes:
  - Files are written atomically (a temporary file renamed over the target), so a reader never sees half a report.
  - The HTML page is made from Jinja2 templates shipped in the collection, in C(plugins/plugin_utils/templates/fleet_report/).
    Its first page of host cards is written into the document; every card also travels as data from which the
    page's script draws the other pages.
seealso:
  - module: hostops.fleet.hostfacts
"""

EXAMPLES = r"""
- name: Gather hostfacts everywhere and keep the outcome of each host
  hosts: all
  gather_facts: false
  tasks:
    - name: Gather hostfacts
      hostops.fleet.hostfacts:
      register: gathered
      ignore_errors: true
      ignore_unreachable: true

    - name: Record whether the host answered
      ansible.builtin.set_fact:
        hostops_fleet_outcome:
          state: "{{ 'unreachable' if gathered.unreachable | default(false) else ('failed' if gathered.failed | default(false) else 'ok') }}"
          msg: "{{ gathered.msg | default('') }}"

- name: Render the report on the controller
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Write fleet-report.html, .json and .csv to /tmp
      hostops.fleet.fleet_report:
        dest: /tmp
        hosts: "{{ groups['all'] }}"
        limits:
          process_mem_pct: 10

# The playbook hostops.fleet.fleet_report does all of this:
#   ansible-playbook hostops.fleet.fleet_report -e fleet_report_dir=/tmp
"""

RETURN = r"""
files:
  description: Path of each file written (or that would be written, in check mode), by format.
  returned: always
  type: dict
  sample: {html: /tmp/fleet-report.html, json: /tmp/fleet-report.json, csv: /tmp/fleet-report.csv}
hosts:
  description: Number of hosts in the report.
  returned: always
  type: int
  sample: 6
by_state:
  description: Hosts per state (V(ok), V(unreachable), V(failed), V(no_facts), V(malformed)).
  returned: always
  type: dict
  sample: {ok: 5, unreachable: 1, failed: 0, no_facts: 0, malformed: 0}
by_severity:
  description: Hosts per worst alert severity (V(critical), V(warning), V(info), V(ok)).
  returned: always
  type: dict
  sample: {critical: 1, warning: 3, info: 1, ok: 1}
ranking:
  description: The first 20 hosts in report order, with their severity, state and non-informational alerts.
  returned: always
  type: list
  elements: dict
  sample: [{host: web1, severity: critical, state: unreachable, alerts: ["host unreachable: timed out"]}]
render_seconds:
  description: Seconds spent reading the facts and rendering.
  returned: always
  type: float
  sample: 0.42
"""
