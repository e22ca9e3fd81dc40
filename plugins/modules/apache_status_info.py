#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: apache_status_info
short_description: Read Apache's mod_status page as typed facts, with the scoreboard decoded
version_added: 0.1.0
description:
  - Fetches C(<url>?auto) from Apache's mod_status handler and returns every field as a typed value (integers,
    floats, text), under snake_case names; fields this module does not know are kept under a derived name.
  - Decodes the scoreboard into a count per worker state and the share of busy slots.
  - With O(full=true), also fetches the HTML page and returns the table of current requests, which Apache only
    prints with C(ExtendedStatus On).
  - The role C(hostops.fleet.apache_status) sets up the page this module reads.
  - The web server is not trusted. O(timeout) bounds the whole call, the body is capped at O(max_body_bytes),
    credentials go only to the host of O(url), and every malformed answer fails with a message that names the
    problem. See the security page of the collection's docs for the details.
author: hostops.fleet developers (@hostops)
extends_documentation_fragment:
  - hostops.fleet.attributes
  - hostops.fleet.attributes.PLATFORM_POSIX
  - hostops.fleet.attributes.INFO_MODULE
options:
  url:
    description:
      - URL of the status page, without C(?auto) (a query string is dropped and replaced).
      - The status location normally admits only local clients, so run the module on the web server itself.
    type: str
    default: http://localhost/server-status
  full:
    description: Also fetch the HTML page and return the current requests table in RV(requests).
    type: bool
    default: false
  timeout:
    description:
      - Seconds the whole call may take, from 1 to 3600, on the wall clock. It covers connecting, the TLS
        handshake, redirects, every read of the answer, the parsing and, with O(full=true), both pages; a server that sends
        its answer slowly cannot stretch it.
      - Name resolution is left to the host's resolver and its own timeouts.
    type: int
    default: 10
  max_body_bytes:
    description:
      - The largest page accepted, in bytes. A longer answer fails, naming this option.
      - The HTML page of O(full=true) has one row of about 400 bytes per scoreboard slot; the default admits some
        20,000 slots.
    type: int
    default: 8388608
    version_added: 0.2.0
  validate_certs:
    description: Verify the TLS certificate for an C(https://) URL.
    type: bool
    default: true
  url_username:
    description:
      - User name for HTTP basic authentication, if the status location requires it. It can also be written
        into O(url) (V(http://user:password@host/server-status)).
      - The credentials are sent with every request to the host, scheme and port of O(url) (and after a
        redirect from http on port 80 to https on 443 of the same host), never to another host a redirect
        names.
    type: str
  url_password:
    description: Password for HTTP basic authentication.
    type: str
notes:
  - The module connects directly; proxy variables (C(http_proxy) and the like) are not used, because the status
    location normally admits only local clients.
  - Redirects are followed, at most five.
  - A 403 answer means the client address is not admitted by the C(Require) lines of the status location; a 404
    means mod_status is not enabled or the path is wrong. Both fail with a message saying so.
seealso:
  - name: Apache mod_status
    description: The module whose page this reads.
    link: https://httpd.apache.org/docs/2.4/mod/mod_status.html
"""

EXAMPLES = r"""
- name: Read the status of the local Apache
  hostops.fleet.apache_status_info:
  register: apache

- name: Warn when more than 80% of the worker slots are busy
  ansible.builtin.debug:
    msg: "Apache is busy: {{ apache.scoreboard.busy }} of {{ apache.scoreboard.slots }} slots"
  when: apache.scoreboard.busy_share > 0.8

- name: List the requests being served right now
  hostops.fleet.apache_status_info:
    url: http://127.0.0.1:8080/status
    full: true
  register: apache_full
"""

RETURN = r"""
url:
  description: The URL that was read, without credentials.
  returned: always
  type: str
  sample: http://localhost/server-status?auto
extended_status:
  description: Whether Apache runs with C(ExtendedStatus On) (the page then has access and traffic counters).
  returned: always
  type: bool
  sample: true
status:
  description:
    - Every field of the C(?auto) page, typed, under snake_case names (C(Total Accesses) becomes C(total_accesses)).
    - Which fields appear depends on the Apache version, the MPM (the C(conns_*) fields come from event) and
      C(ExtendedStatus). Unknown fields are kept under a derived name; a page with more than 200 fields is refused.
    - Numbers are integers within 64 bits or finite floats; an unknown field whose value is not one stays text.
    - The fields Apache 2.4 prints are listed below; an unknown field is kept under its name in snake_case, typed by
      what its value reads as.
  returned: always
  type: dict
  sample:
    server_name: localhost
    server_version: Apache/2.4.68 (Debian)
    server_mpm: event
    server_uptime_seconds: 2
    load1: 2.15
    total_accesses: 21
    total_kbytes: 226
    req_per_sec: 10.5
    bytes_per_sec: 115712.0
    bytes_per_req: 11020.2
    busy_workers: 4
    idle_workers: 46
    conns_async_keep_alive: 0
    scoreboard: "_W_W___..."
  contains:
    server_name:
      description: The server name, the first line of the page.
      returned: when Apache prints it
      type: str
      sample: "localhost"
    server_version:
      description: C(ServerVersion).
      returned: when Apache prints it
      type: str
      sample: "Apache/2.4.68 (Debian)"
    server_mpm:
      description: C(ServerMPM) - V(event), V(worker) or V(prefork).
      returned: when Apache prints it
      type: str
      sample: "event"
    server_built:
      description: C(Server Built).
      returned: when Apache prints it
      type: str
      sample: "2026-07-10T11:43:50"
    current_time:
      description: C(CurrentTime), as Apache prints it.
      returned: when Apache prints it
      type: str
      sample: "Tuesday, 08-Dec-2026 00:10:24 UTC"
    restart_time:
      description: C(RestartTime), as Apache prints it.
      returned: when Apache prints it
      type: str
      sample: "Tuesday, 08-Dec-2026 00:10:22 UTC"
    parent_server_config_generation:
      description: C(ParentServerConfigGeneration).
      returned: when Apache prints it
      type: int
      sample: 1
    parent_server_mpm_generation:
      description: C(ParentServerMPMGeneration).
      returned: when Apache prints it
      type: int
      sample: 0
    server_uptime_seconds:
      description: C(ServerUptimeSeconds).
      returned: when Apache prints it
      type: int
      sample: 2
    server_uptime:
      description: C(ServerUptime), as Apache prints it.
      returned: when Apache prints it
      type: str
      sample: "2 seconds"
    load1:
      description: C(Load1), the host load average over 1 minute.
      returned: when Apache prints it
      type: float
      sample: 2.15
    load5:
      description: C(Load5).
      returned: when Apache prints it
      type: float
      sample: 1.2
    load15:
      description: C(Load15).
      returned: when Apache prints it
      type: float
      sample: 0.8
    total_accesses:
      description: C(Total Accesses) (with C(ExtendedStatus On)).
      returned: when Apache prints it
      type: int
      sample: 21
    total_kbytes:
      description: C(Total kBytes) (with C(ExtendedStatus On)).
      returned: when Apache prints it
      type: int
      sample: 226
    total_duration:
      description: C(Total Duration), in milliseconds (with C(ExtendedStatus On)).
      returned: when Apache prints it
      type: int
      sample: 57
    cpu_user:
      description: C(CPUUser), seconds (with C(ExtendedStatus On)).
      returned: when Apache prints it
      type: float
      sample: 0.01
    cpu_system:
      description: C(CPUSystem), seconds (with C(ExtendedStatus On)).
      returned: when Apache prints it
      type: float
      sample: 0.02
    cpu_children_user:
      description: C(CPUChildrenUser), seconds (with C(ExtendedStatus On)).
      returned: when Apache prints it
      type: float
      sample: 0.0
    cpu_children_system:
      description: C(CPUChildrenSystem), seconds (with C(ExtendedStatus On)).
      returned: when Apache prints it
      type: float
      sample: 0.0
    cpu_load:
      description: C(CPULoad), percent (with C(ExtendedStatus On)).
      returned: when Apache prints it
      type: float
      sample: 1.5
    uptime:
      description: C(Uptime), seconds (with C(ExtendedStatus On)).
      returned: when Apache prints it
      type: int
      sample: 2
    req_per_sec:
      description: C(ReqPerSec) (with C(ExtendedStatus On)).
      returned: when Apache prints it
      type: float
      sample: 10.5
    bytes_per_sec:
      description: C(BytesPerSec) (with C(ExtendedStatus On)).
      returned: when Apache prints it
      type: float
      sample: 115712.0
    bytes_per_req:
      description: C(BytesPerReq) (with C(ExtendedStatus On)).
      returned: when Apache prints it
      type: float
      sample: 11020.2
    duration_per_req:
      description: C(DurationPerReq), milliseconds (with C(ExtendedStatus On)).
      returned: when Apache prints it
      type: float
      sample: 2.7
    busy_workers:
      description: C(BusyWorkers).
      returned: when Apache prints it
      type: int
      sample: 4
    graceful_workers:
      description: C(GracefulWorkers).
      returned: when Apache prints it
      type: int
      sample: 0
    idle_workers:
      description: C(IdleWorkers).
      returned: when Apache prints it
      type: int
      sample: 46
    processes:
      description: C(Processes) (event MPM).
      returned: when Apache prints it
      type: int
      sample: 2
    stopping:
      description: C(Stopping) (event MPM).
      returned: when Apache prints it
      type: int
      sample: 0
    conns_total:
      description: C(ConnsTotal) (event MPM).
      returned: when Apache prints it
      type: int
      sample: 4
    conns_async_wait_io:
      description: C(ConnsAsyncWaitIO) (event MPM, Apache 2.4.58 and later).
      returned: when Apache prints it
      type: int
      sample: 0
    conns_async_writing:
      description: C(ConnsAsyncWriting) (event MPM).
      returned: when Apache prints it
      type: int
      sample: 0
    conns_async_keep_alive:
      description: C(ConnsAsyncKeepAlive) (event MPM).
      returned: when Apache prints it
      type: int
      sample: 0
    conns_async_closing:
      description: C(ConnsAsyncClosing) (event MPM).
      returned: when Apache prints it
      type: int
      sample: 0
    scoreboard:
      description: C(Scoreboard), one character per slot (decoded in RV(scoreboard)).
      returned: when Apache prints it
      type: str
      sample: "_W_W___..."
scoreboard:
  description: The scoreboard decoded with mod_status's key.
  returned: always
  type: dict
  contains:
    slots:
      description: Number of scoreboard slots (processes times threads per process).
      type: int
      returned: always
      sample: 150
    states:
      description: Count of slots per state, with mod_status's key; every state is there, V(0) when no slot is in it.
      type: dict
      returned: always
      sample: {waiting: 46, starting: 0, reading: 0, sending: 4, keepalive: 0, dns_lookup: 0, closing: 0, logging: 0,
               graceful: 0, idle_cleanup: 0, open: 100}
      contains:
        waiting:
          description: Slots in state C(_) - Waiting for a connection.
          type: int
          returned: always
          sample: 46
        starting:
          description: Slots in state C(S) - Starting up.
          type: int
          returned: always
          sample: 0
        reading:
          description: Slots in state C(R) - Reading the request.
          type: int
          returned: always
          sample: 0
        sending:
          description: Slots in state C(W) - Sending the reply.
          type: int
          returned: always
          sample: 4
        keepalive:
          description: Slots in state C(K) - Keepalive (read).
          type: int
          returned: always
          sample: 0
        dns_lookup:
          description: Slots in state C(D) - DNS lookup.
          type: int
          returned: always
          sample: 0
        closing:
          description: Slots in state C(C) - Closing the connection.
          type: int
          returned: always
          sample: 0
        logging:
          description: Slots in state C(L) - Logging.
          type: int
          returned: always
          sample: 0
        graceful:
          description: Slots in state C(G) - Gracefully finishing.
          type: int
          returned: always
          sample: 0
        idle_cleanup:
          description: Slots in state C(I) - Idle cleanup of a worker.
          type: int
          returned: always
          sample: 0
        open:
          description: Slots in state C(.) - Open slot with no current process.
          type: int
          returned: always
          sample: 100
    unknown:
      description: Slots with a character outside the key.
      type: int
      returned: always
      sample: 0
    busy:
      description: Slots serving a connection (every state except waiting, open, starting and idle cleanup).
      type: int
      returned: always
      sample: 4
    idle:
      description: Slots waiting for a connection.
      type: int
      returned: always
      sample: 46
    live:
      description: Slots that have a process (every state except open).
      type: int
      returned: always
      sample: 50
    busy_share:
      description: RV(scoreboard.busy) divided by RV(scoreboard.slots), the share of the configured capacity in use (0 to 1).
      type: float
      returned: always
      sample: 0.0267
    busy_share_of_live:
      description: RV(scoreboard.busy) divided by RV(scoreboard.live) (0 to 1).
      type: float
      returned: always
      sample: 0.08
  sample:
    slots: 150
    states: {waiting: 46, sending: 4, open: 100, keepalive: 0}
    busy: 4
    idle: 46
    live: 50
    busy_share: 0.0267
    busy_share_of_live: 0.08
requests:
  description:
    - Rows of the current-requests table of the HTML page, one per worker slot that has served a request.
    - Keys are the column headers in lower case, with C(acc) also split in three and C(mode) naming the state in
      C(m); a column Apache adds later is kept under its header in lower case, as text.
    - Empty when C(ExtendedStatus) is off.
  returned: when full=true
  type: list
  elements: dict
  sample:
    - srv: 0-0
      pid: 9155
      acc: 0/4/4
      acc_connection: 0
      acc_child: 4
      acc_slot: 4
      m: W
      mode: sending
      cpu: 0.0
      ss: 0
      req: 0
      dur: 1
      conn: 0.0
      child: 0.04
      slot: 0.04
      client: 127.0.0.1
      protocol: http/1.1
      vhost: 172.17.0.2:80
      request: GET /sleep.php HTTP/1.1
  contains:
    srv:
      description: C(Srv), child server number and generation.
      type: str
      returned: when the page has the column
      sample: "0-0"
    pid:
      description: C(PID) of the child.
      type: int
      returned: when the page has the column
      sample: 9155
    acc:
      description: C(Acc), accesses on this connection / this child / this slot.
      type: str
      returned: when the page has the column
      sample: "0/4/4"
    acc_connection:
      description: The first part of C(acc).
      type: int
      returned: when the page has the column
      sample: 0
    acc_child:
      description: The second part of C(acc).
      type: int
      returned: when the page has the column
      sample: 4
    acc_slot:
      description: The third part of C(acc).
      type: int
      returned: when the page has the column
      sample: 4
    m:
      description: C(M), the scoreboard character of the slot.
      type: str
      returned: when the page has the column
      sample: "W"
    mode:
      description: The state of C(m), named as in RV(scoreboard.states) (V(unknown) outside the key).
      type: str
      returned: when the page has the column
      sample: "sending"
    cpu:
      description: C(CPU) seconds.
      type: float
      returned: when the page has the column
      sample: 0.0
    ss:
      description: C(SS), seconds since the start of the most recent request.
      type: int
      returned: when the page has the column
      sample: 0
    req:
      description: C(Req), milliseconds spent on the most recent request.
      type: int
      returned: when the page has the column
      sample: 0
    dur:
      description: C(Dur), sum of the milliseconds spent on requests.
      type: int
      returned: when the page has the column
      sample: 1
    conn:
      description: C(Conn), kilobytes transferred on this connection.
      type: float
      returned: when the page has the column
      sample: 0.0
    child:
      description: C(Child), megabytes transferred by this child.
      type: float
      returned: when the page has the column
      sample: 0.04
    slot:
      description: C(Slot), megabytes transferred by this slot.
      type: float
      returned: when the page has the column
      sample: 0.04
    client:
      description: C(Client) address.
      type: str
      returned: when the page has the column
      sample: "127.0.0.1"
    protocol:
      description: C(Protocol).
      type: str
      returned: when the page has the column
      sample: "http/1.1"
    vhost:
      description: C(VHost).
      type: str
      returned: when the page has the column
      sample: "172.17.0.2:80"
    request:
      description: C(Request), the request line.
      type: str
      returned: when the page has the column
      sample: "GET /sleep.php HTTP/1.1"
requests_dropped:
  description: Rows of the current-requests table beyond the first 20,000, which are not returned.
  returned: when full=true
  type: int
  sample: 0
  version_added: 0.2.0
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hostops.fleet.plugins.module_utils._apache_status import ApacheStatusError, gather
from ansible_collections.hostops.fleet.plugins.module_utils._bounded_http import password_in


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type='str', default='http://localhost/server-status'),
            full=dict(type='bool', default=False),
            timeout=dict(type='int', default=10),
            max_body_bytes=dict(type='int', default=8388608),
            validate_certs=dict(type='bool', default=True),
            url_username=dict(type='str'),
            url_password=dict(type='str', no_log=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if password_in(params['url']):
        # Like url_password: never echoed back, whether in invocation, a message or a result.
        module.no_log_values.add(password_in(params['url']))
    try:
        result = gather(params['url'], full=params['full'], timeout=params['timeout'],
                        max_body_bytes=params['max_body_bytes'], validate_certs=params['validate_certs'],
                        url_username=params['url_username'], url_password=params['url_password'])
    except ApacheStatusError as err:
        module.fail_json(msg=str(err))
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
