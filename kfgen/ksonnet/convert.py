"""``kfgen import``: one profile per ksonnet environment, with the same components and params.

Each component is matched to the vendored prototype it was generated from (by the libraries its file
imports, ties broken by its params), and that prototype to kfgen's by ``Prototype.ksonnet``. Params are
translated by the kfgen param's type (ksonnet kept "true", "3" and "null" as strings); a param still at
the ksonnet prototype's declared default is left to kfgen's default (ksonnet's 2018 images are gone);
``name`` becomes the instance name and ``namespace`` the component's namespace. Retired params, params
without a kfgen counterpart and components kfgen cannot render are reported, never dropped silently. A
namespace whose pods need a lower Pod Security level (core: baseline) gets its ``podSecurity`` entry, as
``kfgen generate`` adds it (:mod:`kfgen.edit.pod_security`). Every profile is validated before any file is written.
"""

from __future__ import annotations

import math
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kfgen.edit import pod_security
from kfgen.edit.pod_security import Entry
from kfgen.errors import KfgenError, Problem
from kfgen.ksonnet.app import App, Component, Environment, KsPrototype, read_app, select_environments
from kfgen.kube.constants import DEFAULT_KUBERNETES_VERSION, DNS_LABEL_MAX, DNS_LABEL_PATTERN
from kfgen.output.files import write_file
from kfgen.output.yaml import to_yaml
from kfgen.profile import LoadedProfile, SourceMap, display, profile_path, validate_profile
from kfgen.prototypes.base import Prototype, prototypes

_DNS_LABEL = re.compile(DNS_LABEL_PATTERN)

#: Params ksonnet accepted and ignored unless another param had a value, which kfgen refuses (a setting
#: nothing uses): kfgen prototype -> param -> (the param it depends on, the value that makes it count).
#: When the other param has another value, the import leaves it out and says so.
ONLY_WITH: dict[str, dict[str, tuple[str, Any]]] = {
    "core": {"usageId": ("reportUsage", True)},
}
#: kfgen prototypes that render TFJobs (for the operator's scope, see _operator_scope)
TFJOB_PROTOTYPES = ("tf-job", "tf-cnn")


@dataclass(frozen=True)
class Retired:
    component: str
    param: str
    value: Any
    reason: str  # Prototype.retired's text: why, and what to use instead


@dataclass(frozen=True)
class Skipped:
    component: str
    reason: str


@dataclass
class Mapped:
    component: str  # ksonnet's
    instance: str  # kfgen's (ksonnet's name param, which named the objects)
    prototype: str  # kfgen's
    ksonnet: str  # io.ksonnet.pkg.…
    params: dict[str, Any]  # written to the profile
    defaults: list[str] = field(default_factory=list)  # ksonnet params at the prototype's default: kfgen's applies
    # those of them whose kfgen default is not ksonnet's (2018 images, usageId …): param -> (ksonnet's, kfgen's)
    new_defaults: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass
class EnvImport:
    env: str
    profile: str
    path: Path
    namespace: str
    source: str  # the params file read, relative to the app
    components: list[Mapped] = field(default_factory=list)
    retired: list[Retired] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    text: str = ""


@dataclass
class ImportResult:
    app: str
    environments: list[EnvImport]
    schema: Path | None = None  # the profile JSON Schema written beside profiles/ (None: it was there)


class _Unset(Exception):
    """A ksonnet value meaning "not set" ("null") for a kfgen param that has no null: kfgen's default applies."""


def _accepted(annotation: Any) -> set[Any]:
    """The kinds of value a params field takes: str, bool, int, float, list, dict, NoneType."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _accepted(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return set().union(*(_accepted(a) for a in typing.get_args(annotation)))
    if origin is typing.Literal:
        return {type(v) for v in typing.get_args(annotation)}
    if origin in (list, tuple, set):
        return {list}
    if origin is dict or (isinstance(annotation, type) and not issubclass(annotation, (str, bool, int, float, list))
                          and annotation is not type(None)):
        return {dict}
    return {origin or annotation}


def convert(annotation: Any, value: Any) -> Any:
    """One ksonnet param value as the kfgen param's type takes it. Raises ValueError when it cannot say."""
    ok = _accepted(annotation)
    if value is None or value == "null":
        if type(None) in ok:
            return None
        raise _Unset
    if isinstance(value, bool):
        if bool in ok:
            return value
        if str in ok:
            return "true" if value else "false"
    elif isinstance(value, (int, float)):
        if int in ok and float(value).is_integer():
            return int(value)
        if float in ok and math.isfinite(value):
            return float(value)
        if str in ok:
            return str(int(value)) if float(value).is_integer() else str(value)
    elif isinstance(value, str):
        if str in ok:
            return value
        if bool in ok and value in ("true", "false"):
            return value == "true"
        if int in ok and re.fullmatch(r"-?[0-9]+", value.strip()):
            return int(value)
        if float in ok and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value.strip()):
            return float(value)
        if list in ok:  # ksonnet's comma-separated lists
            return [item.strip() for item in value.split(",") if item.strip()]
    elif isinstance(value, list) and list in ok:
        return value
    elif isinstance(value, dict) and dict in ok:
        return value
    raise ValueError(f"cannot read {value!r} as {annotation}")


def at_default(ks: KsPrototype | None, name: str, value: Any) -> bool:
    """Whether *value* is what the ksonnet prototype declared as the param's default (``ks generate``
    wrote every declared param into params.libsonnet, set or not)."""
    param = ks.params.get(name) if ks else None
    if param is None or param.default is None:
        return False
    default = param.default
    if value is None:
        return default == "null"
    if isinstance(value, bool):
        return default == ("true" if value else "false")
    if isinstance(value, (int, float)):
        try:
            return float(default) == float(value)
        except ValueError:
            return False
    return str(value) == default


def _differs(info: Any, value: Any) -> bool:
    """Whether kfgen's default of a param (pydantic FieldInfo *info*) is not ksonnet's default *value*."""
    if info.is_required():
        return True
    try:
        return convert(info.annotation, value) != info.get_default(call_default_factory=True)
    except _Unset:  # ksonnet's "null": not set, as kfgen's default is
        return False
    except ValueError:
        return True


def identify(comp: Component, vendored: list[KsPrototype], params: dict[str, Any]) -> tuple[KsPrototype | None, str]:
    """The vendored prototype *comp* was generated from, or None and why not."""
    if comp.header_name:
        named = [p for p in vendored if p.name == comp.header_name]
        return (named[0], "") if named else (KsPrototype(comp.header_name, comp.file, {}, comp.libraries), "")
    if not comp.libraries:
        return None, "imports no vendored library: a hand-written component, not an instance of a prototype"
    found = [p for p in vendored if p.libraries and p.libraries <= comp.libraries]
    if len(found) > 1:  # e.g. tf-job and tf-cnn both import kubeflow/tf-job/tf-job.libsonnet: the params tell
        def score(p: KsPrototype) -> int:
            return len(p.params.keys() & params.keys()) - len(params.keys() - p.params.keys())

        best = max(map(score, found))
        found = [p for p in found if score(p) == best]
    if len(found) == 1:
        return found[0], ""
    libs = ", ".join(sorted(comp.libraries))
    if not found:
        return None, f"imports {libs}, which no prototype under vendor/ imports (is vendor/ complete?)"
    return None, f"imports {libs}: could be any of {', '.join(p.name for p in found)}"


def _instance_name(comp: Component, params: dict[str, Any]) -> str | None:
    for cand in (params.get("name"), comp.name):
        if isinstance(cand, str) and len(cand) <= DNS_LABEL_MAX and _DNS_LABEL.fullmatch(cand):
            return cand
    return None


def _profile_name(env: str) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", env.lower()).strip("-")[:DNS_LABEL_MAX].strip("-")
    return name or "default"


def translate(app: App, env: Environment, profiles_dir: Path) -> tuple[EnvImport, dict[str, Any], list[Problem]]:
    """One environment as profile data, with everything the user should hear about it."""
    comps, source = app.params(env)
    by_ksonnet: dict[str, Prototype] = {p.ksonnet: p for p in prototypes().values() if p.ksonnet}
    name = _profile_name(env.name)
    result = EnvImport(env.name, name, profile_path(profiles_dir, name), env.namespace, source)
    if name != env.name:
        result.notes.append(f"environment '{env.name}' is profile '{name}' (profile names are DNS labels)")
    if env.k8s_version:
        result.notes.append(f"ksonnet targeted Kubernetes {env.k8s_version}; the profile renders for "
                            f"{DEFAULT_KUBERNETES_VERSION} (today's API versions)")
    problems: list[Problem] = []
    components: dict[str, Any] = {}
    where = f"{app.rel(app.root / 'components')}/"
    for cname in sorted(comps.keys() - app.components.keys()):
        result.skipped.append(Skipped(cname, f"has params in {source} but no file in {where}"))
    for cname, comp in app.components.items():
        params = comps.get(cname, {})
        if comp.manifest:
            result.skipped.append(Skipped(cname, f"{comp.file} is plain Kubernetes objects, not a prototype instance: "
                                                 f"copy it to {display(profiles_dir)}/manifests/{Path(comp.file).name} "
                                                 f"and add an instance of the manifests prototype: 'kfgen generate "
                                                 f"manifests {cname} -p {name} --param files=[manifests/"
                                                 f"{Path(comp.file).name}]'"))
            continue
        ks, why = identify(comp, app.prototypes, params)
        if ks is None:
            result.skipped.append(Skipped(cname, why))
            continue
        proto = by_ksonnet.get(ks.name)
        if proto is None:
            known = ", ".join(sorted(by_ksonnet))
            result.skipped.append(Skipped(cname, f"prototype {ks.name} ({ks.file}): kfgen has no prototype for it "
                                                 f"(kfgen replaces {known})"))
            continue
        instance = _instance_name(comp, params)
        if instance is None:
            result.skipped.append(Skipped(cname, f"neither its name param {params.get('name')!r} nor the component "
                                                 "name is a DNS label, which kfgen instance names must be"))
            continue
        if instance in components:
            problems.append(Problem(f"components '{cname}' and another both render instance '{instance}' "
                                    "(their name param)", file=source, hint="give one of them another name"))
            continue
        mapped = Mapped(cname, instance, proto.name, ks.name, {})
        if instance != cname:
            result.notes.append(f"component '{cname}' is instance '{instance}' (its name param names the objects)")
        fields = proto.params.model_fields
        comp_data: dict[str, Any] = {"prototype": proto.name}
        for key, value in sorted(params.items()):
            if key == "name":
                continue
            if key == "namespace":
                if value not in (None, "null", env.namespace):
                    comp_data["namespace"] = value
                continue
            if key in proto.retired:
                if at_default(ks, key, value):
                    mapped.defaults.append(key)
                else:
                    result.retired.append(Retired(cname, key, value, proto.retired[key]))
                continue
            if at_default(ks, key, value):
                mapped.defaults.append(key)
                if key in fields and _differs(fields[key], value):
                    mapped.new_defaults[key] = (value, fields[key].get_default(call_default_factory=True))
                continue
            if key not in fields:
                result.notes.append(f"{cname}.{key} = {value!r} is not carried over: {proto.name} has no such param "
                                    f"(see 'kfgen params {proto.name}')")
                continue
            try:
                mapped.params[key] = convert(fields[key].annotation, value)
            except _Unset:
                mapped.defaults.append(key)
            except ValueError as exc:
                problems.append(Problem(f"component '{cname}' param {key}: {exc}", file=source,
                                        hint=f"see 'kfgen params {proto.name}'"))
        for key, (other, needed) in ONLY_WITH.get(proto.name, {}).items():
            if key in mapped.params and mapped.params.get(other, fields[other].default) != needed:
                result.notes.append(f"{cname}.{key} = {mapped.params.pop(key)!r} is left out: it only counts with "
                                    f"{other}: {to_yaml(needed).strip()}, and kfgen refuses a setting nothing uses")
        if mapped.params:
            comp_data["params"] = mapped.params
        components[instance] = comp_data
        result.components.append(mapped)
    _operator_scope(components, env.namespace, result)
    _exposed_hub(components, result)
    data = {"description": f"Imported from ksonnet app '{app.name}', environment '{env.name}'",
            "namespace": env.namespace, "kubernetesVersion": DEFAULT_KUBERNETES_VERSION, "components": components}
    return result, data, problems


def _operator_scope(components: dict[str, Any], namespace: str, result: EnvImport) -> None:
    """ksonnet's 2018 TFJob operator watched every namespace; kfgen's core keeps it in its own by default
    (tfJobNamespaced). When the app runs TFJobs in another namespace than core's, keep the operator cluster-wide."""
    jobs = {c.get("namespace", namespace) for c in components.values() if c["prototype"] in TFJOB_PROTOTYPES}
    for instance, comp in components.items():
        params = comp.get("params", {})
        if comp["prototype"] != "core" or "tfJobNamespaced" in params:
            continue
        elsewhere = sorted(jobs - {comp.get("namespace", namespace)})
        if elsewhere:
            comp["params"] = {**params, "tfJobNamespaced": False}
            result.notes.append(f"{instance}: tfJobNamespaced: false, because TFJobs run in {', '.join(elsewhere)} "
                                "too (ksonnet's operator watched every namespace)")


def _exposed_hub(components: dict[str, Any], result: EnvImport) -> None:
    """ksonnet's core exposed JupyterHub with the dummy authenticator whenever jupyterHubServiceType was
    LoadBalancer or NodePort; kfgen refuses that unless the profile opts in by name. The import keeps the
    deployment the app had, opts in explicitly, and says so loudly."""
    for instance, comp in components.items():
        params = comp.get("params", {})
        if comp["prototype"] != "core" or params.get("jupyterHubAuthenticator") not in (None, "dummy"):
            continue
        exposed = (params.get("jupyterHubServiceType") in ("LoadBalancer", "NodePort")
                   or bool(params.get("jupyterHubExternalIPs")))
        if exposed and "jupyterHubAllowUnauthenticatedExternalAccess" not in params:
            comp["params"] = {**params, "jupyterHubAllowUnauthenticatedExternalAccess": True}
            result.notes.append(
                f"{instance}: jupyterHubAllowUnauthenticatedExternalAccess: true, because the app exposes "
                "JupyterHub outside the cluster with the dummy authenticator (anyone who reaches it runs code): "
                "set jupyterHubAuthenticator: native with jupyterHubAdminUsers, then remove this param")


def _profile_text(app: App, env: Environment, data: dict[str, Any], entries: list[Entry], result: EnvImport) -> str:
    # editors read the schema kfgen import writes beside profiles/ when it is missing (as kfgen init does)
    head = ["# yaml-language-server: $schema=../schemas/profile.schema.json"]
    server = f", server {env.server}" if env.server else ""
    k8s = f", Kubernetes {env.k8s_version}" if env.k8s_version else ""
    head.append(f"# Imported by 'kfgen import' from the ksonnet app in {app.root.name}/, environment "
                f"'{env.name}'{server}{k8s}.")
    lost = [f"retired {r.component}.{r.param}: {r.reason}" for r in result.retired]
    lost += [f"skipped component {s.component}: {s.reason}" for s in result.skipped]
    if lost:
        head.append("# Not carried over:")
        head += [f"#   {line}" for line in lost]
    settings = {k: v for k, v in data.items() if k != "components"}
    return ("\n".join(head) + "\n" + to_yaml(settings, sort_keys=False)
            + pod_security.block(entries)  # podSecurity: with the comments saying why, which to_yaml cannot write
            + to_yaml({"components": data["components"]}, sort_keys=False))


def import_app(app_dir: Path, profiles_dir: Path, env: str | None = None, *, force: bool = False) -> ImportResult:
    """Write ``profiles_dir/<env>.yaml`` for each environment of the ksonnet app at *app_dir* (or only *env*).
    Nothing is written unless every profile validates and none would overwrite a file (unless *force*)."""
    app = read_app(app_dir)
    envs = select_environments(app, env)
    problems: list[Problem] = []
    results: list[EnvImport] = []
    for e in envs:
        result, data, found = translate(app, e, profiles_dir)
        problems.extend(found)
        if any(r.profile == result.profile for r in results):
            problems.append(Problem(f"environments '{e.name}' and another both become profile '{result.profile}'",
                                    hint="import them one at a time with --env"))
            continue
        if result.path.exists() and not force:
            problems.append(Problem(f"{display(result.path)} exists; kfgen import does not overwrite profiles",
                                    hint="pass --force to replace it, or import into another --profiles-dir"))
        entries: list[Entry] = []
        try:
            sources = SourceMap(default_file=display(app.root / result.source))
            profile = validate_profile(LoadedProfile(result.profile, data, sources, (result.profile,)))
            # the podSecurity entries its instances need (core's Ambassador 0.30.1 runs as root: baseline)
            entries = pod_security.needed(profile, profile.components)
            result.notes.extend(pod_security.note(e) for e in entries)
        except KfgenError as exc:
            problems.extend(exc.problems)
        result.text = _profile_text(app, e, data, entries, result)
        results.append(result)
    if problems:
        raise KfgenError(problems)
    for result in results:
        write_file(result.path, result.text)
    schema = profiles_dir.parent / "schemas" / "profile.schema.json"  # what the profiles' header names
    if schema.exists() or schema.is_symlink():
        return ImportResult(app.name, results)
    from kfgen.profile import profile_json_schema

    write_file(schema, profile_json_schema())
    return ImportResult(app.name, results, schema)
