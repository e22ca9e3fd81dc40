# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shape of the hostfacts package, read from its source with ast (nothing is imported or run).

Collectors never import each other; imports go down the layers (collectors -> common -> readers ->
diskusage -> deadline) and never in a circle; no file is over 500 lines (a module's DOCUMENTATION, EXAMPLES and
RETURN aside) and no function over 60.
"""

from __future__ import annotations

import ast
import os

import pytest

from support import paths

PACKAGE = 'ansible_collections.hostops.fleet.plugins.'
PLUGINS = os.path.join(paths.CHECKOUT, 'plugins')
LAYERS = ('collectors', 'common', 'readers', 'diskusage', 'deadline')  # top to bottom


def target_side_files():
    """{dotted name below plugins: path} of the hostfacts package, its modules and the neutral helpers."""
    files = {}
    for dirpath, _dirs, names in os.walk(os.path.join(PLUGINS, 'module_utils', '_hostfacts')):
        for name in names:
            if name.endswith('.py'):
                path = os.path.join(dirpath, name)
                files[os.path.relpath(path, PLUGINS)[:-3].replace(os.sep, '.')] = path
    for rel in ('module_utils/_errors.py', 'module_utils/_atomic.py', 'modules/hostfacts.py',
                'modules/hostfacts_baseline.py'):
        files[rel[:-3].replace('/', '.')] = os.path.join(PLUGINS, rel)
    return files


FILES = target_side_files()


def parsed(path):
    with open(path) as handle:
        source = handle.read()
    return source, ast.parse(source)


def imports_of(path):
    """The files of this collection that ``path`` imports (from-imports of modules or of their names)."""
    found = set()
    for node in ast.walk(parsed(path)[1]):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE):
            target = node.module[len(PACKAGE):]
            found.update(name for name in [target] + ['%s.%s' % (target, alias.name) for alias in node.names]
                         if name in FILES)
    return found


GRAPH = dict((name, imports_of(path)) for name, path in FILES.items())


def layer(name):
    parts = name.split('.')
    if len(parts) > 2 and parts[1] == '_hostfacts' and parts[2] in LAYERS:
        return LAYERS.index(parts[2])
    return None


def test_the_package_is_found():
    assert 'module_utils._hostfacts.collectors.io' in FILES and 'module_utils._hostfacts.readers.pids' in FILES


def test_no_collector_imports_another_collector():
    for name, deps in GRAPH.items():
        if layer(name) == 0:
            assert not [dep for dep in deps if layer(dep) == 0], name


def test_imports_go_down_the_layers():
    for name, deps in GRAPH.items():
        if layer(name) is not None:
            for dep in deps:
                assert layer(dep) is None or layer(dep) >= layer(name), '%s imports %s' % (name, dep)


def test_no_import_cycles():
    done, path = set(), []

    def visit(name):
        assert name not in path, 'cycle: ' + ' -> '.join(path[path.index(name):] + [name])
        if name in done:
            return
        path.append(name)
        for dep in sorted(GRAPH[name]):
            visit(dep)
        path.pop()
        done.add(name)

    for name in sorted(GRAPH):
        visit(name)


@pytest.mark.parametrize('name', sorted(FILES))
def test_files_and_functions_are_short(name):
    source, tree = parsed(FILES[name])
    docs = sum(node.end_lineno - node.lineno + 1 for node in tree.body if isinstance(node, ast.Assign)
               and any(getattr(target, 'id', None) in ('DOCUMENTATION', 'EXAMPLES', 'RETURN') for target in node.targets))
    assert source.count('\n') - docs <= 500
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            assert node.end_lineno - node.lineno + 1 <= 60, '%s.%s' % (name, node.name)


FILE_CALLS = ('open', 'stat', 'lstat', 'listdir', 'scandir', 'readlink', 'statvfs')


def _names_the_reader(node):
    """``procfs`` or ``self.procfs``: the reader a collector is given."""
    return 'procfs' in (getattr(node, 'id', None), getattr(node, 'attr', None))


def test_collectors_and_common_helpers_read_files_only_through_the_reader():
    """/proc and /sys are opened by the readers (each file parsed in one place), never above them."""
    for name, path in FILES.items():
        if layer(name) in (0, 1):
            tree = parsed(path)[1]
            direct = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call) and (
                (isinstance(node.func, ast.Name) and node.func.id == 'open')
                or (isinstance(node.func, ast.Attribute) and node.func.attr in FILE_CALLS
                    and getattr(node.func.value, 'id', None) == 'os'))]
            built = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                     and node.attr in ('proc', 'sys', 'root') and _names_the_reader(node.value)]
            assert not direct and not built, (name, direct, built)
