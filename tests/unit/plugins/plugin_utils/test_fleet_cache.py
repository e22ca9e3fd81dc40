# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fact cache reader on ansible-core's real jsonfile cache plugin in a directory of its own: odd entries
are their host's malformed record and stay byte for byte, another ansible-core's entries are named once,
and the shortcuts of _fleet_cache_fast give the records of the public keys()/get() path.

Also run on every compat line (tests/compat/run.sh runs tests/unit against the installed tarball): on
ansible-core 2.16 there is no interposer, and the public path is the only one.
"""

from __future__ import annotations

import json
import re

import pytest

from ansible_collections.hostops.fleet.plugins.action import fleet_report as action
from ansible_collections.hostops.fleet.plugins.plugin_utils import _fleet_cache, _fleet_cache_fast as fast
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import summarize_host

OUTCOME = 'hostops_fleet_outcome'
NOW = 1796000000.0
# Stored bytes that are no host entry of ansible-core's, whichever its release: each its host's malformed record.
ODD = {
    'list': b'[]',
    'number': b'7',
    'payload-number': b'{"__payload__": 5}',
    'payload-list': b'{"__payload__": "[]"}',
    'payload-not-json': b'{"__payload__": "{\\"hostfacts\\": "}',
    'not-json': b'{"hostfacts": ',
    'not-utf-8': b'{"hostfacts": "\xff\xfe"}',
    'empty-file': b'',
}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """(writer, directory, interposed): the jsonfile plugin on a directory, as the action configures it."""
    monkeypatch.setenv('ANSIBLE_CACHE_PLUGIN_CONNECTION', str(tmp_path))
    monkeypatch.setenv('ANSIBLE_CACHE_PLUGIN_TIMEOUT', '0')
    monkeypatch.setattr(action.C, 'CACHE_PLUGIN', 'jsonfile')
    writer = action.configured_cache()
    return writer, tmp_path, fast.stored_keys(writer) is not None


def stored_file(writer, directory, name, value):
    """The file of host name, written by the plugin, then overwritten with value (bytes) when given."""
    writer.set(name, {})
    [path] = [path for path in directory.iterdir() if path.name.endswith(name) and path.name[:-len(name)] in ('', 's1_')]
    if value is not None:
        path.write_bytes(value)
    return path


def snapshot(directory):
    return dict((path.name, path.read_bytes()) for path in sorted(directory.iterdir()))


def read(directory, names=None, public=False):
    """(listing, {name: record}) of a fresh reader, through the shortcuts or the public path only."""
    with pytest.MonkeyPatch.context() as patch:
        if public:
            patch.setattr(fast, 'stored_keys', lambda plugin: None)
            patch.setattr(fast, 'stored_entries', lambda plugin, names: None)
        plugin = action.configured_cache()
        listing = _fleet_cache.cache_listing(plugin, 'jsonfile')
        hosts = list(_fleet_cache.cache_hosts(plugin, 'jsonfile', names or listing[0], OUTCOME))
    return listing, dict((host[0], summarize_host(*host, now=NOW)) for host in hosts)


def fill(writer, directory, facts):
    writer.set('web1', {'hostfacts': facts, OUTCOME: {'state': 'ok', 'msg': '', 'gathered_at': '2026-11-29T10:00:00Z'}})
    writer.set('db1', {OUTCOME: {'state': 'unreachable', 'msg': 'timed out'}})
    writer.set('deep', {'hostfacts': dict(facts, memory={'total': 'much', 'available': []}), OUTCOME: {'state': 'ok'}})
    writer.set('outcome-list', {'hostfacts': facts, OUTCOME: []})
    for name, value in ODD.items():
        stored_file(writer, directory, name, value)


@pytest.mark.parametrize('public', [False, True], ids=['shortcuts', 'public'])
def test_each_odd_entry_is_its_hosts_malformed_record_and_stays_byte_for_byte(cache, facts, public, monkeypatch):
    writer, directory, _interposed = cache
    fill(writer, directory, facts)
    before = snapshot(directory)
    for _attempt in range(2):
        listing, records = read(directory, public=public)
        assert snapshot(directory) == before
        assert listing == (sorted(['web1', 'db1', 'deep', 'outcome-list'] + list(ODD)), [])
        assert records['web1']['state'] == 'ok' and records['web1']['memory']['total'] == facts['memory']['total']
        assert records['db1']['state'] == 'unreachable'
        for name in list(ODD) + ['deep', 'outcome-list']:
            assert records[name]['state'] == 'malformed', (name, records[name])
        for name in ODD:
            message = records[name]['message']
            assert message.startswith('its fact cache entry (jsonfile, key ') and name + ') is unusable: ' in message


def test_the_shortcuts_give_the_records_of_the_public_path(cache, facts, monkeypatch):
    writer, directory, _interposed = cache
    fill(writer, directory, facts)
    names = ['web1', 'db1', 'deep', 'outcome-list', 'absent'] + list(ODD)
    shortcut = read(directory, names)
    public = read(directory, names, public=True)
    assert shortcut[0] == public[0]
    for name in names:
        if name in ODD or name == 'outcome-list':
            # The path that found the fault words it, and names the key it read (2.19+: with the schema prefix).
            assert shortcut[1][name]['state'] == public[1][name]['state'] == 'malformed'
        else:
            assert shortcut[1][name] == public[1][name], name


def test_entries_of_another_ansible_core_are_named_once_and_are_no_hosts(cache, facts, monkeypatch):
    writer, directory, interposed = cache
    writer.set('web1', {'hostfacts': facts, OUTCOME: {'state': 'ok'}})
    if interposed:  # this ansible-core has a storage schema: an older one stored the host as itself
        (directory / 'old1').write_text(json.dumps({'hostfacts': facts}))
        foreign = ['old1']
    else:  # this one has none: a newer one stored the host as a JSON text under a schema key
        (directory / 's1_new1').write_text(json.dumps({'__payload__': json.dumps({'hostfacts': facts})}))
        foreign = ['s1_new1']
    before = snapshot(directory)
    # The interposer's public keys() hides another schema's entries: only its plugin inside lists them.
    public = read(directory, public=True)
    assert public[0] == (['web1'], [] if interposed else foreign) and sorted(public[1]) == ['web1']
    listing, records = read(directory)
    assert listing == (['web1'], foreign) and records == public[1]
    warning = _fleet_cache.foreign_warning(listing[1], 'jsonfile')
    assert warning.startswith('the fact cache (jsonfile) holds 1 entry that this ansible-core cannot read')
    assert foreign[0] in warning
    assert snapshot(directory) == before
    many = _fleet_cache.foreign_warning(['h%02d' % n for n in range(25)], 'jsonfile')
    assert 'holds 25 entries' in many and len(re.findall(r'\bh[0-9]{2}\b', many)) == 10 and 'and 15 more' in many


def test_only_the_readers_own_instance_of_the_plugin_is_read_only(cache, facts):
    """The guard is on the instance the reader loaded; the run's own fact cache (another instance) still writes."""
    writer, directory, _interposed = cache
    plugin = action.configured_cache()
    list(_fleet_cache.cache_hosts(plugin, 'jsonfile', ['web1'], OUTCOME))
    plugin.set('web1', {'hostfacts': facts})
    plugin.delete('web1')
    plugin.flush()
    assert list(directory.iterdir()) == []
    action.configured_cache().set('web1', {'hostfacts': facts})
    assert [path.name for path in directory.iterdir() if path.name.endswith('web1')]


@pytest.mark.parametrize('public', [False, True], ids=['shortcuts', 'public'])
def test_an_entry_that_cannot_be_opened_is_its_hosts_malformed_record(cache, facts, public):
    writer, directory, interposed = cache
    fill(writer, directory, facts)
    stored_file(writer, directory, 'a-directory', None).unlink()
    (directory / [path.name for path in directory.iterdir() if path.name.endswith('web1')][0].replace('web1', 'a-directory')).mkdir()
    _listing, records = read(directory, ['web1', 'a-directory'], public=public)
    if public and not interposed and records['a-directory']['state'] == 'no_facts':
        # ansible-core 2.16's BaseFileCacheModule.get() warns and raises KeyError for a file it cannot open;
        # the shortcut (its _load) is what every line with a file cache takes.
        return
    assert records['web1']['state'] == 'ok' and records['a-directory']['state'] == 'malformed'
    assert 'key ' in records['a-directory']['message'] and 'a-directory' in records['a-directory']['message']


def test_the_reader_keeps_nothing_of_a_host_after_reading_it(cache, facts):
    writer, directory, _interposed = cache
    fill(writer, directory, facts)
    plugin = action.configured_cache()
    for _host in _fleet_cache.cache_hosts(plugin, 'jsonfile', ['web1', 'list', 'not-json'], OUTCOME):
        assert getattr(plugin, '__wrapped__', plugin)._cache == {}


def test_the_payload_decoder_unwraps_tagged_values_at_any_depth():
    tagged = {'value': {'state': {'value': 'ok', 'tags': [], '__ansible_type': '_AnsibleTaggedStr'}, 'n': [1]},
              'tags': [], '__ansible_type': '_AnsibleTaggedDict'}
    entry = fast.payload({'__payload__': json.dumps({OUTCOME: tagged, 'hostfacts': {'memory': {'total': 1}}})})
    assert entry == {OUTCOME: {'state': 'ok', 'n': [1]}, 'hostfacts': {'memory': {'total': 1}}}
    for stored, reason in (([], 'it is a list'), ({'__payload__': 5}, 'its __payload__ is a int'),
                           ({}, 'its __payload__ is missing'), ({'__payload__': '{'}, 'its __payload__ is not JSON')):
        with pytest.raises(fast.EntryError, match=reason):
            fast.payload(stored)


def test_a_cache_plugin_of_the_public_interface_alone_is_read_through_it(facts):
    """A plugin with keys()/get()/contains() only (no interposer, no file, no Redis): the public path."""
    class Plain(object):
        stored = {'a': {'hostfacts': facts, OUTCOME: {'state': 'ok'}}, 'b': [], b'c': {OUTCOME: {'state': 'failed', 'msg': 'x'}}}

        def keys(self):
            return list(self.stored)

        def get(self, key):
            return self.stored[key.encode() if key == 'c' else key]

        def contains(self, key):
            return key in self.stored

    assert fast.stored_entries(Plain(), ['a']) is None
    assert _fleet_cache.cache_listing(Plain(), 'plain') == (['a', 'b', 'c'], [])
    records = dict((host[0], summarize_host(*host, now=NOW))
                   for host in _fleet_cache.cache_hosts(Plain(), 'plain', ['a', 'b', 'c', 'd'], OUTCOME))
    assert [records[name]['state'] for name in 'abcd'] == ['ok', 'malformed', 'failed', 'no_facts']
    assert records['b']['message'] == ('its fact cache entry (plain, key b) is unusable: it is a list, not a mapping '
                                       'of variables')
