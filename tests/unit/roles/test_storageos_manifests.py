# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every manifest the storageos role renders, validated against the Kubernetes OpenAPI
schemas (kubernetes-validate) and the StorageOSCluster CRD schema.

The templates are rendered by ansible-core's Templar with the role's defaults and vars,
as the role's template lookups render them.
"""

from __future__ import annotations

import copy
import hashlib
import os

import jsonschema
import kubernetes_validate
import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from support import paths
from support.templating import trust_as_template

CHECKOUT = paths.CHECKOUT
ROLE = os.path.join(CHECKOUT, 'roles', 'storageos')
OPERATOR_MANIFEST = os.path.join(CHECKOUT, 'molecule', 'storageos', 'files', 'storageos-operator.manifest')
# The oldest and newest schemas kubernetes-validate 1.37 ships.
KUBERNETES_VERSIONS = ['1.25', '1.37']

REQUIRED = {
    'storageos_api_password': 'a-Long-enough-secret',
    'storageos_kv_backend_address': 'etcd-client.etcd.svc:2379',
}


def role_vars(**overrides):
    variables = {}
    for name in ('defaults/main.yml', 'vars/main.yml'):
        with open(os.path.join(ROLE, name)) as handle:
            variables.update(yaml.safe_load(handle))
    variables.update(REQUIRED)
    variables.update(overrides)
    return {key: trust_as_template(value) if isinstance(value, str) else value for key, value in variables.items()}


def render(template, **overrides):
    with open(os.path.join(ROLE, 'templates', template)) as handle:
        text = handle.read()
    templar = Templar(loader=DataLoader(), variables=role_vars(**overrides))
    return yaml.safe_load(templar.template(trust_as_template(text)))


def operator_documents():
    with open(OPERATOR_MANIFEST) as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def crd_schema():
    crd = next(doc for doc in operator_documents() if doc['kind'] == 'CustomResourceDefinition')
    version = next(v for v in crd['spec']['versions'] if v['name'] == 'v1')
    return version['schema']['openAPIV3Schema']


def validate_against_crd(obj):
    schema = copy.deepcopy(crd_schema())
    schema['properties'].pop('metadata')
    body = {k: v for k, v in obj.items() if k != 'metadata'}
    jsonschema.Draft7Validator(schema).validate(body)


def undeclared_fields(value, schema, path='spec'):
    """Fields the API server would silently prune because the structural schema lacks them."""
    found = []
    if isinstance(value, dict) and 'properties' in schema:
        for key, item in value.items():
            if key not in schema['properties']:
                found.append('{0}.{1}'.format(path, key))
            else:
                found.extend(undeclared_fields(item, schema['properties'][key], '{0}.{1}'.format(path, key)))
    elif isinstance(value, list) and isinstance(schema.get('items'), dict):
        for index, item in enumerate(value):
            found.extend(undeclared_fields(item, schema['items'], '{0}[{1}]'.format(path, index)))
    return found


CLUSTER_VARIANTS = {
    'defaults': {},
    'everything': {
        'storageos_k8s_distro': 'rancher-2.6',
        'storageos_csi_enable': False,
        'storageos_node_selector_terms': [
            {'matchExpressions': [{'key': 'storage', 'operator': 'In', 'values': ['yes']}]}],
        'storageos_tolerations': [{'key': 'dedicated', 'operator': 'Equal', 'value': 'storage',
                                   'effect': 'NoSchedule', 'tolerationSeconds': 30}],
        'storageos_resources': {'requests': {'cpu': '500m', 'memory': '1Gi'}, 'limits': {'memory': 4}},
        'storageos_cluster_extra_spec': {'disableTelemetry': True, 'csi': {'deploymentStrategy': 'deployment'}},
    },
}


@pytest.mark.parametrize('variant', sorted(CLUSTER_VARIANTS))
def test_storageoscluster_matches_the_crd_schema(variant):
    cluster = render('storageoscluster.yml.j2', **CLUSTER_VARIANTS[variant])
    assert cluster['apiVersion'] == 'storageos.com/v1'
    assert cluster['kind'] == 'StorageOSCluster'
    validate_against_crd(cluster)
    assert undeclared_fields(cluster['spec'], crd_schema()['properties']['spec']) == []


def test_storageoscluster_renders_each_variable_where_the_operator_reads_it():
    variables = CLUSTER_VARIANTS['everything']
    spec = render('storageoscluster.yml.j2', **variables)['spec']
    assert spec['kvBackend'] == {'address': 'etcd-client.etcd.svc:2379', 'backend': 'etcd'}
    assert spec['secretRefName'] == 'storageos-api'
    assert spec['secretRefNamespace'] == 'storageos'
    assert spec['k8sDistro'] == 'rancher-2.6'
    assert spec['nodeSelectorTerms'] == variables['storageos_node_selector_terms']
    assert spec['tolerations'] == variables['storageos_tolerations']
    assert spec['resources'] == variables['storageos_resources']
    # extra spec merges recursively: csi keeps enable and gains deploymentStrategy
    assert spec['csi'] == {'enable': False, 'deploymentStrategy': 'deployment'}
    assert spec['disableTelemetry'] is True


def test_storageoscluster_without_optional_fields_leaves_them_out():
    spec = render('storageoscluster.yml.j2')['spec']
    assert set(spec) == {'secretRefName', 'secretRefNamespace', 'kvBackend', 'csi', 'storageClassName'}


def test_crd_schema_rejects_a_cluster_without_kvbackend_address():
    cluster = render('storageoscluster.yml.j2')
    del cluster['spec']['kvBackend']['address']
    with pytest.raises(jsonschema.ValidationError):
        validate_against_crd(cluster)


def test_crd_schema_rejects_a_resource_quantity_that_is_not_one():
    cluster = render('storageoscluster.yml.j2', storageos_resources={'requests': {'memory': 'two gigs'}})
    with pytest.raises(jsonschema.ValidationError):
        validate_against_crd(cluster)


@pytest.mark.parametrize('key_format, keys', [
    ('operator', ['password', 'username']),
    ('cluster-operator', ['apiPassword', 'apiUsername']),
])
@pytest.mark.parametrize('kubernetes_version', KUBERNETES_VERSIONS)
def test_secret_is_a_valid_kubernetes_secret(key_format, keys, kubernetes_version):
    secret = render('secret.yml.j2', storageos_secret_key_format=key_format)
    kubernetes_validate.validate(secret, kubernetes_version, strict=True)
    assert secret['type'] == 'kubernetes.io/storageos'
    assert sorted(secret['stringData']) == keys
    assert secret['stringData'][keys[0]] == REQUIRED['storageos_api_password']


def test_secret_quotes_values_that_look_like_yaml():
    secret = render('secret.yml.j2', storageos_api_password='yes: {no}#"quoted"', storageos_api_username='0123')
    assert secret['stringData'] == {'username': '0123', 'password': 'yes: {no}#"quoted"'}


@pytest.mark.parametrize('kubernetes_version', KUBERNETES_VERSIONS)
def test_namespace_is_a_valid_kubernetes_namespace(kubernetes_version):
    namespace = render('namespace.yml.j2', storageos_namespace_item='storageos')
    kubernetes_validate.validate(namespace, kubernetes_version, strict=True)
    assert namespace['metadata']['labels']['app.kubernetes.io/managed-by'] == 'hostops.fleet.storageos'


@pytest.mark.parametrize('kubernetes_version', KUBERNETES_VERSIONS)
@pytest.mark.parametrize('index', range(len(operator_documents())))
def test_operator_manifest_of_the_scenario_is_valid(index, kubernetes_version):
    document = operator_documents()[index]
    kubernetes_validate.validate(document, kubernetes_version, strict=True)


def test_default_storageclass_patches_are_valid_storageclass_metadata():
    variables = role_vars()
    for value in ('true', None):
        patch = {'apiVersion': 'storage.k8s.io/v1', 'kind': 'StorageClass', 'provisioner': 'csi.storageos.com',
                 'metadata': {'name': 'storageos', 'annotations': {
                     variables['storageos_default_class_annotation']: value or 'false'}}}
        kubernetes_validate.validate(patch, KUBERNETES_VERSIONS[-1], strict=True)


def test_kubernetes_validate_would_catch_a_broken_secret():
    secret = render('secret.yml.j2')
    secret['stringData'] = ['not', 'a', 'map']
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(secret, KUBERNETES_VERSIONS[-1], strict=True)


@pytest.mark.parametrize('kubernetes_version', KUBERNETES_VERSIONS)
def test_secret_and_cluster_share_the_namespace_the_operator_reads(kubernetes_version):
    """storageos/operator reads the Secret from the cluster's namespace (node_operand.go), whatever
    storageos_secret_namespace said: the templates only use storageos_namespace."""
    secret = render('secret.yml.j2', storageos_namespace='data', storageos_secret_namespace='ignored')
    cluster = render('storageoscluster.yml.j2', storageos_namespace='data', storageos_secret_namespace='ignored')
    assert secret['metadata']['namespace'] == cluster['metadata']['namespace'] == 'data'
    assert cluster['spec']['secretRefNamespace'] == 'data'


@pytest.mark.parametrize('kubernetes_version', KUBERNETES_VERSIONS)
def test_namespace_carries_the_pod_security_level(kubernetes_version):
    namespace = render('namespace.yml.j2', storageos_namespace_item='storageos')
    kubernetes_validate.validate(namespace, kubernetes_version, strict=True)
    labels = namespace['metadata']['labels']
    assert {labels['pod-security.kubernetes.io/' + mode] for mode in ('enforce', 'audit', 'warn')} == {'privileged'}
    plain = render('namespace.yml.j2', storageos_namespace_item='storageos', storageos_namespace_pod_security='')
    assert not [label for label in plain['metadata']['labels'] if label.startswith('pod-security')]


@pytest.mark.parametrize('kubernetes_version', KUBERNETES_VERSIONS)
def test_critical_pods_quota_matches_the_ondat_chart(kubernetes_version):
    """ondat/charts ondat-operator templates/resource-quota.yaml: storageos-critical-pods, PriorityClass scope."""
    quota = render('resourcequota.yml.j2', storageos_critical_pods_quota_pods=40)
    kubernetes_validate.validate(quota, kubernetes_version, strict=True)
    assert quota['metadata']['name'] == 'storageos-critical-pods'
    assert quota['spec']['hard'] == {'pods': '40'}
    assert quota['spec']['scopeSelector']['matchExpressions'] == [{
        'operator': 'In', 'scopeName': 'PriorityClass', 'values': ['system-cluster-critical', 'system-node-critical']}]


@pytest.mark.parametrize('key_format, keys', [('operator', ('username', 'password')),
                                              ('cluster-operator', ('apiUsername', 'apiPassword'))])
@pytest.mark.parametrize('kubernetes_version', KUBERNETES_VERSIONS)
def test_licence_secret_and_job_are_valid_and_read_the_api_secret(key_format, keys, kubernetes_version):
    licence = 'clusterID: x\n--- LICENCE SIGNATURE ---\nabc=\n'
    secret = render('licence-secret.yml.j2', storageos_licence=licence)
    job = render('licence-job.yml.j2', storageos_licence=licence, storageos_secret_key_format=key_format)
    for document in (secret, job):
        kubernetes_validate.validate(document, kubernetes_version, strict=True)
    assert secret['stringData'] == {'licence.dat': licence}
    pod = job['spec']['template']['spec']
    assert job['metadata']['name'] == 'storageos-licence-' + hashlib.sha256(licence.encode()).hexdigest()[:12]
    assert pod['restartPolicy'] == 'Never'
    assert pod['volumes'] == [{'name': 'licence', 'secret': {'secretName': secret['metadata']['name']}}]
    env = {item['name']: item for item in pod['containers'][0]['env']}
    assert env['STORAGEOS_ENDPOINTS']['value'] == 'http://storageos.storageos.svc:5705'
    assert [env['STORAGEOS_' + name]['valueFrom']['secretKeyRef'] for name in ('USERNAME', 'PASSWORD')] == [
        {'name': 'storageos-api', 'key': key} for key in keys]
    assert licence not in yaml.safe_dump(job)
