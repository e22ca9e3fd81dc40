# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The options table: the argument_spec and the docs agree with it, and every bad value is a clear error."""

from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.hostops.fleet.plugins.module_utils._errors import OptionError
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts import options as table
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.options import HostfactsOptions
from ansible_collections.hostops.fleet.plugins.modules import hostfacts as hostfacts_module

from support import paths

NUMERIC = [option for option in table.OPTIONS if option.type in ('int', 'float')]


def documented_options():
    return yaml.safe_load(hostfacts_module.DOCUMENTATION)['options']


def test_defaults_come_from_the_table():
    options = HostfactsOptions.from_params({})
    for option in table.OPTIONS:
        if option.name != 'thresholds':
            assert getattr(options, option.name) == option.default, option.name
    assert options.thresholds._asdict() == dict((option.name, option.default) for option in table.THRESHOLDS)


def test_argument_spec_is_the_table():
    spec = table.argument_spec()
    assert list(spec) == [option.name for option in table.OPTIONS]
    assert spec['top'] == {'type': 'int', 'default': 10}
    assert spec['process_list'] == {'type': 'str', 'default': 'top', 'choices': ['top', 'full']}
    assert spec['query'] == {'type': 'str'}
    assert spec['thresholds']['apply_defaults'] is True
    assert spec['thresholds']['options']['iowait_pct'] == {'type': 'float', 'default': 20.0}


@pytest.mark.parametrize('option', table.OPTIONS, ids=lambda option: option.name)
def test_module_documentation_agrees_with_the_table(option):
    documented = documented_options()[option.name]
    assert documented['type'] == option.type
    assert documented.get('default') == option.default
    assert documented.get('choices') == (list(option.choices) if option.choices else None)
    assert documented.get('elements') == option.elements
    if option.maximum is not None:
        # The cap is stated where the option is documented, as V(<cap>).
        description = documented['description']
        text = description if isinstance(description, str) else ' '.join(description)
        assert 'V(%g)' % option.maximum in text, option.name


def test_documented_thresholds_agree_with_the_table():
    documented = documented_options()['thresholds']['suboptions']
    assert list(documented) == [option.name for option in table.THRESHOLDS]
    for option in table.THRESHOLDS:
        assert (documented[option.name]['type'], documented[option.name]['default']) == (option.type, option.default)


@pytest.mark.parametrize('option', [option for option in NUMERIC if option.maximum is not None],
                         ids=lambda option: option.name)
def test_caps_are_in_docs_hostfacts_md(option):
    with open(os.path.join(paths.CHECKOUT, 'docs', 'hostfacts.md')) as handle:
        rows = [line for line in handle if line.startswith('| `%s` |' % option.name)]
    assert rows and '%g' % option.maximum in rows[0], option.name


BAD_NUMBERS = [float('inf'), float('-inf'), float('nan'), 1e300, -1, 10 ** 30, -(10 ** 4000), True, 'ten']


@pytest.mark.parametrize('option', NUMERIC, ids=lambda option: option.name)
@pytest.mark.parametrize('value', BAD_NUMBERS, ids=repr)
def test_bad_numbers_are_errors_that_name_the_option_and_its_bounds(option, value):
    with pytest.raises(OptionError) as error:
        HostfactsOptions.from_params({option.name: value})
    message = str(error.value)
    assert message.startswith('%s must be ' % option.name)
    assert table.range_text(option) in message
    assert len(message) < 200  # a 4,000-digit number is shortened, never printed whole


@pytest.mark.parametrize('name, value', [('interval', 60.0), ('samples', 20), ('timeout', 600.0), ('top', 1000),
                                         ('cmdline_length', 131072), ('open_files', 100), ('interval', 0),
                                         ('samples', 1), ('timeout', 0.001), ('top', 0), ('open_files', 0)])
def test_values_at_the_bounds_are_accepted(name, value):
    assert getattr(HostfactsOptions.from_params({name: value}), name) == value


def test_an_int_is_accepted_for_a_float_option_and_stored_as_a_float():
    options = HostfactsOptions.from_params({'interval': 2, 'timeout': 3})
    assert (options.interval, options.timeout) == (2.0, 3.0)
    assert isinstance(options.interval, float)


@pytest.mark.parametrize('value', [-1, -0.5, 0, 0.0])
def test_timeout_message_and_rule_agree(value):
    """The rule is 'more than 0': the message says so for -1 and for 0 alike, and never suggests 0."""
    with pytest.raises(OptionError) as error:
        HostfactsOptions.from_params({'timeout': value})
    assert str(error.value) == 'timeout must be a number more than 0 and at most 600 seconds, got %r' % value


@pytest.mark.parametrize('value', [float('nan'), float('inf'), -0.1, 100.5])
def test_thresholds_are_finite_percentages(value):
    with pytest.raises(OptionError) as error:
        HostfactsOptions.from_params({'thresholds': {'disk_util_pct': value}})
    assert str(error.value).startswith('thresholds.disk_util_pct must be a number from 0 to 100 percent, got ')


@pytest.mark.parametrize('params, start', [
    ({'root': '/srv/tree'}, 'root: unknown option'),
    ({'thresholds': {'swap_pct': 5.0}}, 'thresholds.swap_pct: unknown threshold'),
    ({'du_paths': ['var/log']}, 'du_paths: '),
    ({'du_paths': [3]}, 'du_paths must be a list of strings'),
    ({'process_list': 'all'}, 'process_list must be one of top, full'),
    ({'output': 'json'}, 'output must be one of facts, prometheus'),
    ({'include_pseudo': 'yes'}, 'include_pseudo must be true or false'),
    ({'gather_subset': 'all'}, 'gather_subset must be a list of strings'),
])
def test_other_bad_values_name_the_option(params, start):
    with pytest.raises(OptionError) as error:
        HostfactsOptions.from_params(params)
    assert str(error.value).startswith(start)


def test_a_query_that_reaches_the_module_says_where_queries_run():
    with pytest.raises(OptionError) as error:
        HostfactsOptions.from_params({'query': 'memory.available_pct'})
    message = str(error.value)
    assert message.startswith('query: ') and 'evaluated on the controller' in message
    assert 'hostops.fleet.hostfacts action plugin' in message


def test_cmdline_read_limit_covers_cmdline_length_characters_of_utf8():
    assert HostfactsOptions.from_params({'cmdline_length': 10}).cmdline_read_limit == 44
    assert HostfactsOptions.from_params({'cmdline_length': 0}).cmdline_read_limit == 4
