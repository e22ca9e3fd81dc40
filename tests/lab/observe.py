# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Inside a built scenario: run hostfacts and, at the same moment, the tools operators trust; compare.

    python -m lab.observe     (run by the scenario script, with LAB set; see scenario.py)

hostfacts runs as the real module, its own process, on the target's /usr/bin/python3 (as nobody when a
block asked for it, as an unprivileged become-less run would). iostat -x measures the same one-second
window beside it; df, findmnt, lsblk, lsns, ps, lsof and psutil are read as soon as it returns. Every
command that could stat a hung mount runs with a deadline, and its timing out is itself an observation.
Prints JSON (HOSTFACTS_LAB_OUTPUT=json, for the lab) or the findings as text, exiting 1 when there are any.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
import sys
import time

from lab import compare

MODULE = 'ansible_collections.hostops.fleet.plugins.modules.hostfacts'
MODULE_ARGS = {'interval': 1.0, 'timeout': 2.0, 'process_list': 'full', 'top': 50}
DF_SECONDS = 3.0


def command(argv, timeout=20.0, **kwargs):
    """(stdout, seconds) of argv; stdout None when it did not finish within timeout (then it is killed)."""
    started = time.monotonic()
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=timeout,
                              universal_newlines=True, check=False, **kwargs)
    except subprocess.TimeoutExpired:
        return None, time.monotonic() - started
    return proc.stdout, time.monotonic() - started


def read_diskstats():
    with open('/proc/diskstats') as handle:
        return {fields[2]: [int(x) for x in fields[3:]] for fields in (line.split() for line in handle)}


def run_hostfacts(lab, run_as, args):
    argv = ['/usr/bin/python3', '-m', MODULE]
    if run_as:
        argv = ['setpriv', '--reuid', run_as, '--regid', 'nogroup', '--clear-groups', '--'] + argv
    started = time.monotonic()
    proc = subprocess.run(argv, input=json.dumps({'ANSIBLE_MODULE_ARGS': args}), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, cwd='/', timeout=120, check=False,
                          env=dict(os.environ, LANG='C.UTF-8', LC_ALL='C.UTF-8'))
    seconds = time.monotonic() - started
    try:
        result = json.loads(proc.stdout[proc.stdout.index('{'):])
    except ValueError:
        result = {'failed': True, 'msg': 'no JSON', 'stdout': proc.stdout[-2000:]}
    return {'result': result, 'seconds': seconds, 'stderr': proc.stderr[-4000:], 'rc': proc.returncode}


def df_of(mount_point):
    """df -B1 and df -i of one mount (None where it did not answer within DF_SECONDS), and the block size."""
    size, size_seconds = command(['df', '-B1', '--output=source,fstype,size,used,avail,target', mount_point],
                                 timeout=DF_SECONDS)
    inodes = command(['df', '--output=itotal,iused,iavail', mount_point], timeout=DF_SECONDS)[0]
    block = command(['stat', '-f', '-c', '%S', mount_point], timeout=DF_SECONDS)[0]
    if size is None or inodes is None:
        return {'answered': False, 'seconds': size_seconds}
    try:
        source, fstype, total, used, avail = size.splitlines()[1].split()[:5]
        itotal, iused, iavail = inodes.splitlines()[1].split()[:3]
    except (IndexError, ValueError):
        return {'answered': True, 'seconds': size_seconds, 'error': size + inodes}
    return {'answered': True, 'seconds': size_seconds, 'source': source, 'fstype': fstype, 'size': int(total),
            'used': int(used), 'available': int(avail), 'inodes_total': int(itotal), 'inodes_used': int(iused),
            'inodes_free': int(iavail) if iavail != '-' else None, 'block': int(block) if block and block.strip() else 4096}


def pids_of(lab, manifest):
    pids = {}
    for block in manifest['blocks']:
        for name in os.listdir(os.path.join(lab, 'run')):
            if name.startswith(block['name']) and name.endswith('.pid') and name[len(block['name'])] in '.-':
                with open(os.path.join(lab, 'run', name)) as handle:
                    pids[name[:-4]] = int(handle.read())
    return pids


def observe():
    lab = os.environ['LAB']
    with open(os.path.join(lab, 'run', 'manifest.json')) as handle:
        manifest = json.loads(os.path.expandvars(handle.read()))
    run_as = None
    if os.path.exists(os.path.join(lab, 'run', 'run-as')):
        with open(os.path.join(lab, 'run', 'run-as')) as handle:
            run_as = handle.read().strip()
    args = dict(MODULE_ARGS, include_pseudo=manifest.get('include_pseudo', True))
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=64)
    before = read_diskstats()
    iostat = pool.submit(command, ['iostat', '-dxk', '-o', 'JSON', '-y', '1', '1'])
    open(os.path.join(lab, 'run', 'go'), 'w').close()
    hostfacts = run_hostfacts(lab, run_as, args)
    after = read_diskstats()
    ps = command(['ps', '-eo', 'pid=,ppid=,nlwp=,stat=,args='])[0]
    findmnt = command(['findmnt', '-J', '-o', 'TARGET,SOURCE,FSTYPE,OPTIONS,FS-OPTIONS'])[0]
    mounts = compare.flatten_findmnt(json.loads(findmnt))
    df_all = command(['df', '-B1', '--output=target'], timeout=DF_SECONDS * 2)[0]
    lab_points = [m['target'] for m in mounts if m['target'] == lab or m['target'].startswith(lab + '/')]
    dfs = dict(zip(lab_points, pool.map(df_of, lab_points)))
    for block in manifest['blocks']:
        if block.get('upper'):
            dfs[block['upper']] = df_of(block['upper'])
    pids = pids_of(lab, manifest)
    lsof = command(['lsof', '-b', '-w', '-n', '-P', '-F', 'pfn', '-p', ','.join(str(p) for p in pids.values())]
                   )[0] if pids else ''
    lsblk = command(['lsblk', '-J', '-o', 'NAME,MAJ:MIN,TYPE,MOUNTPOINTS'])[0]
    lsns = command(['lsns', '-J'])[0]
    iostat_out = iostat.result()[0]
    observation = {
        'manifest': manifest, 'lab': lab, 'run_as': run_as, 'args': args, 'hostfacts': hostfacts,
        'host_ns': dict(line.split('=', 1) for line in os.environ.get('HOSTFACTS_LAB_HOST_NS', '').splitlines()
                        if '=' in line),
        'own_ns': {name: os.readlink('/proc/self/ns/' + name) for name in os.listdir('/proc/self/ns')},
        'ps': ps, 'findmnt': mounts, 'df_list': df_all.splitlines()[1:] if df_all else None, 'df': dfs,
        'pids': pids, 'lsof': lsof, 'lsblk': json.loads(lsblk) if lsblk else None,
        'lsns': json.loads(lsns) if lsns else None, 'iostat': json.loads(iostat_out) if iostat_out else None,
        'diskstats': {'before': before, 'after': after},
    }
    observation['findings'] = compare.findings(observation)
    pool.shutdown(wait=False)
    return observation


def main():
    observation = observe()
    if os.environ.get('HOSTFACTS_LAB_OUTPUT') == 'json':
        json.dump(observation, sys.stdout)
        return 0
    for finding in observation['findings']:
        print('%s: %s' % (finding['check'], finding['message']))
    if not observation['findings']:
        print('no differences')
    return 1 if observation['findings'] else 0


if __name__ == '__main__':
    sys.exit(main())
