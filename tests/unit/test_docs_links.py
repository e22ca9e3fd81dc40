# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every relative link of the README and of docs/ (the generated reference pages included) points at a file."""

from __future__ import annotations

import glob
import os
import re

import pytest

from support import paths

LINK = re.compile(r'\]\(([^)\s]+)\)')
PAGES = ['README.md'] + sorted(os.path.relpath(p, paths.CHECKOUT)
                               for p in glob.glob(os.path.join(paths.CHECKOUT, 'docs', '**', '*.md'), recursive=True))


@pytest.mark.parametrize('page', PAGES)
def test_relative_links_resolve(page):
    with open(os.path.join(paths.CHECKOUT, page), encoding='utf-8') as stream:
        targets = LINK.findall(stream.read())
    broken = [target for target in targets if not re.match(r'^(#|[a-z]+:)', target)
              and not os.path.exists(os.path.join(paths.CHECKOUT, os.path.dirname(page), target.split('#')[0]))]
    assert broken == []


def test_every_module_plugin_and_role_has_a_reference_page():
    docs = os.path.join(paths.CHECKOUT, 'docs')
    expected = set('modules/%s.md' % os.path.basename(p)[:-3]
                   for p in glob.glob(os.path.join(paths.CHECKOUT, 'plugins', 'modules', '*.py')))
    expected |= set('plugins/%s_%s.md' % (kind, os.path.basename(p)[:-3]) for kind in ('callback', 'filter')
                    for p in glob.glob(os.path.join(paths.CHECKOUT, 'plugins', kind, '*.py')))
    expected |= set('roles/%s.md' % p.split(os.sep)[-3]
                    for p in glob.glob(os.path.join(paths.CHECKOUT, 'roles', '*', 'meta', 'argument_specs.yml')))
    assert sorted(page for page in expected if not os.path.isfile(os.path.join(docs, page))) == []
