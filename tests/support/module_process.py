# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run one of the collection's modules as its own process, its arguments on stdin as Ansible sends them, and
measure it: wall time and peak RSS (VmHWM, read by the module process itself as it exits)."""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import time

from support import adhoc

# Runs the module as __main__ and, at exit (exit_json and fail_json end in sys.exit), prints its VmHWM.
_WRAPPER = '''
import atexit, runpy, sys
def report_peak_rss():
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith('VmHWM:'):
                sys.stderr.write('\\npeak-rss-kib %s\\n' % line.split()[1])
atexit.register(report_peak_rss)
module = sys.argv.pop(1)
runpy.run_module(module, run_name='__main__', alter_sys=True)
'''

ModuleRun = collections.namedtuple('ModuleRun', 'result seconds peak_rss_mib stderr')


def run_module(name, process_timeout=120, **args):
    """Run hostops.fleet.<name> with args; the result must be JSON and stderr must hold no traceback."""
    env = dict(os.environ, PYTHONPATH=adhoc._collection_root())
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, '-c', _WRAPPER, 'ansible_collections.hostops.fleet.plugins.modules.' + name],
        input=json.dumps({'ANSIBLE_MODULE_ARGS': args}), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, env=env, cwd="/", timeout=process_timeout, check=False)
    seconds = time.monotonic() - start
    assert 'Traceback' not in proc.stderr, proc.stderr
    assert proc.stdout, proc.stderr
    peak = [line.split()[1] for line in proc.stderr.splitlines() if line.startswith('peak-rss-kib ')]
    return ModuleRun(json.loads(proc.stdout), seconds, int(peak[-1]) / 1024.0 if peak else None, proc.stderr)
