# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection tarball as a user gets it: what is inside, and the execution-environment recipe of the docs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

from support import paths

BIN = os.path.dirname(sys.executable)
EE_DOC = os.path.join(paths.CHECKOUT, 'docs', 'execution-environment.md')
EE_MARKER = '<!-- execution-environment.yml:'


def run(argv, cwd, **env):
    environ = dict(os.environ, **env)
    environ['PATH'] = BIN + os.pathsep + environ.get('PATH', '')
    done = subprocess.run(argv, cwd=cwd, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=600, check=False)
    assert done.returncode == 0, '%s failed:\n%s' % (' '.join(argv), done.stdout)
    return done.stdout


@pytest.fixture(scope='module')
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp('build')
    run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--force', '--output-path', str(out),
         paths.CHECKOUT], cwd=paths.CHECKOUT)
    (built,) = [os.path.join(str(out), name) for name in os.listdir(str(out)) if name.endswith('.tar.gz')]
    return built


def test_tarball_holds_what_users_need_and_no_development_files(tarball):
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
    for needed in ('LICENSE', 'CHANGELOG.rst', 'README.md', 'requirements.txt', 'requirements.yml',
                   'meta/runtime.yml', 'meta/execution-environment.yml', 'plugins/modules/hostfacts.py',
                   'roles/docker/tasks/main.yml', 'playbooks/fleet_report.yml'):
        assert needed in names, needed
    leaked = sorted(name for name in names if name == 'ansible.cfg' or name.split('/')[0] in (
        '.ci', '.config', '.pytest_cache', '.venv', '.collections', '.compat', 'bench', 'build', 'molecule', 'tests',
        'inventory', 'Makefile') or name.endswith(('.plugin-cache.yaml', '.pyc')))
    assert not leaked


def documented_ee_file():
    """The execution-environment.yml that docs/execution-environment.md tells users to write."""
    with open(EE_DOC) as handle:
        text = handle.read()
    after = text[text.index(EE_MARKER):]
    return re.search(r'```yaml\n(.*?)```', after, re.S).group(1)


def test_documented_execution_environment_builds_its_context(tarball, tmp_path):
    ee_file = documented_ee_file()
    source = yaml.safe_load(ee_file)['dependencies']['galaxy']['collections'][0]['source']
    assert os.path.basename(source) == os.path.basename(tarball), 'the docs name another version of the tarball'
    shutil.copy(tarball, str(tmp_path))
    (tmp_path / 'execution-environment.yml').write_text(ee_file)
    run([os.path.join(BIN, 'ansible-builder'), 'create'], cwd=str(tmp_path))
    build_dir = tmp_path / 'context' / '_build'
    assert (build_dir / os.path.basename(tarball)).is_file()
    # The galaxy stage of the generated Dockerfile: `ansible-galaxy collection install -r requirements.yml`
    # in _build. Offline, the dependencies resolve from the ansible package of this venv.
    dockerfile = (tmp_path / 'context' / 'Dockerfile').read_text()
    assert 'WORKDIR /build' in dockerfile and 'COPY _build /build' in dockerfile
    target = tmp_path / 'collections'
    # Only the target as collections path: a hostops.fleet installed in the checkout's .collections (make install)
    # would otherwise satisfy the requirement, and nothing would be installed.
    run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '--offline', '-r', 'requirements.yml',
         '-p', str(target)], cwd=str(build_dir), ANSIBLE_COLLECTIONS_PATH=str(target))
    manifest = target / 'ansible_collections' / 'hostops' / 'fleet' / 'MANIFEST.json'
    assert json.loads(manifest.read_text())['collection_info']['name'] == 'fleet'
    # What ansible-builder asks the installed collection for: requirements.txt's lines.
    introspected = run([os.path.join(BIN, 'ansible-builder'), 'introspect', '--sanitize', str(target)],
                       cwd=str(tmp_path))
    assert 'jmespath' in introspected
