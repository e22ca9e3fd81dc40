# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The only place where the fleet report reaches past ansible-core's public plugin interfaces. Private.

_fleet_cache.py reads the fact cache through the cache plugin's keys()/get() and the action reads what the
play gathered through hostvars[host]. Both are correct on every ansible-core, and both are slow at fleet
scale (docs/performance.md). Each function here first checks that the internals it names exist, returns
None (or does nothing) when they do not, and the caller then takes the public path. Every compat line
runs tests/compat/test_installed_collection.py, which proves that both paths give the same records.

What each shortcut relies on, upstream:

- ansible-core 2.19+ wraps a persistent cache plugin in ``PluginInterposer`` (lib/ansible/_internal/_plugins/
  _cache.py): keys carry a schema prefix (``_get_key``/``_restore_key``), and a host is stored as
  ``{"__payload__": "<JSON text>"}``, decoded by a profile decoder whose object_hook runs in Python for
  every mapping. The text is decoded here by the C decoder, and the tagged values that set_fact stores
  (``{"value": ..., "__ansible_type": ...}``) are unwrapped: plain data, never Ansible's own types.
  The interposer's keys() also hides the entries of other schemas (another ansible-core wrote them): the
  plugin inside lists them, so that the report can name them.
- community.general.redis (plugins/cache/redis.py) reads one key per round trip: with ``_db.mget`` and
  ``_make_key`` the values come BATCH at a time. Its keys() returns bytes, which the interposer's
  ``_restore_key`` cannot take (``str.startswith`` on bytes): the keys are read from the plugin inside.
- ansible-core's file caches (``BaseFileCacheModule`` in lib/ansible/plugins/cache/__init__.py) delete a
  file their get() cannot decode (2.16 also hides one it cannot open, as absent). ``_load`` and
  ``_get_cache_file_name`` read the same file without that, after the same ``has_expired`` check that
  get() makes, with or without the interposer.
- community.general.redis's keys() removes the keys older than its timeout from its key set (``_keys_set``,
  ``_timeout``): they are listed here from that set with ``zrangebyscore``, and left there.
- Both plugins keep whatever get() read in ``self._cache`` for the rest of the run; the report's instance
  forgets it after each host, so that memory stays flat however many hosts there are.
- The variable manager (lib/ansible/vars/manager.py) keeps what a play gathered in ``_fact_cache`` and
  ``_nonpersistent_fact_cache``; hostvars[host] merges every variable source of a host, milliseconds each.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

PAYLOAD_KEY, TYPE_KEY = '__payload__', '__ansible_type'
BATCH = 200
ABSENT = object()


class EntryError(ValueError):
    """One entry of the cache is not what ansible-core stores: its host is malformed, the others are read."""


def key_text(key):
    return key.decode('utf-8', 'replace') if isinstance(key, bytes) else str(key)


def _interposed(plugin):
    """(plugin inside, _get_key, _restore_key) of ansible-core 2.19+'s PluginInterposer, or None."""
    inner = getattr(plugin, '__wrapped__', None)
    get_key, restore_key = getattr(type(plugin), '_get_key', None), getattr(type(plugin), '_restore_key', None)
    if inner is None or not callable(get_key) or not callable(restore_key):
        return None
    return inner, get_key, restore_key


def guard(plugin):
    """Make this instance of the plugin (and the one inside an interposer) unable to change the cache.

    get() itself deletes: jsonfile a file it cannot decode, community.general.redis a key whose value
    expired. The report is a reader; the evidence stays where it is.
    """
    for target in (plugin, getattr(plugin, '__wrapped__', None)):
        if target is not None and not isinstance(target, type):
            for name in ('set', 'delete', 'flush'):
                try:
                    object.__setattr__(target, name, _refused)
                except (AttributeError, TypeError):
                    pass  # a plugin that refuses attributes: its methods stay, read through get() only


def _refused(*_args, **_kwargs):
    return None


def forget(plugin):
    """Drop what get() kept in the plugin's memo (both plugins' ``self._cache``), where there is one."""
    for target in (plugin, getattr(plugin, '__wrapped__', None)):
        memo = getattr(target, '_cache', None) if target is not None else None
        if isinstance(memo, dict):
            memo.clear()


def stored_keys(plugin):
    """(names, foreign) under the interposer: the hosts of this ansible-core's schema, and the stored keys of
    every other entry (another ansible-core's schema); None without an interposer."""
    layout = _interposed(plugin)
    if layout is None:
        return None
    inner, _get_key, restore_key = layout
    names, foreign = [], []
    keys = redis_keys(inner)
    for key in inner.keys() if keys is None else keys:
        key = key_text(key)
        name = restore_key(key)
        if name is None:
            foreign.append(key)
        else:
            names.append(name)
    return names, foreign


def redis_keys(inner):
    """community.general.redis's keys() without its side effect: keys() first removes the keys older than
    the timeout from its key set, for every later run too. The same keys are listed here, and left."""
    db, key_set, timeout = getattr(inner, '_db', None), getattr(inner, '_keys_set', None), getattr(inner, '_timeout', None)
    if not hasattr(db, 'zrangebyscore') or not isinstance(key_set, str) or not isinstance(timeout, (int, float)):
        return None
    return db.zrangebyscore(key_set, time.time() - timeout if timeout > 0 else '-inf', '+inf')


def untagged(value):
    """The interposer's JSON with every tagged value replaced by its value, at any depth."""
    while isinstance(value, Mapping) and TYPE_KEY in value and 'value' in value:
        value = value['value']
    if isinstance(value, Mapping):
        return dict((key, untagged(item)) for key, item in value.items())
    if isinstance(value, list):
        return [untagged(item) for item in value]
    return value


def payload(stored):
    """The entry inside what the interposer stored ({"__payload__": "<JSON text>"}), as plain data.

    Module results (hostfacts) are stored untagged; set_fact values (the outcome) are tagged. The hostfacts
    are walked only when they are a tagged value themselves, since walking them costs four times decoding.
    """
    if not isinstance(stored, Mapping):
        raise EntryError('it is a %s, not the mapping ansible-core stores' % type(stored).__name__)
    text = stored.get(PAYLOAD_KEY)
    if not isinstance(text, str):
        raise EntryError('its %s is %s, not the JSON text ansible-core stores'
                         % (PAYLOAD_KEY, 'missing' if PAYLOAD_KEY not in stored else 'a %s' % type(text).__name__))
    try:
        entry = json.loads(text)
    except ValueError as exc:
        raise EntryError('its %s is not JSON (%s)' % (PAYLOAD_KEY, exc))
    if TYPE_KEY not in text or not isinstance(entry, Mapping):
        return entry
    facts = entry.get('hostfacts')
    plain = untagged(dict((key, value) for key, value in entry.items() if key != 'hostfacts'))
    if facts is not None:
        plain['hostfacts'] = untagged(facts) if isinstance(facts, Mapping) and TYPE_KEY in facts else facts
    return plain


def _decoded(raw):
    """A raw Redis value: the entry, or the EntryError that makes its host malformed."""
    try:
        return payload(json.loads(raw))
    except EntryError as exc:
        return exc
    except ValueError as exc:
        return EntryError('it is not JSON (%s)' % exc)


def _redis_batches(inner, get_key, names):
    make_key = inner._make_key
    for start in range(0, len(names), BATCH):
        batch = names[start:start + BATCH]
        keys = [get_key(name) for name in batch]
        for name, key, raw in zip(batch, keys, inner._db.mget([make_key(key) for key in keys])):
            yield name, key, ABSENT if raw is None else _decoded(raw)


def _stored(stored):
    return stored


def _file_entries(inner, get_key, names, decode=payload):
    for name in names:
        key = get_key(name)
        if inner.has_expired(key):
            yield name, key, ABSENT
            continue
        try:
            stored = inner._load(inner._get_cache_file_name(key))
        except FileNotFoundError:
            yield name, key, ABSENT
            continue
        except ValueError as exc:
            yield name, key, EntryError('it is not JSON (%s)' % exc)
            continue
        except OSError as exc:  # this file alone (its mode, an I/O error): get() makes it an AnsibleError too
            yield name, key, EntryError('it cannot be read (%s: %s)' % (type(exc).__name__, exc.strerror or exc))
            continue
        try:
            yield name, key, decode(stored)
        except EntryError as exc:
            yield name, key, exc


def _plugin_entries(inner, get_key, names):
    for name in names:
        key = get_key(name)
        try:
            stored = inner.get(key)
        except KeyError:
            yield name, key, ABSENT
            continue
        finally:
            forget(inner)
        try:
            yield name, key, payload(stored)
        except EntryError as exc:
            yield name, key, exc


def stored_entries(plugin, names):
    """(name, stored key, entry) of each name, the entry plain data, ABSENT, or the EntryError of that host;
    None where no shortcut applies. Errors of the backend itself propagate."""
    file_cache = ('_load', '_get_cache_file_name', 'has_expired')
    layout = _interposed(plugin)
    if layout is None:
        if all(callable(getattr(plugin, attr, None)) for attr in file_cache):
            # Without an interposer (2.16) too: get() would delete a file it cannot decode.
            return _file_entries(plugin, str, names, decode=_stored)
        return None
    inner, get_key, _restore_key = layout
    if hasattr(getattr(inner, '_db', None), 'mget') and callable(getattr(inner, '_make_key', None)):
        return _redis_batches(inner, get_key, list(names))
    if all(callable(getattr(inner, attr, None)) for attr in file_cache):
        return _file_entries(inner, get_key, names)
    return _plugin_entries(inner, get_key, names)


def play_caches(hostvars):
    """The variable manager's fact caches behind hostvars (facts, nonpersistent facts), or None."""
    manager = getattr(hostvars, '_variable_manager', None)
    facts = getattr(manager, '_fact_cache', None)
    nonpersistent = getattr(manager, '_nonpersistent_fact_cache', None)
    if isinstance(nonpersistent, Mapping) and hasattr(facts, 'get'):
        return facts, nonpersistent
    return None
