# -*- coding: utf-8 -*-
# Copyright: hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""In-memory object store of the Kubernetes API stand-in.

It knows the resource types a StorageOS install touches, registers custom
resources when their CustomResourceDefinition is created, and applies the
API server's rules that clients can observe: metadata (uid, resourceVersion,
generation, creationTimestamp), defaulting, Secret stringData folding, status
subresources, the three patch flavours, structural-schema validation and
pruning of custom resources, namespace existence and cascading deletion.
"""

from __future__ import annotations

import base64
import copy
import datetime
import json
import re
import threading
import uuid
from dataclasses import dataclass, field

import jsonpatch
import jsonschema


class ApiError(Exception):
    """An error the API server reports as a metav1.Status."""

    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details or {}

    def status(self):
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "details": self.details,
            "code": self.code,
        }


@dataclass
class ResourceType:
    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    short_names: list = field(default_factory=list)
    status_subresource: bool = False
    has_generation: bool = False
    schema: dict = None  # openAPIV3Schema of a custom resource
    custom: bool = False

    @property
    def api_version(self):
        return "{0}/{1}".format(self.group, self.version) if self.group else self.version

    @property
    def key(self):
        return (self.group, self.version, self.plural)

    def discovery_entries(self):
        verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
        entry = {
            "name": self.plural,
            "singularName": self.singular,
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": verbs,
        }
        if self.short_names:
            entry["shortNames"] = list(self.short_names)
        entries = [entry]
        if self.status_subresource:
            entries.append({
                "name": self.plural + "/status",
                "singularName": "",
                "namespaced": self.namespaced,
                "kind": self.kind,
                "verbs": ["get", "patch", "update"],
            })
        return entries


BUILTIN_TYPES = [
    ResourceType("", "v1", "Namespace", "namespaces", "namespace", False, ["ns"], True),
    ResourceType("", "v1", "Node", "nodes", "node", False, ["no"], True),
    ResourceType("", "v1", "Secret", "secrets", "secret", True),
    ResourceType("", "v1", "ConfigMap", "configmaps", "configmap", True, ["cm"]),
    ResourceType("", "v1", "ServiceAccount", "serviceaccounts", "serviceaccount", True, ["sa"]),
    ResourceType("", "v1", "Service", "services", "service", True, ["svc"], True),
    ResourceType("", "v1", "ResourceQuota", "resourcequotas", "resourcequota", True, ["quota"], True),
    ResourceType("apps", "v1", "Deployment", "deployments", "deployment", True, ["deploy"], True, True),
    ResourceType("apps", "v1", "DaemonSet", "daemonsets", "daemonset", True, ["ds"], True, True),
    ResourceType("batch", "v1", "Job", "jobs", "job", True, [], True, True),
    ResourceType("storage.k8s.io", "v1", "StorageClass", "storageclasses", "storageclass", False, ["sc"]),
    ResourceType("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", "clusterrole", False),
    ResourceType("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings",
                 "clusterrolebinding", False),
    ResourceType("rbac.authorization.k8s.io", "v1", "Role", "roles", "role", True),
    ResourceType("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", "rolebinding", True),
    ResourceType("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions",
                 "customresourcedefinition", False, ["crd", "crds"], True, True),
]

# Of the types served here, only namespaces are stored with ReturnDeletedObject (kubernetes
# pkg/registry/core/namespace/storage/storage.go): DELETE of anything else answers with a Status.
RETURNS_DELETED_OBJECT = {"Namespace"}
# DeleteOptions.propagationPolicy -> the finalizer the API server adds (deletionFinalizersForGarbageCollection
# in staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go).
GC_FINALIZERS = {"Foreground": "foregroundDeletion", "Orphan": "orphan"}

DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# Lists that strategic merge patch merges by key instead of replacing, for the
# fields a StorageOS install sends; everything else behaves like a merge patch.
STRATEGIC_MERGE_KEYS = {"containers": "name", "env": "name", "conditions": "type", "ports": "containerPort",
                        "volumes": "name", "volumeMounts": "mountPath"}


def strategic_merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue  # directives ($patch, $retainKeys, ...) are not needed by our clients
        if value is None:
            result.pop(key, None)
        elif key in STRATEGIC_MERGE_KEYS and isinstance(value, list) and isinstance(result.get(key), list):
            merge_key = STRATEGIC_MERGE_KEYS[key]
            merged = [copy.deepcopy(item) for item in result[key]]
            for item in value:
                index = next((i for i, old in enumerate(merged)
                              if isinstance(old, dict) and isinstance(item, dict)
                              and old.get(merge_key) == item.get(merge_key)), None)
                if index is None:
                    merged.append(copy.deepcopy(item))
                else:
                    merged[index] = strategic_merge_patch(merged[index], item)
            result[key] = merged
        else:
            result[key] = strategic_merge_patch(result.get(key), value)
    return result


def parse_label_selector(text):
    """Parse a label selector into predicates over a labels dict."""
    predicates = []
    if not text:
        return predicates
    # Split on commas that are not inside parentheses.
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    for part in (p.strip() for p in parts if p.strip()):
        match = re.match(r"^([^\s!=]+)\s+(in|notin)\s+\((.*)\)$", part)
        if match:
            key, op, values = match.group(1), match.group(2), {v.strip() for v in match.group(3).split(",")}
            if op == "in":
                predicates.append(lambda labels, k=key, vs=values: labels.get(k) in vs)
            else:
                predicates.append(lambda labels, k=key, vs=values: labels.get(k) not in vs)
        elif "!=" in part:
            key, value = (s.strip() for s in part.split("!=", 1))
            predicates.append(lambda labels, k=key, v=value: labels.get(k) != v)
        elif "=" in part:
            key, value = (s.strip() for s in part.replace("==", "=").split("=", 1))
            predicates.append(lambda labels, k=key, v=value: labels.get(k) == v)
        elif part.startswith("!"):
            predicates.append(lambda labels, k=part[1:].strip(): k not in labels)
        else:
            predicates.append(lambda labels, k=part: k in labels)
    return predicates


def parse_field_selector(text):
    predicates = []
    for part in (p.strip() for p in (text or "").split(",") if p.strip()):
        negate = "!=" in part
        path, value = (s.strip() for s in re.split(r"!=|==|=", part, maxsplit=1))

        def lookup(obj, dotted=path):
            node = obj
            for segment in dotted.split("."):
                node = node.get(segment) if isinstance(node, dict) else None
            return node
        if negate:
            predicates.append(lambda obj, f=lookup, v=value: f(obj) != v)
        else:
            predicates.append(lambda obj, f=lookup, v=value: f(obj) == v)
    return predicates


def _prune(value, schema):
    """Drop fields a structural schema does not declare, as the API server does."""
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict):
        if schema.get("x-kubernetes-preserve-unknown-fields"):
            return value
        properties = schema.get("properties")
        additional = schema.get("additionalProperties")
        if properties is not None:
            return {k: _prune(v, properties[k]) for k, v in value.items() if k in properties}
        if isinstance(additional, dict):
            return {k: _prune(v, additional) for k, v in value.items()}
        return value
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_prune(item, schema["items"]) for item in value]
    return value


def _schema_for_jsonschema(schema):
    """Translate the Kubernetes-specific keywords that plain JSON Schema lacks."""
    if isinstance(schema, dict):
        out = {k: _schema_for_jsonschema(v) for k, v in schema.items()}
        if schema.get("x-kubernetes-int-or-string"):
            out.pop("type", None)
            out.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
        if schema.get("nullable"):
            kind = out.get("type")
            if isinstance(kind, str):
                out["type"] = [kind, "null"]
        return out
    if isinstance(schema, list):
        return [_schema_for_jsonschema(item) for item in schema]
    return schema


class Store:
    """Thread-safe in-memory cluster state."""

    def __init__(self, kubernetes_version="v1.29.4"):
        self.kubernetes_version = kubernetes_version
        self.lock = threading.RLock()
        self.types = {}
        self.objects = {}  # type key -> {(namespace, name): object}
        self._rv = 100
        self.listeners = []  # callables(event, rtype, obj) run after every write
        for rtype in BUILTIN_TYPES:
            self.register(rtype)

    # ---- types and discovery -------------------------------------------------
    def register(self, rtype):
        with self.lock:
            self.types[rtype.key] = rtype
            self.objects.setdefault(rtype.key, {})

    def unregister(self, key):
        with self.lock:
            self.types.pop(key, None)
            self.objects.pop(key, None)

    def type_for(self, group, version, plural):
        rtype = self.types.get((group, version, plural))
        if rtype is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return rtype

    def type_for_kind(self, api_version, kind):
        for rtype in self.types.values():
            if rtype.api_version == api_version and rtype.kind == kind:
                return rtype
        return None

    def groups(self):
        """{group: [versions]} for named groups, in registration order."""
        found = {}
        for rtype in self.types.values():
            if rtype.group:
                versions = found.setdefault(rtype.group, [])
                if rtype.version not in versions:
                    versions.append(rtype.version)
        return found

    def resources_of(self, group, version):
        entries = []
        for rtype in self.types.values():
            if rtype.group == group and rtype.version == version:
                entries.extend(rtype.discovery_entries())
        return entries

    # ---- helpers -------------------------------------------------------------
    def _next_rv(self):
        self._rv += 1
        return str(self._rv)

    @staticmethod
    def _not_found(rtype, name):
        return ApiError(404, "NotFound", '{0}.{1} "{2}" not found'.format(rtype.plural, rtype.group or "", name)
                        .replace('. "', ' "'),
                        {"name": name, "group": rtype.group, "kind": rtype.plural})

    def _check_namespace(self, rtype, namespace):
        if rtype.namespaced:
            if not namespace:
                raise ApiError(400, "BadRequest", "the namespace of the object is required")
            ns_obj = self.objects[("", "v1", "namespaces")].get(("", namespace))
            if ns_obj is None:
                raise ApiError(404, "NotFound", 'namespaces "{0}" not found'.format(namespace),
                               {"name": namespace, "kind": "namespaces"})
            return ns_obj
        return None

    def _check_namespace_open(self, rtype, namespace):
        """The NamespaceLifecycle admission plugin: nothing new in a namespace that is being deleted."""
        ns_obj = self._check_namespace(rtype, namespace)
        if ns_obj is not None and ns_obj["metadata"].get("deletionTimestamp"):
            raise ApiError(403, "Forbidden", 'unable to create new content in namespace {0} because it is being '
                           'terminated'.format(namespace),
                           {"name": namespace, "kind": "namespaces", "causes": [
                               {"reason": "NamespaceTerminating", "field": "metadata.namespace"}]})

    def _validate(self, rtype, obj, old=None):
        name = obj.get("metadata", {}).get("name", "")
        pattern = DNS1123_LABEL if rtype.kind == "Namespace" else DNS1123_SUBDOMAIN
        causes = []
        if not name:
            causes.append("metadata.name: Required value: name or generateName is required")
        elif len(name) > 253 or not pattern.match(name):
            causes.append("metadata.name: Invalid value: {0!r}: a lowercase RFC 1123 name is required".format(name))
        if rtype.kind == "Secret":
            for key, value in (obj.get("data") or {}).items():
                try:
                    base64.b64decode(value, validate=True)
                except (ValueError, TypeError):
                    causes.append("data[{0}]: Invalid value: illegal base64 data".format(key))
        if rtype.kind == "Deployment":
            spec = obj.get("spec") or {}
            selector = (spec.get("selector") or {}).get("matchLabels") or {}
            labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
            if not selector:
                causes.append("spec.selector: Required value")
            elif any(labels.get(k) != v for k, v in selector.items()):
                causes.append("spec.template.metadata.labels: Invalid value: `selector` does not match "
                              "template `labels`")
            if not ((spec.get("template") or {}).get("spec") or {}).get("containers"):
                causes.append("spec.template.spec.containers: Required value")
        if rtype.kind == "StorageClass" and not obj.get("provisioner"):
            causes.append("provisioner: Required value")
        if rtype.kind == "CustomResourceDefinition":
            causes.extend(self._crd_problems(obj))
        if rtype.kind == "Job":
            causes.extend(self._job_problems(obj, old))
        if rtype.custom and rtype.schema:
            body = {k: v for k, v in obj.items() if k not in ("metadata", "status")}
            validator = jsonschema.Draft7Validator(_schema_for_jsonschema(
                {k: v for k, v in rtype.schema.items() if k != "properties"} |
                {"properties": {k: v for k, v in rtype.schema.get("properties", {}).items()
                                if k not in ("metadata", "status")}}))
            for error in sorted(validator.iter_errors(body), key=lambda e: list(e.path)):
                where = ".".join(str(p) for p in error.path) or "<root>"
                causes.append("{0}: Invalid value: {1}".format(where, error.message))
        if causes:
            raise ApiError(422, "Invalid", '{0} "{1}" is invalid: {2}'.format(rtype.kind, name, "; ".join(causes)),
                           {"name": name, "group": rtype.group, "kind": rtype.kind,
                            "causes": [{"message": c} for c in causes]})

    @staticmethod
    def _crd_problems(obj):
        spec = obj.get("spec") or {}
        names = spec.get("names") or {}
        problems = []
        for key in ("group", "scope"):
            if not spec.get(key):
                problems.append("spec.{0}: Required value".format(key))
        for key in ("plural", "kind"):
            if not names.get(key):
                problems.append("spec.names.{0}: Required value".format(key))
        if obj.get("metadata", {}).get("name") != "{0}.{1}".format(names.get("plural"), spec.get("group")):
            problems.append("metadata.name: Invalid value: must be spec.names.plural+\".\"+spec.group")
        versions = spec.get("versions") or []
        if not versions:
            problems.append("spec.versions: Required value")
        if sum(1 for v in versions if v.get("storage")) != 1:
            problems.append("spec.versions: Invalid value: must have exactly one version marked as storage version")
        for version in versions:
            if not (version.get("schema") or {}).get("openAPIV3Schema"):
                problems.append("spec.versions[{0}].schema.openAPIV3Schema: Required value".format(
                    version.get("name")))
        return problems

    def _finish(self, rtype, obj, old=None):
        """Apply defaulting and server-owned fields before storing."""
        meta = obj.setdefault("metadata", {})
        obj["apiVersion"] = rtype.api_version
        obj["kind"] = rtype.kind
        if not rtype.namespaced:
            meta.pop("namespace", None)
        if rtype.kind == "Secret":
            string_data = obj.pop("stringData", None) or {}
            data = obj.setdefault("data", {}) if string_data or "data" in obj else None
            for key, value in string_data.items():
                data[key] = base64.b64encode(str(value).encode()).decode()
            obj.setdefault("type", "Opaque")
        if rtype.kind == "Deployment":
            spec = obj.setdefault("spec", {})
            spec.setdefault("replicas", 1)
            spec.setdefault("strategy", {"type": "RollingUpdate",
                                         "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
            spec.setdefault("revisionHistoryLimit", 10)
            spec.setdefault("progressDeadlineSeconds", 600)
        if rtype.kind == "Namespace":
            # The namespace strategy gives every namespace the "kubernetes" finalizer, which the namespace
            # controller removes once the namespace is empty (pkg/registry/core/namespace/strategy.go).
            if old is None:
                obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
            obj["status"] = {"phase": "Terminating" if meta.get("deletionTimestamp") else "Active"}
            meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
        if rtype.kind == "Job":
            self._default_job(obj, meta, old)
        if rtype.kind == "StorageClass":
            obj.setdefault("reclaimPolicy", "Delete")
            obj.setdefault("volumeBindingMode", "Immediate")
        if rtype.custom and rtype.schema:
            pruned = _prune({k: v for k, v in obj.items() if k not in ("metadata", "apiVersion", "kind")},
                            {"properties": {k: v for k, v in rtype.schema.get("properties", {}).items()
                                            if k not in ("metadata", "apiVersion", "kind")}})
            obj = {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": meta, **pruned}
        if old is None:
            meta["uid"] = meta.get("uid") or str(uuid.uuid4())
            meta["creationTimestamp"] = now_rfc3339()
            if rtype.has_generation or rtype.custom:
                meta["generation"] = 1
        else:
            for key in ("uid", "creationTimestamp", "generation", "deletionTimestamp", "deletionGracePeriodSeconds"):
                if key in old["metadata"]:
                    meta[key] = old["metadata"][key]
                else:
                    meta.pop(key, None)
            if rtype.has_generation or rtype.custom:
                before = {k: v for k, v in old.items() if k not in ("metadata", "status")}
                after = {k: v for k, v in obj.items() if k not in ("metadata", "status")}
                if before != after:
                    meta["generation"] = old["metadata"].get("generation", 1) + 1
        for empty in ("labels", "annotations"):
            if empty in meta and not meta[empty]:
                del meta[empty]
        return obj

    @staticmethod
    def _default_job(obj, meta, old):
        """The Job defaults and the selector the API server generates (pkg/apis/batch/v1/defaults.go,
        pkg/registry/batch/job/strategy.go: the controller-uid and job-name labels)."""
        spec = obj.setdefault("spec", {})
        spec.setdefault("backoffLimit", 6)
        spec.setdefault("completions", 1)
        spec.setdefault("parallelism", 1)
        if old is None:
            meta["uid"] = str(uuid.uuid4())
            generated = {"batch.kubernetes.io/controller-uid": meta["uid"], "batch.kubernetes.io/job-name": meta["name"],
                         "controller-uid": meta["uid"], "job-name": meta["name"]}
            spec.setdefault("selector", {"matchLabels": {"batch.kubernetes.io/controller-uid": meta["uid"]}})
            template_meta = spec.setdefault("template", {}).setdefault("metadata", {})
            template_meta["labels"] = dict(template_meta.get("labels") or {}, **generated)

    @staticmethod
    def _job_problems(obj, old):
        spec = obj.get("spec") or {}
        pod = (spec.get("template") or {}).get("spec") or {}
        problems = []
        if not pod.get("containers"):
            problems.append("spec.template.spec.containers: Required value")
        if pod.get("restartPolicy") not in ("Never", "OnFailure"):
            problems.append('spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"')
        if old is not None and (old.get("spec") or {}).get("template") != spec.get("template"):
            problems.append("spec.template: Invalid value: field is immutable")
        return problems

    def _notify(self, event, rtype, obj):
        for listener in list(self.listeners):
            listener(event, rtype, copy.deepcopy(obj) if obj else obj)

    # ---- verbs ---------------------------------------------------------------
    def get(self, rtype, namespace, name):
        with self.lock:
            obj = self.objects[rtype.key].get((namespace if rtype.namespaced else "", name))
            if obj is None:
                raise self._not_found(rtype, name)
            return copy.deepcopy(obj)

    def list(self, rtype, namespace=None, label_selector=None, field_selector=None):
        label_predicates = parse_label_selector(label_selector)
        field_predicates = parse_field_selector(field_selector)
        with self.lock:
            if rtype.key not in self.objects:  # a custom resource whose CRD went in the meantime
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            items = []
            for (ns, _name), obj in sorted(self.objects[rtype.key].items()):
                if rtype.namespaced and namespace and ns != namespace:
                    continue
                labels = obj["metadata"].get("labels") or {}
                if all(p(labels) for p in label_predicates) and all(p(obj) for p in field_predicates):
                    items.append(copy.deepcopy(obj))
            return {
                "kind": rtype.kind + "List",
                "apiVersion": rtype.api_version,
                "metadata": {"resourceVersion": str(self._rv)},
                "items": items,
            }

    def create(self, rtype, namespace, body, dry_run=False):
        with self.lock:
            obj = copy.deepcopy(body)
            if not isinstance(obj, dict):
                raise ApiError(400, "BadRequest", "the request body must be an object")
            meta = obj.setdefault("metadata", {})
            if meta.get("generateName") and not meta.get("name"):
                meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
            body_ns = meta.get("namespace")
            if rtype.namespaced:
                if body_ns and namespace and body_ns != namespace:
                    raise ApiError(400, "BadRequest", "the namespace of the provided object does not match "
                                   "the namespace sent on the request")
                namespace = namespace or body_ns
                meta["namespace"] = namespace
            for server_owned in ("uid", "resourceVersion", "creationTimestamp", "generation", "deletionTimestamp"):
                meta.pop(server_owned, None)
            if rtype.status_subresource and rtype.kind != "Namespace":
                obj.pop("status", None)
            self._check_namespace_open(rtype, namespace)
            key = (namespace if rtype.namespaced else "", meta.get("name"))
            if key in self.objects[rtype.key]:
                raise ApiError(409, "AlreadyExists", '{0} "{1}" already exists'.format(rtype.plural, key[1]),
                               {"name": key[1], "group": rtype.group, "kind": rtype.plural})
            obj = self._finish(rtype, obj)
            self._validate(rtype, obj)
            if dry_run:
                return obj
            obj["metadata"]["resourceVersion"] = self._next_rv()
            self.objects[rtype.key][key] = obj
            self._after_write("ADDED", rtype, obj)
            return copy.deepcopy(obj)

    def _store_update(self, rtype, old, new, dry_run=False, status_only=False):
        key = (old["metadata"].get("namespace", "") if rtype.namespaced else "", old["metadata"]["name"])
        new = copy.deepcopy(new)
        new.setdefault("metadata", {})
        if new["metadata"].get("name") != old["metadata"]["name"]:
            raise ApiError(400, "BadRequest", "the name of the object does not match the name on the URL")
        if rtype.namespaced:
            new["metadata"]["namespace"] = old["metadata"]["namespace"]
        if status_only:
            merged = copy.deepcopy(old)
            merged["status"] = new.get("status")
            if merged["status"] is None:
                merged.pop("status")
            new = merged
        elif rtype.status_subresource:
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            else:
                new.pop("status", None)
        new = self._finish(rtype, new, old)
        self._validate(rtype, new, old)
        self._check_finalizer_change(old, new)
        comparable_old = copy.deepcopy(old)
        comparable_old["metadata"].pop("resourceVersion", None)
        new["metadata"].pop("resourceVersion", None)
        if new == comparable_old:
            return copy.deepcopy(old)  # a no-op write keeps the resourceVersion, as the real server does
        if dry_run:
            new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
            return new
        if self._deletion_complete(rtype, new):
            # ShouldDeleteDuringUpdate (registry/generic/registry/store.go): the last finalizer of an object that
            # is being deleted is gone, so the update removes it.
            self._remove(rtype, new)
            return copy.deepcopy(new)
        new["metadata"]["resourceVersion"] = self._next_rv()
        self.objects[rtype.key][key] = new
        self._after_write("MODIFIED", rtype, new)
        return copy.deepcopy(new)

    @staticmethod
    def _check_finalizer_change(old, new):
        if old["metadata"].get("deletionTimestamp"):
            added = set(new["metadata"].get("finalizers") or []) - set(old["metadata"].get("finalizers") or [])
            if added:
                raise ApiError(422, "Invalid", "metadata.finalizers: Forbidden: no new finalizers can be added if "
                               "the object is being deleted, found new finalizers {0}".format(sorted(added)))

    @staticmethod
    def _deletion_complete(rtype, obj):
        meta = obj["metadata"]
        if not meta.get("deletionTimestamp") or meta.get("finalizers"):
            return False
        return rtype.kind != "Namespace" or not (obj.get("spec") or {}).get("finalizers")

    def replace(self, rtype, namespace, name, body, dry_run=False, status_only=False):
        with self.lock:
            old = self.get(rtype, namespace, name)
            wanted_rv = (body.get("metadata") or {}).get("resourceVersion")
            if wanted_rv and wanted_rv != old["metadata"]["resourceVersion"]:
                raise ApiError(409, "Conflict", 'Operation cannot be fulfilled on {0} "{1}": the object has been '
                               'modified; please apply your changes to the latest version and try again'
                               .format(rtype.plural, name), {"name": name, "kind": rtype.plural})
            return self._store_update(rtype, old, body, dry_run, status_only)

    def patch(self, rtype, namespace, name, content_type, patch_body, dry_run=False, status_only=False):
        with self.lock:
            try:
                old = self.get(rtype, namespace, name)
            except ApiError:
                if content_type.startswith("application/apply-patch"):
                    body = copy.deepcopy(patch_body)
                    return self.create(rtype, namespace, body, dry_run)
                raise
            if content_type.startswith("application/merge-patch+json"):
                new = merge_patch(old, patch_body)
            elif content_type.startswith("application/strategic-merge-patch+json"):
                if rtype.custom:
                    raise ApiError(415, "UnsupportedMediaType",
                                   "the body of the request was in an unknown format - accepted media types "
                                   "include: application/json-patch+json, application/merge-patch+json, "
                                   "application/apply-patch+yaml")
                new = strategic_merge_patch(old, patch_body)
            elif content_type.startswith("application/json-patch+json"):
                try:
                    new = jsonpatch.apply_patch(old, patch_body)
                except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
                    raise ApiError(422, "Invalid", "the server rejected our request due to an error in our "
                                   "request: {0}".format(exc))
            elif content_type.startswith("application/apply-patch"):
                new = merge_patch(old, patch_body)
            else:
                raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format")
            return self._store_update(rtype, old, new, dry_run, status_only)

    def delete(self, rtype, namespace, name, dry_run=False, propagation=None):
        """DELETE as Store.Delete answers it (staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go).

        An object without finalizers is removed at once and the answer is a Status (finalizeDelete), except for
        the ReturnDeletedObject types, which answer with the object. An object with finalizers, or one deleted
        with propagationPolicy Foreground or Orphan (which add the foregroundDeletion or orphan finalizer), is
        only marked: deletionTimestamp is set and the answer is the object itself; it goes when the last
        finalizer is removed. Deleting an object already marked answers like finalizeDelete again.
        """
        with self.lock:
            obj = self.get(rtype, namespace, name)
            meta = obj["metadata"]
            if meta.get("deletionTimestamp"):
                return self._deleted_answer(rtype, obj)
            finalizers = list(meta.get("finalizers") or [])
            if GC_FINALIZERS.get(propagation) and GC_FINALIZERS[propagation] not in finalizers:
                finalizers.append(GC_FINALIZERS[propagation])
            if finalizers or (obj.get("spec") or {}).get("finalizers") and rtype.kind == "Namespace":
                return self._mark_deleting(rtype, obj, finalizers, dry_run)
            if not dry_run:
                self._remove(rtype, obj)
            return self._deleted_answer(rtype, obj)

    def _mark_deleting(self, rtype, obj, finalizers, dry_run):
        marked = copy.deepcopy(obj)
        marked["metadata"].update({"deletionTimestamp": now_rfc3339(), "deletionGracePeriodSeconds": 0})
        if finalizers:
            marked["metadata"]["finalizers"] = finalizers
        if rtype.kind == "Namespace":
            marked["status"] = {"phase": "Terminating"}
        if dry_run:
            return marked
        marked["metadata"]["resourceVersion"] = self._next_rv()
        key = (marked["metadata"].get("namespace", "") if rtype.namespaced else "", marked["metadata"]["name"])
        self.objects[rtype.key][key] = marked
        self._after_write("MODIFIED", rtype, marked)
        return copy.deepcopy(marked)

    @staticmethod
    def _deleted_answer(rtype, obj):
        if rtype.kind in RETURNS_DELETED_OBJECT:
            return copy.deepcopy(obj)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "details": {"name": obj["metadata"]["name"], "group": rtype.group, "kind": rtype.plural,
                            "uid": obj["metadata"].get("uid")}}

    def remove_finalizer(self, rtype, namespace, name, finalizer):
        """What a controller does when its cleanup is done (a merge patch of metadata.finalizers)."""
        with self.lock:
            old = self.get(rtype, namespace, name)
            remaining = [f for f in old["metadata"].get("finalizers") or [] if f != finalizer]
            new = copy.deepcopy(old)
            new["metadata"]["finalizers"] = remaining
            if not remaining:
                new["metadata"].pop("finalizers")
            return self._store_update(rtype, old, new)

    def finalize_namespace(self, name):
        """The namespace controller: delete what the namespace holds; once it is empty, drop the namespace."""
        with self.lock:
            ns_type = self.types[("", "v1", "namespaces")]
            left = 0
            for other in list(self.types.values()):
                for (ns, child_name), child in list(self.objects.get(other.key, {}).items() if other.namespaced else []):
                    if ns == name:
                        left += 1
                        if not child["metadata"].get("deletionTimestamp"):
                            self.delete(other, ns, child_name)
            if left == 0:
                namespace = self.get(ns_type, "", name)
                namespace["spec"]["finalizers"] = []
                self._remove(ns_type, namespace)
            return left == 0

    def _remove(self, rtype, obj):
        key = (obj["metadata"].get("namespace", "") if rtype.namespaced else "", obj["metadata"]["name"])
        self.objects[rtype.key].pop(key, None)
        self._rv += 1
        if rtype.kind == "CustomResourceDefinition":
            spec = obj.get("spec", {})
            for version in spec.get("versions", []):
                self.unregister((spec.get("group"), version.get("name"), spec.get("names", {}).get("plural")))
        self._notify("DELETED", rtype, obj)

    def _after_write(self, event, rtype, obj):
        if rtype.kind == "CustomResourceDefinition":
            self._register_crd(obj)
        self._notify(event, rtype, obj)

    def _register_crd(self, crd):
        spec = crd["spec"]
        names = spec["names"]
        for version in spec.get("versions", []):
            if not version.get("served", True):
                continue
            self.register(ResourceType(
                group=spec["group"],
                version=version["name"],
                kind=names["kind"],
                plural=names["plural"],
                singular=names.get("singular", names["kind"].lower()),
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                short_names=names.get("shortNames", []),
                status_subresource="status" in (version.get("subresources") or {}),
                has_generation=True,
                schema=(version.get("schema") or {}).get("openAPIV3Schema"),
                custom=True,
            ))
        status = {
            "acceptedNames": dict(names),
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
                 "message": "no conflicts found", "lastTransitionTime": now_rfc3339()},
                {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                 "message": "the initial names have been accepted", "lastTransitionTime": now_rfc3339()},
            ],
            "storedVersions": [v["name"] for v in spec.get("versions", []) if v.get("storage")],
        }
        if crd.get("status") != status:
            crd["status"] = status  # stored object is updated in place under the lock

    # ---- used by the controller and by seeding --------------------------------
    def set_status(self, rtype, namespace, name, status):
        with self.lock:
            old = self.get(rtype, namespace, name)
            new = copy.deepcopy(old)
            new["status"] = status
            return self._store_update(rtype, old, new, status_only=True)

    def dump(self):
        with self.lock:
            return json.loads(json.dumps({"/".join(k): list(v.values()) for k, v in self.objects.items()}))
