"""Seed ansible-test's pip bootstrap cache with a script that needs no download.

ansible-test --venv fetches get-pip.py from a host this machine cannot reach, but
uses ~/.ansible/test/cache/get_pip_<version>.py when it exists. The stand-in below
bootstraps pip with the interpreter's own ensurepip, then runs pip with the
arguments ansible-test passes, which is all get-pip.py does for it.
"""

import os
import sys

PIP_VERSIONS = ('23.1.2', '24.2', '24.3.1', '25.0.1', '25.1.1', '25.2')

SHIM = '''import subprocess
import sys

# --no-setuptools and --no-wheel are get-pip.py's own flags, unknown to pip install.
ARGS = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'])
sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install'] + ARGS))
'''


def main():
    cache = os.path.expanduser('~/.ansible/test/cache')
    os.makedirs(cache, exist_ok=True)
    for version in PIP_VERSIONS:
        path = os.path.join(cache, 'get_pip_%s.py' % version.replace('.', '_'))
        with open(path, 'w') as handle:
            handle.write(SHIM)
    sys.stdout.write('seeded the ansible-test pip bootstrap cache in %s\n' % cache)


if __name__ == '__main__':
    main()
