# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Classify apache_status_allow entries by the networks Apache would admit, not by their spelling.

Apache 2.4 reads each word of ``Require ip`` with apr_ipsubnet_create() (apr
network_io/unix/sockaddr.c, called from ip_parse_config() in modules/aaa/mod_authz_host.c):

- a full IPv4 or IPv6 address, optionally followed by ``/bits`` with 1 <= bits <= 32 (128 for IPv6;
  ``/0`` is refused by apr, and reported here as the "everyone" it means);
- a full IPv4 address followed by ``/a.b.c.d``, any dotted netmask, ``0.0.0.0`` included;
- without a mask, a partial IPv4 address of one to three octets (``10``, ``172.20``, ``192.168.2``),
  which admits the /8, /16 or /24 it starts.

So ``1.2.3.4/0.0.0.0`` admits every IPv4 client, and so do ``0.0.0.0/1`` and ``128.0.0.0/1`` together.
The role compares the union of the networks, never the strings.
"""

from __future__ import annotations

import ipaddress
import re

PARTIAL_IPV4 = re.compile(r'^[0-9]{1,3}(\.[0-9]{1,3}){0,2}$')
HOST_NAME = re.compile(r'^\.?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$')
EVERYONE = {4: ipaddress.ip_network('0.0.0.0/0'), 6: ipaddress.ip_network('::/0')}


def _partial_ipv4(text):
    octets = [int(part) for part in text.split('.')]
    if any(octet > 255 for octet in octets):
        raise ValueError('octet over 255')
    padded = octets + [0] * (4 - len(octets))
    return ipaddress.IPv4Network('{0}/{1}'.format('.'.join(map(str, padded)), 8 * len(octets)))


def _mask_bits(mask, family):
    """The prefix length of a /bits or dotted mask, as apr_ipsubnet_create() accepts them."""
    if mask.isdigit():
        bits = int(mask)
        if bits == 0:
            return 0  # apr refuses /0, but its intent is "everyone": report it as such
        if not bits <= (32 if family == 4 else 128):
            raise ValueError('/{0} is over {1}'.format(mask, 32 if family == 4 else 128))
        return bits
    if family != 4:
        raise ValueError('a dotted netmask needs an IPv4 address')
    value = int(ipaddress.IPv4Address(mask))
    bits = bin(value).count('1')
    if value != (0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF:
        raise ValueError('netmask {0} is not contiguous'.format(mask))
    return bits


def require_ip_network(entry):
    """The network one ``Require ip`` word admits; ValueError when Apache (or the role) would not take it."""
    address, _sep, mask = entry.partition('/')
    if not mask and PARTIAL_IPV4.match(address) and address.count('.') < 3:
        return _partial_ipv4(address)
    parsed = ipaddress.ip_address(address)
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped:
        parsed = parsed.ipv4_mapped
    bits = _mask_bits(mask, parsed.version) if mask else parsed.max_prefixlen
    return ipaddress.ip_network('{0}/{1}'.format(parsed, bits), strict=False)


def _looks_numeric(entry):
    return bool(entry) and all(char in '0123456789abcdefABCDEF.:/' for char in entry) and any(
        char.isdigit() for char in entry)


def classify_entry(entry):
    """One of ('ip', network), ('all', None), ('host', None) or ('invalid', reason)."""
    text = str(entry).strip()
    if text.lower() == 'all':
        return 'all', None
    if _looks_numeric(text):
        try:
            return 'ip', require_ip_network(text)
        except ValueError as exc:
            return 'invalid', str(exc)
    if HOST_NAME.match(text):
        return 'host', None
    return 'invalid', 'neither an address, a range nor a host name'


def families_covered(networks):
    """The address families (4, 6) whose every address the union of networks admits."""
    covered = []
    for family, everyone in EVERYONE.items():
        own = [net for net in networks if net.version == family]
        if list(ipaddress.collapse_addresses(own)) == [everyone]:
            covered.append(family)
    return covered


def apache_status_acl(entries):
    """Split apache_status_allow into Require ip / host lines and what the role must refuse."""
    result = {'ip': [], 'host': [], 'all': [], 'invalid': [], 'networks': {}, 'covers_everyone': []}
    for entry in entries or []:
        kind, detail = classify_entry(entry)
        result[kind].append(str(entry))
        if kind == 'ip':
            result['networks'][str(entry)] = str(detail)
        elif kind == 'invalid':
            result['invalid'][-1] = '{0} ({1})'.format(entry, detail)
    networks = [ipaddress.ip_network(net) for net in result['networks'].values()]
    result['covers_everyone'] = ['IPv{0}'.format(family) for family in families_covered(networks)]
    return result


def _admitted(client, entries):
    for kind, network in map(classify_entry, entries or []):
        if kind == 'ip' and client.version == network.version and client in network:
            return True
    return False


def apache_status_refused_source(addresses, entries):
    """The first non-loopback address among addresses that no Require ip entry admits, or ''."""
    for address in addresses or []:
        try:
            client = ipaddress.ip_address(str(address))
        except ValueError:
            continue
        if not client.is_loopback and not _admitted(client, entries):
            return str(client)
    return ''


def apache_status_probe_summary(answer):
    """One line about what answered a probe (files/status_probe.py output), for an error message."""
    if not isinstance(answer, dict) or not answer.get('status'):
        return 'nothing ({0})'.format(str((answer or {}).get('error', 'no answer'))[:200])
    parts = [str(answer['status'])]
    for label, key in (('type', 'content_type'), ('redirect to', 'location'), ('via', 'via')):
        if answer.get(key):
            parts.append('{0} {1}'.format(label, str(answer[key])[:120]))
    body = ' '.join(str(answer.get('body', '')).split())[:160]
    return '{0}: "{1}"'.format(', '.join(parts), body)


class FilterModule(object):
    """apache_status role filters."""

    def filters(self):
        return {
            'apache_status_acl': apache_status_acl,
            'apache_status_refused_source': apache_status_refused_source,
            'apache_status_probe_summary': apache_status_probe_summary,
        }
