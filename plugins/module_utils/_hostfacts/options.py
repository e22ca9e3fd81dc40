# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one owner of the hostfacts options: name, type, default, bounds, choices and meaning. Private.

Like kubernetes.core's ``args_common`` and community.docker's ``DOCKER_COMMON_ARGS``,
each option is defined once, in ``OPTIONS`` below. The module's argument_spec is built
from the table, and every collector reads one validated ``HostfactsOptions`` object:
no collector carries a default of its own, so ``top`` or ``cmdline_length`` mean the
same in every subset. Callers inside the collection (hostfacts_baseline, tests) build
the object from overrides of the same table.

The module's DOCUMENTATION repeats defaults, choices and caps for ansible-doc;
tests/unit checks that it agrees with this table.
"""

from __future__ import annotations

import math
from collections import namedtuple

from ansible_collections.hostops.fleet.plugins.module_utils._errors import OptionError

# The caps, and why each is where it is:
# - interval: rates answer "what is happening now"; top and iostat refresh every 1-5 s, and over more
#   than a minute a spike is averaged away while the whole fleet run waits for the slowest host.
MAX_INTERVAL = 60.0
# - samples: every sample reads the stat file of every process (about 0.1-0.2 s at 10,000 processes),
#   whatever the interval; 20 samples keep that under a few seconds, and state D is caught as well
#   by 20 looks as by more.
MAX_SAMPLES = 20
# - timeout: the run's one deadline for what can hang on a mount (statvfs of every mount, stat of the
#   files the top I/O processes hold, the du_paths walks, the descriptor scan of namespaces); a du of a
#   large tree on a slow disk can take minutes, a mount that has not answered in ten is hung. threading's
#   waits refuse larger values (OverflowError above threading.TIMEOUT_MAX) and nan would make every wait
#   return at once.
MAX_TIMEOUT = 600.0
# - top: beyond a few hundred rows a ranked list is a full listing; process_list=full is that.
MAX_TOP = 1000
# - cmdline_length: one argument can be at most MAX_ARG_STRLEN (128 KiB, include/uapi/linux/binfmts.h).
MAX_CMDLINE_LENGTH = 131072
# - open_files: the files a hog holds, largest first, to name the one it reads or writes; lsof -p
#   lists every descriptor, but a hundred are more than an operator reads.
MAX_OPEN_FILES = 100

# A cmdline is read as bytes: enough for cmdline_length characters of UTF-8 (4 bytes each at most).
UTF8_MAX_BYTES = 4


class Option(namedtuple('Option', ['name', 'type', 'default', 'minimum', 'above', 'maximum', 'choices',
                                   'elements', 'unit', 'meaning'])):
    """One option: ``minimum`` is inclusive, ``above`` an exclusive lower bound; ``unit`` is for messages."""


def _option(name, type_name, default, meaning, minimum=None, above=None, maximum=None, choices=None,
            elements=None, unit=''):
    return Option(name, type_name, default, minimum, above, maximum, choices, elements, unit, meaning)


THRESHOLDS = (
    _option('memory_available_pct', 'float', 20.0, 'memory available below this share of the total raises an alert',
            minimum=0, maximum=100, unit='percent'),
    _option('filesystem_use_pct', 'float', 90.0, 'filesystem use at or above this percentage raises an alert',
            minimum=0, maximum=100, unit='percent'),
    _option('inode_use_pct', 'float', 90.0, 'inode use at or above this percentage raises an alert',
            minimum=0, maximum=100, unit='percent'),
    _option('iowait_pct', 'float', 20.0, 'iowait over the interval at or above this percentage raises an alert',
            minimum=0, maximum=100, unit='percent'),
    _option('disk_util_pct', 'float', 90.0, 'disk %util at or above this percentage raises an alert',
            minimum=0, maximum=100, unit='percent'),
)

OPTIONS = (
    _option('gather_subset', 'list', ['all'], 'subsets to collect: names, all, min, !name (resolved by gather)',
            elements='str'),
    # interval: 1 s by default, because the question this module answers is "who is hogging this host now":
    # a single snapshot can only rank by totals since each process started (iostat's and top's first,
    # since-boot report, which the I/O triage says to ignore). 1 s is top's and iostat -x 1's refresh; the
    # fan-out bench reports the module's cost beyond it (docs/performance.md). 0 takes one snapshot.
    _option('interval', 'float', 1.0, 'seconds between the first and the last sample; 0 takes one sample',
            minimum=0, maximum=MAX_INTERVAL, unit='seconds'),
    _option('samples', 'int', 5, 'samples taken across interval (state D counts of the io subset)',
            minimum=1, maximum=MAX_SAMPLES),
    _option('top', 'int', 10, 'length of every ranked list: top CPU, memory, readers and writers',
            minimum=0, maximum=MAX_TOP, unit='entries'),
    _option('process_list', 'str', 'top', 'top returns the ranked lists, full also every process',
            choices=('top', 'full')),
    _option('cmdline_length', 'int', 256, 'every command line in the facts is cut to this many characters',
            minimum=0, maximum=MAX_CMDLINE_LENGTH, unit='characters'),
    _option('redact_secrets', 'bool', True, 'mask well-known secrets (--password, *_TOKEN=, user:pass@...) in '
            'every command line before it is cut (common.redact)'),
    _option('include_pseudo', 'bool', False,
            'also report what the default list leaves out: kernel interfaces (proc, cgroup...), container layers '
            '(overlay), mounts on /proc and /sys, and filesystems without blocks'),
    _option('du_paths', 'list', [], 'absolute paths summed like du -s -x, within the run\'s timeout',
            elements='path'),
    _option('timeout', 'float', 5.0, 'seconds the run waits, in all, for filesystems that do not answer '
            '(statvfs, stat of open files, du_paths walks)', above=0, maximum=MAX_TIMEOUT, unit='seconds'),
    _option('open_files', 'int', 5, 'open regular files listed per top I/O process',
            minimum=0, maximum=MAX_OPEN_FILES, unit='files'),
    _option('thresholds', 'dict', {}, 'the limits that raise alerts (THRESHOLDS)'),
    _option('query', 'str', None, 'JMESPath expression, evaluated on the controller by the action plugin'),
    _option('output', 'str', 'facts', 'facts, or prometheus to also write prometheus_path',
            choices=('facts', 'prometheus')),
    _option('prometheus_path', 'path', None, 'the .prom file written when output=prometheus'),
)

OPTION_NAMES = tuple(option.name for option in OPTIONS)

QUERY_ON_CONTROLLER = (
    'query: the query is evaluated on the controller by the hostops.fleet.hostfacts action plugin, which '
    'removes it before the module runs; this module was reached without it (a short name found in a library '
    'path, or a payload built by hand). Call the module as hostops.fleet.hostfacts, or leave query out and '
    'filter the returned facts.')

Thresholds = namedtuple('Thresholds', [option.name for option in THRESHOLDS])


def argument_spec():
    """The AnsibleModule argument_spec of hostops.fleet.hostfacts, built from OPTIONS and THRESHOLDS."""
    spec = dict((option.name, _spec_entry(option)) for option in OPTIONS)
    spec['thresholds'].update(options=dict((option.name, _spec_entry(option)) for option in THRESHOLDS),
                              apply_defaults=True)
    return spec


def option_spec(name):
    """The argument_spec entry of one option, for modules that share it (hostfacts_baseline's timeout)."""
    return _spec_entry([option for option in OPTIONS if option.name == name][0])


def _spec_entry(option):
    entry = {'type': option.type}
    if option.default is not None:
        entry['default'] = _copy(option.default)
    if option.choices:
        entry['choices'] = list(option.choices)
    if option.elements:
        entry['elements'] = option.elements
    return entry


def _copy(value):
    return list(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value


class HostfactsOptions(object):
    """Every hostfacts option, validated: one attribute per entry of OPTIONS, ``thresholds`` a Thresholds."""

    __slots__ = OPTION_NAMES

    @classmethod
    def from_params(cls, params=None):
        """The options from module params or overrides; a missing or None value takes the table's default.

        Raises OptionError naming the option for an unknown name or a value out of its bounds.
        """
        params = dict(params or {})
        unknown = sorted(name for name in params if name not in OPTION_NAMES)
        if unknown:
            raise OptionError('%s: unknown option; hostfacts options are: %s'
                              % (', '.join(unknown), ', '.join(OPTION_NAMES)))
        options = cls()
        for option in OPTIONS:
            value = params.get(option.name)
            if value is None:
                value = _copy(option.default)
            elif option.name != 'thresholds':
                value = _checked(option, value)
            setattr(options, option.name, value)
        options.thresholds = _thresholds(options.thresholds)
        _check_paths(options.du_paths)
        if options.query is not None:
            raise OptionError(QUERY_ON_CONTROLLER)
        return options

    @property
    def cmdline_read_limit(self):
        """Bytes of /proc/PID/cmdline to read: enough for cmdline_length characters, never a whole huge one."""
        return self.cmdline_length * UTF8_MAX_BYTES + UTF8_MAX_BYTES

    @property
    def sampling(self):
        """True when rates are computed from a first and a last sample (interval > 0)."""
        return self.interval > 0


def _thresholds(given):
    if not isinstance(given, dict):
        raise OptionError('thresholds must be a dict of percentages, got %s' % _shown(given))
    unknown = sorted(name for name in given if name not in Thresholds._fields)
    if unknown:
        raise OptionError('thresholds.%s: unknown threshold; thresholds are: %s'
                          % (unknown[0], ', '.join(Thresholds._fields)))
    values = []
    for option in THRESHOLDS:
        value = given.get(option.name)
        values.append(option.default if value is None else _checked(option, value, 'thresholds.'))
    return Thresholds(*values)


def _check_paths(paths):
    for path in paths:
        if not path.startswith('/'):
            raise OptionError('du_paths: %s is not an absolute path; give paths like /var/log' % _shown(path))
        if '\0' in path:
            raise OptionError('du_paths: %s holds a NUL character, which no path can' % _shown(path))


def _checked(option, value, prefix=''):
    """``value`` if it fits the option's type, choices and bounds; else OptionError with the rule that failed."""
    name = prefix + option.name
    if option.type in ('int', 'float'):
        return _checked_number(option, value, name)
    if option.type == 'bool' and not isinstance(value, bool):
        raise OptionError('%s must be true or false, got %s' % (name, _shown(value)))
    if option.type == 'list' and (not isinstance(value, list) or not all(isinstance(item, str) for item in value)):
        raise OptionError('%s must be a list of strings, got %s' % (name, _shown(value)))
    if option.type in ('str', 'path') and not isinstance(value, str):
        raise OptionError('%s must be a string, got %s' % (name, _shown(value)))
    if option.choices and value not in option.choices:
        raise OptionError('%s must be one of %s, got %s' % (name, ', '.join(option.choices), _shown(value)))
    return value


def _checked_number(option, value, name):
    wanted = 'an integer' if option.type == 'int' else 'a number'
    is_number = isinstance(value, int) or (option.type == 'float' and isinstance(value, float))
    # nan fails every comparison and inf passes a lower bound: both are refused before the bounds.
    if isinstance(value, bool) or not is_number or (isinstance(value, float) and not math.isfinite(value)):
        raise OptionError('%s must be %s %s, got %s' % (name, wanted, range_text(option), _shown(value)))
    too_low = (option.minimum is not None and value < option.minimum) or (
        option.above is not None and value <= option.above)
    if too_low or (option.maximum is not None and value > option.maximum):
        raise OptionError('%s must be %s %s, got %s' % (name, wanted, range_text(option), _shown(value)))
    return float(value) if option.type == 'float' else value


def range_text(option):
    """The bounds of a numeric option in words, e.g. 'more than 0 and at most 600 seconds'."""
    if option.above is not None:
        low = 'more than %g' % option.above
    else:
        low = 'from %g' % option.minimum
    high = ' and at most %g' % option.maximum if option.above is not None else ' to %g' % option.maximum
    return (low + high + (' ' + option.unit if option.unit else '')).rstrip()


def _shown(value):
    """A value for a message: a 4,000-digit integer is shortened, not printed whole."""
    text = repr(value)
    return text if len(text) <= 24 else '%s... (%d characters)' % (text[:20], len(text))
