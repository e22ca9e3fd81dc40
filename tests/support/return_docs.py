# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A module's RETURN documentation, read as ansible-doc reads it, and held against a real result.

``doc_problems`` applies the rules of ansible-test's validate-modules return schema that matter here
(known fields, a description and a type everywhere, ``returned`` at the top, known types and element
types, ``contains`` for complex) plus this collection's rule: every dict, and every list of dicts,
describes its keys with ``contains``. ``value_problems`` walks a result beside the documentation and
names every key that is not documented, every value of another type, and every key documented as
returned ``always`` that is missing.
"""

from __future__ import annotations

import ast
import os

import yaml

from support import paths

MODULES = ('apache_status_info', 'fleet_report', 'hostfacts', 'hostfacts_baseline', 'php_mail_log_info')
FIELDS = {'description', 'returned', 'type', 'elements', 'sample', 'example', 'contains', 'version_added',
          'version_added_collection', 'choices'}
TYPES = {'bool', 'complex', 'dict', 'float', 'int', 'list', 'raw', 'str'}
ELEMENT_TYPES = {'bits', 'bool', 'bytes', 'dict', 'float', 'int', 'json', 'jsonarg', 'list', 'path', 'raw', 'sid', 'str'}
# What every module result may hold besides its RETURN (ansible-core adds or documents these itself).
COMMON_KEYS = {'changed', 'failed', 'msg', 'warnings', 'deprecations', 'diff', 'invocation', 'skipped'}
PYTHON_TYPES = {'str': (str,), 'int': (int,), 'float': (int, float), 'bool': (bool,), 'list': (list,),
                'dict': (dict,), 'complex': (dict,)}


def module_yaml(name, variable):
    """The parsed DOCUMENTATION, EXAMPLES or RETURN of plugins/modules/NAME.py, read without importing it."""
    with open(os.path.join(paths.CHECKOUT, 'plugins', 'modules', name + '.py'), encoding='utf-8') as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], 'id', None) == variable:
            return yaml.safe_load(node.value.value)
    raise AssertionError('%s has no %s' % (name, variable))


def module_return(name):
    return module_yaml(name, 'RETURN')


def _has_keys(spec):
    return spec.get('type') in ('dict', 'complex') or (spec.get('type') == 'list' and spec.get('elements') == 'dict')


def doc_problems(entries, path='', top=True):
    problems = []
    for key, spec in (entries or {}).items():
        where = path + key
        if not isinstance(spec, dict):
            problems.append('%s is not a mapping' % where)
            continue
        problems += ['%s has the unknown field %s' % (where, field) for field in sorted(set(spec) - FIELDS)]
        if not spec.get('description'):
            problems.append('%s has no description' % where)
        if spec.get('type') not in TYPES:
            problems.append('%s has the type %r' % (where, spec.get('type')))
        if top and not isinstance(spec.get('returned'), str):
            problems.append('%s does not say when it is returned' % where)
        if 'elements' in spec and spec['elements'] not in ELEMENT_TYPES:
            problems.append('%s has the elements %r' % (where, spec['elements']))
        if spec.get('type') == 'list' and 'elements' not in spec:
            problems.append('%s is a list without elements' % where)
        if _has_keys(spec) and not spec.get('contains'):
            problems.append('%s holds keys but has no contains' % where)
        if spec.get('contains'):
            problems += doc_problems(spec['contains'], where + '.', top=False)
    return problems


def _type_problem(value, spec, where):
    expected = PYTHON_TYPES.get(spec.get('type'))
    if value is None or expected is None:
        return []
    if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
        return ['%s is %s, documented as %s' % (where, type(value).__name__, spec['type'])]
    if spec.get('type') == 'list' and spec.get('elements') in PYTHON_TYPES:
        element = dict(spec, type=spec['elements'])
        element.pop('elements')
        return [problem for item in value for problem in _type_problem(item, element, where + '[]')][:1]
    return []


def value_problems(value, entries, path='', optional=()):
    """What in ``value`` (a dict) differs from the documented ``entries``.

    ``optional`` names the documented keys (dotted paths) that may be missing although returned
    ``always`` (the sub-keys of a dict that is itself only returned sometimes are 'always' within it).
    """
    problems = ['%s%s is not documented' % (path, key) for key in sorted(set(value) - set(entries))]
    for key, spec in entries.items():
        where = path + key
        if key not in value:
            if spec.get('returned') == 'always' and where not in optional:
                problems.append('%s is documented as returned always but is missing' % where)
            continue
        problems += _type_problem(value[key], spec, where)
        contains = spec.get('contains')
        if not contains or value[key] is None:
            continue
        items = value[key] if isinstance(value[key], list) else [value[key]]
        for index, item in enumerate(items):
            if isinstance(item, dict):
                prefix = where + ('[%d].' % index if isinstance(value[key], list) else '.')
                problems += value_problems(item, contains, prefix,
                                           tuple(o.replace(where + '[].', prefix) for o in optional))
    return problems


def result_problems(result, name, optional=()):
    """What in a module's ``result`` differs from the RETURN of module ``name`` (common keys aside)."""
    entries = module_return(name)
    return value_problems(dict((key, value) for key, value in result.items() if key not in COMMON_KEYS or key in entries),
                          entries, optional=optional)
