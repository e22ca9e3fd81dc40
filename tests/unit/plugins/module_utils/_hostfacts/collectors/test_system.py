# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The system subset on trees written here: os-release, the kernel's names, uptime and the primary address.

The routing files are the kernel's format, copied from a Debian 12 VM (eth0 with 192.0.2.2/24 and fd00::2,
docker0 with 172.17.0.1/16): /proc/net/route prints each address as the 32-bit word in host order.
"""

from __future__ import annotations

import os
import socket
import time

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.collectors.system import route_interface
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.options import HostfactsOptions
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.identity import (
    Route, parse_os_release,
)
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS

DEBIAN_12 = '''PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
'''
ROUTE = '''Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
'''
IPV6_ROUTE = '''fd000000000000000000000000000000 40 00000000000000000000000000000000 00 \
00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 \
fd000000000000000000000000000001 00000400 00000003 00000000 00000003     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 \
00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
'''
IF_INET6 = '''fd000000000000000000000000000002 02 40 00 80     eth0
00000000000000000000000000000001 01 80 10 80       lo
'''


class RoutedProcFS(ProcFS):
    """A tree with the source addresses the kernel would have picked (fixture trees have no kernel)."""

    def __init__(self, root, sources):
        super(RoutedProcFS, self).__init__(root)
        self.sources = sources

    def route_source_address(self, family):
        return self.sources.get(family)


def write(root, relative, text):
    path = os.path.join(str(root), relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as handle:
        handle.write(text)


def host_tree(root, os_release_at='etc/os-release'):
    if os_release_at:
        write(root, os_release_at, DEBIAN_12)
    write(root, 'proc/sys/kernel/hostname', 'web-01\n')
    write(root, 'proc/sys/kernel/osrelease', '6.1.0-28-amd64\n')
    write(root, 'proc/sys/kernel/arch', 'x86_64\n')
    write(root, 'proc/uptime', '3725.51 7000.10\n')
    write(root, 'proc/stat', 'cpu  1 2 3 4 5 6 7 8 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nbtime 1700000000\nprocesses 9\n')
    write(root, 'proc/net/route', ROUTE)
    write(root, 'proc/net/ipv6_route', IPV6_ROUTE)
    write(root, 'proc/net/if_inet6', IF_INET6)
    return str(root)


def system_of(procfs):
    return gather(HostfactsOptions.from_params({'gather_subset': ['system'], 'interval': 0}), procfs=procfs)


def test_the_shape_the_report_codes_against(tmp_path):
    procfs = RoutedProcFS(host_tree(tmp_path), {socket.AF_INET: '192.0.2.2', socket.AF_INET6: 'fd00::2'})
    facts = system_of(procfs)
    assert facts['gather_subset'] == ['system']
    assert facts['system'] == {
        'hostname': 'web-01',
        'os': {'id': 'debian', 'version_id': '12', 'pretty_name': 'Debian GNU/Linux 12 (bookworm)'},
        'kernel': {'release': '6.1.0-28-amd64', 'machine': 'x86_64'},
        'uptime_seconds': 3725.51,
        'boot_time': time.strftime('%Y-%m-%dT%H:%M:%S%z', time.localtime(1700000000)),
        'primary_address': {'interface': 'eth0', 'ipv4': '192.0.2.2', 'ipv6': 'fd00::2'},
    }
    assert facts['warnings'] == [] and facts['alerts'] == []


def test_an_ipv6_only_host_names_the_interface_of_its_address(tmp_path):
    procfs = RoutedProcFS(host_tree(tmp_path), {socket.AF_INET6: 'fd00::2'})
    assert system_of(procfs)['system']['primary_address'] == {'interface': 'eth0', 'ipv4': None, 'ipv6': 'fd00::2'}


def test_without_a_route_or_files_every_value_is_null(tmp_path):
    """A container with --network none and no os-release: nulls, no warning, no failure."""
    write(tmp_path, 'proc/sys/kernel/hostname', 'box\n')
    facts = system_of(RoutedProcFS(str(tmp_path), {}))
    assert facts['system'] == {
        'hostname': 'box', 'os': {'id': None, 'version_id': None, 'pretty_name': None},
        'kernel': {'release': None, 'machine': None}, 'uptime_seconds': None, 'boot_time': None,
        'primary_address': {'interface': None, 'ipv4': None, 'ipv6': None},
    }


def test_os_release_falls_back_to_usr_lib(tmp_path):
    """os-release(5): /etc/os-release first, /usr/lib/os-release when it is missing."""
    procfs = RoutedProcFS(host_tree(tmp_path, os_release_at='usr/lib/os-release'), {})
    assert system_of(procfs)['system']['os']['id'] == 'debian'


@pytest.mark.parametrize('text, expected', [
    (DEBIAN_12, {'ID': 'debian', 'VERSION_ID': '12', 'PRETTY_NAME': 'Debian GNU/Linux 12 (bookworm)'}),
    # os-release(5): single quotes are literal, double quotes take backslash escapes; comments and blanks.
    ('# comment\n\nNAME=\'Fancy "OS"\'\nPRETTY_NAME="Fancy \\"OS\\" \\\\ 1"\nID=fancy\n',
     {'NAME': 'Fancy "OS"', 'PRETTY_NAME': 'Fancy "OS" \\ 1', 'ID': 'fancy'}),
    ('VERSION_ID=\n', {'VERSION_ID': ''}),
])
def test_parse_os_release(text, expected):
    parsed = parse_os_release(text)
    for key, value in expected.items():
        assert parsed[key] == value


def test_the_longest_prefix_then_the_lowest_metric_wins():
    routes = [Route('0.0.0.0', 0, 100, 'wlan0'), Route('0.0.0.0', 0, 0, 'eth0'), Route('8.8.0.0', 16, 500, 'tun0')]
    assert route_interface(routes, socket.AF_INET, '8.8.8.8') == 'tun0'
    assert route_interface(routes, socket.AF_INET, '1.1.1.1') == 'eth0'
    assert route_interface([], socket.AF_INET, '1.1.1.1') is None


def test_ipv6_routes_leave_out_rejecting_routes(tmp_path):
    procfs = ProcFS(host_tree(tmp_path))
    assert [route.interface for route in procfs.ipv6_routes()] == ['eth0', 'eth0']
    assert procfs.ipv4_routes()[0] == Route('0.0.0.0', 0, 0, 'eth0')
    assert procfs.ipv4_routes()[1] == Route('172.17.0.0', 16, 0, 'docker0')
