# Copyright (c) hostops.fleet developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure parts of the stand-in Rancher server and of its stand-in rancher-system-agent.

tests/standins/rancher_server/server.py and assets/rancher-system-agent reproduce
rancher/rancher and rancher/system-agent; these pin the shapes they copy, so that
the Molecule scenario cannot get easier than the real server without a test failing.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import importlib.machinery
import importlib.util
import json
import os
import pathlib

import pytest

STANDIN = pathlib.Path(__file__).resolve().parents[2] / 'standins' / 'rancher_server'


def load(name, path):
    loader = importlib.machinery.SourceFileLoader(name, str(path))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader))
    loader.exec_module(module)
    return module


server = load('rancher_standin_server', STANDIN / 'server.py')
agent = load('rancher_standin_agent', STANDIN / 'assets' / 'rancher-system-agent')

CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'


@pytest.mark.parametrize('value, token', [
    ('Bearer abc123', 'abc123'),
    ('bearer   abc123  ', 'abc123'),
    ('Basic abc123', None),
    ('Bearer ', None),
    ('', None),
    (None, None),
])
def test_parse_bearer(value, token):
    assert server.parse_bearer(value) == token


def test_parse_registration_reads_roles_names_labels_and_taints():
    headers = {
        'Authorization': 'Bearer tok',
        'X-Cattle-Id': 'abc',
        'X-Cattle-Role-Etcd': 'true',
        'X-Cattle-Role-Control-Plane': 'false',
        'X-Cattle-Role-Worker': 'TRUE',
        'X-Cattle-Node-Name': 'node-1',
        'X-Cattle-Address': '',
        'X-Cattle-Internal-Address': '10.0.0.1',
        'X-Cattle-Labels': 'cattle.io/os=linux, c=d,',
        'X-Cattle-Taints': 'k=v:NoSchedule',
    }
    record = server.parse_registration(headers)
    assert record['token'] == 'tok'
    assert record['roles'] == ['etcd', 'worker']
    assert record['node_name'] == 'node-1'
    assert record['internal_address'] == '10.0.0.1'
    assert record['labels'] == ['cattle.io/os=linux', 'c=d']
    assert record['taints'] == ['k=v:NoSchedule']
    assert 'Authorization' not in record['headers']


def test_parse_registration_without_role_headers_has_no_roles():
    record = server.parse_registration({'Authorization': 'Bearer tok'})
    assert record['roles'] == []
    assert record['labels'] == []


def test_connection_info_has_the_fields_of_configserver_connect_agent():
    info = server.connection_info('https://rancher.example', CA, 'f' * 63, 'agenttoken')
    assert sorted(info) == ['kubeConfig', 'namespace', 'secretName']
    assert info['namespace'] == 'fleet-default'
    server_url, ca_pem, token = agent.kubeconfig_parts(info['kubeConfig'])
    assert (server_url, ca_pem, token) == ('https://rancher.example', CA, 'agenttoken')
    assert 'current-context: agent' in info['kubeConfig']


def test_settings_cacerts_carries_the_ca_as_value():
    setting = server.settings_cacerts(CA)
    assert setting['id'] == 'cacerts' and setting['type'] == 'setting'
    assert json.loads(json.dumps(setting))['value'] == CA


def test_install_script_prelude_is_what_installer_go_prepends():
    prelude = server.install_script_prelude('https://rancher.example', 'ab' * 32)
    assert prelude.splitlines() == [
        '#!/usr/bin/env sh',
        "export STRICT_VERIFY='false'",
        'CATTLE_AGENT_BINARY_BASE_URL="https://rancher.example/assets"',
        'CATTLE_SERVER=https://rancher.example',
        'CATTLE_CA_CHECKSUM="%s"' % ('ab' * 32),
        '',
    ]


def test_install_script_puts_the_bearer_header_on_curls_command_line_and_retries():
    script = (STANDIN / 'system-agent-install.sh').read_text()
    assert 'RETRYCOUNT=4500' in script
    assert 'sleep 5' in script
    assert '-H "Authorization: Bearer ${CATTLE_TOKEN}"' in script
    assert 'can not find curl for downloading files' in script


@pytest.mark.parametrize('header, expected', [
    (None, False),
    ('', False),
    ('not a date', False),
    (email.utils.formatdate(1000, usegmt=True), True),
    (email.utils.formatdate(999, usegmt=True), False),
    (email.utils.formatdate(2000, usegmt=True), True),
])
def test_not_modified_compares_whole_seconds(header, expected):
    assert server.not_modified(header, 1000.7) is expected


def test_registry_answers_not_ready_the_given_number_of_times_and_knows_its_agents():
    registry = server.Registry('tok', not_ready=2)
    assert [registry.take_not_ready() for _attempt in range(3)] == [True, True, False]
    token = registry.issue('cattle-1')
    assert registry.agent(token) == 'cattle-1'
    assert registry.agent('other') is None


def test_site_serves_the_agent_for_each_architecture_and_nothing_else(tmp_path):
    site = server.Site(CA, 'script', str(tmp_path))
    assert site.ca_checksum == hashlib.sha256(CA.encode()).hexdigest()
    assert site.asset_path('rancher-system-agent-amd64') == str(tmp_path / 'rancher-system-agent')
    assert site.asset_path('rancher-system-agent-arm64') == str(tmp_path / 'rancher-system-agent')
    assert site.asset_path('system-agent-uninstall.sh') == str(tmp_path / 'system-agent-uninstall.sh')
    assert site.asset_path('rancher-system-agent-s390x') is None
    assert site.asset_path('../server.py') is None


def test_recorder_appends_records(tmp_path):
    recorder = server.Recorder(str(tmp_path))
    recorder.append('r.json', {'n': 1})
    recorder.append('r.json', {'n': 2})
    assert json.loads((tmp_path / 'r.json').read_text()) == [{'n': 1}, {'n': 2}]


def write(path, text, mode):
    path.write_text(text)
    os.chmod(path, mode)
    return str(path)


def test_agent_validate_connection_accepts_a_0600_json_file_with_the_three_fields(tmp_path):
    info = server.connection_info('https://r', CA, 'c' * 63, 't')
    path = write(tmp_path / 'rancher2_connection_info.json.tmp', json.dumps(info), 0o600)
    assert agent.validate_connection(path) == info
    assert agent.main(['validate-connection', path]) == 0


@pytest.mark.parametrize('name, mode, content, message', [
    ('info.json', 0o644, '{}', 'had permission 0o644 which was not expected 0600'),
    ('source', 0o600, '{}', 'was not a JSON or YAML file'),
    ('info.json', 0o600, '{"namespace": "n", "secretName": "s"}', 'missing required kubeConfig field'),
    ('info.json', 0o600, 'not json', 'invalid JSON'),
])
def test_agent_refuses_what_config_parse_refuses(tmp_path, name, mode, content, message):
    path = write(tmp_path / name, content, mode)
    with pytest.raises(agent.ConfigError, match=message):
        agent.validate_connection(path)
    assert agent.main(['validate-connection', path]) == 1


def test_agent_reads_the_yaml_config_install_sh_writes(tmp_path):
    path = write(tmp_path / 'config.yaml', 'workDirectory: /w\nremoteEnabled: true\n'
                 'connectionInfoFile: /var/lib/rancher/agent/rancher2_connection_info.json\n', 0o600)
    config = agent.parse_file(path)
    assert config['remoteEnabled'] == 'true'
    assert config['connectionInfoFile'] == '/var/lib/rancher/agent/rancher2_connection_info.json'


def test_agent_kubeconfig_parts_decode_the_ca():
    kubeconfig = server.render_kubeconfig('https://r:8443', CA, 'xyz')
    assert 'certificate-authority-data: ' + base64.b64encode(CA.encode()).decode() in kubeconfig
    assert agent.kubeconfig_parts(kubeconfig) == ('https://r:8443', CA, 'xyz')
