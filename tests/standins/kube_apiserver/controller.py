# -*- coding: utf-8 -*-
# Copyright: hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stand-in's controllers: what kube-controller-manager and the StorageOS
operator would write back, reduced to what a client can observe.

- Deployments and DaemonSets become available a short delay after each spec
  change (status.replicas/availableReplicas/observedGeneration and the
  Available condition), as if their pods had started.
- A StorageOSCluster is reconciled only while the operator Deployment is
  available: the operator puts its finalizer on it (storageos/operator
  controllers/storageoscluster_controller.go: FinalizerCleanup); when its spec
  is usable (the Secret named by secretRefName exists in the cluster's own
  namespace and holds the credential keys, kvBackend.address is set) it reports
  phase Running and a Ready condition, and the operator's StorageClass is
  created; otherwise it stays Pending with a condition that says why.  The
  operator reads the Secret from the cluster's namespace and ignores
  secretRefNamespace (controllers/storageoscluster/node_operand.go), and so does
  this stand-in.  Deleting the cluster only marks it; the operator deletes its
  StorageClass, then removes the finalizer.
- A Job that runs the Ondat CLI ("apply licence") completes when the Secrets
  and keys its pod reads exist and a Running StorageOSCluster in its namespace
  uses that API Secret; otherwise it fails (BackoffLimitExceeded), as the CLI
  would fail to log in.  No pod runs.
- The garbage collector and the namespace and CRD finalizers: an object marked
  with foregroundDeletion or orphan loses that finalizer (nothing here has
  dependents); a Terminating namespace is emptied, then removed; a deleted CRD
  deletes its custom resources, then goes.
"""

from __future__ import annotations

import threading
import time
import traceback

from store import ApiError, now_rfc3339

CLUSTER_KEY = ("storageos.com", "v1", "storageosclusters")
JOB_KEY = ("batch", "v1", "jobs")
CRD_KEY = ("apiextensions.k8s.io", "v1", "customresourcedefinitions")
OPERATOR_FINALIZER = "storageos.com/standin-operator-cleanup"
CRD_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"
GC_FINALIZERS = ("foregroundDeletion", "orphan")
STORAGECLASS_KEY = ("storage.k8s.io", "v1", "storageclasses")
OWNER_LABEL = "storageos.com/standin-owner"


class Controller:
    def __init__(self, store, delay=1.0, operator_deployment="storageos/storageos-controller-manager",
                 credential_keys=(("username", "password"), ("apiUsername", "apiPassword")), log=None):
        self.store = store
        self.log = log
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
        if rtype.key in (JOB_KEY, CRD_KEY) and event == "ADDED":
            key = (rtype.key, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
            self.due.setdefault(key, time.monotonic() + self.delay)

    def run(self):
        while not self.stop_event.wait(0.2):
            try:
                self.reconcile()
            except ApiError:
                pass  # objects and types vanish between list and write; the next pass settles
            except Exception:  # a stand-in bug: leave a trace in server.log, keep the controllers running
                if self.log is not None:
                    self.log.write("controller error:\n" + traceback.format_exc())
                    self.log.flush()

    def reconcile(self):
        now = time.monotonic()
        for (key, namespace, name), when in list(self.due.items()):
            if when <= now:
                self.due.pop((key, namespace, name), None)
                if key == JOB_KEY:
                    self._run_job(namespace, name)
                elif key == CRD_KEY:
                    self._add_finalizer(self.store.types[CRD_KEY], "", name, CRD_FINALIZER)
                else:
                    self._mark_available(key, namespace, name)
        if CLUSTER_KEY in self.store.types:
            rtype = self.store.types[CLUSTER_KEY]
            for cluster in self.store.list(rtype)["items"]:
                self._reconcile_cluster(rtype, cluster)
        self._finalize_deleted()

    # ---- finalizers ------------------------------------------------------------
    def _add_finalizer(self, rtype, namespace, name, finalizer):
        obj = self.store.get(rtype, namespace, name)
        if obj["metadata"].get("deletionTimestamp") or finalizer in (obj["metadata"].get("finalizers") or []):
            return
        self.store.patch(rtype, namespace, name, "application/merge-patch+json",
                         {"metadata": {"finalizers": (obj["metadata"].get("finalizers") or []) + [finalizer]}})

    def _finalize_deleted(self):
        for rtype in list(self.store.types.values()):
            for obj in self.store.list(rtype)["items"]:
                meta = obj["metadata"]
                if not meta.get("deletionTimestamp"):
                    continue
                for finalizer in GC_FINALIZERS:
                    if finalizer in (meta.get("finalizers") or []):
                        self.store.remove_finalizer(rtype, meta.get("namespace", ""), meta["name"], finalizer)
                if rtype.kind == "Namespace":
                    self.store.finalize_namespace(meta["name"])
                elif rtype.key == CRD_KEY:
                    self._finalize_crd(rtype, obj)

    def _finalize_crd(self, rtype, crd):
        """apiextensions-apiserver pkg/controller/finalizer/crd_finalizer.go: delete every custom resource, then
        drop the finalizer."""
        spec = crd["spec"]
        left = 0
        for version in spec.get("versions", []):
            cr_type = self.store.types.get((spec["group"], version["name"], spec["names"]["plural"]))
            for item in self.store.list(cr_type)["items"] if cr_type else []:
                left += 1
                if not item["metadata"].get("deletionTimestamp"):
                    self.store.delete(cr_type, item["metadata"].get("namespace", ""), item["metadata"]["name"])
        if left == 0 and CRD_FINALIZER in (crd["metadata"].get("finalizers") or []):
            self.store.remove_finalizer(rtype, "", crd["metadata"]["name"], CRD_FINALIZER)

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
        secret_ns = cluster["metadata"]["namespace"]  # secretRefNamespace is ignored, as by the operator
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
        if meta.get("deletionTimestamp"):
            self._delete_owned_storageclasses(cluster)
            self.store.remove_finalizer(rtype, meta["namespace"], meta["name"], OPERATOR_FINALIZER)
            return
        if OPERATOR_FINALIZER not in (meta.get("finalizers") or []):
            self._add_finalizer(rtype, meta["namespace"], meta["name"], OPERATOR_FINALIZER)
            return
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
        secret_ns = cluster["metadata"]["namespace"]  # the operator's storageclass_operand.go uses cluster.Namespace
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

    # ---- the licence Job ---------------------------------------------------------
    def _run_job(self, namespace, name):
        rtype = self.store.types[JOB_KEY]
        try:
            job = self.store.get(rtype, namespace, name)
        except ApiError:
            return
        problem = self._job_problem(job)
        now = now_rfc3339()
        if problem is None:
            status = {"startTime": now, "completionTime": now, "succeeded": 1, "active": 0, "conditions": [
                {"type": "Complete", "status": "True", "lastProbeTime": now, "lastTransitionTime": now}]}
        else:
            limit = (job.get("spec") or {}).get("backoffLimit", 6)
            status = {"startTime": now, "failed": limit + 1, "active": 0, "conditions": [
                {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                 "message": "Job has reached the specified backoff limit ({0})".format(problem),
                 "lastProbeTime": now, "lastTransitionTime": now}]}
        self.store.set_status(rtype, namespace, name, status)

    def _job_problem(self, job):
        """Why the CLI in the Job's pod would fail, or None: its Secrets and keys must exist, and a Running
        StorageOSCluster in the namespace must use the API Secret the pod logs in with."""
        namespace = job["metadata"]["namespace"]
        pod = job["spec"]["template"]["spec"]
        secrets = self.store.types[("", "v1", "secrets")]
        wanted = [(v["secret"]["secretName"], None) for v in pod.get("volumes") or [] if v.get("secret")]
        for container in pod.get("containers") or []:
            for env in container.get("env") or []:
                ref = (env.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    wanted.append((ref["name"], ref["key"]))
        for secret_name, key in wanted:
            try:
                data = self.store.get(secrets, namespace, secret_name).get("data") or {}
            except ApiError:
                return 'secret "{0}" not found'.format(secret_name)
            if key is not None and key not in data:
                return 'couldn\'t find key {0} in Secret {1}/{2}'.format(key, namespace, secret_name)
        api_secrets = {name for name, key in wanted if key is not None}
        clusters = self.store.types.get(CLUSTER_KEY)
        running = [c for c in (self.store.list(clusters, namespace)["items"] if clusters else [])
                   if (c.get("status") or {}).get("phase") == "Running"
                   and c["spec"].get("secretRefName") in api_secrets]
        return None if running else "no Running StorageOSCluster in {0} accepts these credentials".format(namespace)
