# -*- coding: utf-8 -*-
# Copyright: hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Kubernetes API stand-in: a separate process speaking the Kubernetes REST API over HTTPS.

No kube-apiserver, kind or k3s can run on the test machines, so the storageos
role is tested against this process with the real kubernetes Python client and
the real kubernetes.core modules.  It serves:

- /version, /healthz, /api, /api/v1, /apis, /apis/<group>, /apis/<group>/<version>
  (legacy discovery: APIVersions, APIGroupList, APIGroup, APIResourceList; requests for
  aggregated discovery get the legacy documents with Content-Type application/json,
  which clients accept as "not supported" and parse as legacy),
- GET (get, list with labelSelector/fieldSelector), POST, PUT, PATCH (merge,
  strategic merge, JSON patch, apply), DELETE on the resource types in store.py and on
  any custom resource whose CRD has been created, including /status subresources and
  ?dryRun=All,
- bearer-token authentication (401 without the token from the written kubeconfig).

State lives in memory; `--dump` on SIGUSR1 is not needed: GET the objects through the API.

Usage:
  server.py --state-dir DIR [--port 0] [--nodes 2] [--kubernetes-version v1.29.4]
            [--ready-delay 1.0] [--operator-deployment storageos/storageos-controller-manager]
            [--seed FILE.yaml] [--background]
Writes DIR/ca.crt, DIR/tls.key, DIR/kubeconfig (contexts "standin" and "standin-readonly-ns"),
DIR/port, DIR/pid and DIR/server.log; ready when DIR/kubeconfig exists.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import ipaddress
import json
import os
import signal
import ssl
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from controller import Controller  # noqa: E402
from store import ApiError, Store  # noqa: E402


def write_tls(state_dir):
    """Self-signed certificate for 127.0.0.1/localhost; it is also the CA the kubeconfig trusts."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver-standin")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        ]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    cert_path = os.path.join(state_dir, "ca.crt")
    key_path = os.path.join(state_dir, "tls.key")
    with open(cert_path, "wb") as handle:
        handle.write(cert_pem)
    with os.fdopen(os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
        handle.write(key_pem)
    return cert_path, key_path, cert_pem


def kubeconfig_document(server_url, cert_pem, token):
    ca_data = base64.b64encode(cert_pem).decode()
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "standin", "cluster": {"server": server_url, "certificate-authority-data": ca_data}}],
        "users": [{"name": "standin-admin", "user": {"token": token}}],
        "contexts": [
            {"name": "standin", "context": {"cluster": "standin", "user": "standin-admin"}},
            {"name": "standin-readonly-ns", "context": {"cluster": "standin", "user": "standin-admin",
                                                        "namespace": "default"}},
        ],
        "current-context": "standin",
        "preferences": {},
    }


class Handler(BaseHTTPRequestHandler):
    server_version = "kube-apiserver-standin/1"
    protocol_version = "HTTP/1.1"

    # ---- plumbing --------------------------------------------------------------
    def log_message(self, fmt, *args):
        self.server.log.write("%s %s\n" % (self.log_date_time_string(), fmt % args))
        self.server.log.flush()

    def _send(self, code, body):
        payload = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _error(self, exc):
        self._send(exc.code, exc.status())

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        content_type = self.headers.get("Content-Type", "")
        try:
            if "yaml" in content_type:
                return yaml.safe_load(raw)
            return json.loads(raw)
        except ValueError as exc:
            raise ApiError(400, "BadRequest", "could not decode the request body: {0}".format(exc))

    def _authorized(self):
        return self.headers.get("Authorization", "") == "Bearer " + self.server.token

    # ---- verbs -----------------------------------------------------------------
    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, method):
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        path = url.path.rstrip("/") or "/"
        try:
            if path in ("/healthz", "/readyz", "/livez") and method == "GET":
                payload = b"ok"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            if path == "/version" and method == "GET":
                self._send(200, self._version())
                return
            if not self._authorized():
                self._body()  # drain so that the connection stays usable
                raise ApiError(401, "Unauthorized", "Unauthorized")
            body = self._body() if method in ("POST", "PUT", "PATCH", "DELETE") else None
            self._send(*self._route(method, path, query, body))
        except ApiError as exc:
            self._error(exc)
        except Exception as exc:  # a bug in the stand-in must surface as a 500, not a hung client
            self.server.log.write("internal error: %r\n" % (exc,))
            self._error(ApiError(500, "InternalError", "stand-in internal error: {0!r}".format(exc)))

    def _version(self):
        version = self.server.store.kubernetes_version
        major, minor = version.lstrip("v").split(".")[:2]
        return {"major": major, "minor": minor, "gitVersion": version, "gitCommit": "standin",
                "gitTreeState": "clean", "buildDate": "2024-01-01T00:00:00Z", "goVersion": "go1.22",
                "compiler": "gc", "platform": "linux/amd64"}

    # ---- routing ---------------------------------------------------------------
    def _route(self, method, path, query, body):
        store = self.server.store
        parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")]
        if method == "GET" and parts == ["api"]:
            return 200, {"kind": "APIVersions", "versions": ["v1"],
                         "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                         "serverAddress": "127.0.0.1:443"}]}
        if method == "GET" and parts == ["apis"]:
            return 200, {"kind": "APIGroupList", "apiVersion": "v1",
                         "groups": [self._group_doc(g, vs) for g, vs in store.groups().items()]}
        if method == "GET" and len(parts) == 2 and parts[0] == "apis":
            versions = store.groups().get(parts[1])
            if not versions:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return 200, dict(self._group_doc(parts[1], versions), kind="APIGroup", apiVersion="v1")
        if method == "GET" and (parts == ["api", "v1"] or (len(parts) == 3 and parts[0] == "apis")):
            group, version = ("", "v1") if parts[0] == "api" else (parts[1], parts[2])
            resources = store.resources_of(group, version)
            if not resources:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return 200, {"kind": "APIResourceList", "apiVersion": "v1",
                         "groupVersion": "{0}/{1}".format(group, version) if group else version,
                         "resources": resources}
        if parts[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", parts[2:]
        elif parts[0] == "apis" and len(parts) >= 4:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return self._resource_call(method, group, version, rest, query, body)

    @staticmethod
    def _group_doc(group, versions):
        docs = [{"groupVersion": "{0}/{1}".format(group, v), "version": v} for v in versions]
        return {"name": group, "versions": docs, "preferredVersion": docs[0]}

    @staticmethod
    def _delete(store, rtype, namespace, name, query, body, dry_run):
        """DeleteOptions come in the body (kubernetes.core, client-go) or the query; 202 only when the object was
        kept and orphanDependents=false was asked for (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/delete.go)."""
        options = body if isinstance(body, dict) else {}
        propagation = options.get("propagationPolicy") or query.get("propagationPolicy")
        dry_run = dry_run or "All" in (options.get("dryRun") or [])
        answer = store.delete(rtype, namespace, name, dry_run, propagation)
        kept = answer.get("kind") != "Status" and answer["metadata"].get("deletionTimestamp")
        return (202 if kept and options.get("orphanDependents") is False else 200), answer

    def _resource_call(self, method, group, version, rest, query, body):
        store = self.server.store
        namespace = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            candidate = store.types.get((group, version, rest[2]))
            if candidate is not None and candidate.namespaced:
                namespace, rest = rest[1], rest[2:]
        rtype = store.type_for(group, version, rest[0])
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if sub is not None and not (sub == "status" and rtype.status_subresource):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if rtype.namespaced and name is not None and namespace is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        dry_run = query.get("dryRun") == "All"
        status_only = sub == "status"
        if method == "GET":
            if name is None:
                return 200, store.list(rtype, namespace, query.get("labelSelector"), query.get("fieldSelector"))
            return 200, store.get(rtype, namespace, name)
        if body is None and method in ("POST", "PUT", "PATCH"):
            raise ApiError(400, "BadRequest", "the request body is empty")
        if method == "POST" and name is None:
            return 201, store.create(rtype, namespace, body, dry_run)
        if method == "PUT" and name is not None:
            return 200, store.replace(rtype, namespace, name, body, dry_run, status_only)
        if method == "PATCH" and name is not None:
            return 200, store.patch(rtype, namespace, name, self.headers.get("Content-Type", ""), body,
                                    dry_run, status_only)
        if method == "DELETE" and name is not None:
            return self._delete(store, rtype, namespace, name, query, body, dry_run)
        if method == "DELETE" and name is None:
            deleted = store.list(rtype, namespace, query.get("labelSelector"), query.get("fieldSelector"))
            for item in deleted["items"]:
                store.delete(rtype, item["metadata"].get("namespace"), item["metadata"]["name"], dry_run)
            return 200, deleted
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")


def seed(store, nodes, kubernetes_version, seed_file):
    for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
        store.create(store.types[("", "v1", "namespaces")], None, {"metadata": {"name": ns}})
    node_type = store.types[("", "v1", "nodes")]
    for index in range(1, nodes + 1):
        name = "standin-node-{0}".format(index)
        store.create(node_type, None, {"metadata": {"name": name, "labels": {
            "kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}}})
        store.set_status(node_type, "", name, {
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                            "message": "kubelet is posting ready status"}],
            "nodeInfo": {"kubeletVersion": kubernetes_version, "operatingSystem": "linux",
                         "architecture": "amd64"},
        })
    if seed_file:
        with open(seed_file) as handle:
            for doc in yaml.safe_load_all(handle):
                if not doc:
                    continue
                rtype = store.type_for_kind(doc["apiVersion"], doc["kind"])
                if rtype is None:
                    raise SystemExit("seed file: unknown kind {0} {1}".format(doc["apiVersion"], doc["kind"]))
                store.create(rtype, doc["metadata"].get("namespace"), doc)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--kubernetes-version", default="v1.29.4")
    parser.add_argument("--ready-delay", type=float, default=1.0)
    parser.add_argument("--operator-deployment", default="storageos/storageos-controller-manager")
    parser.add_argument("--seed")
    parser.add_argument("--background", action="store_true",
                        help="detach, and return once the kubeconfig is written")
    return parser.parse_args(argv)


def detach():
    """Fork twice, as a daemon does. In the parent: the exit code, once the server said it is ready (or
    failed). In the daemon: None, and the pipe to say so on."""
    read_fd, write_fd = os.pipe()
    if os.fork():
        os.close(write_fd)
        with os.fdopen(read_fd) as ready:
            message = ready.read()
        if message.strip() != "ready":
            sys.stderr.write("stand-in failed to start: {0}\n".format(message or "see server.log"))
            return 1, None
        return 0, None
    os.close(read_fd)
    os.setsid()
    if os.fork():
        os._exit(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    return None, os.fdopen(write_fd, "w")


def start_server(args, state_dir):
    """The HTTPS server and its controller thread, with port, pid and kubeconfig written to state_dir."""
    store = Store(kubernetes_version=args.kubernetes_version)
    seed(store, args.nodes, args.kubernetes_version, args.seed)
    cert_path, key_path, cert_pem = write_tls(state_dir)
    httpd = ThreadingHTTPServer((args.host, args.port), Handler)
    httpd.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    httpd.store = store
    httpd.token = base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("=")
    httpd.log = open(os.path.join(state_dir, "server.log"), "a")
    port = httpd.server_address[1]
    controller = Controller(store, delay=args.ready_delay, operator_deployment=args.operator_deployment,
                            log=httpd.log)
    threading.Thread(target=controller.run, daemon=True).start()

    with open(os.path.join(state_dir, "port"), "w") as handle:
        handle.write(str(port))
    with open(os.path.join(state_dir, "pid"), "w") as handle:
        handle.write(str(os.getpid()))
    document = kubeconfig_document("https://{0}:{1}".format(args.host, port), cert_pem, httpd.token)
    kubeconfig_path = os.path.join(state_dir, "kubeconfig")
    tmp = kubeconfig_path + ".tmp"
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
        yaml.safe_dump(document, handle, default_flow_style=False)
    os.rename(tmp, kubeconfig_path)
    return httpd, controller


def main(argv=None):
    args = parse_args(argv)
    state_dir = os.path.abspath(args.state_dir)
    os.makedirs(state_dir, exist_ok=True)
    for stale in ("kubeconfig", "pid", "port"):
        if os.path.exists(os.path.join(state_dir, stale)):
            os.unlink(os.path.join(state_dir, stale))

    notify = None
    if args.background:
        code, notify = detach()
        if notify is None:
            return code
    try:
        httpd, controller = start_server(args, state_dir)
    except Exception as exc:
        if notify:
            notify.write(repr(exc))
            notify.close()
        raise
    if notify:
        notify.write("ready")
        notify.close()

    signal.signal(signal.SIGTERM, lambda *_unused: threading.Thread(target=httpd.shutdown).start())
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        controller.stop_event.set()
        for stale in ("pid", "port"):
            path = os.path.join(state_dir, stale)
            if os.path.exists(path):
                os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
