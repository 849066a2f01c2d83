"""The profile JSON Schema accepts exactly what kfgen accepts, in every tool that reads it.

A table of good and bad profiles is checked by (a) Python jsonschema with the committed
schemas/profile.schema.json, (b) the ``check-jsonschema`` CLI, (c) a real yaml-language-server (npm; the
editors' validator) driven headless over LSP stdio, and (d) kfgen itself (load + validate, with the parent
profile of an ``extends`` case in the same profiles directory). Every verdict must agree, and a bad profile's
errors must name the real mistake (the param, the key, the typo), not "does not match any of oneOf".

Rules only kfgen can check (it sees the parent profile, the other fields, the cluster's GPUs) are in
KNOWN_DIFFERENCES with the reason: there the schema tools accept and kfgen refuses, and the tests pin that.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import ROOT

from kfgen.actions import Workspace
from kfgen.errors import KfgenError
from kfgen.profile import load_profile, validate_profile
from kfgen.prototypes.base import prototypes
from kfgen.render.pipeline import render_profile

SCHEMA_FILE = ROOT / "schemas" / "profile.schema.json"
YAML_LANGUAGE_SERVER = "yaml-language-server@1.19.2"  # 2.x needs Node >= 22
NODE_CACHE = Path(os.environ.get("KFGEN_NODE_CACHE", Path.home() / ".cache" / "kfgen" / "node"))


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    valid: bool
    mistake: str = ""  # a bad case: what every tool's errors must name
    parent: str | None = None  # profiles/base.yaml, for `extends: base`
    stage: str = "validate"  # where kfgen refuses a known difference: "validate" or "render"
    reason: str = ""  # a known difference: why the schema cannot see it


BASE = """\
namespace: kf
cluster:
  nodes:
    - {name: gpu-node, gpus: 1}
components:
  core:
    prototype: core
    params:
      reportUsage: false
      jupyterHubServiceType: NodePort
  job:
    prototype: tf-job
    params:
      image: img:1
      num_workers: 1
"""

CASES = [
    Case("full-profile", BASE, True),
    Case("bare-namespace", "namespace: kf\n", True),
    Case("extends-partial-override", "extends: base\ncomponents:\n  core:\n    params:\n"
                                     "      jupyterHubServiceType: ClusterIP\n", True, parent=BASE),
    Case("extends-null-removes-instance", "extends: base\ncomponents:\n  job: null\n", True, parent=BASE),
    Case("extends-null-removes-param", "extends: base\ncomponents:\n  core:\n    params:\n"
                                       "      jupyterHubServiceType: null\n", True, parent=BASE),
    Case("extends-partial-with-prototype", "extends: base\ncomponents:\n  job:\n    prototype: tf-job\n"
                                           "    params:\n      args: [--steps=10]\n", True, parent=BASE),
    Case("extends-new-instance", "extends: base\ncomponents:\n  serve:\n    prototype: tf-serving\n"
                                 "    params:\n      modelPath: /m\n", True, parent=BASE),
    Case("extends-top-level-override", "extends: base\nnamespace: other\ndescription: a child\n", True,
         parent=BASE),
    Case("prototype-typo", "components:\n  job:\n    prototype: tf-jobb\n", False, "tf-jobb"),
    Case("unknown-param", "components:\n  core:\n    prototype: core\n    params:\n      bogusParam: 1\n",
         False, "bogusParam"),
    Case("wrong-type", "components:\n  core:\n    prototype: core\n    params:\n      reportUsage: 'true'\n",
         False, "reportUsage"),
    Case("unknown-top-level-field", "namespce: kf\n", False, "namespce"),
    Case("bad-enum", "components:\n  core:\n    prototype: core\n    params:\n"
                     "      jupyterHubServiceType: LoadBalancr\n", False, "LoadBalancr"),
    Case("missing-required-param", "components:\n  job:\n    prototype: tf-job\n    params:\n"
                                   "      num_workers: 1\n", False, "image"),
    Case("missing-prototype", "components:\n  core:\n    params:\n      reportUsage: false\n", False, "prototype"),
    Case("null-param-without-extends", "components:\n  core:\n    prototype: core\n    params:\n"
                                       "      reportUsage: null\n", False, "reportUsage"),
    Case("bad-instance-name", "components:\n  Core_1:\n    prototype: core\n", False, "Core_1"),
    Case("unknown-component-field", "components:\n  core:\n    prototype: core\n    paramz: {}\n", False, "paramz"),
    Case("extends-unknown-param-inherited", "extends: base\ncomponents:\n  core:\n    params:\n"
                                            "      bogusParam: 1\n", False, "bogusParam", parent=BASE),
    Case("extends-wrong-type-with-prototype", "extends: base\ncomponents:\n  core:\n    prototype: core\n"
                                              "    params:\n      reportUsage: 'true'\n", False, "reportUsage",
         parent=BASE),
    Case("extends-prototype-null", "extends: base\ncomponents:\n  core:\n    prototype: null\n", False,
         "prototype", parent=BASE),
    Case("extends-bad-name", "extends: Base\n", False, "Base", parent=BASE),
    Case("extends-unknown-top-level-field", "extends: base\nnamespce: kf\n", False, "namespce", parent=BASE),
]

KNOWN_DIFFERENCES = [
    Case("new-instance-without-prototype", "extends: base\ncomponents:\n  extra:\n    params:\n"
                                           "      reportUsage: false\n", False, parent=BASE,
         reason="under extends an instance may leave out its prototype (inherited); whether the parent has "
                "the instance is known only to kfgen, which reads the parent"),
    Case("inherited-instance-param-of-another-prototype", "extends: base\ncomponents:\n  core:\n    params:\n"
                                                          "      modelPath: /m\n", False, parent=BASE,
         reason="an inherited instance's prototype is in the parent: the schema checks its params' names "
                "against every prototype's, kfgen against its own prototype's"),
    Case("extends-removes-required-param", "extends: base\ncomponents:\n  job:\n    params:\n      image: null\n",
         False, parent=BASE, reason="null removes a param; whether the merged instance still has every required "
                                    "param depends on the parent"),
    Case("extends-missing-parent", "extends: nobody\n", False, parent=BASE,
         reason="which profiles exist is not in the schema"),
    Case("duplicate-node-names", "cluster:\n  nodes:\n    - {name: a}\n    - {name: a}\n", False,
         reason="unique names in a list of objects (uniqueItems compares whole items): a cross-item rule"),
    Case("unsupported-kubernetes-version", "kubernetesVersion: '1.20'\n", False,
         reason="the supported versions are the installed kubernetes-validate's schema sets, not a constant the "
                "committed schema could carry"),
    Case("gpu-budget", "cluster:\n  nodes:\n    - {name: n, gpus: 1}\ncomponents:\n  job:\n    prototype: tf-job\n"
                       "    params:\n      image: img:1\n      num_workers: 1\n      num_gpus: 2\n", False,
         stage="render", reason="GPUs per pod against the cluster's nodes: a cross-field rule checked at render"),
]


def _write(root: Path, case: Case) -> Path:
    """profiles/<id>.yaml (with the editor's schema comment) and the parent base.yaml; the child's path."""
    profiles = root / case.id / "profiles"
    profiles.mkdir(parents=True)
    if case.parent is not None:
        (profiles / "base.yaml").write_text(case.parent)
    path = profiles / f"{case.id}.yaml"
    path.write_text(f"# yaml-language-server: $schema={SCHEMA_FILE.as_uri()}\n{case.text}")
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("schema-tools")
    return {case.id: _write(root, case) for case in CASES + KNOWN_DIFFERENCES}


def kfgen_errors(path: Path, stage: str = "validate") -> list[str]:
    """kfgen's verdict on the profile at *path*: its problems, empty when it accepts the profile."""
    try:
        if stage == "render":
            render_profile(Workspace(path.parent, path.parent.parent / "out").load(path.stem))
        else:
            validate_profile(load_profile(path.parent, path.stem))
    except KfgenError as exc:
        return [p.format() for p in exc.problems]
    return []


def jsonschema_errors(paths: dict[str, Path]) -> dict[str, list[str]]:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))
    out = {}
    for key, path in paths.items():
        best = jsonschema.exceptions.best_match(validator.iter_errors(yaml.safe_load(path.read_text())))
        out[key] = [] if best is None else [f"{best.json_path}: {best.message}"]
    return out


def check_jsonschema_errors(paths: dict[str, Path]) -> dict[str, list[str]]:
    exe = shutil.which("check-jsonschema", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    if exe is None:
        pytest.skip("check-jsonschema is not installed (it is in the `test` extra: run scripts/setup.sh)")
    proc = subprocess.run([exe, "--schemafile", str(SCHEMA_FILE), "-o", "json", *map(str, paths.values())],
                          capture_output=True, text=True, timeout=120)
    report = json.loads(proc.stdout)
    assert not report["parse_errors"], report["parse_errors"]
    out: dict[str, list[str]] = {key: [] for key in paths}
    by_file = {str(path): key for key, path in paths.items()}
    for err in report["errors"]:
        out[by_file[err["filename"]]].append(f"{err['path']}: {err['message']}")
    assert (proc.returncode == 0) == (not report["errors"]), proc.stderr
    return out


# --- yaml-language-server, headless over LSP stdio -------------------------------------------------------


def yaml_language_server() -> Path:
    """The server's entry point, installed with npm into NODE_CACHE (outside the repository) on first use."""
    entry = NODE_CACHE / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
    package = NODE_CACHE / "node_modules" / "yaml-language-server" / "package.json"
    want = YAML_LANGUAGE_SERVER.rsplit("@", 1)[1]
    if package.is_file() and json.loads(package.read_text())["version"] == want and entry.is_file():
        return entry
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("npm/node not found: the yaml-language-server comparison needs Node.js")
    NODE_CACHE.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["npm", "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(NODE_CACHE),
                           YAML_LANGUAGE_SERVER], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 or not entry.is_file():
        pytest.skip(f"npm install {YAML_LANGUAGE_SERVER} failed: {proc.stderr.strip()[-400:]}")
    return entry


class _Lsp:
    """A minimal LSP client: Content-Length framed JSON-RPC over the server's stdin/stdout."""

    def __init__(self, entry: Path, settings: dict):
        self.settings = settings
        self.proc = subprocess.Popen(["node", str(entry), "--stdio"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.buf = b""

    def send(self, **msg: object) -> None:
        body = json.dumps({"jsonrpc": "2.0", **msg}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%b" % (len(body), body))
        self.proc.stdin.flush()

    def receive(self, timeout: float) -> dict | None:
        assert self.proc.stdout is not None
        end = time.monotonic() + timeout
        while True:
            head, sep, rest = self.buf.partition(b"\r\n\r\n")
            if sep:
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                if len(rest) >= length:
                    self.buf = rest[length:]
                    return json.loads(rest[:length])  # type: ignore[no-any-return]
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                return None
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                return None
            self.buf += chunk

    def answer(self, msg: dict) -> None:
        """Reply to a request from the server (configuration: the settings; anything else: null)."""
        result: object = None
        if msg["method"] == "workspace/configuration":
            result = []
            for item in msg["params"].get("items", []):
                value: object = self.settings
                for part in (item.get("section") or "").split(".") if item.get("section") else []:
                    value = value.get(part) if isinstance(value, dict) else None
                result.append(value)  # type: ignore[attr-defined]
        self.send(id=msg["id"], result=result)

    def close(self) -> None:
        self.send(id=2, method="shutdown")
        self.send(method="exit")
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def yaml_language_server_errors(paths: dict[str, Path]) -> dict[str, list[str]]:
    """The editor's diagnostics for each file (opened as a YAML document with the schema comment)."""
    settings = {"yaml": {"validate": True, "schemaStore": {"enable": False}}}
    lsp = _Lsp(yaml_language_server(), settings)
    try:
        lsp.send(id=1, method="initialize", params={"processId": os.getpid(), "rootUri": None,
                                                    "capabilities": {"workspace": {"configuration": True}}})
        while (msg := lsp.receive(60)) is not None and msg.get("id") != 1:
            pass
        assert msg is not None, "yaml-language-server did not answer initialize"
        lsp.send(method="initialized", params={})
        lsp.send(method="workspace/didChangeConfiguration", params={"settings": settings})
        texts = {path.as_uri(): path.read_text() for path in paths.values()}
        for uri, text in texts.items():
            lsp.send(method="textDocument/didOpen",
                     params={"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}})
        diagnostics: dict[str, list[dict]] = {}
        # every document gets its diagnostics; then a quiet second (a later, final publish replaces the first)
        while (msg := lsp.receive(1 if len(diagnostics) == len(texts) else 60)) is not None:
            if "id" in msg and "method" in msg:
                lsp.answer(msg)
            elif msg.get("method") == "textDocument/publishDiagnostics":
                diagnostics[msg["params"]["uri"]] = msg["params"]["diagnostics"]
        assert set(diagnostics) == set(texts), "yaml-language-server left documents without diagnostics"
    finally:
        lsp.close()
    out = {}
    for key, path in paths.items():
        lines = texts[path.as_uri()].splitlines()
        found = []
        for d in diagnostics[path.as_uri()]:
            start, end = d["range"]["start"], d["range"]["end"]
            token = lines[start["line"]][start["character"]:end["character"]] if start["line"] == end["line"] else ""
            found.append(f"{d.get('source', '')} at {token!r}: {d['message']}")
        out[key] = found
    return out


TOOLS = {"jsonschema": jsonschema_errors, "check-jsonschema": check_jsonschema_errors,
         "yaml-language-server": yaml_language_server_errors}


@pytest.fixture(scope="module")
def verdicts(files: dict[str, Path]) -> dict[str, dict[str, list[str]]]:
    """tool -> case id -> the tool's errors (empty: valid); tools are run once over every case."""
    return {}


def _tool_errors(verdicts: dict, name: str, files: dict[str, Path]) -> dict[str, list[str]]:
    if name not in verdicts:
        verdicts[name] = TOOLS[name](files)
    return verdicts[name]  # type: ignore[no-any-return]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_kfgen_verdict_is_the_tables(case: Case, files: dict[str, Path]) -> None:
    errors = kfgen_errors(files[case.id])
    assert (not errors) == case.valid, errors
    assert case.valid or any(case.mistake in e for e in errors), errors


@pytest.mark.parametrize("tool", TOOLS)
def test_schema_tools_agree_with_kfgen(tool: str, files: dict[str, Path], verdicts: dict) -> None:
    found = _tool_errors(verdicts, tool, files)
    disagree = []
    for case in CASES:
        errors, kfgen = found[case.id], kfgen_errors(files[case.id])
        if (not errors) != (not kfgen):
            disagree.append(f"{case.id}: {tool} {'accepts' if not errors else 'refuses'}, kfgen "
                            f"{'accepts' if not kfgen else 'refuses'}: {errors or kfgen}")
        elif errors and not any(case.mistake in e for e in errors):
            disagree.append(f"{case.id}: {tool}'s errors do not name {case.mistake!r}: {errors}")
    assert not disagree, "\n".join(disagree)


@pytest.mark.parametrize("tool", TOOLS)
def test_known_differences_are_kfgens_alone(tool: str, files: dict[str, Path], verdicts: dict) -> None:
    """Rules the schema cannot express: every schema tool accepts, kfgen refuses (and says why)."""
    found = _tool_errors(verdicts, tool, files)
    for case in KNOWN_DIFFERENCES:
        assert case.reason
        assert found[case.id] == [], f"{case.id}: {tool} now refuses it: move it into CASES: {found[case.id]}"
        assert kfgen_errors(files[case.id], case.stage), f"{case.id}: kfgen accepts it"


def test_schema_shape_points_editors_at_the_real_mistake() -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    text = SCHEMA_FILE.read_text()
    assert '"oneOf"' not in text and '"discriminator"' not in text
    comp = schema["$defs"]["Component"]
    assert comp["properties"]["prototype"]["enum"] == sorted(prototypes())
    assert [b["if"]["properties"]["prototype"]["const"] for b in comp["allOf"]] == sorted(prototypes())
    assert schema["$defs"]["Profile"]["additionalProperties"] is False
    assert comp["additionalProperties"] is False
    core = schema["$defs"]["CoreParams"]
    assert core["additionalProperties"] is False
    assert core["properties"]["jupyterHubServiceType"]["title"] == "jupyterHubServiceType"

    def titles(node: object) -> None:  # every property, anywhere, is titled with its own name
        if isinstance(node, dict):
            for name, prop in node.get("properties", {}).items():
                assert "title" not in prop or prop["title"] == name, (name, prop["title"])
            for value in node.values():
                titles(value)
        elif isinstance(node, list):
            for value in node:
                titles(value)

    titles(schema)
