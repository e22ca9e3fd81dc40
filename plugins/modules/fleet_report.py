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
  - The facts come from the run itself (O(source=play)), or from the configured Ansible fact cache (O(source=cache)),
    which gathering runs filled before, on this controller or others (Redis through C(community.general.redis),
    or C(jsonfile) on a shared directory); then nothing is gathered in the run that renders.
  - Hosts are sorted by the severity of their alerts, then by how busy they are. Each host shows its identity
    (OS, kernel, primary address, uptime, when the subset C(system) was gathered), memory available, filesystem
    use, load against CPUs, iowait and the busiest disk, the top CPU, memory and I/O processes, non-default
    namespaces and containers. The summary shows counts and charts for the whole fleet.
  - Beside the cards, a table of every host (host, OS, kernel, IP, uptime, load per CPU, memory available, fullest
    filesystem, iowait, alerts, gathering time), sorted by any column in the page; O(columns) chooses them and adds
    columns of your own.
  - Hosts that were unreachable or whose gathering failed appear as such, from the outcome variable the
    gathering play sets (O(outcome_var)); hosts with neither facts nor an outcome appear as C(no_facts). None is
    ever dropped.
  - Each host carries the time its facts were gathered (the controller's time the gathering play recorded, else
    the host's own C(collected_at)); hosts gathered more than O(stale_after) seconds ago are marked stale, with a
    warning, and still shown.
  - A host whose facts the report cannot read (a value of the wrong type, such as a list where a pid belongs or
    an integer too large for a number, or empty hostfacts) appears as C(malformed), with a critical alert that
    names the place; the other hosts are not affected.
  - Every text a host reported is escaped in the HTML page, and cut to a bounded length in every file (see
    C(docs/security.md)); a CSV cell that a spreadsheet would run as a formula starts with an apostrophe.
  - Runs entirely on the controller as an action plugin. Facts are read host by host, reduced to a small record
    and rendered into their part of each file, kept in a temporary file until the hosts are sorted, so memory
    stays flat with the fleet (50,000 hosts in under 100 MiB; see C(docs/performance.md)).
author: hostops.fleet developers (@hostops)
extends_documentation_fragment:
  - hostops.fleet.attributes
  - hostops.fleet.attributes.PLATFORM_CONTROLLER
options:
  dest:
    description:
      - Directory on the controller to write the report files into.
      - Created (with parents) for the owner alone (C(0700), or what O(mode) allows) if missing; an existing one
        keeps its mode.
      - Refused when it, or the directory a symbolic link points to, belongs to another user than the one running
        the report, or when the symbolic link itself does, so that no one else can read or replace the files.
      - Defaults to C(fleet-report) in the current directory, or in the home directory when the current directory
        is the filesystem root (cron jobs, systemd units).
    type: path
  basename:
    description: File name without extension; the files are C(BASENAME.html), C(BASENAME.json) and C(BASENAME.csv).
    type: str
    default: fleet-report
  hosts:
    description:
      - Inventory host names to report on, in any order (the report sorts them).
      - Defaults to every host of the inventory (C(groups.all)); with O(source=cache) and O(cache_hosts=cache), to
        every host the fact cache holds.
      - The default ignores C(--limit), which the action cannot see; give C(ansible_play_hosts_all) (of a play over
        the fleet's pattern) to report on the hosts of the limit only, as the playbook C(hostops.fleet.fleet_report)
        does.
      - A host named here that the run did not gather shows as C(no_facts), with a warning, or with its cached
        facts when a persistent fact cache is configured.
      - An empty list of hosts is an error, as is an empty inventory.
    type: list
    elements: str
  source:
    description:
      - Where the facts come from.
      - V(play) reads what this run gathered (and, with a persistent fact cache, what it holds for the others).
      - V(cache) reads the configured fact cache plugin (C(fact_caching) in C(ansible.cfg), or
        C(ANSIBLE_CACHE_PLUGIN) and C(ANSIBLE_CACHE_PLUGIN_CONNECTION)) directly, one host at a time; it fails when
        no persistent cache is configured.
    type: str
    choices: [play, cache]
    default: play
  cache_hosts:
    description:
      - With O(source=cache), which hosts the report covers when O(hosts) is not given.
      - V(inventory) is every inventory host; those absent from the cache are C(no_facts).
      - V(cache) is every host the cache holds; no inventory is needed.
    type: str
    choices: [inventory, cache]
    default: inventory
  stale_after:
    description:
      - Seconds after the gathering time from which a host's facts are marked stale (a warning on the host, a
        C(stale) count in the summary, a filter in the page). V(0) never marks them.
      - Ansible's C(fact_caching_timeout) (default 86400) drops older hosts from the cache altogether; set it above
        this value, or to 0, to see stale hosts rather than C(no_facts).
    type: float
    default: 86400
  fail_on:
    description:
      - Which hosts fail the task, B(after) the files are written (as M(ansible.builtin.assert) would fail it), so
        that C(ansible-playbook), cron, CI and AWX see the run fail while the report shows why.
      - V(unreachable), V(failed) (the gathering task failed) and V(malformed) (facts the report cannot read) are
        hosts the run could not see. V(critical) is a host whose facts carry a critical alert (a full
        filesystem, memory exhausted); it is not in the default because a fleet usually has some, and the
        report exists to show them; add it where a critical alert should turn the job red.
      - V(never) (or an empty list) never fails the task for a host. A comma-separated text is read as a list,
        so that C(-e fleet_report_fail_on=unreachable,failed) works.
      - The message counts the failing hosts of each reason, names the first 10 of each, and says where the
        report is. Hosts C(no_facts) and stale hosts never fail the task.
      - Any other value fails the task before anything is read, naming the option and the playbooks'
        variable C(fleet_report_fail_on).
    type: raw
    default: [unreachable, failed, malformed]
  outcome_var:
    description:
      - Name of the host variable in which the gathering play stored a dict with keys C(state), C(msg) and
        C(gathered_at) for each host, where C(state) is V(ok), V(failed) or V(unreachable). The playbook
        C(hostops.fleet.fleet_gather) sets it, with C(cacheable) so that it goes into the fact cache with the facts.
    type: str
    default: hostops_fleet_outcome
  title:
    description: Title of the HTML page.
    type: str
    default: Fleet report
  page_size:
    description: Host cards (or table rows) shown per page in the HTML report (the reader can change it on the page).
    type: int
    default: 50
  formats:
    description:
      - Which files to write.
      - With an empty list nothing is rendered; O(dest) is only checked and created, and returned (the playbook
        C(hostops.fleet.drift_report) prepares its directory this way).
    type: list
    elements: str
    choices: [html, json, csv]
    default: [html, json, csv]
  mode:
    description:
      - Mode of the files written, as octal text or a number. It must give the owner read and write and set no
        special bit. A directory created for them gets the search bit wherever the files are readable
        (C(0600) makes a C(0700) directory, C(0644) a C(0755) one).
    type: raw
    default: '0600'
  columns:
    description:
      - The columns of the table of hosts, in order. A name is one of the built-in columns (V(host), V(os),
        V(kernel), V(ip), V(uptime), V(load_per_cpu), V(memory_available_pct), V(fullest_filesystem), V(iowait),
        V(alerts), V(gathered), V(state)); a mapping with C(label) and C(query) is a column of your own, the result
        of a JMESPath expression over the host's hostfacts (needs C(jmespath) on the controller). Your columns come
        after the built-in ones, in the JSON (C(columns) of each host) and the CSV (last columns) too.
      - Defaults to every built-in column but V(state).
    type: list
    elements: raw
  template_dir:
    description:
      - A directory of your own templates. A file there named like one of ours in
        C(plugins/plugin_utils/templates/) (for example C(fleet_report/card.html.j2), C(fleet_report/report.css))
        replaces it; the others stay ours. The templates are rendered with autoescape on, and receive the views
        of C(plugins/plugin_utils/_fleet_view.py). C(card.html.j2) draws the first page of cards, C(report.js) the
        others, so change both alike.
    type: path
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
      - In check mode the hosts are read, the report is computed, O(dest) is checked and the paths are returned,
        but no directory is created and no file is written; RV(msg) says what would be written, and O(fail_on)
        fails the task as it would outside check mode.
  diff_mode:
    support: none
  idempotent:
    support: none
    details:
      - Every run writes a new report with the time it was generated.
notes:
  - Files are written atomically (a temporary file renamed over the target), so a reader never sees half a report.
  - The HTML page is made from Jinja2 templates shipped in the collection, in C(plugins/plugin_utils/templates/fleet_report/).
    Its first page of host cards and table rows is written into the document; every card and row also travels,
    compressed, as data from which the page's script draws the other pages.
  - With O(source=cache), the cache is read through the configured cache plugin, one entry at a time and read-only.
    An entry that is not what ansible-core stores makes its host C(malformed), with the backend and the key; the
    entries another ansible-core release stored (2.16 and 2.19+ store hosts under different keys) are named in one
    warning and are not hosts of the report; no entry is deleted or rewritten, not even a file jsonfile cannot decode.
  - Where their internals are there, ansible-core 2.19's storage of a host (one JSON text) is decoded directly, and
    C(community.general.redis) values are fetched in batches; otherwise the plugin's public C(keys()) and C(get())
    are used (see C(plugins/plugin_utils/_fleet_cache_fast.py)).
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
    - name: Write fleet-report.html, .json and .csv to ~/fleet-report
      hostops.fleet.fleet_report:
        dest: ~/fleet-report
        hosts: "{{ groups['all'] }}"
        limits:
          process_mem_pct: 10

- name: Render from the fact cache that earlier gathering runs filled, gathering nothing
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Every host of the cache, stale after an hour, with a column of our own
      hostops.fleet.fleet_report:
        dest: /srv/reports/fleet
        source: cache
        cache_hosts: cache
        stale_after: 3600
        mode: '0644'
        # Written first, then the task fails for these hosts (the default leaves out critical).
        fail_on: [unreachable, failed, malformed, critical]
        columns:
          - host
          - os
          - iowait
          - label: containers
            query: length(containers || `[]`)

# The playbooks do all of this:
#   ansible-playbook hostops.fleet.fleet_report -i inventory.yml -e fleet_report_dir=~/fleet-report
#   ansible-playbook hostops.fleet.fleet_gather -i inventory.yml         (into the fact cache, in slices)
#   ansible-playbook hostops.fleet.fleet_report -e fleet_report_source=cache -e fleet_report_cache_hosts=cache
"""

RETURN = r"""
files:
  description: Path of each file written (or that would be written, in check mode), by format.
  returned: always
  type: dict
  sample: {html: /home/ops/fleet-report/fleet-report.html, json: /home/ops/fleet-report/fleet-report.json,
           csv: /home/ops/fleet-report/fleet-report.csv}
  contains:
    html:
      description: The HTML page.
      type: str
      returned: when html is in formats
      sample: /home/ops/fleet-report/fleet-report.html
    json:
      description: The JSON file.
      type: str
      returned: when json is in formats
      sample: /home/ops/fleet-report/fleet-report.json
    csv:
      description: The CSV file.
      type: str
      returned: when csv is in formats
      sample: /home/ops/fleet-report/fleet-report.csv
dest:
  description: The directory of the files, absolute.
  returned: always
  type: str
  sample: /home/ops/fleet-report
source:
  description: Where the facts came from, V(play) or V(cache).
  returned: when something was rendered
  type: str
  sample: cache
hosts:
  description: Number of hosts in the report.
  returned: when something was rendered
  type: int
  sample: 6
stale:
  description: Number of hosts whose facts were gathered more than O(stale_after) seconds ago.
  returned: when something was rendered
  type: int
  sample: 1
by_state:
  description: Hosts per state (V(ok), V(unreachable), V(failed), V(no_facts), V(malformed)).
  returned: when something was rendered
  type: dict
  sample: {ok: 5, unreachable: 1, failed: 0, no_facts: 0, malformed: 0}
  contains:
    ok:
      description: Hosts whose facts were read.
      type: int
      returned: always
      sample: 5
    unreachable:
      description: Hosts that were unreachable.
      type: int
      returned: always
      sample: 1
    failed:
      description: Hosts whose gathering failed.
      type: int
      returned: always
      sample: 0
    no_facts:
      description: Hosts with no hostfacts (never gathered, or not in the cache).
      type: int
      returned: always
      sample: 0
    malformed:
      description: Hosts whose facts could not be read as hostfacts.
      type: int
      returned: always
      sample: 0
by_severity:
  description: Hosts per worst alert severity (V(critical), V(warning), V(info), V(ok)).
  returned: when something was rendered
  type: dict
  sample: {critical: 1, warning: 3, info: 1, ok: 1}
  contains:
    critical:
      description: Hosts whose worst alert is critical (unreachable, failed and malformed hosts count here).
      type: int
      returned: always
      sample: 1
    warning:
      description: Hosts whose worst alert is a warning (hosts with no facts count here).
      type: int
      returned: always
      sample: 3
    info:
      description: Hosts with informational alerts only.
      type: int
      returned: always
      sample: 1
    ok:
      description: Hosts with no alert.
      type: int
      returned: always
      sample: 1
ranking:
  description: The first 20 hosts in report order, with their severity, state and non-informational alerts.
  returned: when something was rendered
  type: list
  elements: dict
  sample: [{host: web1, severity: critical, state: unreachable, alerts: ["host unreachable: timed out"]}]
  contains:
    host:
      description: The inventory name.
      type: str
      returned: always
      sample: web1
    severity:
      description: Its worst alert, as in RV(by_severity).
      type: str
      returned: always
      sample: critical
    state:
      description: Its state, as in RV(by_state).
      type: str
      returned: always
      sample: unreachable
    alerts:
      description: The messages of its alerts, informational ones left out.
      type: list
      elements: str
      returned: always
      sample: ["host unreachable: timed out"]
msg:
  description:
    - Where the report is (a C(file://) URL of the HTML page, or the paths of the other files), or in check mode
      where it would be; when hosts fail the task (O(fail_on)), which ones and why, then where the report is.
  returned: when something was rendered
  type: str
  sample: >-
    1 of 6 host(s) fail the report: 1 unreachable (web3); the report is written:
    file:///home/ops/fleet-report/fleet-report.html (fail_on: unreachable, failed, malformed)
fail_on:
  description: The reasons that fail the task, as O(fail_on) was read; an empty list for V(never).
  returned: when something was rendered
  type: list
  elements: str
  sample: [unreachable, failed, malformed]
render_seconds:
  description: Seconds spent reading the facts and rendering.
  returned: when something was rendered
  type: float
  sample: 0.42
render_cpu_seconds:
  description: CPU seconds the controller spent reading the facts and rendering (the rest of the run is Ansible's).
  returned: when something was rendered
  type: float
  sample: 0.39
"""
