# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Paths shown as findmnt shows them. The expected texts are what findmnt 2.38.1 (Debian 12, C.UTF-8) printed
for tmpfs mounts on these names; tests/integration/module_utils/test_hard_mounts.py compares with it live."""

from __future__ import annotations

import os

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.pathtext import shown_path


@pytest.mark.parametrize('name, shown', [
    (b'/plain/path', '/plain/path'),
    (b'/form\x0cfeed', '/form\\x0cfeed'),
    (b'/file\x1csep', '/file\\x1csep'),
    ('/line\u2028sep'.encode(), '/line\\xe2\\x80\\xa8sep'),
    ('/para\u2029sep'.encode(), '/para\\xe2\\x80\\xa9sep'),
    ('/c1\u0085x'.encode(), '/c1\\xc2\\x85x'),
    ('/unassigned\u0378x'.encode(), '/unassigned\\xcd\\xb8x'),
    (b'/not\xffutf8', '/not\\xffutf8'),
    (b'/tab\there', '/tab\\x09here'),
    (b'/ctl\x01x', '/ctl\\x01x'),
    (b'/del\x7fx', '/del\\x7fx'),
    (b'/with space', '/with space'),
    (b'/back\\slash', '/back\\slash'),
    (b'/back\\xslash', '/back\\x5cxslash'),
    ('/caf\u00e9'.encode(), '/caf\u00e9'),
    ('/zero\u200bwidth'.encode(), '/zero\u200bwidth'),
    ('/nbsp\u00a0x'.encode(), '/nbsp\u00a0x'),
])
def test_names_are_shown_as_findmnt_shows_them(name, shown):
    assert shown_path(os.fsdecode(name)) == shown


def test_none_stays_none():
    assert shown_path(None) is None
