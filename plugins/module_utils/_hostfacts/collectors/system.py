# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The system subset of hostfacts: which host this is (OS, kernel, uptime, primary address). Private.

What the fleet report's host table shows, at the cost of a few small files: /etc/os-release,
uname, /proc/uptime, /proc/stat's btime and the routing tables. No subprocess, no packet.
"""

from __future__ import annotations

import socket

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.collector import Collector
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.psformat import iso_time
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.identity import PROBE_ADDRESSES


def route_interface(routes, family, address):
    """The interface of the route ``ip route get address`` takes in the main table: the longest prefix
    that holds the address, then the lowest metric; None without one."""
    bits = 32 if family == socket.AF_INET else 128
    target = _as_int(family, address)
    best = None
    for route in routes or []:
        shift = bits - route.prefix_length
        if target >> shift != _as_int(family, route.destination) >> shift:
            continue
        if best is None or (-route.prefix_length, route.metric) < (-best.prefix_length, best.metric):
            best = route
    return best.interface if best else None


def _as_int(family, address):
    return int.from_bytes(socket.inet_pton(family, address), 'big')


class SystemCollector(Collector):
    """hostname, os, kernel, uptime_seconds, boot_time and primary_address; a value that cannot be known is null."""

    name = 'system'

    def finish(self, elapsed):
        procfs = self.procfs
        names = procfs.kernel_names()
        release = procfs.os_release() or {}
        uptime = procfs.uptime()
        system = procfs.system_stat()
        boot = system.btime if system and system.btime else None
        return {
            'hostname': names.hostname,
            'os': {'id': release.get('ID') or None, 'version_id': release.get('VERSION_ID') or None,
                   'pretty_name': release.get('PRETTY_NAME') or None},
            'kernel': {'release': names.release, 'machine': names.machine},
            'uptime_seconds': None if uptime is None else round(uptime, 2),
            'boot_time': None if boot is None else iso_time(boot),
            'primary_address': self._primary_address(),
        }

    def _primary_address(self):
        """The source addresses of the default routes (what `ip route get` prints as src) and the interface
        they leave by: the IPv4 route's, else the IPv6 one's."""
        procfs = self.procfs
        ipv4 = procfs.route_source_address(socket.AF_INET)
        ipv6 = procfs.route_source_address(socket.AF_INET6)
        interface = None
        if ipv4 is not None:
            interface = route_interface(procfs.ipv4_routes(), socket.AF_INET, PROBE_ADDRESSES[socket.AF_INET])
        if interface is None and ipv6 is not None:
            interface = (procfs.ipv6_interfaces() or {}).get(ipv6) or route_interface(
                procfs.ipv6_routes(), socket.AF_INET6, PROBE_ADDRESSES[socket.AF_INET6])
        return {'interface': interface, 'ipv4': ipv4, 'ipv6': ipv6}
