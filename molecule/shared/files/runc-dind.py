"""Test shim around runc for Docker inside the systemd test containers (Molecule only).

The shared platform runs each host with SYS_ADMIN but under the outer engine's
seccomp profile and without CAP_NET_ADMIN or CAP_SYS_PTRACE. Plain runc then
fails three ways, and this wrapper (registered as dockerd's default runtime)
works around each one:

- keyctl is forbidden: `create`/`run` get --no-new-keyring;
- bringing up loopback in a new network namespace needs CAP_NET_ADMIN: the
  container's netns is made here instead, owned by a fresh user namespace (root
  here has every capability there), pinned at /run/runc-dind/<id>, and runc is
  told to join it; `delete` unpins it;
- Docker's libnetwork-setkey hook opens /proc/<pid>/ns/net of runc init, which
  is not dumpable (needs CAP_SYS_PTRACE): the hook is given the pid of a
  short-lived helper process in the same netns instead.

Every container still gets its own net, pid, mnt, ipc and uts namespaces, in
its own cgroup, started by dockerd and runc: only who creates the netns differs.

molecule/shared/dind-shims.yml installs it as /usr/local/bin/runc-dind with a
/usr/bin/python3 shebang (kept out of this file for ansible-test's shebang check).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

RUNC = '/usr/bin/runc'
SELF = os.path.abspath(__file__)
PIN_DIR = '/run/runc-dind'
# Options that take a value: runc's global ones (before the command) and those of create/run/delete.
GLOBAL_WITH_VALUE = ('--root', '--log', '--log-format', '--criu', '--rootless')
COMMAND_WITH_VALUE = ('--bundle', '-b', '--console-socket', '--pid-file', '--preserve-fds', '--process', '-p')
SETKEY_HOOKS = ('prestart', 'createRuntime')


def split_command(argv):
    """Return (global options, command, the command's arguments)."""
    i = 0
    while i < len(argv) and argv[i].startswith('-'):
        i += 2 if argv[i] in GLOBAL_WITH_VALUE else 1
    return argv[:i], (argv[i] if i < len(argv) else None), argv[i + 1:]


def option_value(args, names):
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith(name + '='):
                return arg[len(name) + 1:]
    return None


def container_id(args):
    """The last positional argument of create/run/delete is the container id."""
    i, last = 0, None
    while i < len(args):
        if args[i].startswith('-'):
            i += 2 if args[i] in COMMAND_WITH_VALUE else 1
        else:
            last = args[i]
            i += 1
    return last


def holder(namespace_args):
    """Start `sh` in the given namespaces and wait until it runs there."""
    process = subprocess.Popen(namespace_args + ['sh', '-c', 'echo ready; read done'],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    if process.stdout.readline().strip() != b'ready':
        process.wait()
        raise SystemExit('runc-dind: %s did not start' % ' '.join(namespace_args))
    return process


def release(process):
    process.stdin.close()
    process.wait()


def pin_netns(pin):
    """Make a network namespace owned by a new user namespace and bind-mount it on pin."""
    os.makedirs(PIN_DIR, exist_ok=True)
    with open(pin, 'a', encoding='utf-8'):
        pass
    process = holder(['unshare', '--user', '--map-root-user', '--net'])
    try:
        subprocess.run(['mount', '--bind', '/proc/%d/ns/net' % process.pid, pin], check=True)
    finally:
        release(process)


def unpin_netns(cid):
    pin = os.path.join(PIN_DIR, cid)
    if os.path.exists(pin):
        subprocess.run(['umount', pin], check=False, stderr=subprocess.DEVNULL)
        os.unlink(pin)


def rewrite_bundle(bundle, cid):
    """Point a new netns of the bundle at a pinned one, and route Docker's setkey hook through this shim."""
    path = os.path.join(bundle, 'config.json')
    with open(path, encoding='utf-8') as handle:
        config = json.load(handle)
    namespaces = config.get('linux', {}).get('namespaces', [])
    netns = [ns for ns in namespaces if ns.get('type') == 'network' and not ns.get('path')]
    if not netns:
        return
    pin = os.path.join(PIN_DIR, cid)
    pin_netns(pin)
    netns[0]['path'] = pin
    for kind in SETKEY_HOOKS:
        for hook in config.get('hooks', {}).get(kind, []):
            if 'libnetwork-setkey' in hook.get('args', []):
                hook['args'] = [SELF, 'setkey-hook', pin, hook['path']] + hook['args']
                hook['path'] = SELF
    with open(path + '.runc-dind', 'w', encoding='utf-8') as handle:
        json.dump(config, handle)
    os.rename(path + '.runc-dind', path)


def setkey_hook(pin, path, args):
    """Run Docker's setkey hook with the pid of a dumpable process in the container's netns."""
    state = json.load(sys.stdin)
    process = holder(['nsenter', '--net=' + pin])
    try:
        state['pid'] = process.pid
        return subprocess.run(args, executable=path, input=json.dumps(state).encode(), check=False).returncode
    finally:
        release(process)


def main():
    argv = sys.argv[1:]
    if argv[:1] == ['setkey-hook'] and len(argv) >= 4:
        sys.exit(setkey_hook(argv[1], argv[2], argv[3:]))
    global_options, command, args = split_command(argv)
    if command in ('create', 'run'):
        cid = container_id(args)
        if cid:
            rewrite_bundle(option_value(args, ('--bundle', '-b')) or os.getcwd(), cid)
        args = ['--no-new-keyring'] + args
    elif command == 'delete':
        cid = container_id(args)
        if cid:
            unpin_netns(cid)
    os.execv(RUNC, [RUNC] + global_options + ([command] if command else []) + args)


if __name__ == '__main__':
    main()
