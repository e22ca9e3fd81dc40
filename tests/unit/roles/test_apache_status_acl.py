# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The apache_status role's allow-list classifier (templates/allow_acl.json.j2), rendered by ansible-core's
Templar as the role's template lookup renders it: entries compared as the networks Apache admits.

The accepted forms follow apr_ipsubnet_create() (apr network_io/unix/sockaddr.c), which mod_authz_host's
"Require ip" uses; Python's ipaddress module is the independent reference for the ranges, and Molecule
checks the same entries against a real Apache.
"""

from __future__ import annotations

import ipaddress
import json
import os

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from support import paths
from support.templating import trust_as_template

TEMPLATE = os.path.join(paths.CHECKOUT, 'roles', 'apache_status', 'templates', 'allow_acl.json.j2')


def classify(entries, local_addresses=None):
    with open(TEMPLATE) as handle:
        text = handle.read()
    variables = {'apache_status_allow': entries}
    if local_addresses is not None:
        variables['apache_status_local_addresses'] = local_addresses
    return json.loads(Templar(loader=DataLoader(), variables=variables).template(trust_as_template(text)))


@pytest.mark.parametrize('entry', ['10.1.2.3', '10', '172.20', '192.168.2', '10.0.0.0/8', '10.9.9.9/255.255.0.0',
                                   '2001:db8::/32', '::1', 'fe80::1:2/64', '::ffff:10.0.0.1', '1::', '1:2:3:4:5:6:7:8'])
def test_require_ip_forms_are_accepted(entry):
    assert classify([entry])['ip'] == [entry]


@pytest.mark.parametrize('entry', ['10.0.0.300/8', '10.0.0.300', '10/8', '1.2.3.4/255.0.255.0', '2001:db8::/255.0.0.0',
                                   '1.2.3.4/33', '2001:db8::/129', '1:2:3:4:5:6:7:8:9', '1::2::3', 'g::1',
                                   'monitor host!', '1.2.3.4/8/8', '256'])
def test_entries_apache_or_the_role_would_not_take_are_invalid(entry):
    result = classify([entry])
    assert result['ip'] == [] and result['host'] == []
    assert result['invalid'][0].startswith(entry + ' (')


@pytest.mark.parametrize('entries, families', [
    (['1.2.3.4/0.0.0.0'], ['IPv4']),
    (['0.0.0.0/0'], ['IPv4']),
    (['0.0.0.0/1', '128.0.0.0/1'], ['IPv4']),
    (['0.0.0.0/2', '64.0.0.0/2', '128.0.0.0/1'], ['IPv4']),
    (['128.0.0.0/1', '0.0.0.0/2', '64.0.0.0/3', '96.0.0.0/3'], ['IPv4']),
    (['::/1', '8000::/1'], ['IPv6']),
    (['0.0.0.0/1', '128.0.0.0/1', '::/0'], ['IPv4', 'IPv6']),
    (['0.0.0.0/1', '128.0.0.0/2'], []),
    (['0', '128'], []),
    (['10.0.0.0/8', '2001:db8::/32'], []),
])
def test_union_of_entries_is_compared_not_their_spelling(entries, families):
    assert classify(entries)['covers_everyone'] == families


@pytest.mark.parametrize('entries', [['10.1', '192.168.2', '10.9.9.9/255.255.0.0', '0.0.0.0/1', '172.16.0.0/12'],
                                     ['::1', '2001:db8::/32', 'fe80::1:2/64', '8000::/1']])
def test_ranges_agree_with_python_ipaddress(entries):
    """Each entry's range, checked through the refused-source probe on its first, last and next address."""
    for entry in entries:
        address, _sep, mask = entry.partition('/')
        if ':' in address:
            continue  # refused_source looks at IPv4 only; IPv6 ranges are checked by the union cases above
        octets = address.split('.')
        prefix = (int(mask) if mask.isdigit() else bin(int(ipaddress.IPv4Address(mask))).count('1')) if mask \
            else (32 if len(octets) == 4 else 8 * len(octets))
        network = ipaddress.IPv4Network('{0}/{1}'.format('.'.join((octets + ['0'] * 3)[:4]), prefix), strict=False)
        inside = [str(network.network_address), str(network.broadcast_address)]
        assert classify([entry], inside)['refused_source'] == ''
        if int(network.broadcast_address) < 2 ** 32 - 1:
            outside = str(network.broadcast_address + 1)
            assert classify([entry], [outside])['refused_source'] == outside


def test_all_and_host_names_are_kept_apart_for_the_role_to_refuse():
    result = classify(['all', 'ALL', 'monitor.example.org', '.example.org', '10.1'])
    assert result['all'] == ['all', 'ALL']
    assert result['host'] == ['monitor.example.org', '.example.org']
    assert result['ip'] == ['10.1']
    assert result['invalid'] == []


def test_refused_source_is_a_local_address_no_entry_admits():
    addresses = ['127.0.0.1', '10.1.2.3', '172.17.0.2']
    assert classify(['10.1'], addresses)['refused_source'] == '172.17.0.2'
    assert classify(['10.1', '172.16.0.0/12'], addresses)['refused_source'] == ''
    assert classify([], ['not-an-address', '127.0.0.5'])['refused_source'] == ''
