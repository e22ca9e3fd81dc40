# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report's reader of an Ansible fact cache: every host once, one at a time, read-only. Private.

Given an instance of the configured cache plugin (the action loads it with cache_loader.get), this yields
each host's hostfacts and outcome through the plugin's public keys() and get(). _fleet_cache_fast.py holds
the shortcuts past them, each checked for first; where one does not apply, the public path is taken.

Each entry is read on its own: an entry that is not what ansible-core stores (not a mapping, an
undecodable text, a payload of the wrong type) makes its host ``malformed`` with the reason, naming the
backend and the key, and every other host is still read. Entries of another ansible-core's storage
schema (2.16 and 2.19+ store a host differently, side by side in one cache) cannot be read by this one:
they are counted and named in one warning, never shown as hosts. Only a cache that cannot be reached at
all (Redis down) fails the report, before any file is written. Nothing is ever deleted or rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible.errors import AnsibleError

from ansible_collections.hostops.fleet.plugins.plugin_utils import _fleet_cache_fast as fast
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import FleetReportError

# The keys ansible-core 2.19+ gives the entries of its storage schema: read by an ansible-core without
# that schema, such a key is no host, and its value ({"__payload__": "<JSON text>"}) no facts.
SCHEMA_KEY = re.compile(r's[0-9]+_.')
FOREIGN_NAMED = 10


def unreadable(backend, exc, name=None):
    where = ' (reading the entry of %s)' % name if name is not None else ''
    return FleetReportError('the fact cache (%s) cannot be read%s: %s: %s' % (backend, where, type(exc).__name__, exc))


def _public_get(plugin, key):
    """The entry of one key through get(), fast.ABSENT, or the EntryError of that key. jsonfile's get()
    raises AnsibleError for a file it cannot decode (and would delete it, had guard() not stopped that)."""
    try:
        return plugin.get(key)
    except KeyError:
        return fast.ABSENT
    except AnsibleError as exc:
        cause = exc.__cause__ or exc.__context__
        return fast.EntryError('it cannot be decoded (%s)' % (cause if isinstance(cause, ValueError) else exc.message))
    except (ValueError, TypeError) as exc:
        return fast.EntryError('it cannot be decoded (%s: %s)' % (type(exc).__name__, exc))
    finally:
        fast.forget(plugin)


def _written_by_newer_core(entry):
    return isinstance(entry, Mapping) and set(entry) == {fast.PAYLOAD_KEY} and isinstance(entry[fast.PAYLOAD_KEY], str)


def cache_listing(plugin, backend):
    """(names, foreign): the hosts the fact cache holds, sorted, and the keys of the entries this
    ansible-core cannot read, sorted.

    Under ansible-core 2.19+ the interposer's plugin lists both. Without it (2.16) every key is listed, and
    a key of 2.19's schema whose value is 2.19's payload is another ansible-core's entry, not a host.
    """
    fast.guard(plugin)
    try:
        listed = fast.stored_keys(plugin)
        if listed is not None:
            return sorted(set(listed[0])), sorted(set(listed[1]))
        names, foreign = [], []
        keys = fast.redis_keys(plugin)
        for key in (fast.key_text(key) for key in (plugin.keys() if keys is None else keys)):
            if SCHEMA_KEY.match(key) and _written_by_newer_core(_public_get(plugin, key)):
                foreign.append(key)
            else:
                names.append(key)
    except FleetReportError:
        raise
    except Exception as exc:  # pylint: disable=broad-exception-caught
        raise unreadable(backend, exc)
    return sorted(set(names)), sorted(set(foreign))


def foreign_warning(foreign, backend):
    """The one warning about the entries of another ansible-core, or None."""
    if not foreign:
        return None
    more = len(foreign) - FOREIGN_NAMED
    named = ', '.join(foreign[:FOREIGN_NAMED]) + (' and %d more' % more if more > 0 else '')
    return ('the fact cache (%s) holds %d entr%s that this ansible-core cannot read, stored by another '
            'ansible-core release (2.16 and 2.19+ store hosts under different keys): %s. Those hosts are '
            'not in this report; gather them again with this ansible-core, or render with the one that '
            'gathered them' % (backend, len(foreign), 'y' if len(foreign) == 1 else 'ies', named))


def _public_entries(plugin, names):
    for name in names:
        entry = _public_get(plugin, name)
        if _written_by_newer_core(entry):
            entry = fast.EntryError("it is another ansible-core's storage of a host")
        yield name, name, entry


def _record(entry, outcome_var):
    """(hostfacts, outcome) of one decoded entry."""
    if not isinstance(entry, Mapping):
        raise fast.EntryError('it is a %s, not a mapping of variables' % type(entry).__name__)
    if _written_by_newer_core(entry):
        raise fast.EntryError("it is another ansible-core's storage of a host")
    if fast.PAYLOAD_KEY in entry:
        raise fast.EntryError('its %s is not the JSON text ansible-core stores' % fast.PAYLOAD_KEY)
    outcome = entry.get(outcome_var)
    if outcome is not None and not isinstance(outcome, Mapping):
        raise fast.EntryError('its %s is a %s, not a mapping' % (outcome_var, type(outcome).__name__))
    if 'hostfacts' not in entry and outcome is None:
        return None, {'state': 'no_facts', 'msg': 'in the fact cache without hostfacts'}
    return entry.get('hostfacts'), outcome


def cache_hosts(plugin, backend, names, outcome_var):
    """(name, hostfacts, outcome) of each host, read from the fact cache one host at a time."""
    fast.guard(plugin)
    names, read = list(names), 0
    try:
        entries = fast.stored_entries(plugin, names)
        for name, key, entry in (entries if entries is not None else _public_entries(plugin, names)):
            read += 1
            if entry is fast.ABSENT:
                yield name, None, {'state': 'no_facts', 'msg': 'not in the fact cache'}
                continue
            try:
                if isinstance(entry, fast.EntryError):
                    raise entry
                facts, outcome = _record(entry, outcome_var)
            except fast.EntryError as exc:
                yield name, None, {'state': 'malformed',
                                   'msg': 'its fact cache entry (%s, key %s) is unusable: %s' % (backend, key, exc)}
                continue
            yield name, facts, outcome
    except FleetReportError:
        raise
    except Exception as exc:  # pylint: disable=broad-exception-caught
        raise unreadable(backend, exc, names[read] if read < len(names) else None)
