# Copyright (c) hostops.fleet developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in Rancher server for the rancher_node Molecule scenario.

Speaks the part of Rancher's HTTPS interface that a joining node uses:
/ping, /healthz, /cacerts, /system-agent-install.sh and /v3/connect/agent.
Every request is logged and every /v3/connect/agent call is recorded
(headers, bearer token, roles) in <state-dir>/registrations.json.
Standard library only, so it runs on any python3 (here: in a container
made from the systemd test image).
"""

from __future__ import annotations

import argparse
import hashlib
import http.server
import json
import os
import secrets
import ssl
import sys
import threading

ROLE_HEADERS = {
    'etcd': 'X-Cattle-Role-Etcd',
    'controlplane': 'X-Cattle-Role-Control-Plane',
    'worker': 'X-Cattle-Role-Worker',
}


def parse_bearer(value):
    """Return the token of an 'Authorization: Bearer <token>' value, or None."""
    if not value:
        return None
    scheme, _unused, token = value.strip().partition(' ')
    if scheme.lower() != 'bearer' or not token.strip():
        return None
    return token.strip()


def parse_registration(headers):
    """Turn the X-Cattle-* headers of a connect call into a registration record."""
    def flag(name):
        return (headers.get(name) or '').strip().lower() == 'true'

    def split(name):
        value = headers.get(name) or ''
        return [item for item in (part.strip() for part in value.split(',')) if item]

    return {
        'token': parse_bearer(headers.get('Authorization')),
        'cattle_id': headers.get('X-Cattle-Id'),
        'roles': sorted(role for role, header in ROLE_HEADERS.items() if flag(header)),
        'node_name': headers.get('X-Cattle-Node-Name'),
        'address': headers.get('X-Cattle-Address'),
        'internal_address': headers.get('X-Cattle-Internal-Address'),
        'labels': split('X-Cattle-Labels'),
        'taints': split('X-Cattle-Taints'),
        'headers': {key: value for key, value in headers.items() if key.lower() != 'authorization'},
    }


class Recorder:
    """Appends records to JSON files in the state directory, one lock for all."""

    def __init__(self, state_dir):
        self.state_dir = state_dir
        self.lock = threading.Lock()

    def append(self, name, record):
        path = os.path.join(self.state_dir, name)
        with self.lock:
            try:
                with open(path, encoding='utf-8') as handle:
                    records = json.load(handle)
            except FileNotFoundError:
                records = []
            records.append(record)
            tmp = path + '.tmp'
            with open(tmp, 'w', encoding='utf-8') as handle:
                json.dump(records, handle, indent=2, sort_keys=True)
            os.replace(tmp, path)


def make_handler(cacerts, install_script, token, recorder):
    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = 'rancher-standin/1'

        def log_message(self, format, *args):  # noqa: A002 (signature of the base class)
            sys.stderr.write('%s %s\n' % (self.address_string(), format % args))

        def reply(self, status, body, content_type='text/plain'):
            data = body if isinstance(body, bytes) else body.encode('utf-8')
            self.send_response(status)
            self.send_header('Content-Type', content_type)
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            path = self.path.split('?', 1)[0]
            recorder.append('requests.json', {'method': self.command, 'path': path})
            if path == '/ping':
                self.reply(200, 'pong')
            elif path == '/healthz':
                self.reply(200, 'ok')
            elif path == '/cacerts':
                self.reply(200, cacerts)
            elif path == '/system-agent-install.sh':
                self.reply(200, install_script, 'text/x-shellscript')
            elif path == '/v3/connect/agent':
                self.connect_agent()
            else:
                self.reply(404, 'not found')

        do_POST = do_GET

        def connect_agent(self):
            record = parse_registration(self.headers)
            record['accepted'] = record['token'] == token
            recorder.append('registrations.json', record)
            if not record['accepted']:
                self.reply(401, 'invalid token')
                return
            info = {
                'namespace': 'fleet-default',
                'secretName': 'custom-%s-machine-plan' % record['cattle_id'],
                'kubeConfig': 'apiVersion: v1\nkind: Config\nusers:\n- name: agent\n  user:\n    token: %s\n'
                              % secrets.token_hex(24),
            }
            self.reply(200, json.dumps(info), 'application/json')

    return Handler


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--bind', default='0.0.0.0')
    parser.add_argument('--port', type=int, default=443)
    parser.add_argument('--cert', required=True, help='server certificate chain (PEM)')
    parser.add_argument('--key', required=True, help='server key (PEM)')
    parser.add_argument('--cacerts', required=True, help='CA certificate served on /cacerts (PEM)')
    parser.add_argument('--install-script', required=True)
    parser.add_argument('--state-dir', required=True)
    parser.add_argument('--token-file', required=True, help='file holding the registration token the server accepts')
    args = parser.parse_args(argv)

    with open(args.cacerts, encoding='utf-8') as handle:
        cacerts = handle.read()
    with open(args.install_script, 'rb') as handle:
        install_script = handle.read()
    with open(args.token_file, encoding='utf-8') as handle:
        token = handle.read().strip()

    handler = make_handler(cacerts, install_script, token, Recorder(args.state_dir))
    httpd = http.server.ThreadingHTTPServer((args.bind, args.port), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    sys.stderr.write('rancher stand-in on %s:%d, /cacerts sha256 %s\n'
                     % (args.bind, args.port, hashlib.sha256(cacerts.encode('utf-8')).hexdigest()))
    httpd.serve_forever()


if __name__ == '__main__':
    main()
