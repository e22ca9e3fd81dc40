# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Kubernetes API stand-in, driven as a separate process through the real kubernetes client.

These pin down the API behaviour the storageos role and kubernetes.core rely on, so that a
change in the stand-in cannot silently make the Molecule scenario easier than a real cluster.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml
from kubernetes import config, dynamic
from kubernetes.dynamic.exceptions import ApiException, NotFoundError, ResourceNotFoundError

from support import paths

CHECKOUT = paths.CHECKOUT
SERVER = os.path.join(CHECKOUT, 'tests', 'standins', 'kube_apiserver', 'server.py')
OPERATOR_MANIFEST = os.path.join(CHECKOUT, 'molecule', 'storageos', 'files', 'storageos-operator.manifest')


@pytest.fixture(scope='module')
def standin(tmp_path_factory):
    state = tmp_path_factory.mktemp('kube-standin')
    subprocess.run([sys.executable, SERVER, '--state-dir', str(state), '--nodes', '2',
                    '--ready-delay', '0.3', '--background'], check=True, timeout=60)
    pid = int((state / 'pid').read_text())
    try:
        yield state
    finally:
        os.kill(pid, signal.SIGTERM)
        for _attempt in range(50):
            if not (state / 'pid').exists():
                break
            time.sleep(0.1)


@pytest.fixture(scope='module')
def client(standin):
    return dynamic.DynamicClient(config.new_client_from_config(str(standin / 'kubeconfig'), context='standin'))


def api(client, api_version, kind):
    return client.resources.get(api_version=api_version, kind=kind)


def status_of(instance):
    return instance.to_dict().get('status') or {}


def wait_for(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError('condition not reached within {0} s'.format(timeout))


def gone(resource, name, namespace=None):
    try:
        resource.get(name=name, namespace=namespace)
    except NotFoundError:
        return True
    return False


def licence_job(name, api_secret):
    env = [{'name': 'STORAGEOS_' + key.upper(), 'valueFrom': {'secretKeyRef': {'name': api_secret, 'key': key}}}
           for key in ('username', 'password')]
    return {'apiVersion': 'batch/v1', 'kind': 'Job', 'metadata': {'name': name, 'namespace': 'storageos'},
            'spec': {'backoffLimit': 2, 'template': {'spec': {
                'restartPolicy': 'Never',
                'containers': [{'name': 'cli', 'image': 'storageos/cli:v2.10.0', 'args': ['apply', 'licence'],
                                'env': env, 'volumeMounts': [{'name': 'l', 'mountPath': '/l'}]}],
                'volumes': [{'name': 'l', 'secret': {'secretName': 'storageos-licence'}}]}}}}


def test_version_and_seeded_nodes(client):
    assert client.version['kubernetes']['gitVersion'] == 'v1.29.4'
    nodes = api(client, 'v1', 'Node').get()
    assert [n.metadata.name for n in nodes.items] == ['standin-node-1', 'standin-node-2']


def test_requests_without_the_token_are_unauthorized(standin):
    kubeconfig = yaml.safe_load((standin / 'kubeconfig').read_text())
    kubeconfig['users'][0]['user']['token'] = 'wrong'
    bad = dynamic.DynamicClient(config.new_client_from_config_dict(kubeconfig))
    with pytest.raises(ApiException) as caught:
        bad.resources.get(api_version='v1', kind='Namespace').get()
    assert caught.value.status == 401


def test_namespaced_object_needs_an_existing_namespace(client):
    with pytest.raises(NotFoundError) as caught:
        api(client, 'v1', 'ConfigMap').create(body={'metadata': {'name': 'x', 'namespace': 'nope'}})
    assert json.loads(caught.value.body)['message'] == 'namespaces "nope" not found'


def test_secret_string_data_is_folded_and_noop_patch_keeps_resource_version(client):
    secrets = api(client, 'v1', 'Secret')
    body = {'metadata': {'name': 'creds', 'namespace': 'default'}, 'type': 'kubernetes.io/storageos',
            'stringData': {'username': 'admin'}}
    created = secrets.create(body=body)
    assert created.data.username == 'YWRtaW4='
    assert created.stringData is None
    patched = secrets.patch(body=body, namespace='default', content_type='application/merge-patch+json')
    assert patched.metadata.resourceVersion == created.metadata.resourceVersion
    changed = secrets.patch(body={'metadata': {'name': 'creds'}, 'stringData': {'username': 'root'}},
                            namespace='default', content_type='application/strategic-merge-patch+json')
    assert int(changed.metadata.resourceVersion) > int(created.metadata.resourceVersion)
    assert changed.data.username == 'cm9vdA=='


def test_create_twice_conflicts_and_invalid_names_are_rejected(client):
    namespaces = api(client, 'v1', 'Namespace')
    namespaces.create(body={'metadata': {'name': 'twice'}})
    with pytest.raises(ApiException) as caught:
        namespaces.create(body={'metadata': {'name': 'twice'}})
    assert caught.value.status == 409
    with pytest.raises(ApiException) as caught:
        namespaces.create(body={'metadata': {'name': 'Not_Valid'}})
    assert caught.value.status == 422


def test_label_selector_and_merge_patch_null_removes_an_annotation(client):
    classes = api(client, 'storage.k8s.io/v1', 'StorageClass')
    classes.create(body={'metadata': {'name': 'a', 'labels': {'tier': 'fast'},
                                      'annotations': {'storageclass.kubernetes.io/is-default-class': 'true'}},
                         'provisioner': 'x.example.com'})
    classes.create(body={'metadata': {'name': 'b', 'labels': {'tier': 'slow'}}, 'provisioner': 'x.example.com'})
    assert [c.metadata.name for c in classes.get(label_selector='tier=fast').items] == ['a']
    assert [c.metadata.name for c in classes.get(label_selector='tier in (fast,slow),tier!=fast').items] == ['b']
    patched = classes.patch(name='a', body={'metadata': {'annotations': {
        'storageclass.kubernetes.io/is-default-class': None}}}, content_type='application/merge-patch+json')
    assert patched.metadata.annotations is None


def test_json_patch(client):
    maps = api(client, 'v1', 'ConfigMap')
    maps.create(body={'metadata': {'name': 'jp', 'namespace': 'default'}, 'data': {'a': '1'}})
    patched = maps.patch(name='jp', namespace='default', body=[{'op': 'add', 'path': '/data/b', 'value': '2'}],
                         content_type='application/json-patch+json')
    assert dict(patched.data) == {'a': '1', 'b': '2'}


def test_deployment_is_defaulted_and_becomes_available(client):
    deployments = api(client, 'apps/v1', 'Deployment')
    created = deployments.create(body={
        'metadata': {'name': 'web', 'namespace': 'default'},
        'spec': {'selector': {'matchLabels': {'app': 'web'}},
                 'template': {'metadata': {'labels': {'app': 'web'}},
                              'spec': {'containers': [{'name': 'web', 'image': 'nginx'}]}}}})
    assert created.spec.replicas == 1
    assert created.metadata.generation == 1
    ready = wait_for(lambda: status_of(deployments.get(name='web', namespace='default')).get('availableReplicas'))
    assert ready == 1


def test_deployment_whose_selector_does_not_match_is_invalid(client):
    with pytest.raises(ApiException) as caught:
        api(client, 'apps/v1', 'Deployment').create(body={
            'metadata': {'name': 'bad', 'namespace': 'default'},
            'spec': {'selector': {'matchLabels': {'app': 'a'}},
                     'template': {'metadata': {'labels': {'app': 'b'}},
                                  'spec': {'containers': [{'name': 'c', 'image': 'i'}]}}}})
    assert caught.value.status == 422


def test_operator_manifest_registers_the_crd_and_the_cluster_gets_ready(client):
    with open(OPERATOR_MANIFEST) as handle:
        documents = [d for d in yaml.safe_load_all(handle) if d]
    with pytest.raises(ResourceNotFoundError):
        client.resources.get(api_version='storageos.com/v1', kind='StorageOSCluster')
    for document in documents:
        api(client, document['apiVersion'], document['kind']).create(body=document)
    client.resources.invalidate_cache()
    clusters = api(client, 'storageos.com/v1', 'StorageOSCluster')
    api(client, 'v1', 'Secret').create(body={
        'metadata': {'name': 'storageos-api', 'namespace': 'storageos'},
        'stringData': {'username': 'admin', 'password': 'long-enough'}})
    # strategic merge is not supported for custom resources, exactly as on a real API server
    created = clusters.create(body={
        'metadata': {'name': 'storageos', 'namespace': 'storageos'},
        'spec': {'secretRefName': 'storageos-api', 'kvBackend': {'address': 'etcd:2379'},
                 'storageClassName': 'storageos', 'notInTheSchema': True},
        'status': {'phase': 'Running'}})
    assert 'notInTheSchema' not in created.spec  # pruned
    assert created.status is None  # status only through /status
    with pytest.raises(ApiException) as caught:
        clusters.patch(name='storageos', namespace='storageos', body={'spec': {'debug': True}},
                       content_type='application/strategic-merge-patch+json')
    assert caught.value.status == 415
    running = wait_for(lambda: status_of(clusters.get(name='storageos', namespace='storageos')).get('phase') == 'Running')
    assert running
    storage_class = api(client, 'storage.k8s.io/v1', 'StorageClass').get(name='storageos')
    assert storage_class.provisioner == 'csi.storageos.com'
    # The operator's finalizer holds the deletion: the answer is the object, marked, and the operator's cleanup
    # (its StorageClass) runs before it goes.
    assert 'storageos.com/standin-operator-cleanup' in clusters.get(name='storageos', namespace='storageos').metadata.finalizers
    answer = clusters.delete(name='storageos', namespace='storageos')
    assert answer.kind == 'StorageOSCluster'
    assert answer.metadata.deletionTimestamp
    wait_for(lambda: gone(clusters, 'storageos', 'storageos'))
    assert gone(api(client, 'storage.k8s.io/v1', 'StorageClass'), 'storageos')


def test_custom_resource_is_validated_against_the_crd_schema(client):
    client.resources.invalidate_cache()
    clusters = api(client, 'storageos.com/v1', 'StorageOSCluster')
    with pytest.raises(ApiException) as caught:
        clusters.create(body={'metadata': {'name': 'nokv', 'namespace': 'storageos'},
                              'spec': {'secretRefName': 'storageos-api'}})
    assert caught.value.status == 422
    assert 'kvBackend' in caught.value.body


def test_cluster_with_missing_secret_stays_pending(client):
    clusters = api(client, 'storageos.com/v1', 'StorageOSCluster')
    clusters.create(body={'metadata': {'name': 'orphan', 'namespace': 'storageos'},
                          'spec': {'secretRefName': 'missing', 'kvBackend': {'address': 'etcd:2379'}}})
    status = wait_for(lambda: status_of(clusters.get(name='orphan', namespace='storageos')))
    assert status['phase'] == 'Pending'
    assert status['conditions'][0]['reason'] == 'SecretMissing'


def test_cluster_secret_is_read_from_the_cluster_namespace_only(client):
    """storageos/operator node_operand.go reads {secretRefName, cluster namespace}: secretRefNamespace is ignored."""
    api(client, 'v1', 'Namespace').create(body={'metadata': {'name': 'elsewhere'}})
    api(client, 'v1', 'Secret').create(body={'metadata': {'name': 'moved-api', 'namespace': 'elsewhere'},
                                             'stringData': {'username': 'admin', 'password': 'long-enough'}})
    clusters = api(client, 'storageos.com/v1', 'StorageOSCluster')
    clusters.create(body={'metadata': {'name': 'moved', 'namespace': 'storageos'},
                          'spec': {'secretRefName': 'moved-api', 'secretRefNamespace': 'elsewhere',
                                   'kvBackend': {'address': 'etcd:2379'}}})
    status = wait_for(lambda: status_of(clusters.get(name='moved', namespace='storageos')))
    assert status['phase'] == 'Pending'
    assert status['conditions'][0]['message'] == 'secret storageos/moved-api not found'


def test_licence_job_completes_only_with_its_secrets_and_a_running_cluster(client):
    jobs = api(client, 'batch/v1', 'Job')
    api(client, 'v1', 'Secret').create(body={'metadata': {'name': 'storageos-licence', 'namespace': 'storageos'},
                                             'stringData': {'licence.dat': 'licence text'}})
    clusters = api(client, 'storageos.com/v1', 'StorageOSCluster')
    clusters.create(body={'metadata': {'name': 'licensed', 'namespace': 'storageos'},
                          'spec': {'secretRefName': 'storageos-api', 'kvBackend': {'address': 'etcd:2379'}}})
    wait_for(lambda: status_of(clusters.get(name='licensed', namespace='storageos')).get('phase') == 'Running')
    for name, api_secret in (('apply-ok', 'storageos-api'), ('apply-bad', 'missing-api')):
        created = jobs.create(body=licence_job(name, api_secret))
        assert created.spec.backoffLimit == 2
        assert created.spec.selector.matchLabels['batch.kubernetes.io/controller-uid'] == created.metadata.uid
    done = wait_for(lambda: status_of(jobs.get(name='apply-ok', namespace='storageos')).get('conditions'))
    assert [(c['type'], c['status']) for c in done] == [('Complete', 'True')]
    failed = wait_for(lambda: status_of(jobs.get(name='apply-bad', namespace='storageos')).get('conditions'))
    assert failed[0]['type'] == 'Failed' and 'missing-api' in failed[0]['message']
    changed = licence_job('apply-ok', 'storageos-api')
    changed['spec']['template']['spec']['containers'][0]['image'] = 'other'
    with pytest.raises(ApiException) as caught:
        jobs.patch(body=changed, namespace='storageos', content_type='application/merge-patch+json')
    assert caught.value.status == 422 and 'immutable' in caught.value.body


def test_delete_answers_a_status_when_the_object_goes_at_once(client):
    """registry/generic/registry/store.go finalizeDelete: a Status with the deleted object's name, group, kind, uid."""
    secrets = api(client, 'v1', 'Secret')
    created = secrets.create(body={'metadata': {'name': 'gone-at-once', 'namespace': 'default'},
                                   'stringData': {'password': 'must-not-come-back'}})
    dry = secrets.delete(name='gone-at-once', namespace='default', query_params=[('dryRun', 'All')])
    assert dry.kind == 'Status' and not gone(secrets, 'gone-at-once', 'default')
    answer = secrets.delete(name='gone-at-once', namespace='default')
    assert answer.to_dict() == {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {}, 'status': 'Success',
                                'details': {'name': 'gone-at-once', 'group': '', 'kind': 'secrets',
                                            'uid': created.metadata.uid}}
    assert 'must-not-come-back' not in json.dumps(answer.to_dict())
    assert gone(secrets, 'gone-at-once', 'default')


def test_delete_answers_the_object_while_a_finalizer_holds_it(client):
    maps = api(client, 'v1', 'ConfigMap')
    maps.create(body={'metadata': {'name': 'held', 'namespace': 'default', 'finalizers': ['example.com/hold']},
                      'data': {'a': '1'}})
    answer = maps.delete(name='held', namespace='default')
    assert answer.kind == 'ConfigMap' and answer.metadata.deletionTimestamp
    assert answer.metadata.finalizers == ['example.com/hold']
    assert maps.get(name='held', namespace='default').metadata.deletionTimestamp
    with pytest.raises(ApiException) as caught:
        maps.patch(name='held', namespace='default', content_type='application/merge-patch+json',
                   body={'metadata': {'finalizers': ['example.com/hold', 'example.com/more']}})
    assert caught.value.status == 422
    maps.patch(name='held', namespace='default', content_type='application/merge-patch+json',
               body={'metadata': {'finalizers': None}})
    assert gone(maps, 'held', 'default')


def test_foreground_deletion_answers_the_object_then_the_collector_removes_it(client):
    maps = api(client, 'v1', 'ConfigMap')
    maps.create(body={'metadata': {'name': 'foreground', 'namespace': 'default'}, 'data': {'a': '1'}})
    answer = maps.delete(name='foreground', namespace='default', body={'propagationPolicy': 'Foreground'})
    assert answer.kind == 'ConfigMap'
    assert answer.metadata.finalizers == ['foregroundDeletion']
    wait_for(lambda: gone(maps, 'foreground', 'default'))


def test_deleting_a_namespace_terminates_it_and_a_crd_its_api(client):
    # The operator runs in this namespace too: its clusters go first, or their finalizer would outlive it.
    clusters = api(client, 'storageos.com/v1', 'StorageOSCluster')
    for cluster in clusters.get(namespace='storageos').items:
        clusters.delete(name=cluster.metadata.name, namespace='storageos')
    wait_for(lambda: not clusters.get(namespace='storageos').items)
    answer = api(client, 'v1', 'Namespace').delete(name='storageos')
    assert answer.kind == 'Namespace' and answer.status.phase == 'Terminating'
    with pytest.raises(ApiException) as caught:
        api(client, 'v1', 'ConfigMap').create(body={'metadata': {'name': 'late', 'namespace': 'storageos'}})
    assert caught.value.status in (403, 404)  # 404 once the namespace controller has finished
    wait_for(lambda: gone(api(client, 'v1', 'Namespace'), 'storageos'))
    assert gone(api(client, 'v1', 'Secret'), 'storageos-api', 'storageos')
    crds = api(client, 'apiextensions.k8s.io/v1', 'CustomResourceDefinition')
    assert crds.delete(name='storageosclusters.storageos.com').kind == 'CustomResourceDefinition'
    wait_for(lambda: gone(crds, 'storageosclusters.storageos.com'))
    client.resources.invalidate_cache()
    with pytest.raises(ResourceNotFoundError):
        client.resources.get(api_version='storageos.com/v1', kind='StorageOSCluster')


def test_crd_and_namespace_deleted_together_both_go(client):
    """The CRD finalizer deletes the custom resources while the namespace controller empties their namespace:
    the controllers must survive the custom type vanishing under them."""
    crds = api(client, 'apiextensions.k8s.io/v1', 'CustomResourceDefinition')
    crds.create(body={
        'metadata': {'name': 'widgets.example.com'},
        'spec': {'group': 'example.com', 'scope': 'Namespaced',
                 'names': {'plural': 'widgets', 'singular': 'widget', 'kind': 'Widget', 'listKind': 'WidgetList'},
                 'versions': [{'name': 'v1', 'served': True, 'storage': True,
                               'schema': {'openAPIV3Schema': {'type': 'object',
                                                              'x-kubernetes-preserve-unknown-fields': True}}}]}})
    api(client, 'v1', 'Namespace').create(body={'metadata': {'name': 'widgets'}})
    client.resources.invalidate_cache()
    widgets = api(client, 'example.com/v1', 'Widget')
    for index in range(3):
        widgets.create(body={'metadata': {'name': 'w{0}'.format(index), 'namespace': 'widgets'}, 'size': index})
    wait_for(lambda: 'customresourcecleanup.apiextensions.k8s.io' in (
        crds.get(name='widgets.example.com').metadata.finalizers or []))
    crds.delete(name='widgets.example.com')
    api(client, 'v1', 'Namespace').delete(name='widgets')
    wait_for(lambda: gone(crds, 'widgets.example.com') and gone(api(client, 'v1', 'Namespace'), 'widgets'))
    maps = api(client, 'v1', 'ConfigMap')
    maps.create(body={'metadata': {'name': 'still-served', 'namespace': 'default'}})
    answer = maps.delete(name='still-served', namespace='default', body={'propagationPolicy': 'Foreground'})
    assert answer.metadata.finalizers == ['foregroundDeletion']
    wait_for(lambda: gone(maps, 'still-served', 'default'))  # the collector still runs
