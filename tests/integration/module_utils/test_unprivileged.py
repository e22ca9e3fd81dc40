# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""processes, memory and filesystems as nobody (setpriv): real kernel permission checks, partial facts."""

from __future__ import annotations

import json
import os
import pathlib
import pwd
import shutil
import subprocess
import sys
import tempfile

import pytest

from support import paths


UNPRIVILEGED = '''
import json, sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.options import HostfactsOptions
facts = gather(HostfactsOptions.from_params(dict(
    gather_subset=['processes', 'memory', 'filesystems'], interval=0.0, top=5, process_list='full',
    cmdline_length=64, du_paths=[sys.argv[2]])))
print(json.dumps(facts))
'''


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which('setpriv'), reason='needs root and setpriv to drop to nobody')
def test_unprivileged_run_gives_partial_facts_and_one_warning(tmp_path):
    """As nobody, a root-only directory in du_paths cannot be read: facts still come, with one warning."""
    # pytest's tmp_path lives below a 0700 directory: nobody needs a world-readable one.
    tmp_path = pathlib.Path(tempfile.mkdtemp(prefix='hostfacts-nobody-'))
    root = tmp_path / 'collections'
    (root / 'ansible_collections' / 'hostops').mkdir(parents=True)
    checkout = paths.CHECKOUT
    shutil.copytree(os.path.join(checkout, 'plugins'), str(root / 'ansible_collections' / 'hostops' / 'fleet' / 'plugins'))
    private = tmp_path / 'private'
    (private / 'secret').mkdir(parents=True)
    os.chmod(str(private / 'secret'), 0o700)
    os.chmod(str(tmp_path), 0o755)
    for path, dirs, files in os.walk(str(root)):
        os.chmod(path, 0o755)
        for name in files:
            os.chmod(os.path.join(path, name), 0o644)
    nobody = pwd.getpwnam('nobody')
    result = subprocess.run(
        ['setpriv', '--reuid=%d' % nobody.pw_uid, '--regid=%d' % nobody.pw_gid, '--clear-groups',
         sys.executable, '-c', UNPRIVILEGED, str(root), str(private)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, cwd='/', check=False)
    shutil.rmtree(str(tmp_path))
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts['processes']['tasks']['total'] > 0
    assert facts['memory']['total'] > 0
    assert facts['filesystems']['du'][0]['unreadable_directories'] == 1
    denied = [w for w in facts['warnings'] if 'permission denied' in w]
    assert len(denied) == 1
    assert 'du x1' in denied[0] and 'become' in denied[0]
