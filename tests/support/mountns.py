# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a scenario of support.mount_scenarios in a private mount namespace, and the processes it needs.

Whatever a scenario mounts (tmpfs, FUSE, loop images) lives in a namespace of its own
(``unshare -m --propagation private``): the host's mount table never sees it, and it is gone
when the scenario's processes end, even if a test fails half-way.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from support import adhoc, paths

TESTS = os.path.join(paths.CHECKOUT, 'tests')

# A process that holds files open and writes to one of them: a top disk writer for the io subset.
# argv: the file it rewrites (1 MiB at offset 0, synced, so write_bytes grows and the disk does not
# fill), then files it only holds open. It prints its open descriptors, then writes until killed.
WRITER = '''
import json, os, sys, time
target = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
held = [os.open(path, os.O_WRONLY | os.O_CREAT, 0o644) for path in sys.argv[2:]]
for fd in held:
    os.write(fd, b'held open\\n')
print(json.dumps({'target': target, 'held': held}), flush=True)
chunk = b'w' * (1 << 18)
while True:
    os.pwrite(target, chunk, 0)
    os.fsync(target)
    time.sleep(0.02)
'''


def need(*tools):
    """Skip unless root on Linux with these commands."""
    if not sys.platform.startswith('linux') or os.geteuid() != 0:
        pytest.skip('mounts in a private mount namespace: needs root on Linux')
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        pytest.skip('%s not installed (make integration installs them)' % ', '.join(missing))


def environment():
    return dict(os.environ, PYTHONPATH=os.pathsep.join([TESTS, adhoc._collection_root()]), LANG='C.UTF-8',
                LC_ALL='C.UTF-8')


def run_scenario(name, base, *args, **kwargs):
    """The JSON a scenario prints, run as ``python -m MODULE name base args...`` (``module``, by default
    support.mount_scenarios)."""
    proc = subprocess.run(
        ['unshare', '--mount', '--propagation', 'private', sys.executable, '-m',
         kwargs.get('module', 'support.mount_scenarios'), name, str(base)] + [str(arg) for arg in args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment(), cwd=TESTS,
        timeout=kwargs.get('timeout', 180), check=False)
    stderr = proc.stderr.decode('utf-8', 'replace')
    assert proc.returncode == 0, stderr
    return json.loads(proc.stdout)
