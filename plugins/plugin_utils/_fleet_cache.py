# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report's reader of an Ansible fact cache: every host once, one at a time, nothing kept. Private.

Given an instance of the configured cache plugin (the action plugin loads it), this yields each host's
hostfacts and outcome as plain data. The report reads tens of thousands of hosts, so it takes three
shortcuts past the plugin's get(), each checked for and each falling back to get():

- ansible-core 2.19 wraps cache plugins in a PluginInterposer (ansible/_internal/_plugins/_cache.py) that
  stores a host as one JSON text under ``__payload__`` and decodes it with a profile decoder whose
  object_hook runs in Python for every mapping: 70 % of the report's time per host. The payload is
  decoded here by the C decoder, and the tagged values set_fact stores (the outcome) are unwrapped.
  Facts read this way are plain data, never Ansible's own types.
- community.general.redis (plugins/cache/redis.py) reads one key per round trip: the values are fetched
  here BATCH keys at a time with MGET, from the plugin's own connection and key names.
- Both plugins keep whatever they read in self._cache for the rest of the run: this instance is the
  report's alone and forgets it after each host, so memory stays flat however many hosts there are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from ansible.errors import AnsibleError

from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import FleetReportError

PAYLOAD_KEY, TYPE_KEY = '__payload__', '__ansible_type'
BATCH = 200


def unreadable(name, exc):
    return FleetReportError('the fact cache (%s) cannot be read: %s: %s' % (name, type(exc).__name__, exc))


def cached_names(plugin, plugin_name):
    """The hosts the fact cache holds, sorted.

    community.general.redis returns its keys as bytes (redis-py's zrange), which the PluginInterposer
    cannot strip of its schema prefix (``str.startswith`` on bytes): the keys are read from the plugin
    inside, decoded, then stripped.
    """
    inner = getattr(plugin, '__wrapped__', plugin)
    restore = getattr(type(plugin), '_restore_key', None)
    try:
        keys = inner.keys()
    except Exception as exc:  # pylint: disable=broad-exception-caught
        raise unreadable(plugin_name, exc)
    names = (key.decode('utf-8', 'replace') if isinstance(key, bytes) else str(key) for key in keys)
    if restore is not None:
        names = (restore(name) for name in names)
    return sorted(name for name in names if name is not None)


def untagged(value):
    """The interposer's JSON with every tagged value ({'value': ..., 'tags': ..., '__ansible_type': ...},
    what set_fact's templates make) replaced by its value, at any depth."""
    while isinstance(value, Mapping) and TYPE_KEY in value and 'value' in value:
        value = value['value']
    if isinstance(value, Mapping):
        return dict((key, untagged(item)) for key, item in value.items())
    if isinstance(value, list):
        return [untagged(item) for item in value]
    return value


def _payload(stored):
    """The entry inside what the interposer stored, or None when it is not that layout.

    Module results (hostfacts) are stored untagged; set_fact values (the outcome) are tagged, and are
    unwrapped in Python: the hostfacts only when they are a tagged value themselves (set_fact made them),
    since walking them costs four times their decoding.
    """
    payload = stored.get(PAYLOAD_KEY) if isinstance(stored, Mapping) else None
    if not isinstance(payload, str):
        return None
    entry = json.loads(payload)
    if TYPE_KEY not in payload or not isinstance(entry, Mapping):
        return entry
    facts = entry.get('hostfacts')
    plain = untagged(dict((key, value) for key, value in entry.items() if key != 'hostfacts'))
    if facts is not None:
        plain['hostfacts'] = untagged(facts) if isinstance(facts, Mapping) and TYPE_KEY in facts else facts
    return plain


def _batches(plugin, names):
    """(name, raw value or None) for community.general.redis under the interposer, BATCH names at a time."""
    inner, make_key = plugin.__wrapped__, type(plugin)._get_key
    for start in range(0, len(names), BATCH):
        batch = names[start:start + BATCH]
        values = inner._db.mget([inner._make_key(make_key(name)) for name in batch])
        for name, value in zip(batch, values):
            yield name, value


def _entries(plugin, names):
    """(name, entry, error) of each host: the entry a mapping or None when absent; the error of one host."""
    interposed = hasattr(plugin, '__wrapped__') and hasattr(type(plugin), '_get_key')
    if interposed and hasattr(getattr(plugin.__wrapped__, '_db', None), 'mget') and \
            hasattr(plugin.__wrapped__, '_make_key'):
        for name, value in _batches(plugin, names):
            try:
                entry = None if value is None else _payload(json.loads(value))
            except ValueError as exc:
                yield name, None, exc
                continue
            yield name, (entry if entry is not None or value is None else plugin.get(name)), None
        return
    memo = getattr(getattr(plugin, '__wrapped__', plugin), '_cache', None)
    for name in names:
        try:
            entry = _payload(plugin.__wrapped__.get(type(plugin)._get_key(name))) if interposed else None
            yield name, (plugin.get(name) if entry is None else entry), None
        except KeyError:
            yield name, None, None
        except (AnsibleError, ValueError) as exc:
            yield name, None, exc
        finally:
            if isinstance(memo, dict):
                memo.clear()


def cache_hosts(plugin, plugin_name, names, outcome_var):
    """(name, hostfacts, outcome) of each host, read from the fact cache one host at a time.

    An entry that cannot be read (a corrupt file) makes that host malformed; a cache that cannot be
    reached at all (Redis down) fails the report before any file is written.
    """
    try:
        for name, entry, error in _entries(plugin, list(names)):
            if error is not None:
                yield name, None, {'state': 'malformed', 'msg': 'its fact cache entry cannot be read (%s)'
                                   % type(error).__name__}
                continue
            if entry is None:
                yield name, None, {'state': 'no_facts', 'msg': 'not in the fact cache'}
                continue
            entry = entry if isinstance(entry, Mapping) else {}
            outcome = entry.get(outcome_var)
            if 'hostfacts' not in entry and outcome is None:
                outcome = {'state': 'no_facts', 'msg': 'in the fact cache without hostfacts'}
            yield name, entry.get('hostfacts'), outcome
    except FleetReportError:
        raise
    except Exception as exc:  # pylint: disable=broad-exception-caught
        raise unreadable(plugin_name, exc)
