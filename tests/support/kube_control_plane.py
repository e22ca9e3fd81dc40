# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A real Kubernetes control plane on loopback (tests/kube/start.sh), gone when the test ends.

The binaries come from tests/kube/build.sh's cache (make kube); :func:`not_built_reason` says why a test
cannot run without building anything. Requests go through kubectl, as a user's would, or straight to the
API (:meth:`ControlPlane.request`) where a test needs the HTTP status the server answered.
"""

from __future__ import annotations

import contextlib
import json
import os
import ssl
import subprocess
import tempfile
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
KUBE_DIR = os.path.join(os.path.dirname(HERE), 'kube')


def not_built_reason():
    """None when every binary is cached, else build.sh's sentence naming what is missing."""
    result = subprocess.run(['bash', os.path.join(KUBE_DIR, 'build.sh'), '--check'],
                            capture_output=True, text=True, check=False)
    if result.returncode == 0:
        return None
    return (result.stdout + result.stderr).strip() or 'tests/kube/build.sh --check exited %d' % result.returncode


class ControlPlane:
    """What start.sh wrote in its state directory: the admin kubeconfig, the CA, the ports."""

    def __init__(self, state_dir):
        self.state_dir = str(state_dir)
        self.env = {}
        with open(os.path.join(self.state_dir, 'env'), encoding='utf-8') as handle:
            for line in handle:
                name, value = line.rstrip('\n').partition('=')[::2]
                self.env[name] = value
        self.kubeconfig = self.env['KUBECONFIG']
        self.server = self.env['KUBE_SERVER']
        self.kubectl_path = os.path.join(self.env['KUBE_BIN'], 'kubectl')

    def kubectl(self, *args, token=None, stdin=None, check=True):
        """Runs kubectl as the admin, or as the bearer of token; returns the CompletedProcess."""
        command = [self.kubectl_path, '--kubeconfig', self.kubeconfig]
        if token is not None:
            # A token replaces the admin's client certificate: kubectl then authenticates with the token only.
            command = [self.kubectl_path, '--server', self.server, '--certificate-authority', self.env['KUBE_CA'],
                       '--token', token, '--kubeconfig', os.devnull]
        result = subprocess.run(command + list(args), input=stdin, capture_output=True, text=True,
                                check=False, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError('kubectl %s exited %d: %s' % (' '.join(args), result.returncode, result.stderr))
        return result

    def helm(self, *args, check=True):
        """Runs helm (build.sh's build) against this control plane, its state kept in the state directory."""
        helm_dir = os.path.join(self.state_dir, 'helm')
        env = dict(os.environ, KUBECONFIG=self.kubeconfig, HELM_CACHE_HOME=os.path.join(helm_dir, 'cache'),
                   HELM_CONFIG_HOME=os.path.join(helm_dir, 'config'), HELM_DATA_HOME=os.path.join(helm_dir, 'data'))
        result = subprocess.run([self.env['HELM'], *args], capture_output=True, text=True, env=env,
                                check=False, timeout=300)
        if check and result.returncode != 0:
            raise AssertionError('helm %s exited %d: %s' % (' '.join(args), result.returncode, result.stderr))
        return result

    def kubectl_json(self, *args, **kwargs):
        return json.loads(self.kubectl(*args, '--output=json', **kwargs).stdout)

    def client_certificate(self, name, subject):
        """Signs a client certificate for subject (e.g. '/O=system:nodes/CN=system:node:x') with the plane's CA.

        Returns name, for request(certificate=name).
        """
        pki = os.path.join(self.state_dir, 'pki')
        key, csr, crt = (os.path.join(pki, name + suffix) for suffix in ('.key', '.csr', '.crt'))
        with tempfile.NamedTemporaryFile('w', suffix='.ext') as extensions:
            extensions.write('basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n')
            extensions.flush()
            for command in (['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key],
                            ['req', '-new', '-key', key, '-subj', subject, '-out', csr],
                            ['x509', '-req', '-in', csr, '-CA', os.path.join(pki, 'ca.crt'), '-CAkey',
                             os.path.join(pki, 'ca.key'), '-CAcreateserial', '-days', '1', '-out', crt,
                             '-extfile', extensions.name]):
                subprocess.run(['openssl'] + command, capture_output=True, check=True)
        return name

    def request(self, method, path, body=None, content_type='application/json', token=None, certificate='admin'):
        """One HTTPS request to the apiserver with a client certificate (the admin's unless named) or as the
        bearer of token.

        Returns (HTTP status, decoded JSON body), whatever the status.
        """
        context = ssl.create_default_context(cafile=self.env['KUBE_CA'])
        headers = {'Accept': 'application/json'}
        if token is None:
            pki = os.path.join(self.state_dir, 'pki')
            context.load_cert_chain(os.path.join(pki, certificate + '.crt'), os.path.join(pki, certificate + '.key'))
        else:
            headers['Authorization'] = 'Bearer ' + token
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers['Content-Type'] = content_type
        request = urllib.request.Request(self.server + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, context=context, timeout=60) as response:
                return response.status, json.loads(response.read() or b'null')
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.loads(error.read() or b'null')


@contextlib.contextmanager
def control_plane(state_dir):
    """Yields a started :class:`ControlPlane`; stops it afterwards, whatever happened.

    start.sh is given this process's id: if the test run is killed before the teardown, its watchdog ends the
    control plane.
    """
    start = [os.path.join(KUBE_DIR, 'start.sh'), str(state_dir), str(os.getpid())]
    try:
        result = subprocess.run(start, capture_output=True, text=True, check=False, timeout=900)
        if result.returncode != 0:
            raise RuntimeError('tests/kube/start.sh failed: %s' % result.stderr.strip())
        yield ControlPlane(state_dir)
    finally:
        subprocess.run(['bash', os.path.join(KUBE_DIR, 'stop.sh'), str(state_dir)], check=False, timeout=120)
