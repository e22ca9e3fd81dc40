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
scoreboard:
  description: The scoreboard decoded with mod_status's key.
  returned: always
  type: dict
  contains:
    slots:
      description: Number of scoreboard slots (processes times threads per process).
      type: int
    states:
      description:
        - Count of slots per state. V(waiting) C(_), V(starting) C(S), V(reading) C(R), V(sending) C(W),
          V(keepalive) C(K), V(dns_lookup) C(D), V(closing) C(C), V(logging) C(L), V(graceful) C(G),
          V(idle_cleanup) C(I), V(open) C(.) (no process).
      type: dict
    unknown:
      description: Slots with a character outside the key.
      type: int
    busy:
      description: Slots serving a connection (every state except waiting, open, starting and idle cleanup).
      type: int
    idle:
      description: Slots waiting for a connection.
      type: int
    live:
      description: Slots that have a process (every state except open).
      type: int
    busy_share:
      description: RV(scoreboard.busy) divided by RV(scoreboard.slots), the share of the configured capacity in use (0 to 1).
      type: float
    busy_share_of_live:
      description: RV(scoreboard.busy) divided by RV(scoreboard.live) (0 to 1).
      type: float
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
    - Keys are the column headers in lower case (srv, pid, acc, m, cpu, ss, req, dur, conn, child, slot, client,
      protocol, vhost, request); C(acc) is also split into C(acc_connection), C(acc_child), C(acc_slot), and
      C(mode) names the state in C(m).
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
