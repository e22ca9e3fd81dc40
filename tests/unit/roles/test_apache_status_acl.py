# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The apache_status role's allow-list filters: entries compared as the networks Apache admits.

The accepted forms follow apr_ipsubnet_create() (apr network_io/unix/sockaddr.c), which
mod_authz_host's "Require ip" uses; Molecule checks the same entries against a real Apache.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

from support import paths

_SPEC = importlib.util.spec_from_file_location(
    'apache_status_acl', os.path.join(paths.CHECKOUT, 'roles', 'apache_status', 'filter_plugins', 'apache_status_acl.py'))
acl = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(acl)


@pytest.mark.parametrize('entry, network', [
    ('10.1.2.3', '10.1.2.3/32'),
    ('10', '10.0.0.0/8'),
    ('172.20', '172.20.0.0/16'),
    ('192.168.2', '192.168.2.0/24'),
    ('10.0.0.0/8', '10.0.0.0/8'),
    ('10.9.9.9/255.255.0.0', '10.9.0.0/16'),
    ('2001:db8::/32', '2001:db8::/32'),
    ('::1', '::1/128'),
    ('::ffff:10.0.0.1', '10.0.0.1/32'),
])
def test_require_ip_forms_become_the_network_apache_admits(entry, network):
    assert acl.classify_entry(entry) == ('ip', acl.ipaddress.ip_network(network))


@pytest.mark.parametrize('entry', ['10.0.0.300/8', '10/8', '1.2.3.4/255.0.255.0', '2001:db8::/255.0.0.0',
                                   '1.2.3.4/33', 'monitor host!', ''])
def test_entries_apache_or_the_role_would_not_take_are_invalid(entry):
    assert acl.classify_entry(entry)[0] == 'invalid'


@pytest.mark.parametrize('entries, families', [
    (['1.2.3.4/0.0.0.0'], ['IPv4']),
    (['0.0.0.0/0'], ['IPv4']),
    (['0.0.0.0/1', '128.0.0.0/1'], ['IPv4']),
    (['0.0.0.0/2', '64.0.0.0/2', '128.0.0.0/1'], ['IPv4']),
    (['::/1', '8000::/1'], ['IPv6']),
    (['0.0.0.0/1', '128.0.0.0/1', '::/0'], ['IPv4', 'IPv6']),
    (['0.0.0.0/1', '128.0.0.0/2'], []),
    (['0', '128'], []),
    (['10.0.0.0/8', '2001:db8::/32'], []),
])
def test_union_of_entries_is_compared_not_their_spelling(entries, families):
    assert acl.apache_status_acl(entries)['covers_everyone'] == families


def test_all_and_host_names_are_kept_apart_for_the_role_to_refuse():
    result = acl.apache_status_acl(['all', 'ALL', 'monitor.example.org', '.example.org', '10.1'])
    assert result['all'] == ['all', 'ALL']
    assert result['host'] == ['monitor.example.org', '.example.org']
    assert result['ip'] == ['10.1']
    assert result['networks'] == {'10.1': '10.1.0.0/16'}


def test_refused_source_is_a_local_address_no_entry_admits():
    addresses = ['127.0.0.1', '10.1.2.3', '172.17.0.2']
    assert acl.apache_status_refused_source(addresses, ['10.1']) == '172.17.0.2'
    assert acl.apache_status_refused_source(addresses, ['10.1', '172.16.0.0/12']) == ''
    assert acl.apache_status_refused_source(['not-an-address'], []) == ''


def test_probe_summary_is_one_bounded_line():
    answer = {'status': 200, 'content_type': 'text/html', 'via': '1.1 backend', 'body': 'x\n' * 500}
    summary = acl.apache_status_probe_summary(answer)
    assert summary.startswith('200, type text/html, via 1.1 backend: "x x')
    assert len(summary) < 300 and '\n' not in summary
    assert acl.apache_status_probe_summary({'status': 0, 'error': 'Connection refused'}) == 'nothing (Connection refused)'
