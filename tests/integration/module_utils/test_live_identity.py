# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The system subset on this live host against ip route get, hostname, hostname -I, uname and os-release.

Then in a new network namespace (unshare -n), where there is no route at all: the addresses are null,
as `ip route get` fails there.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.identity import PROBE_ADDRESSES

from support.hostfacts_fixtures import options
from support.paths import CHECKOUT

pytestmark = pytest.mark.skipif(not sys.platform.startswith('linux') or not shutil.which('ip'),
                                reason='needs Linux and iproute2')


def tool(*argv):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True,
                          check=False).stdout


def route_get(family):
    """{'dev': ..., 'src': ...} of `ip -4|-6 route get <probe>`, or {} without a route."""
    words = tool('ip', '-%d' % (4 if family == socket.AF_INET else 6), 'route', 'get', PROBE_ADDRESSES[family]).split()
    return dict((key, words[words.index(key) + 1]) for key in ('dev', 'src') if key in words)


@pytest.fixture(scope='module')
def system():
    return gather(options(gather_subset=['system']))['system']


def test_primary_address_is_the_source_ip_route_get_prints(system):
    ipv4, ipv6 = route_get(socket.AF_INET), route_get(socket.AF_INET6)
    address = system['primary_address']
    assert address['ipv4'] == ipv4.get('src')
    assert address['ipv6'] == ipv6.get('src')
    assert address['interface'] == (ipv4 or ipv6).get('dev')
    if address['ipv4']:
        assert address['ipv4'] in tool('hostname', '-I').split()


def test_names_are_uname_s_and_hostname_s(system):
    assert system['hostname'] == tool('hostname').strip()
    assert system['kernel'] == {'release': tool('uname', '-r').strip(), 'machine': tool('uname', '-m').strip()}


def test_os_is_os_release(system):
    script = '. /etc/os-release && printf "%s\\n" "ID=$ID" "VERSION_ID=$VERSION_ID" "PRETTY_NAME=$PRETTY_NAME"'
    fields = dict(line.split('=', 1) for line in tool('sh', '-c', script).splitlines())
    assert system['os'] == {'id': fields['ID'] or None, 'version_id': fields['VERSION_ID'] or None,
                            'pretty_name': fields['PRETTY_NAME'] or None}


def test_uptime_and_boot_time_agree_with_proc(system):
    with open('/proc/uptime') as handle:
        uptime = float(handle.read().split()[0])
    assert 0 <= uptime - system['uptime_seconds'] < 60
    booted = tool('date', '-d', system['boot_time'], '+%s').strip()
    assert abs(int(booted) + system['uptime_seconds'] - float(tool('date', '+%s.%N'))) < 60


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which('unshare'), reason='needs root and unshare')
def test_a_network_namespace_without_routes_has_no_primary_address(tmp_path):
    root = tmp_path / 'collections'
    (root / 'ansible_collections' / 'hostops').mkdir(parents=True)
    os.symlink(CHECKOUT, str(root / 'ansible_collections' / 'hostops' / 'fleet'))
    code = ('import json, sys; sys.path.insert(0, sys.argv[1]); '
            'from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather; '
            'from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.options import HostfactsOptions; '
            'print(json.dumps(gather(HostfactsOptions.from_params({"gather_subset": ["system"]}))["system"]))')
    done = subprocess.run(['unshare', '-n', 'sh', '-c', 'ip route get 8.8.8.8 >/dev/null 2>&1 && echo routed; '
                           '"$0" -c "$1" "$2"', sys.executable, code, str(root)],
                          stdout=subprocess.PIPE, universal_newlines=True, check=True)
    assert 'routed' not in done.stdout
    system = json.loads(done.stdout)
    assert system['primary_address'] == {'interface': None, 'ipv4': None, 'ipv6': None}
    assert system['hostname'] == socket.gethostname()
