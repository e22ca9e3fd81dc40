# Copyright (c) hostops.fleet developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in Rancher server for the rancher_node Molecule scenario.

Speaks the part of Rancher's HTTPS interface that a joining node uses, shaped
like the real one (rancher/rancher and rancher/system-agent, files cited next
to each behaviour):

- /ping ("pong"), /healthz ("ok"), /cacerts (the CA, PEM) and
  /v3/settings/cacerts (the same CA as a settings resource, what the legacy
  agent's package/run.sh reads with jq '.value');
- /system-agent-install.sh: an install script with upstream's interface and
  its inconvenient parts (curl with the bearer token on its command line,
  retry loops of 4,500 attempts 5 s apart), prefixed with the variables Rancher
  prepends (pkg/capr/installer/installer.go);
- /assets/rancher-system-agent-<arch> and /assets/system-agent-uninstall.sh,
  binary downloads with Last-Modified and If-Modified-Since, as Rancher's file
  server answers (the assets package/Dockerfile puts there);
- /v3/connect/agent (pkg/capr/configserver/server.go): 401 with an empty body
  for a wrong token or a missing X-Cattle-Id, 503 "CAPI not ready yet" with
  Retry-After for the first --not-ready requests, else {namespace, secretName,
  kubeConfig}, the kubeConfig holding the server URL, its CA and a new token;
- /api/v1/namespaces/<ns>/secrets/<name>: what the agent watches with that
  token; 401 for any other token.

Every request is logged in <state-dir>/requests.json, every /v3/connect/agent
call (headers, bearer token, roles) in registrations.json and every agent
that came back with its kubeConfig token in agents.json. Standard library
only, so that it runs on any python3 (here: in a container made from the
systemd test image). --rogue-port serves the same on a second port with a
certificate from another CA, for the pinning test.
"""

from __future__ import annotations

import argparse
import base64
import email.utils
import hashlib
import http.server
import json
import os
import re
import secrets
import ssl
import sys
import threading

ROLE_HEADERS = {
    'etcd': 'X-Cattle-Role-Etcd',
    'controlplane': 'X-Cattle-Role-Control-Plane',
    'worker': 'X-Cattle-Role-Worker',
}
ASSET_ARCHES = ('amd64', 'arm64')
SECRET_PATH = re.compile(r'^/api/v1/namespaces/([^/]+)/secrets/([^/]+)$')
NAMESPACE = 'fleet-default'


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


def render_kubeconfig(server_url, cacerts, token):
    """The kubeConfig of a connect answer, laid out as client-go's clientcmd.Write does."""
    ca_data = base64.b64encode(cacerts.encode('utf-8')).decode('ascii')
    return ('apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: %s\n    server: %s\n'
            '  name: agent\ncontexts:\n- context:\n    cluster: agent\n    user: agent\n  name: agent\n'
            'current-context: agent\nkind: Config\npreferences: {}\nusers:\n- name: agent\n  user:\n'
            '    token: %s\n' % (ca_data, server_url, token))


def connection_info(server_url, cacerts, cattle_id, agent_token):
    """The body of a successful /v3/connect/agent answer (configserver connectAgent)."""
    return {
        'namespace': NAMESPACE,
        'secretName': 'custom-%s-machine-plan' % cattle_id[:12],
        'kubeConfig': render_kubeconfig(server_url, cacerts, agent_token),
    }


def settings_cacerts(cacerts):
    """/v3/settings/cacerts: the CA as Rancher's settings API shows a setting."""
    return {'baseType': 'setting', 'id': 'cacerts', 'name': 'cacerts', 'type': 'setting',
            'customized': False, 'default': '', 'source': '', 'value': cacerts}


def install_script_prelude(server_url, ca_checksum):
    """What Rancher prepends to the served system-agent-install.sh (installer.go LinuxInstallScript)."""
    lines = ['#!/usr/bin/env sh', "export STRICT_VERIFY='false'",
             'CATTLE_AGENT_BINARY_BASE_URL="%s/assets"' % server_url, 'CATTLE_SERVER=%s' % server_url]
    if ca_checksum:
        lines.append('CATTLE_CA_CHECKSUM="%s"' % ca_checksum)
    return '\n'.join(lines) + '\n\n'


def not_modified(if_modified_since, mtime):
    """True when an If-Modified-Since header is at or after mtime (whole seconds, as HTTP dates are)."""
    if not if_modified_since:
        return False
    try:
        since = email.utils.parsedate_to_datetime(if_modified_since).timestamp()
    except (TypeError, ValueError, IndexError):
        return False
    return int(mtime) <= since


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


class Registry:
    """What the server remembers between requests: accepted token, issued agent tokens, not-ready budget."""

    def __init__(self, token, not_ready):
        self.token = token
        self.not_ready = not_ready
        self.agent_tokens = {}
        self.lock = threading.Lock()

    def take_not_ready(self):
        """True while the server still answers 'CAPI not ready yet' (configserver ServeHTTP)."""
        with self.lock:
            if self.not_ready > 0:
                self.not_ready -= 1
                return True
            return False

    def issue(self, cattle_id):
        agent_token = secrets.token_hex(24)
        with self.lock:
            self.agent_tokens[agent_token] = cattle_id
        return agent_token

    def agent(self, token):
        with self.lock:
            return self.agent_tokens.get(token)


class Site:
    """The server's fixed content: CA, install script, assets."""

    def __init__(self, cacerts, install_script, assets_dir):
        self.cacerts = cacerts
        self.ca_checksum = hashlib.sha256(cacerts.encode('utf-8')).hexdigest()
        self.install_script = install_script
        self.assets_dir = assets_dir

    def asset_path(self, name):
        """The file behind /assets/<name>, or None: the agent for each architecture and the uninstall script."""
        if name in ('rancher-system-agent-%s' % arch for arch in ASSET_ARCHES):
            return os.path.join(self.assets_dir, 'rancher-system-agent')
        if name == 'system-agent-uninstall.sh':
            return os.path.join(self.assets_dir, 'system-agent-uninstall.sh')
        return None


class Handler(http.server.BaseHTTPRequestHandler):
    """One request; the server's site, registry and recorder are attributes of the listening server."""

    server_version = 'rancher-standin/1'

    def log_message(self, format, *args):  # noqa: A002 (signature of the base class)
        sys.stderr.write('%s %s\n' % (self.address_string(), format % args))

    def reply(self, status, body=b'', content_type='text/plain', headers=None):
        data = body if isinstance(body, bytes) else body.encode('utf-8')
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def server_url(self):
        return 'https://%s' % (self.headers.get('Host') or 'localhost')

    def do_GET(self):
        site, recorder = self.server.site, self.server.recorder
        path = self.path.split('?', 1)[0]
        recorder.append('requests.json', {'method': self.command, 'path': path, 'port': self.server.server_address[1]})
        fixed = {
            '/ping': lambda: self.reply(200, 'pong'),
            '/healthz': lambda: self.reply(200, 'ok'),
            '/cacerts': lambda: self.reply(200, site.cacerts),
            '/v3/settings/cacerts': lambda: self.reply(200, json.dumps(settings_cacerts(site.cacerts)), 'application/json'),
            '/system-agent-install.sh': self.install_script,
            '/v3/connect/agent': self.connect_agent,
        }
        if path in fixed:
            fixed[path]()
        elif path.startswith('/assets/'):
            self.asset(path[len('/assets/'):])
        elif SECRET_PATH.match(path):
            self.plan_secret(*SECRET_PATH.match(path).groups())
        else:
            self.reply(404, 'not found')

    do_POST = do_GET

    def install_script(self):
        site = self.server.site
        self.reply(200, install_script_prelude(self.server_url(), site.ca_checksum) + site.install_script)

    def asset(self, name):
        path = self.server.site.asset_path(name)
        if path is None:
            self.reply(404, 'not found')
            return
        mtime = os.stat(path).st_mtime
        last_modified = email.utils.formatdate(mtime, usegmt=True)
        if not_modified(self.headers.get('If-Modified-Since'), mtime):
            self.send_response(304)
            self.send_header('Last-Modified', last_modified)
            self.end_headers()
            return
        with open(path, 'rb') as handle:
            self.reply(200, handle.read(), 'application/octet-stream', {'Last-Modified': last_modified})

    def connect_agent(self):
        registry = self.server.registry
        if registry.take_not_ready():
            self.reply(503, 'CAPI not ready yet\n', headers={'Retry-After': '5'})
            return
        record = parse_registration(self.headers)
        record['accepted'] = record['token'] == registry.token and bool(record['cattle_id'])
        if record['accepted']:
            record['agent_token'] = registry.issue(record['cattle_id'])
        self.server.recorder.append('registrations.json', record)
        if not record['accepted']:
            self.reply(401)
            return
        info = connection_info(self.server_url(), self.server.site.cacerts, record['cattle_id'], record['agent_token'])
        self.reply(200, json.dumps(info, indent=2) + '\n', 'application/json')

    def plan_secret(self, namespace, name):
        cattle_id = self.server.registry.agent(parse_bearer(self.headers.get('Authorization')))
        if cattle_id is None:
            self.reply(401, json.dumps({'kind': 'Status', 'code': 401, 'reason': 'Unauthorized'}), 'application/json')
            return
        self.server.recorder.append('agents.json', {'cattle_id': cattle_id, 'namespace': namespace, 'secret': name})
        secret = {'apiVersion': 'v1', 'kind': 'Secret', 'type': 'rke.cattle.io/machine-plan',
                  'metadata': {'name': name, 'namespace': namespace}, 'data': {}}
        self.reply(200, json.dumps(secret), 'application/json')


def serve(bind, port, cert, key, state):
    """Start one HTTPS listener in a daemon thread, serving state (site, registry, recorder); return it."""
    httpd = http.server.ThreadingHTTPServer((bind, port), Handler)
    httpd.site, httpd.registry, httpd.recorder = state
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--bind', default='0.0.0.0')
    parser.add_argument('--port', type=int, default=443)
    parser.add_argument('--cert', required=True, help='server certificate chain (PEM)')
    parser.add_argument('--key', required=True, help='server key (PEM)')
    parser.add_argument('--cacerts', required=True, help='CA certificate served on /cacerts (PEM)')
    parser.add_argument('--install-script', required=True)
    parser.add_argument('--assets-dir', required=True, help='holds rancher-system-agent and system-agent-uninstall.sh')
    parser.add_argument('--state-dir', required=True)
    parser.add_argument('--token-file', required=True, help='file holding the registration token the server accepts')
    parser.add_argument('--not-ready', type=int, default=0, help='answer 503 to the first N connect requests')
    parser.add_argument('--rogue-port', type=int, help='also serve here with --rogue-cert and --rogue-key')
    parser.add_argument('--rogue-cert')
    parser.add_argument('--rogue-key')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    with open(args.cacerts, encoding='utf-8') as handle:
        cacerts = handle.read()
    with open(args.install_script, encoding='utf-8') as handle:
        install_script = handle.read()
    with open(args.token_file, encoding='utf-8') as handle:
        token = handle.read().strip()

    site = Site(cacerts, install_script, args.assets_dir)
    state = (site, Registry(token, args.not_ready), Recorder(args.state_dir))
    servers = [serve(args.bind, args.port, args.cert, args.key, state)]
    if args.rogue_port:
        servers.append(serve(args.bind, args.rogue_port, args.rogue_cert, args.rogue_key, state))
    sys.stderr.write('rancher stand-in on %s:%d, /cacerts sha256 %s\n' % (args.bind, args.port, site.ca_checksum))
    threading.Event().wait()


if __name__ == '__main__':
    main()
