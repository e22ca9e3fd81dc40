# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The test host is defined once, in .config/molecule/config.yml.

Molecule replaces a scenario's ``platforms`` list as a whole (molecule.util.merge_dicts merges
mappings only), so the fleet scenario, which needs six hosts, cannot merge the shared entry across
files and anchors its own copy of the settings. This test holds that copy to the shared definition:
every setting but the name, the image and the groups must be the same, and every scenario's images
must come from the same prefix, so that a change to the test host cannot miss a scenario.
"""

from __future__ import annotations

import glob
import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PER_HOST = ('name', 'image', 'groups')
IMAGE = '${HOSTOPS_IMAGE_PREFIX:-hostops-fleet}:'


def load(path):
    with open(os.path.join(ROOT, path)) as handle:
        return yaml.safe_load(handle)


def shared_settings(platform):
    return dict((key, value) for key, value in platform.items() if key not in PER_HOST)


def test_every_scenario_host_has_the_shared_test_host_settings():
    shared = load('.config/molecule/config.yml')['platforms']
    reference = shared_settings(shared[0])
    assert all(shared_settings(platform) == reference for platform in shared)
    scenarios = sorted(glob.glob(os.path.join(ROOT, 'molecule', '*', 'molecule.yml')))
    assert scenarios
    for path in scenarios:
        for platform in (load(path) or {}).get('platforms') or []:
            assert shared_settings(platform) == reference, (path, platform['name'])
            assert platform['image'] in (IMAGE + 'bookworm', IMAGE + 'trixie'), (path, platform['image'])
