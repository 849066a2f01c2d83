"""Reading a ksonnet app directory (ksonnet 0.9–0.11 layout) without running ksonnet.

What is read: ``app.yaml`` (its ``environments``; ksonnet 0.9 kept them in
``environments/<env>/spec.json`` instead), the component files in ``components/`` (only to see which
vendored library each one imports), the headers of the vendored prototypes
(``vendor/<registry>/<package>/prototypes/*.jsonnet``: ``@name``, ``@param``, ``@optionalParam`` and their
imports) and the params: ``environments/<env>/params.libsonnet`` (which imports
``components/params.libsonnet`` or reads it through ``std.extVar("__ksonnet/params")``), evaluated with the
jsonnet library. Nothing else is evaluated: no component, no vendored or ``lib/`` code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kfgen.errors import KfgenError, Problem, did_you_mean

#: files and folders of the app that params files may not import (library code is never evaluated)
NOT_EVALUATED = ("vendor", "lib", ".ksonnet")
_IMPORT = re.compile(r"""\bimport(?:str)?\s+(["'])([^"']+)\1""")
_HEADER = re.compile(r"^\s*//\s*@(\w+)\s+(.*?)\s*$")


def _problem(message: str, **kw: Any) -> KfgenError:
    return KfgenError(Problem(message, **kw))


@dataclass(frozen=True)
class Environment:
    name: str
    path: str  # under environments/
    namespace: str
    server: str
    k8s_version: str | None  # as ksonnet recorded it, e.g. "v1.9.6"; ksonnet 0.9 kept none


@dataclass(frozen=True)
class KsParam:
    name: str
    type: str
    default: str | None  # None: a required @param


@dataclass(frozen=True)
class KsPrototype:
    """A vendored prototype's header (``// @name io.ksonnet.pkg.x``, its params) and what it imports."""

    name: str
    file: str  # relative to the app
    params: dict[str, KsParam]
    libraries: frozenset[str]


@dataclass(frozen=True)
class Component:
    name: str
    file: str  # relative to the app
    libraries: frozenset[str] = frozenset()  # vendored libraries it imports, e.g. kubeflow/core/all.libsonnet
    header_name: str | None = None  # a "// @name" line, when the file kept the prototype's header
    manifest: bool = False  # a .yaml/.json component: plain objects, no prototype


@dataclass
class App:
    root: Path
    name: str
    environments: dict[str, Environment]
    components: dict[str, Component]
    prototypes: list[KsPrototype] = field(default_factory=list)

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def params(self, env: Environment) -> tuple[dict[str, Any], str]:
        """The components' params in *env* (the ``components`` object of its params.libsonnet), and the
        file they were read from. Globals merged into components by the params file are included."""
        base_file = self.root / "components" / "params.libsonnet"
        if not base_file.is_file():
            raise _problem(f"{self.rel(base_file)} is missing: it holds the components' params",
                           hint="is this a ksonnet app made with 'ks init'?")
        ksenv = json.dumps({"name": env.name, "namespace": env.namespace, "server": env.server})
        base = self._evaluate(base_file, {"__ksonnet/environments": ksenv})
        env_file = self.root / "environments" / env.path / "params.libsonnet"
        if env_file.is_file():
            data = self._evaluate(env_file, {"__ksonnet/environments": ksenv, "__ksonnet/params": json.dumps(base)})
            source = env_file
        else:
            data, source = base, base_file
        comps = data.get("components") if isinstance(data, dict) else None
        if not isinstance(comps, dict) or not all(isinstance(v, dict) for v in comps.values()):
            raise _problem(f"{self.rel(source)} does not evaluate to {{components: {{<component>: {{...}}}}}}",
                           found=type(comps).__name__)
        return comps, self.rel(source)

    def _evaluate(self, file: Path, ext_codes: dict[str, str]) -> Any:
        import _jsonnet

        root = self.root.resolve()

        def load(base: str, rel: str) -> tuple[str, bytes]:
            target = (Path(base) / rel).resolve()
            if not target.is_relative_to(root):
                raise RuntimeError(f"'{rel}' is outside the app; kfgen import evaluates params files only")
            inside = target.relative_to(root)
            if inside.parts and inside.parts[0] in NOT_EVALUATED:
                raise RuntimeError(f"'{rel}' is library code ({inside}), which kfgen import does not evaluate")
            if not target.is_file():
                raise RuntimeError(f"no file {inside}")
            return str(target), target.read_bytes()

        try:
            return json.loads(_jsonnet.evaluate_file(str(file), import_callback=load, ext_codes=ext_codes))
        except RuntimeError as exc:
            raise _problem(f"cannot evaluate {self.rel(file)}: {_jsonnet_reason(str(exc), root)}") from None


def _jsonnet_reason(text: str, root: Path) -> str:
    """jsonnet's message on one line: the first line, plus where (its first stack frame), paths relative."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    reason = lines[0] if lines else "jsonnet failed"
    if len(lines) > 1 and not reason.startswith("STATIC ERROR"):
        reason += f" (at {lines[1].split()[0]})"
    return reason.replace(f"{root}/", "")


def _read_yaml(path: Path, app_root: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _problem(f"cannot read {path.relative_to(app_root)}: {reason}") from None


def _environments(root: Path, spec: dict[str, Any]) -> dict[str, Environment]:
    envs: dict[str, Environment] = {}
    # ksonnet 0.9: environments/<env>/spec.json ({"server": ..., "namespace": ...})
    env_dir = root / "environments"
    for spec_file in sorted(env_dir.rglob("spec.json")) if env_dir.is_dir() else []:
        path = str(spec_file.parent.relative_to(env_dir))
        try:
            data = json.loads(spec_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise _problem(f"cannot read {spec_file.relative_to(root)}: {exc}") from None
        envs[path] = Environment(path, path, str(data.get("namespace") or "default"), str(data.get("server") or ""),
                                 None)
    # ksonnet 0.10/0.11: app.yaml environments (they win over a spec.json of the same name)
    declared = spec.get("environments") or {}
    if not isinstance(declared, dict):
        raise _problem("app.yaml: 'environments' is not a mapping", found=type(declared).__name__)
    for name, env in declared.items():
        env = env or {}
        dest = env.get("destination") or {}
        envs[str(name)] = Environment(str(name), str(env.get("path") or name), str(dest.get("namespace") or "default"),
                                      str(dest.get("server") or ""),
                                      str(env["k8sVersion"]) if env.get("k8sVersion") else None)
    return envs


def _libraries(text: str) -> frozenset[str]:
    """Vendored libraries a jsonnet file imports: 'kubeflow/core/all.libsonnet', not k.libsonnet or './x'."""
    return frozenset(m.group(2) for m in _IMPORT.finditer(text) if "/" in m.group(2)
                     and not m.group(2).startswith((".", "/", "param://")))


def _header(text: str) -> tuple[str | None, dict[str, KsParam]]:
    name, params = None, {}
    for line in text.splitlines():
        m = _HEADER.match(line)
        if not m:
            continue
        tag, rest = m.group(1), m.group(2).split()
        if tag == "name" and rest:
            name = rest[0]
        elif tag == "param" and len(rest) >= 2:
            params[rest[0]] = KsParam(rest[0], rest[1], None)
        elif tag.lower() == "optionalparam" and len(rest) >= 3:
            params[rest[0]] = KsParam(rest[0], rest[1], rest[2])
    return name, params


def _components(root: Path) -> dict[str, Component]:
    comp_dir = root / "components"
    found: dict[str, Component] = {}
    for path in sorted(comp_dir.iterdir()) if comp_dir.is_dir() else []:
        rel = str(path.relative_to(root))
        if path.suffix == ".jsonnet":
            text = path.read_text(encoding="utf-8")
            found[path.stem] = Component(path.stem, rel, _libraries(text), _header(text)[0])
        elif path.suffix in (".yaml", ".yml", ".json"):
            found[path.stem] = Component(path.stem, rel, manifest=True)
    return found


def _vendored(root: Path) -> list[KsPrototype]:
    vendor = root / "vendor"
    out = []
    for path in sorted(vendor.glob("**/prototypes/*.jsonnet")) if vendor.is_dir() else []:
        text = path.read_text(encoding="utf-8")
        name, params = _header(text)
        if name:
            out.append(KsPrototype(name, str(path.relative_to(root)), params, _libraries(text)))
    return out


def read_app(root: Path) -> App:
    """The app at *root*: its environments, components and vendored prototype headers (params are read
    per environment by :meth:`App.params`)."""
    if not root.is_dir():
        raise _problem(f"{root} is not a directory", hint="give the directory of a ksonnet app (the one with app.yaml)")
    app_yaml = root / "app.yaml"
    if not app_yaml.is_file():
        raise _problem(f"{app_yaml} is missing: {root} is not a ksonnet app",
                       hint="give the directory 'ks init' created (it holds app.yaml, components/, environments/)")
    spec = _read_yaml(app_yaml, root)
    if not isinstance(spec, dict):
        raise _problem(f"{app_yaml}: expected a mapping (apiVersion, kind, name, environments ...)",
                       found=type(spec).__name__)
    envs = _environments(root, spec)
    if not envs:
        raise _problem(f"{root} has no environments (none in app.yaml, no environments/*/spec.json)",
                       hint="ksonnet apps get one with 'ks env add'")
    return App(root, str(spec.get("name") or root.name), envs, _components(root), _vendored(root))


def select_environments(app: App, env: str | None) -> list[Environment]:
    if env is None:
        return list(app.environments.values())
    if env not in app.environments:
        raise _problem(f"unknown environment '{env}' in {app.root}", expected="one of: " + ", ".join(app.environments),
                       found=repr(env), hint=did_you_mean(env, list(app.environments)))
    return [app.environments[env]]
