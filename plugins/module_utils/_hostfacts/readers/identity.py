# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What names a host: os-release, the kernel's uname, the routing tables and the primary address. Private.

No subprocess and no packet: the source address of the default route is what the kernel picks when
a UDP socket is connected (connect() on a datagram socket only looks the route up), the way
``ip route get`` asks the kernel without sending anything.
"""

from __future__ import annotations

import os
import socket
import struct
from collections import namedtuple

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.files import FileReader

KernelNames = namedtuple('KernelNames', ['hostname', 'release', 'machine'])
# One route of /proc/net/route or /proc/net/ipv6_route: destination and prefix length, metric, interface.
Route = namedtuple('Route', ['destination', 'prefix_length', 'metric', 'interface'])

# The addresses ansible-core's network facts ask `ip route get` about (module_utils/facts/network/linux.py):
# any global address takes the route most hosts call their primary one.
PROBE_ADDRESSES = {socket.AF_INET: '8.8.8.8', socket.AF_INET6: '2404:6800:400a:800::1012'}
_RTF_UP = 0x0001
_RTF_REJECT = 0x0200


def parse_os_release(text):
    """{KEY: value} of an os-release file (os-release(5): shell-style assignments, quotes and backslash escapes)."""
    values = {}
    for line in text.splitlines():
        line = line.strip()
        key, sep, value = line.partition('=')
        if not sep or line.startswith('#') or not key.replace('_', '').isalnum():
            continue
        if len(value) >= 2 and value[0] == value[-1] and value[0] in '"\'':
            value = value[1:-1]
            if line[len(key) + 1] == '"':
                value = _unescape(value)
        values[key] = value
    return values


def _unescape(value):
    out, escaped = [], False
    for char in value:
        if escaped or char != '\\':
            out.append(char)
            escaped = False
        else:
            escaped = True
    return ''.join(out)


def _ipv6(hex_address):
    """An IPv6 address as /proc/net prints it (32 hex digits) in its usual text form."""
    return socket.inet_ntop(socket.AF_INET6, bytes.fromhex(hex_address))


class IdentityFiles(FileReader):
    """/etc/os-release, uname, /proc/net/route, /proc/net/ipv6_route and /proc/net/if_inet6."""

    def os_release(self):
        """The os-release fields, from /etc/os-release or else /usr/lib/os-release (os-release(5)), or None."""
        for parts in (('etc', 'os-release'), ('usr', 'lib', 'os-release')):
            path = self.path(*parts)
            if os.path.exists(path):
                text = self.read_text(path, 'os-release')
                if text is not None:
                    return parse_os_release(text)
        return None

    def kernel_names(self):
        """KernelNames of the running kernel (uname -n, -r, -m); below a fixture root, its /proc/sys/kernel files."""
        if self.live:
            names = os.uname()
            return KernelNames(names.nodename, names.release, names.machine)
        return KernelNames(*(self._kernel_value(name) for name in ('hostname', 'osrelease', 'arch')))

    def _kernel_value(self, name):
        text = self.read_text('%s/sys/kernel/%s' % (self.proc, name), 'sysctl')
        return text.strip() if text else None

    def ipv4_routes(self):
        """The usable routes of the main IPv4 table (/proc/net/route), or None when the file is missing."""
        rows = self.read_rows(self.proc + '/net/route', 'net', 8, header=1)
        if rows is None:
            return None
        routes = []
        for fields in rows:
            if not int(fields[3], 16) & _RTF_UP:
                continue
            # The kernel prints each address as the 32-bit word it holds in network order: native packing
            # gives the bytes back.
            destination = socket.inet_ntop(socket.AF_INET, struct.pack('=I', int(fields[1], 16)))
            routes.append(Route(destination, bin(int(fields[7], 16)).count('1'), int(fields[6]), fields[0]))
        return routes

    def ipv6_routes(self):
        """The usable routes of /proc/net/ipv6_route (rejecting routes left out), or None when it is missing."""
        rows = self.read_rows(self.proc + '/net/ipv6_route', 'net', 10)
        if rows is None:
            return None
        return [Route(_ipv6(fields[0]), int(fields[1], 16), int(fields[5], 16), fields[9]) for fields in rows
                if int(fields[8], 16) & (_RTF_UP | _RTF_REJECT) == _RTF_UP]

    def ipv6_interfaces(self):
        """{address: interface} of /proc/net/if_inet6, or None when the file is missing."""
        rows = self.read_rows(self.proc + '/net/if_inet6', 'net', 6)
        if rows is None:
            return None
        return dict((_ipv6(fields[0]), fields[5]) for fields in rows)

    def route_source_address(self, family):
        """The source address the kernel picks for PROBE_ADDRESSES[family], or None (no route, no family).

        Connecting a UDP socket sends nothing; it looks the route up and binds the source. Live hosts
        only: a fixture tree has no kernel behind it.
        """
        if not self.live:
            return None
        try:
            probe = socket.socket(family, socket.SOCK_DGRAM)
        except OSError:
            return None
        try:
            probe.connect((PROBE_ADDRESSES[family], 53))
            return probe.getsockname()[0]
        except OSError:
            return None
        finally:
            probe.close()
