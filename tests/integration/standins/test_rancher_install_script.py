# Copyright (c) hostops.fleet developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stand-in Rancher server as a separate process, and the install script it serves, run for real.

The rancher_node role does not run system-agent-install.sh: upstream's script puts the
registration token on curl's command line and retries for hours. These tests show that
the stand-in's script keeps those inconvenient parts (a role that ran it would be
caught), and that the server's connect, asset and agent paths work end to end with the
stand-in rancher-system-agent. curl, systemctl, sleep and id are fakes on PATH that log
what they were asked (fake_curl.py does the requests for real); nothing outside tmp_path
is written.
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import stat
import subprocess
import sys
import time
import urllib.request
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from support import paths

STANDIN = os.path.join(paths.CHECKOUT, 'tests', 'standins', 'rancher_server')
FAKE_CURL = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fake_curl.py')
TOKEN = 'a' * 54


def pem_pair(subject, issuer_key=None, issuer_name=None, ca=False):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer_name or name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName('localhost')]), critical=False)
    cert = builder.sign(issuer_key or key, hashes.SHA256())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key, name, cert.public_bytes(serialization.Encoding.PEM), key_pem


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def start_server(tmp_path, not_ready):
    ca_key, ca_name, ca_pem, _unused = pem_pair('test CA', ca=True)
    _key, _name, cert_pem, key_pem = pem_pair('localhost', ca_key, ca_name)
    for name, data in (('ca.pem', ca_pem), ('server.pem', cert_pem), ('server.key', key_pem)):
        (tmp_path / name).write_bytes(data)
    (tmp_path / 'token').write_text(TOKEN + '\n')
    (tmp_path / 'state').mkdir()
    port = free_port()
    process = subprocess.Popen([
        sys.executable, os.path.join(STANDIN, 'server.py'), '--bind', '127.0.0.1', '--port', str(port),
        '--cert', str(tmp_path / 'server.pem'), '--key', str(tmp_path / 'server.key'),
        '--cacerts', str(tmp_path / 'ca.pem'), '--install-script', os.path.join(STANDIN, 'system-agent-install.sh'),
        '--assets-dir', os.path.join(STANDIN, 'assets'), '--state-dir', str(tmp_path / 'state'),
        '--token-file', str(tmp_path / 'token'), '--not-ready', str(not_ready)], stderr=subprocess.DEVNULL)
    for _attempt in range(100):
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    return process, 'https://localhost:%d' % port


@pytest.fixture
def standin(tmp_path, request):
    process, url = start_server(tmp_path, getattr(request, 'param', 0))
    try:
        yield tmp_path, url
    finally:
        process.terminate()
        process.wait(timeout=10)


def fetch_script(tmp_path, url):
    context = ssl.create_default_context(cafile=str(tmp_path / 'ca.pem'))
    with urllib.request.urlopen(url + '/system-agent-install.sh', context=context, timeout=10) as answer:
        (tmp_path / 'install.sh').write_bytes(answer.read())
    return str(tmp_path / 'install.sh')


def fake_tools(tmp_path, with_curl=True):
    """A bin directory of logging fakes; without curl, only what the script needs before it looks for curl."""
    bindir = tmp_path / ('bin' if with_curl else 'bin-nocurl')
    bindir.mkdir()
    fakes = {
        'id': 'echo 0',
        'systemctl': 'echo "$@" >> "$FAKE_SYSTEMCTL_LOG"',
        'sleep': ('echo "$@" >> "$FAKE_SLEEP_LOG"\n'
                  '[ "$(wc -l < "$FAKE_SLEEP_LOG")" -lt "${FAKE_SLEEP_LIMIT:-1000}" ] || kill -TERM "$PPID"'),
    }
    if with_curl:
        fakes['curl'] = 'exec "%s" "%s" "$@"' % (sys.executable, FAKE_CURL)
    for name, body in fakes.items():
        (bindir / name).write_text('#!/bin/sh\n' + body + '\n')
        os.chmod(bindir / name, 0o755)
    if not with_curl:
        for tool in ('uname', 'mkdir', 'chmod'):
            os.symlink(subprocess.run(['sh', '-c', 'command -v ' + tool], capture_output=True, text=True,
                                      check=True).stdout.strip(), bindir / tool)
        return str(bindir)
    return str(bindir) + os.pathsep + os.environ['PATH']


def run_script(tmp_path, script, path, token=TOKEN, args=('--worker',)):
    env = {
        'PATH': path, 'HOME': str(tmp_path), 'CATTLE_TOKEN': token,
        'CATTLE_AGENT_CONFIG_DIR': str(tmp_path / 'etc-agent'), 'CATTLE_AGENT_VAR_DIR': str(tmp_path / 'var-agent'),
        'CATTLE_AGENT_BIN_PREFIX': str(tmp_path / 'prefix'), 'CATTLE_SYSTEMD_DIR': str(tmp_path),
        'FAKE_CURL_LOG': str(tmp_path / 'curl.log'), 'FAKE_SYSTEMCTL_LOG': str(tmp_path / 'systemctl.log'),
        'FAKE_SLEEP_LOG': str(tmp_path / 'sleep.log'), 'FAKE_SLEEP_LIMIT': '3',
        'HTTPS_PROXY': 'http://proxy.invalid:3128', 'NO_PROXY': 'localhost',
    }
    start = time.monotonic()
    result = subprocess.run(['/bin/sh', script, *args], env=env, capture_output=True, text=True, timeout=120, check=False)
    return result, time.monotonic() - start


def records(tmp_path, name):
    path = tmp_path / 'state' / name
    return json.loads(path.read_text()) if path.exists() else []


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize('standin', [1], indirect=True)
def test_the_script_registers_with_the_bearer_token_on_curls_command_line(standin):
    tmp_path, url = standin
    script = fetch_script(tmp_path, url)
    result, _elapsed = run_script(tmp_path, script, fake_tools(tmp_path), args=('--worker', '--label', 'cattle.io/os=linux'))
    assert result.returncode == 0, result.stderr
    curl_calls = [json.loads(line) for line in (tmp_path / 'curl.log').read_text().splitlines()]
    assert ['-H', 'Authorization: Bearer ' + TOKEN] in [call[i:i + 2] for call in curl_calls for i in range(len(call))]
    # The server's first answer was 503 "CAPI not ready yet": the script slept 5 s and asked again.
    assert (tmp_path / 'sleep.log').read_text().split() == ['5']
    registrations = records(tmp_path, 'registrations.json')
    assert [(r['accepted'], r['roles'], r['labels']) for r in registrations] == [(True, ['worker'], ['cattle.io/os=linux'])]
    for path, expected in (('etc-agent', 0o700), ('etc-agent/config.yaml', 0o600), ('etc-agent/cattle-id', 0o600),
                           ('var-agent', 0o700), ('var-agent/rancher2_connection_info.json', 0o600),
                           ('rancher-system-agent.env', 0o600), ('rancher-system-agent.service', 0o644)):
        assert mode(tmp_path / path) == expected, path
    assert (tmp_path / 'rancher-system-agent.env').read_text().splitlines() == [
        'HTTPS_PROXY=http://proxy.invalid:3128', 'NO_PROXY=localhost']
    assert 'restart rancher-system-agent' in (tmp_path / 'systemctl.log').read_text()


def test_the_stand_in_agent_watches_its_plan_with_the_kubeconfig_token(standin):
    tmp_path, url = standin
    script = fetch_script(tmp_path, url)
    assert run_script(tmp_path, script, fake_tools(tmp_path))[0].returncode == 0
    env = dict(os.environ, CATTLE_AGENT_CONFIG=str(tmp_path / 'etc-agent' / 'config.yaml'))
    agent = subprocess.Popen([str(tmp_path / 'prefix' / 'bin' / 'rancher-system-agent'), 'sentinel'], env=env)
    try:
        for _attempt in range(100):
            if records(tmp_path, 'agents.json') or agent.poll() is not None:
                break
            time.sleep(0.05)
    finally:
        agent.terminate()
        agent.wait(timeout=10)
    cattle_id = (tmp_path / 'etc-agent' / 'cattle-id').read_text().strip()
    assert [a['cattle_id'] for a in records(tmp_path, 'agents.json')] == [cattle_id]


def test_the_script_stops_at_once_without_curl(standin):
    tmp_path, url = standin
    script = fetch_script(tmp_path, url)
    result, elapsed = run_script(tmp_path, script, fake_tools(tmp_path, with_curl=False))
    assert result.returncode == 1
    assert 'can not find curl for downloading files' in result.stderr
    assert elapsed < 5
    assert records(tmp_path, 'registrations.json') == []


def test_the_script_keeps_retrying_a_wrong_token(standin):
    tmp_path, url = standin
    script = fetch_script(tmp_path, url)
    result, _elapsed = run_script(tmp_path, script, fake_tools(tmp_path), token='wrong-token')
    # Still retrying when the fake sleep ended it after its third pause: upstream would go on
    # 4,500 times, 5 s apart.
    assert result.returncode == -15, result.stderr
    assert '401 received while downloading Rancher connection information' in result.stderr
    registrations = records(tmp_path, 'registrations.json')
    assert len(registrations) == 3
    assert not any(r['accepted'] for r in registrations)
