# -*- coding: utf-8 -*-
# Copyright: hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stand-in's controllers: what kube-controller-manager and the StorageOS
operator would write back, reduced to what a client can observe.

- Deployments and DaemonSets become available a short delay after each spec
  change (status.replicas/availableReplicas/observedGeneration and the
  Available condition), as if their pods had started.
- A StorageOSCluster is reconciled only while the operator Deployment is
  available: when its spec is usable (the referenced Secret exists and holds
  the credential keys, kvBackend.address is set) it reports phase Running and
  a Ready condition, and the operator's StorageClass is created; otherwise it
  stays Pending with a condition that says why.  Deleting the cluster deletes
  that StorageClass, as the operator's cleanup does.
"""

from __future__ import annotations

import threading
import time

from store import ApiError, now_rfc3339

CLUSTER_KEY = ("storageos.com", "v1", "storageosclusters")
STORAGECLASS_KEY = ("storage.k8s.io", "v1", "storageclasses")
OWNER_LABEL = "storageos.com/standin-owner"


class Controller:
    def __init__(self, store, delay=1.0, operator_deployment="storageos/storageos-controller-manager",
                 credential_keys=(("username", "password"), ("apiUsername", "apiPassword"))):
        self.store = store
        self.delay = delay
        self.operator_namespace, self.operator_name = operator_deployment.split("/", 1)
        self.credential_keys = credential_keys
        self.due = {}  # (type key, namespace, name) -> monotonic time when the workload becomes available
        self.stop_event = threading.Event()
        store.listeners.append(self.on_event)

    def on_event(self, event, rtype, obj):
        if rtype.kind in ("Deployment", "DaemonSet") and event != "DELETED":
            meta = obj["metadata"]
            status = obj.get("status") or {}
            if status.get("observedGeneration") != meta.get("generation"):
                self.due.setdefault((rtype.key, meta["namespace"], meta["name"]), time.monotonic() + self.delay)
        if rtype.key == CLUSTER_KEY and event == "DELETED":
            self._delete_owned_storageclasses(obj)

    def run(self):
        while not self.stop_event.wait(0.2):
            try:
                self.reconcile()
            except ApiError:
                pass  # objects vanish between list and write; the next pass settles

    def reconcile(self):
        now = time.monotonic()
        for (key, namespace, name), when in list(self.due.items()):
            if when <= now:
                self.due.pop((key, namespace, name), None)
                self._mark_available(key, namespace, name)
        if CLUSTER_KEY in self.store.types:
            rtype = self.store.types[CLUSTER_KEY]
            for cluster in self.store.list(rtype)["items"]:
                self._reconcile_cluster(rtype, cluster)

    def _mark_available(self, key, namespace, name):
        rtype = self.store.types.get(key)
        if rtype is None:
            return
        try:
            obj = self.store.get(rtype, namespace, name)
        except ApiError:
            return
        generation = obj["metadata"].get("generation")
        if rtype.kind == "Deployment":
            replicas = obj["spec"].get("replicas", 1)
            status = {
                "observedGeneration": generation,
                "replicas": replicas,
                "updatedReplicas": replicas,
                "readyReplicas": replicas,
                "availableReplicas": replicas,
                "conditions": [
                    {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                     "message": "Deployment has minimum availability.",
                     "lastUpdateTime": now_rfc3339(), "lastTransitionTime": now_rfc3339()},
                    {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                     "message": 'ReplicaSet "{0}" has successfully progressed.'.format(name),
                     "lastUpdateTime": now_rfc3339(), "lastTransitionTime": now_rfc3339()},
                ],
            }
        else:
            nodes = len(self.store.list(self.store.types[("", "v1", "nodes")])["items"])
            status = {"observedGeneration": generation, "desiredNumberScheduled": nodes,
                      "currentNumberScheduled": nodes, "updatedNumberScheduled": nodes,
                      "numberReady": nodes, "numberAvailable": nodes, "numberMisscheduled": 0}
        self.store.set_status(rtype, namespace, name, status)

    def operator_available(self):
        try:
            deployment = self.store.get(self.store.types[("apps", "v1", "deployments")],
                                        self.operator_namespace, self.operator_name)
        except ApiError:
            return False
        conditions = (deployment.get("status") or {}).get("conditions") or []
        return any(c.get("type") == "Available" and c.get("status") == "True" for c in conditions)

    def _problem(self, cluster):
        spec = cluster.get("spec") or {}
        if not (spec.get("kvBackend") or {}).get("address"):
            return "KVBackendMissing", "spec.kvBackend.address is empty: StorageOS v2 needs an external etcd"
        secret_ns = spec.get("secretRefNamespace") or cluster["metadata"]["namespace"]
        try:
            secret = self.store.get(self.store.types[("", "v1", "secrets")], secret_ns, spec.get("secretRefName"))
        except ApiError:
            return "SecretMissing", "secret {0}/{1} not found".format(secret_ns, spec.get("secretRefName"))
        data = secret.get("data") or {}
        if not any(all(key in data for key in pair) for pair in self.credential_keys):
            return "SecretInvalid", "secret {0}/{1} has none of the credential key pairs {2}".format(
                secret_ns, spec.get("secretRefName"), list(self.credential_keys))
        return None, None

    def _reconcile_cluster(self, rtype, cluster):
        meta = cluster["metadata"]
        if not self.operator_available():
            return  # nobody is watching StorageOSClusters yet
        status = cluster.get("status") or {}
        # The CRD's status schema has no top-level observedGeneration (the server prunes it), so the
        # generation a status answers is kept where the schema allows it: in the Ready condition.
        observed = [c.get("observedGeneration") for c in status.get("conditions") or [] if c.get("type") == "Ready"]
        if observed == [meta.get("generation")] and status.get("phase"):
            return
        reason, message = self._problem(cluster)
        nodes = [n["metadata"]["name"] for n in self.store.list(self.store.types[("", "v1", "nodes")])["items"]]
        if reason is None:
            self._ensure_storageclass(cluster)
            new_status = {
                "phase": "Running",
                "ready": "{0}/{0}".format(len(nodes)),
                "nodes": nodes,
                "members": {"ready": nodes},
                "conditions": [{"type": "Ready", "status": "True", "reason": "ClusterReady",
                                "message": "StorageOS is running on every selected node",
                                "lastTransitionTime": now_rfc3339(),
                                "observedGeneration": meta.get("generation")}],
            }
        else:
            new_status = {
                "phase": "Pending",
                "ready": "0/{0}".format(len(nodes)),
                "conditions": [{"type": "Ready", "status": "False", "reason": reason, "message": message,
                                "lastTransitionTime": now_rfc3339(),
                                "observedGeneration": meta.get("generation")}],
            }
        self.store.set_status(rtype, meta["namespace"], meta["name"], new_status)

    def _ensure_storageclass(self, cluster):
        spec = cluster.get("spec") or {}
        name = spec.get("storageClassName") or "storageos"
        secret_ns = spec.get("secretRefNamespace") or cluster["metadata"]["namespace"]
        rtype = self.store.types[STORAGECLASS_KEY]
        try:
            self.store.get(rtype, "", name)
            return
        except ApiError:
            pass
        self.store.create(rtype, "", {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": name, "labels": {
                "app": "storageos",
                OWNER_LABEL: "{0}.{1}".format(cluster["metadata"]["namespace"], cluster["metadata"]["name"])}},
            "provisioner": "csi.storageos.com",
            "allowVolumeExpansion": True,
            "parameters": {
                "csi.storage.k8s.io/fstype": "ext4",
                "csi.storage.k8s.io/secret-name": spec.get("secretRefName"),
                "csi.storage.k8s.io/secret-namespace": secret_ns,
            },
        })

    def _delete_owned_storageclasses(self, cluster):
        owner = "{0}.{1}".format(cluster["metadata"]["namespace"], cluster["metadata"]["name"])
        rtype = self.store.types[STORAGECLASS_KEY]
        for sc in self.store.list(rtype, label_selector="{0}={1}".format(OWNER_LABEL, owner))["items"]:
            self.store.delete(rtype, "", sc["metadata"]["name"])
