# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make ``ansible_collections.hostops.fleet`` importable from a plain checkout, or from an installed tarball.

A temporary directory gets ansible_collections/hostops/fleet as a symlink to the
checkout and goes first on sys.path, so the tests import the collection code the
way Ansible does, without installing it. With HOSTOPS_FLEET_COLLECTIONS set to a
collections path (the compat line, tests/compat/run.sh), the collection installed
there from the tarball is imported instead.
"""

from __future__ import annotations

import os
import sys
import tempfile

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _collection_root():
    installed = os.environ.get('HOSTOPS_FLEET_COLLECTIONS')
    if installed:
        if not os.path.isfile(os.path.join(installed, 'ansible_collections', 'hostops', 'fleet', 'MANIFEST.json')):
            raise RuntimeError('HOSTOPS_FLEET_COLLECTIONS=%s holds no installed hostops.fleet' % installed)
        return installed
    for entry in sys.path:
        if os.path.realpath(os.path.join(entry, 'ansible_collections', 'hostops', 'fleet')) == CHECKOUT:
            return entry
    root = tempfile.mkdtemp(prefix='hostops-fleet-tests-')
    os.makedirs(os.path.join(root, 'ansible_collections', 'hostops'))
    os.symlink(CHECKOUT, os.path.join(root, 'ansible_collections', 'hostops', 'fleet'))
    return root


COLLECTION_ROOT = _collection_root()
if COLLECTION_ROOT not in sys.path:
    sys.path.insert(0, COLLECTION_ROOT)
# ansible_collections is a namespace-less package that ansible-core may already have imported.
for name in [n for n in sys.modules if n == 'ansible_collections' or n.startswith('ansible_collections.')]:
    del sys.modules[name]
