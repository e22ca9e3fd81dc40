# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A scenario: building blocks placed (nested, in order), written as one bash script, run in namespaces.

The script is the whole scenario: run by the lab, or by anyone as `bash SCRIPT` (root), it re-executes
itself under `unshare --mount --pid --fork --mount-proc --kill-child` (and --net when asked), mounts a tmpfs
on its lab directory, builds the blocks, starts the mid-run removals, then runs observe.py, which runs
hostfacts and the oracles and prints what differs. Because PID 1 of the scenario's PID namespace is the
script, killing the unshare process (even with SIGKILL: --kill-child) kills every process the blocks
started, the mount namespace dies with them, and its mounts, loop devices and tmpfs contents with it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import uuid

from lab import blocks

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The one lab root: each run's script directory sits below it, and the start of every lab session removes
# what a killed session left (reset_root).
ROOT = '/var/tmp/hostfacts-lab'

PRELUDE = r'''
lab_bg() {  # lab_bg NAME COMMAND...: start in the background, pid in $LAB/run/NAME.pid, output in NAME.out
    local name=$1; shift
    "$@" > "$LAB/run/$name.out" 2>&1 &
    echo $! > "$LAB/run/$name.pid"
}
lab_ready() {  # lab_ready NAME [TENTHS]: wait until NAME printed ready
    local i
    for i in $(seq "${2:-100}"); do
        grep -qx ready "$LAB/run/$1.out" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "lab: $1 never became ready: $(cat "$LAB/run/$1.out")" >&2
    return 1
}
lab_image() {  # lab_image FSTYPE MIB PATH: a sparse image file holding an empty filesystem
    truncate -s "$2M" "$3"
    case $1 in
        ext4) mkfs.ext4 -q -F "$3" ;;
        xfs) mkfs.xfs -q -f "$3" ;;
        btrfs) mkfs.btrfs -q -f "$3" > /dev/null ;;
        vfat) mkfs.vfat "$3" > /dev/null ;;
        none) ;;
    esac
}
lab_fill() {  # lab_fill DIR none|half|full|inodes_full, each write synced so the figures are quiescent
    case $2 in
        half) local free; free=$(df -B1 --output=avail "$1" | tail -1)
              head -c $((free / 2)) /dev/zero > "$1/half.fill"; sync -f "$1" ;;
        full) head -c 4G /dev/zero > "$1/full.fill" 2>/dev/null || true; sync -f "$1" ;;
        inodes_full) local i=0; while : 2>/dev/null > "$1/i$i"; do i=$((i + 1)); done ;;
    esac
}
lab_after_go() {  # lab_after_go SECONDS COMMAND: run COMMAND that long after the observer says go
    ( while [ ! -e "$LAB/run/go" ]; do sleep 0.01; done; sleep "$1"; eval "$2" ) > /dev/null 2>&1 &
}
'''


def _heredoc_variable(name, text):
    return "%s=$(cat <<'LAB_EOF'\n%s\nLAB_EOF\n)\nexport %s" % (name, text.strip('\n'), name)


class Scenario(object):
    """Blocks in build order; each filesystem block nests in an earlier writable one or in the lab root."""

    def __init__(self, placed, net=False, include_pseudo=True, removal_delay=0.3):
        self.net = net
        self.include_pseudo = include_pseudo
        self.removal_delay = removal_delay
        self.blocks = []
        hosts = ['$LAB/m']
        for index, (block, parent) in enumerate(placed):
            self.blocks.append(block.at('%s/b%d' % (hosts[parent % len(hosts)], index), index))
            if isinstance(block, blocks.Bind):
                sources = [b for b in self.blocks[:-1] if b.mount_point() and not b.removed]
                block.source_dir = sources[block.target % len(sources)].mount_point() if sources else None
            if block.writable and block.mounts_fs and not block.removed and not getattr(block, 'readonly', False) \
                    and getattr(block, 'fill', 'none') in (
                    'none', 'half') and block.mount_point():
                hosts.append(block.mount_point())

    def describe(self):
        hidden = ('kind', 'dir', 'name', 'mount_point', 'mount_points', 'upper')
        return ', '.join('%s%s' % (b.kind, json.dumps({k: v for k, v in b.manifest().items() if k not in hidden},
                                                      sort_keys=True))
                         for b in self.blocks) + (' (own network namespace)' if self.net else '') + (
            '; include_pseudo=%s' % self.include_pseudo)

    def manifest(self):
        return {'blocks': [b.manifest() for b in self.blocks], 'net': self.net, 'include_pseudo': self.include_pseudo}

    def script(self):
        unshare = 'unshare --mount --propagation private --pid --fork --mount-proc --kill-child' + (
            ' --net' if self.net else '')
        ansible_dir = os.path.dirname(_ansible_package())
        lines = [
            '#!/usr/bin/env bash',
            '# hostfacts lab scenario: %s' % self.describe(),
            '# Rerun as root: bash THIS_FILE. It builds the case in private namespaces, runs hostfacts and the',
            '# oracles, prints what differs (exit 1) and leaves nothing behind.',
            'set -euo pipefail',
            'CHECKOUT=%s' % blocks.shlex.quote(CHECKOUT),
            'LAB_PYTHON=%s' % blocks.shlex.quote(sys.executable),
            'ANSIBLE_DIR=%s' % blocks.shlex.quote(ansible_dir),
            'if [ -z "${HOSTFACTS_LAB_INSIDE:-}" ]; then',
            '    export HOSTFACTS_LAB_DIR=${HOSTFACTS_LAB_DIR:-$(mkdir -p %s && mktemp -d %s/repro.XXXXXX)}' % (ROOT, ROOT),
            '    export HOSTFACTS_LAB_HOST_NS="$(for ns in /proc/$$/ns/*; do echo "$(basename $ns)=$(readlink $ns)"; done)"',
            '    HOSTFACTS_LAB_INSIDE=1 exec %s bash "$0" "$@"' % unshare,
            'fi',
            'export LAB=$HOSTFACTS_LAB_DIR',
            'mount -t tmpfs -o size=2g,mode=0755 hostfacts-lab "$LAB"',
            'mkdir -p "$LAB/img" "$LAB/run" "$LAB/src" "$LAB/m" "$LAB/py/ansible_collections/hostops"',
            'ln -s "$CHECKOUT" "$LAB/py/ansible_collections/hostops/fleet"',
            'ln -s "$ANSIBLE_DIR/ansible" "$LAB/py/ansible"',
            'export PYTHONPATH="$CHECKOUT/tests:$LAB/py"',
            PRELUDE.strip('\n'),
            _heredoc_variable('LAB_WRITER', blocks.WRITER),
            _heredoc_variable('LAB_THREADS', blocks.THREADS),
            _heredoc_variable('LAB_REAPER', blocks.REAPER),
            "cat > \"$LAB/run/manifest.json\" <<'LAB_EOF'\n%s\nLAB_EOF" % json.dumps(self.manifest(), sort_keys=True),
            'cd "$CHECKOUT/tests"',
            '# ---- the blocks',
        ]
        for block in self.blocks:
            lines.append('# %s' % block.kind)
            lines.append(block.build())
        for block in self.blocks:
            if block.removed:
                lines.append('lab_after_go %s %s' % (self.removal_delay, blocks.shlex.quote(block.teardown())))
        lines.append('# ---- hostfacts and the oracles, at the same moment')
        lines.append('"$LAB_PYTHON" -m lab.observe')
        return '\n'.join(lines) + '\n'


def _ansible_package():
    import ansible
    return os.path.dirname(ansible.__file__)


def reset_root():
    """Remove what earlier (killed) sessions left under ROOT: run directories and the loop devices on them.

    A run directory whose session is alive (its owner file names a live pid) is left alone: removing the
    mount point of a running scenario would detach its lab tmpfs in the scenario's namespace."""
    os.makedirs(ROOT, exist_ok=True)
    for name in os.listdir(ROOT):
        run_dir = os.path.join(ROOT, name)
        if _session_alive(run_dir):
            continue
        for device in loop_devices_under(run_dir):
            subprocess.run(['losetup', '-d', device], check=False, stderr=subprocess.DEVNULL)
        shutil.rmtree(run_dir, ignore_errors=True)


def _session_alive(run_dir):
    try:
        with open(os.path.join(run_dir, 'owner')) as handle:
            os.kill(int(handle.read()), 0)
    except (OSError, ValueError):
        return False
    return True


def loop_devices_under(directory):
    """Loop devices whose backing file is (or was, '(deleted)') below directory, as `losetup -l -J` lists them."""
    out = subprocess.run(['losetup', '-l', '-J'], stdout=subprocess.PIPE, universal_newlines=True, check=False).stdout
    devices = json.loads(out)['loopdevices'] if out.strip() else []
    return [d['name'] for d in devices if (d.get('back-file') or '').startswith(directory + '/')]


def start(scenario, output='json'):
    """Start the scenario's script in a session of its own; (process, run directory)."""
    run_dir = os.path.join(ROOT, uuid.uuid4().hex[:12])
    os.makedirs(run_dir)
    with open(os.path.join(run_dir, 'owner'), 'w') as handle:
        handle.write(str(os.getpid()))
    path = os.path.join(run_dir, 'scenario.sh')
    with open(path, 'w') as handle:
        handle.write(scenario.script())
    env = dict(os.environ, HOSTFACTS_LAB_DIR=os.path.join(run_dir, 'ns'), HOSTFACTS_LAB_OUTPUT=output)
    os.makedirs(env['HOSTFACTS_LAB_DIR'])
    process = subprocess.Popen(['bash', path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                               start_new_session=True)
    # The scenario's own process (unshare, then PID 1's parent) owns the directory from now on.
    with open(os.path.join(run_dir, 'owner'), 'w') as handle:
        handle.write(str(process.pid))
    return process, run_dir


def run(scenario, timeout=240):
    """The observer's JSON for a scenario (observation and findings); raises on a build that failed."""
    process, run_dir = start(scenario)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        raise AssertionError('lab scenario did not finish in %d s:\n%s\n%s' % (timeout, err.decode(), scenario.script()))
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    text = out.decode('utf-8', 'replace')
    if process.returncode != 0 or not text.strip():
        raise BuildError('lab scenario failed (rc %s):\n%s\n%s' % (
            process.returncode, err.decode('utf-8', 'replace')[-4000:], text[-2000:]))
    return json.loads(text)


class BuildError(Exception):
    """The scenario could not be built (a lab defect, not a hostfacts one)."""
