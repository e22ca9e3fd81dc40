# Copyright (c) hostops.fleet developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Request parsing of the stand-in Rancher server (tests/standins/rancher_server/server.py)."""

from __future__ import annotations

import importlib.util
import json
import pathlib

import pytest

SERVER = pathlib.Path(__file__).resolve().parents[2] / 'standins' / 'rancher_server' / 'server.py'
spec = importlib.util.spec_from_file_location('rancher_standin_server', SERVER)
server = importlib.util.module_from_spec(spec)
spec.loader.exec_module(server)


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
        'X-Cattle-Labels': 'a=b, c=d,',
        'X-Cattle-Taints': 'k=v:NoSchedule',
    }
    record = server.parse_registration(headers)
    assert record['token'] == 'tok'
    assert record['roles'] == ['etcd', 'worker']
    assert record['node_name'] == 'node-1'
    assert record['internal_address'] == '10.0.0.1'
    assert record['labels'] == ['a=b', 'c=d']
    assert record['taints'] == ['k=v:NoSchedule']
    assert 'Authorization' not in record['headers']


def test_parse_registration_without_role_headers_has_no_roles():
    record = server.parse_registration({'Authorization': 'Bearer tok'})
    assert record['roles'] == []
    assert record['labels'] == []


def test_recorder_appends_records(tmp_path):
    recorder = server.Recorder(str(tmp_path))
    recorder.append('r.json', {'n': 1})
    recorder.append('r.json', {'n': 2})
    assert json.loads((tmp_path / 'r.json').read_text()) == [{'n': 1}, {'n': 2}]
