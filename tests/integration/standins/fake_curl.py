# Copyright (c) hostops.fleet developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A curl for test_rancher_install_script.py: logs its argv, then does the request.

Understands the options the stand-in install script passes (--connect-timeout,
--max-time, --write-out, -s, -S, -f, -L, --insecure, --cacert, -H, -o) and,
like curl, prints --write-out's %{http_code} (000 when nothing answered) and
exits 22 with -f on an HTTP error, 7 when it could not connect.
"""

import json
import os
import ssl
import sys
import urllib.error
import urllib.request

TAKES_VALUE = {'--connect-timeout', '--max-time', '--write-out', '--cacert', '-H', '-o'}


def parse(argv):
    options = {'headers': {}, 'insecure': False, 'fail': False}
    args = iter(argv)
    for arg in args:
        if arg in TAKES_VALUE:
            value = next(args)
            if arg == '-H':
                name, _unused, header = value.partition(':')
                options['headers'][name.strip()] = header.strip()
            else:
                options[arg] = value
        elif arg == '--insecure':
            options['insecure'] = True
        elif arg.startswith('-') and not arg.startswith('--'):
            options['fail'] = options['fail'] or 'f' in arg
        else:
            options['url'] = arg
    return options


def request(options):
    if options['insecure']:
        context = ssl._create_unverified_context()  # noqa: S323 (curl --insecure)
    else:
        context = ssl.create_default_context(cafile=options.get('--cacert'))
    req = urllib.request.Request(options['url'], headers=options['headers'])
    try:
        with urllib.request.urlopen(req, context=context, timeout=float(options.get('--max-time', 60))) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def main():
    with open(os.environ['FAKE_CURL_LOG'], 'a', encoding='utf-8') as log:
        log.write(json.dumps(sys.argv[1:]) + '\n')
    options = parse(sys.argv[1:])
    try:
        status, body = request(options)
    except (OSError, ValueError):
        sys.stdout.write(options.get('--write-out', '').replace('%{http_code}', '000').replace('\\n', '\n'))
        return 7
    target = options.get('-o')
    if target and target != '/dev/null' and status < 400:
        with open(target, 'wb') as handle:
            handle.write(body)
    sys.stdout.write(options.get('--write-out', '').replace('%{http_code}', str(status)).replace('\\n', '\n'))
    return 22 if options['fail'] and status >= 400 else 0


if __name__ == '__main__':
    sys.exit(main())
