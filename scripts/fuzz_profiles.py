#!/usr/bin/env python3
"""Property-based fuzzing of profiles: mutate the committed profiles and tests/testdata/errors/*.yaml,
run each mutant through `kfgen render` and `kfgen validate --no-kubeconform`, and check the properties
kfgen promises for any input:

* no traceback (the CLI ends with an exit code, never with an exception);
* `render` exits 0 or 2, `validate` exits 0, 1 (invalid output) or 2 (bad input);
* when `render` exits 2, nothing is written under the output directory.

Mutations: deleted, duplicated and unknown keys; values swapped for other types (str, int, bool, null,
list, map, float, huge and negative ints, unicode, control characters, very long strings); YAML tags,
anchors and aliases, merge keys, broken encodings and truncations; wrong prototypes; bad `extends`
(missing, cyclic, too deep, not a name); patches with odd operations; params of every prototype; cluster
nodes with odd quantities. Every case is generated from its own `random.Random(f"{seed}:{index}")`, so
one case can be shown again alone (`--show INDEX`).

Usage: .venv/bin/python scripts/fuzz_profiles.py [CASES [SEED]] [--show INDEX]     (defaults: 3000 1)
tests/test_fuzz_profiles.py runs the same with a small budget.
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import yaml

ROOT = Path(__file__).resolve().parents[1]
NAME = "fz"  # the profile every case renders

HUGE = 10**40
JUNK: list[Any] = [
    "", "x", "UPPER_case", 0, 1, -1, 3, 2**31, 2**63, HUGE, -HUGE, 1.5, -0.0, float("inf"), float("nan"), True, False,
    None, [], {}, [1, "a", None], {"a": 1}, {"": None}, [[[[]]]], "ünïcödé ✓ 日本語", "\u202eevil", "a\x00b",
    "\x1b[31mred", "tab\there", "line\nbreak", "a" * 5000, "${HOME}", "../../etc/passwd", "/", "*", "-1", "1e309",
    "0x10", "yes", "on", "~", "null", "1Gi", "-1Gi", "1e3", "0.5", "9" * 400, "docker.io/x:latest", "gs://b/m",
]
QUANTITIES: list[Any] = [
    "0", "1", "-1", "4", "0.5", "1m", "3500m", "1e3", "1e309", "1Ki", "16Gi", "1.5Gi", "999999999999999999999Ei",
    "0.0000001m", "+1", ".5", "1.", "abc", "", " 4", "4 ", "1Gib", "∞", 4, 4.5, -2, HUGE, True, None, [], {},
]
GPUS: list[Any] = [-1, 0, 1, 2, 2**31, 2**63, HUGE, "1", 1.5, True, None, [1]]
KEYS: list[Any] = ["colour", "namespce", "Prototype", "", " ", "ünï", "a" * 300, "x-anchor", "<<x", 1, True, None, 1.5]
POINTERS = ["", "/", "/spec", "/spec/replicas", "/metadata/labels/a~1b", "/metadata/labels/new", "/~2", "~",
            "/spec/template/spec/containers/-", "/spec/template/spec/containers/0/image", "/spec/x/0/-/y",
            "not-a-pointer", "/spec/tfReplicaSpecs/Worker/replicas", "/" + "a/" * 200]
OPS = ["add", "remove", "replace", "move", "copy", "test", "ADD", "merge", "", None, 1]
TAGS = ["!!python/object/apply:os.system ['true']", "!!python/name:os.system", "!!binary aGVsbG8=",
        "!!timestamp 2001-12-14", "!!set {a, b}", "!custom x", "!!float 1", "!!str 1", "!!int x", "!!omap [a: 1]",
        "!<tag:yaml.org,2002:str> x", "!!null ''", "!!bool maybe", "!!map [1]", "!!seq {a: 1}"]
TEXT_JUNK = ["\t", "\x00", "\x07", "\ufeff", "\r", "\r\n", "\x85", "\u2028", "{", "[", "]", "}", "&", "*", "*nope",
             "&a", "!", "%YAML 1.1\n", "---\n", "...\n", "? ", ": ", "- ", "|", ">", "'", '"', "#", "@", "`"]
MERGE_VALUES = ["*m", "[*m, *m]", "1", "[*m, 2]", "null", "{}", "[]", "*nope"]


REQUIRED = {"image": "docker.io/x:1", "storage": "1Gi", "modelPath": "gs://b/m"}  # required params, valid
# valid values of the kind each param takes, for the cases that should render
GENTLE: list[Any] = ["docker.io/x:2", "x", 1, 2, 0, True, False, None, [], {}, "1Gi", "500m", "ClusterIP", "gcp"]
CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fuzz"}, "data": {"a": "b"}}


FIFO = b"\0fifo"  # a file of a case made as a named pipe


class Case(NamedTuple):
    index: int
    seed_name: str
    mutations: list[str]
    files: dict[str, bytes]  # profiles dir: file name -> content (NAME.yaml among them)


class Outcome(NamedTuple):
    case: Case
    render: int
    validate: int | None
    failures: list[str]


# --- seeds ----------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def seeds() -> dict[str, str]:
    """The texts mutated: the committed profiles and the error examples of the test suite."""
    found = {f"profiles/{p.name}": p.read_text(encoding="utf-8") for p in sorted((ROOT / "profiles").glob("*.yaml"))}
    errors = ROOT / "tests" / "testdata" / "errors"
    found.update({f"errors/{p.name}": p.read_text(encoding="utf-8") for p in sorted(errors.glob("*.yaml"))})
    return found


@lru_cache(maxsize=1)
def parsed() -> dict[str, Any]:
    """The seeds as data (None when PyYAML cannot read one: those get text mutations only)."""
    out: dict[str, Any] = {}
    for name, text in seeds().items():
        try:
            out[name] = yaml.safe_load(text)
        except yaml.YAMLError:
            out[name] = None
    return out


@lru_cache(maxsize=1)
def base_files() -> dict[str, bytes]:
    """Files every case's profiles dir holds besides the mutant: the partials the error examples extend,
    and a manifest file and a directory name for the `manifests` prototype's `files`."""
    files = {p.name: p.read_bytes() for p in sorted((ROOT / "tests" / "testdata" / "errors").glob("*.profiles/*"))}
    files["objects.yaml"] = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fuzz}\ndata: {a: b}\n"
    files["not-yaml.yaml"] = b"a: [\n"
    files["list.yaml"] = b"- 1\n- 2\n"
    files["latin1.yaml"] = "kind: Café\n".encode("latin-1")
    files["pipe.yaml"] = FIFO  # a named pipe: never to be opened for reading (it would block)
    return files


@lru_cache(maxsize=1)
def prototype_fields() -> dict[str, dict[str, Any]]:
    """Every prototype's params: name -> a valid-looking value (its default, when it has one)."""
    from pydantic_core import PydanticUndefined

    from kfgen.prototypes.base import prototypes

    out: dict[str, dict[str, Any]] = {}
    for name, proto in prototypes().items():
        fields: dict[str, Any] = {}
        for key, info in proto.params.model_fields.items():
            default = info.get_default(call_default_factory=True)
            if default is PydanticUndefined:
                default = REQUIRED.get(key, "x")
            elif hasattr(default, "model_dump"):
                default = default.model_dump(mode="json", by_alias=True, exclude_none=True)
            fields[info.alias or key] = default
        out[name] = fields
    return out


@lru_cache(maxsize=1)
def targets() -> list[dict[str, str]]:
    """kind/name of committed objects: patch targets that match something."""
    found = []
    for f in sorted((ROOT / "out").glob("*/*.yaml")):
        try:
            doc = yaml.safe_load(f.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            continue
        if isinstance(doc, dict) and isinstance(doc.get("metadata"), dict) and "name" in doc["metadata"]:
            instance = str((doc["metadata"].get("labels") or {}).get("kfgen.io/instance", ""))
            found.append({"kind": str(doc.get("kind")), "name": str(doc["metadata"]["name"]), "instance": instance})
    return found or [{"kind": "Deployment", "name": "tf-hub", "instance": "kubeflow-core"}]


def target_of(rng: random.Random, instance: str | None = None) -> dict[str, str]:
    """A patch target: an object *instance* renders in a committed profile when there is one."""
    pool = [t for t in targets() if t["instance"] == instance] or targets()
    return {k: v for k, v in rng.choice(pool).items() if k != "instance"}


# --- mutations on the parsed profile ----------------------------------------------------------------


def junk(rng: random.Random, depth: int = 0) -> Any:
    value = rng.choice(JUNK)
    if depth < 2 and rng.random() < 0.15:
        return [junk(rng, depth + 1) for _ in range(rng.randint(1, 3))]
    if depth < 2 and rng.random() < 0.15:
        return {rng.choice(["a", "b", "name", "kind"]): junk(rng, depth + 1) for _ in range(rng.randint(1, 3))}
    return copy.deepcopy(value)


def positions(node: Any, out: list[tuple[Any, Any]] | None = None,
              above: frozenset[int] = frozenset()) -> list[tuple[Any, Any]]:
    """(container, key) of every value below *node* (a container that holds itself is not entered again)."""
    out = [] if out is None else out
    if id(node) in above:
        return out
    above = above | {id(node)}
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((node, k))
            positions(v, out, above)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append((node, i))
            positions(v, out, above)
    return out


def mappings(node: Any) -> list[dict[Any, Any]]:
    found = [node] if isinstance(node, dict) else []
    for container, key in positions(node):
        if isinstance(container[key], dict):
            found.append(container[key])
    return found


def components(data: dict[Any, Any], rng: random.Random) -> dict[Any, Any]:
    comps = data.get("components")
    if not isinstance(comps, dict):
        comps = data["components"] = {}
    if not comps or rng.random() < 0.2:
        proto = rng.choice(sorted(prototype_fields()))
        comps[rng.choice(["extra", "job", "a" * 70, "Bad_Name", proto])] = {"prototype": proto, "params": {}}
    return comps


def component(data: dict[Any, Any], rng: random.Random) -> dict[Any, Any]:
    comps = components(data, rng)
    name = rng.choice(list(comps))
    if not isinstance(comps[name], dict):
        comps[name] = {"prototype": rng.choice(sorted(prototype_fields()))}
    return comps[name]


def m_delete(data: dict[Any, Any], rng: random.Random, case: dict[str, Any]) -> str:
    pos = positions(data)
    if not pos:
        return "delete: nothing"
    container, key = rng.choice(pos)
    del container[key]
    return f"delete {key!r}"


def m_swap_type(data: dict[Any, Any], rng: random.Random, case: dict[str, Any]) -> str:
    pos = positions(data)
    if not pos:
        data["namespace"] = junk(rng)
        return "swap: namespace"
    container, key = rng.choice(pos)
    container[key] = junk(rng)
    return f"swap {key!r} -> {type(container[key]).__name__}"


def m_unknown_key(data: dict[Any, Any], rng: random.Random, case: dict[str, Any]) -> str:
    target = rng.choice(mappings(data))
    key = rng.choice(KEYS)
    target[key] = junk(rng)
    return f"unknown key {str(key)[:20]!r}"


def m_prototype(data: dict[Any, Any], rng: random.Random, case: dict[str, Any]) -> str:
    comp = component(data, rng)
    comp["prototype"] = rng.choice([*prototype_fields(), "cor", "CORE", "", None, 1, ["core"], {"a": 1}, "tf_job"])
    return f"prototype -> {comp['prototype']!r}"


def m_extends(data: dict[Any, Any], rng: random.Random, case: dict[str, Any]) -> str:
    from kfgen.profile.store import MAX_EXTENDS_DEPTH

    kind = rng.choice(["missing", "self", "cycle", "deep", "at-limit", "partial", "junk", "path", "seed-partial"])
    files: dict[str, bytes] = case["files"]
    if kind == "missing":
        data["extends"] = rng.choice(["nope", "_nope", "gpu-lb"])
    elif kind == "self":
        data["extends"] = NAME
    elif kind == "cycle":
        files["_c1.yaml"] = b"extends: _c2\n"
        files["_c2.yaml"] = f"extends: {rng.choice(['_c1', NAME])}\n".encode()
        data["extends"] = "_c1"
    elif kind in ("deep", "at-limit"):
        depth = MAX_EXTENDS_DEPTH + rng.randint(0, 5) if kind == "deep" else MAX_EXTENDS_DEPTH - 2
        for i in range(depth):
            files[f"_d{i}.yaml"] = f"extends: _d{i + 1}\n".encode()
        files[f"_d{depth}.yaml"] = b"namespace: deep\n"
        data["extends"] = "_d0"
    elif kind == "partial":
        data["extends"] = rng.choice(["_cycle-base", "_lab-base"])
    elif kind == "seed-partial":  # a parent that is another (mutated) seed
        parent = mutate_text(rng, case, rng.choice(sorted(seeds())), depth=1)
        files["_parent.yaml"] = parent
        data["extends"] = "_parent"
    elif kind == "path":
        data["extends"] = rng.choice(["../profiles/x", "/etc/passwd", "a/b", "x.yaml", "objects", "not-yaml", ".",
                                      "pipe", "latin1", "list"])
    else:
        data["extends"] = junk(rng)
    return f"extends: {kind}"


def m_patches(data: dict[Any, Any], rng: random.Random, case: dict[str, Any]) -> str:
    comp = component(data, rng)
    patches = []
    for _ in range(rng.randint(1, 3)):
        target: Any = target_of(rng) if rng.random() < 0.8 else junk(rng)
        if isinstance(target, dict) and rng.random() < 0.2:
            target[rng.choice(["apiVersion", "namespace", "kind", "name", "extra"])] = junk(rng)
        patch: dict[str, Any] = {"target": target}
        if rng.random() < 0.5:
            ops = []
            for _ in range(rng.randint(1, 4)):
                op: dict[str, Any] = {"op": rng.choice(OPS), "path": rng.choice(POINTERS)}
                if rng.random() < 0.7:
                    op["value"] = junk(rng)
                if rng.random() < 0.4:
                    op["from"] = rng.choice(POINTERS)
                ops.append(op)
            patch["jsonPatch"] = ops if rng.random() < 0.9 else junk(rng)
        else:
            patch["merge"] = rng.choice([
                {"spec": {"replicas": junk(rng)}},
                {"metadata": {"labels": {"a": junk(rng)}}},
                {"spec": {"template": {"spec": {"containers": [{"name": "x", "$patch": rng.choice(["delete", "?"])}]}}},
                 "metadata": {}},
                {"spec": {"template": {"spec": {"containers": [{"image": junk(rng)}]}}}},
                {"metadata": None}, {"kind": junk(rng)}, {"apiVersion": "v2"}, junk(rng)])
        if rng.random() < 0.1:
            patch["merge"], patch["jsonPatch"] = {}, []
        patches.append(patch)
    comp["patches"] = patches if rng.random() < 0.9 else junk(rng)
    return "patches"


def m_params(data: dict[Any, Any], rng: random.Random, case: dict[str, Any]) -> str:
    fields = prototype_fields()
    proto = case.get("prototype") or rng.choice(sorted(fields))
    comp = component(data, rng)
    comp["prototype"] = proto
    params = comp.get("params")
    if not isinstance(params, dict):
        params = comp["params"] = {}
    if proto == "manifests" and rng.random() < 0.5:
        params["files"] = rng.sample(["objects.yaml", "not-yaml.yaml", "list.yaml", "missing.yaml", "_lab-base.yaml",
                                      "latin1.yaml", "pipe.yaml", "", ".", "/etc/passwd", "../x.yaml", "a" * 300],
                                     rng.randint(1, 3))
    for key in rng.sample(sorted(fields[proto]), min(len(fields[proto]), rng.randint(1, 6))):
        valid = copy.deepcopy(fields[proto][key])
        roll = rng.random()
        if roll < 0.35:
            params[key] = valid
        elif roll < 0.55 and isinstance(valid, list):
            params[key] = [*valid, junk(rng)]
        elif roll < 0.7 and isinstance(valid, dict):
            params[key] = {**valid, rng.choice(["Chief", "Worker", "requests", "limits", "cpu", "x"]): junk(rng)}
        elif roll < 0.8 and isinstance(valid, str):
            params[key] = rng.choice([valid * 50, valid.upper(), valid + "\x00", " " + valid, valid[::-1], ""])
        elif roll < 0.9 and isinstance(valid, int):
            params[key] = rng.choice([-valid - 1, valid + 2**31, HUGE, str(valid), float(valid)])
        else:
            params[key] = junk(rng)
    return f"params of {proto}"


def m_nodes(data: dict[Any, Any], rng: random.Random, case: dict[str, Any]) -> str:
    cluster = data.get("cluster")
    if not isinstance(cluster, dict):
        cluster = data["cluster"] = {}
    nodes = []
    for i in range(rng.randint(0, 4)):
        node: dict[str, Any] = {"name": rng.choice([f"n{i}", "n0", "GPU_Node", "", "a" * 300, f"n{i}.lab"])}
        for key, pool in (("cpu", QUANTITIES), ("memory", QUANTITIES), ("gpus", GPUS)):
            if rng.random() < 0.8:
                node[key] = copy.deepcopy(rng.choice(pool))
        if rng.random() < 0.3:
            node["labels"] = {rng.choice(["accelerator", "a/b", "", "UP"]): junk(rng)}
        if rng.random() < 0.2:
            node["gpuModel"] = junk(rng)
        nodes.append(node)
    cluster["nodes"] = nodes if rng.random() < 0.9 else junk(rng)
    return "nodes"


def m_alias(data: dict[Any, Any], rng: random.Random, case: dict[str, Any]) -> str:
    """The same subtree in two places: the dump writes an anchor and an alias."""
    pos = [(c, k) for c, k in positions(data) if isinstance(c[k], (dict, list))]
    if len(pos) < 2:
        return "alias: nothing"
    (c1, k1), (c2, k2) = rng.sample(pos, 2)
    try:
        c2[k2] = c1[k1]
    except (TypeError, IndexError):
        return "alias: nothing"
    return "alias"


def m_merge(data: dict[Any, Any], rng: random.Random, case: dict[str, Any]) -> str:
    """A merge key (<<) in a mapping, with a mapping of the profile (an alias) or something else."""
    maps = mappings(data)
    target = rng.choice(maps)
    source = rng.choice(maps)
    target["<<"] = rng.choice([source, [source, source], 1, None, [source, 2], {}, []]) if source is not target else {}
    return "merge key"


def g_component(data: dict[Any, Any], rng: random.Random, case: dict[str, Any]) -> str:
    """A new instance of a prototype with its defaults and a few params set to plausible values."""
    fields = prototype_fields()
    proto = case.get("prototype") or rng.choice(sorted(fields))
    params = {k: v for k, v in fields[proto].items() if k in REQUIRED}
    if proto == "manifests":
        if rng.random() < 0.5:
            params["objects"] = [CONFIGMAP]
        else:
            params["files"] = ["objects.yaml"]
    for key in rng.sample(sorted(fields[proto]), min(len(fields[proto]), rng.randint(0, 3))):
        params[key] = copy.deepcopy(fields[proto][key]) if rng.random() < 0.5 else rng.choice(GENTLE)
    comps = data.get("components")
    if not isinstance(comps, dict):
        comps = data["components"] = {}
    comps[f"fuzz-{proto}"] = {"prototype": proto, "params": params}
    return f"params of {proto} (gentle)"


def g_patch(data: dict[Any, Any], rng: random.Random, case: dict[str, Any]) -> str:
    """A plausible patch on a committed object's kind and name (it may belong to no instance: an error)."""
    comps = {k: c for k, c in (data.get("components") or {}).items() if isinstance(c, dict)}
    if not comps:
        return "patch: nothing"
    instance = rng.choice(sorted(comps))
    target = target_of(rng, instance)
    patch: dict[str, Any] = {"target": target}
    if rng.random() < 0.5:
        patch["merge"] = rng.choice([{"metadata": {"labels": {"fuzz": "x"}}}, {"metadata": {"annotations": None}},
                                     {"spec": {"replicas": 2}}, {"metadata": {"labels": {"fuzz": 1}}}])
    else:
        patch["jsonPatch"] = [rng.choice([{"op": "add", "path": "/metadata/labels/fuzz", "value": "x"},
                                          {"op": "test", "path": "/kind", "value": target["kind"]},
                                          {"op": "remove", "path": "/metadata/labels"},
                                          {"op": "copy", "from": "/metadata/name", "path": "/metadata/labels/n"},
                                          {"op": "move", "from": "/metadata/labels", "path": "/metadata/annotations"},
                                          {"op": "replace", "path": "/spec/replicas", "value": 0}])]
    comps[instance]["patches"] = [patch]
    return "patch (gentle)"


def g_nodes(data: dict[Any, Any], rng: random.Random, case: dict[str, Any]) -> str:
    nodes = [{"name": f"n{i}", "cpu": rng.choice(["1", "500m", "64", "0.5"]), "memory": rng.choice(["1Gi", "512Mi",
              "1e9", "1T"]), "gpus": rng.choice([0, 0, 1, 2, 8])} for i in range(rng.randint(0, 3))]
    data["cluster"] = {"nodes": nodes}
    return "nodes (gentle)"


GENTLE_MUTATIONS = [g_component, g_patch, g_nodes]


MUTATIONS = [m_delete, m_swap_type, m_unknown_key, m_prototype, m_extends, m_patches, m_params, m_nodes, m_alias,
             m_merge]


# --- mutations on the text --------------------------------------------------------------------------


def t_duplicate_line(rng: random.Random, text: str) -> str:
    lines = text.splitlines(keepends=True)
    if not lines:
        return text
    i = rng.randrange(len(lines))
    return "".join(lines[: i + 1] + [lines[i]] + lines[i + 1:])


def t_tag(rng: random.Random, text: str) -> str:
    lines = text.splitlines(keepends=True)
    hits = [i for i, ln in enumerate(lines) if ": " in ln and not ln.lstrip().startswith("#")]
    if not hits:
        return rng.choice(TAGS) + "\n" + text
    i = rng.choice(hits)
    head = lines[i].split(": ", 1)[0]
    lines[i] = f"{head}: {rng.choice(TAGS)}\n"
    return "".join(lines)


def t_insert(rng: random.Random, text: str) -> str:
    at = rng.randrange(len(text) + 1)
    return text[:at] + rng.choice(TEXT_JUNK) + text[at:]


def t_truncate(rng: random.Random, text: str) -> str:
    return text[: rng.randrange(len(text) + 1)]


def t_anchor_merge(rng: random.Random, text: str) -> str:
    """An anchored mapping at the top and merges of it below (or of an undefined anchor)."""
    lines = text.splitlines(keepends=True)
    hits = [i for i, ln in enumerate(lines) if ln.rstrip().endswith(":") and not ln.lstrip().startswith("#")]
    head = "x-defaults: &m {image: docker.io/x:1, num_workers: 1}\n"
    if hits:
        i = rng.choice(hits)
        indent = len(lines[i + 1]) - len(lines[i + 1].lstrip()) if i + 1 < len(lines) else 2
        lines.insert(i + 1, " " * max(indent, 1) + f"<<: {rng.choice(MERGE_VALUES)}\n")
    return head + "".join(lines)


def t_deep(rng: random.Random, text: str) -> str:
    n = rng.choice([50, 500, 5000])
    return text + f"deep: {'[' * n}{']' * n}\n"


def t_big_int(rng: random.Random, text: str) -> str:
    return text + f"{rng.choice(['namespace', 'kubernetesVersion', 'x'])}: {'9' * rng.choice([20, 400, 5000])}\n"


TEXT_MUTATIONS = [t_duplicate_line, t_tag, t_insert, t_truncate, t_anchor_merge, t_deep, t_big_int]


def to_bytes(rng: random.Random, text: str) -> bytes:
    roll = rng.random()
    if roll < 0.03:
        return b"\xef\xbb\xbf" + text.encode()
    if roll < 0.06:
        raw = bytearray(text.encode())
        raw.insert(rng.randrange(len(raw) + 1), rng.choice([0xff, 0xc3, 0x80, 0xfe]))
        return bytes(raw)
    if roll < 0.08:
        return text.encode("utf-16")
    return text.encode()


# --- cases ------------------------------------------------------------------------------------------


def dump(data: Any) -> str:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10**6)
    return text.replace("'<<':", "<<:")


def mutate_text(rng: random.Random, case: dict[str, Any], seed_name: str, depth: int = 0) -> bytes:
    text = seeds()[seed_name]
    data = copy.deepcopy(parsed()[seed_name])
    if isinstance(data, dict) and case.get("gentle") and depth == 0:
        for _ in range(rng.randint(1, 2)):
            case["mutations"].append(rng.choice(GENTLE_MUTATIONS)(data, rng, case))
        return dump(data).encode()
    if isinstance(data, dict) and rng.random() < 0.9:
        for _ in range(rng.randint(1, 4)):
            mutation = rng.choice(MUTATIONS if depth == 0 else [m for m in MUTATIONS if m is not m_extends])
            case["mutations"].append(mutation(data, rng, case))
        if case.get("prototype") and depth == 0 and not any(m.startswith("params of") for m in case["mutations"]):
            case["mutations"].append(m_params(data, rng, case))
        try:
            text = dump(data)
        except (yaml.YAMLError, RecursionError, ValueError) as exc:  # a cycle made by m_alias
            case["mutations"].append(f"undumpable: {type(exc).__name__}")
    if rng.random() < 0.35 or not isinstance(data, dict):
        mutation = rng.choice(TEXT_MUTATIONS)
        text = mutation(rng, text)
        case["mutations"].append(mutation.__name__)
    return to_bytes(rng, text)


def make_case(seed: int, index: int) -> Case:
    rng = random.Random(f"{seed}:{index}")
    protos = sorted(prototype_fields())
    # every prototype's params come round in turn; other cases mutate whatever they hit
    state: dict[str, Any] = {"files": dict(base_files()), "mutations": [],
                             "prototype": protos[index % len(protos)] if index % 2 == 0 else None}
    state["gentle"] = rng.random() < 0.4  # mutants of a valid profile that mostly render
    valid = [n for n in sorted(seeds()) if n.startswith("profiles/") or n == "errors/empty-profile.yaml"]
    seed_name = rng.choice(valid if state["gentle"] else sorted(seeds()))
    state["files"][f"{NAME}.yaml"] = mutate_text(rng, state, seed_name)
    return Case(index, seed_name, state["mutations"], state["files"])


@contextmanager
def command_built_once() -> Iterator[None]:
    """Typer's CliRunner builds the click command from the app on every invoke (~30 ms, most of a case's
    time); within this block it is built once and reused (a click command holds no state between runs)."""
    import typer.testing

    build = typer.testing._get_command
    built = lru_cache(maxsize=None)(build)
    typer.testing._get_command = built  # type: ignore[assignment]
    try:
        yield
    finally:
        typer.testing._get_command = build


def run_case(case: Case, workdir: Path, *, validate: bool = True) -> Outcome:
    """Render and validate *case* in *workdir* (emptied first) through the CLI, in-process."""
    from typer.testing import CliRunner

    from kfgen.cli import app

    shutil.rmtree(workdir, ignore_errors=True)
    profiles, out = workdir / "profiles", workdir / "out"
    profiles.mkdir(parents=True)
    out.mkdir()
    for fname, content in case.files.items():
        if content == FIFO:
            os.mkfifo(profiles / fname)
        else:
            (profiles / fname).write_bytes(content)
    runner = CliRunner()
    failures: list[str] = []
    dirs = ["--profiles-dir", str(profiles), "--out-dir", str(out)]
    res = runner.invoke(app, ["render", "-p", NAME, *dirs])
    failures += _check("render", res, (0, 2))
    if res.exit_code == 2:
        written = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
        if written:
            failures.append(f"render exited 2 but wrote {written[:5]}")
    code = None
    if validate:
        vres = runner.invoke(app, ["validate", "-p", NAME, "--no-kubeconform", *dirs])
        failures += _check("validate", vres, (0, 1, 2))
        code = vres.exit_code
        if (code == 2) != (res.exit_code == 2):
            failures.append(f"render exited {res.exit_code} but validate {code}: a refused profile is exit 2 for both"
                            f"\n{res.output[-1500:]}\n{vres.output[-1500:]}")
    return Outcome(case, res.exit_code, code, failures)


def _check(verb: str, res: Any, codes: tuple[int, ...]) -> list[str]:
    import traceback

    failures = []
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        tb = "".join(traceback.format_exception(res.exception))
        failures.append(f"{verb}: exception {type(res.exception).__name__}: {res.exception}\n{tb}")
    elif "Traceback" in res.output:
        failures.append(f"{verb}: 'Traceback' in the output:\n{res.output[-3000:]}")
    if res.exit_code not in codes:
        failures.append(f"{verb}: exit code {res.exit_code} (expected one of {codes})\n{res.output[-2000:]}")
    return failures


class Figures(NamedTuple):
    cases: int
    seconds: float
    render: Counter[int]
    validate: Counter[int | None]
    mutations: Counter[str]
    failed: list[Outcome]

    def report(self) -> str:
        lines = [f"{self.cases} cases in {self.seconds:.1f} s ({self.cases / max(self.seconds, 1e-9):.0f}/s)",
                 "render exit codes:   " + ", ".join(f"{k}: {v}" for k, v in sorted(self.render.items())),
                 "validate exit codes: " + ", ".join(f"{k}: {v}" for k, v in sorted(self.validate.items(),
                                                                                   key=lambda kv: str(kv[0]))),
                 "mutations: " + ", ".join(f"{k} {v}" for k, v in self.mutations.most_common()),
                 f"failed cases: {len(self.failed)}"]
        for o in self.failed[:20]:
            lines.append(f"--- case {o.case.index} (seed {o.case.seed_name}; {'; '.join(o.case.mutations)})")
            lines += [f.splitlines()[0] if len(self.failed) > 3 else f for f in o.failures]
        return "\n".join(lines)


def fuzz(cases: int, seed: int, workdir: Path | None = None, *, validate_every: int = 1) -> Figures:
    """Run *cases* cases from *seed*; validate runs on every *validate_every*-th case."""
    start = time.perf_counter()
    render, validate, mutations = Counter[int](), Counter[int | None](), Counter[str]()
    failed: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="kfgen-fuzz-") as tmp, command_built_once():
        work = workdir or Path(tmp) / "case"
        for index in range(cases):
            case = make_case(seed, index)
            outcome = run_case(case, work, validate=index % validate_every == 0)
            render[outcome.render] += 1
            if outcome.validate is not None:
                validate[outcome.validate] += 1
            mutations.update(m.split(" ")[0].rstrip(":") for m in case.mutations)
            if outcome.failures:
                failed.append(outcome)
    return Figures(cases, time.perf_counter() - start, render, validate, mutations, failed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="?", type=int, default=3000)
    parser.add_argument("seed", nargs="?", type=int, default=1)
    parser.add_argument("--show", type=int, metavar="INDEX", help="print case INDEX's files and outcome, then exit")
    args = parser.parse_args(argv)
    if args.show is not None:
        case = make_case(args.seed, args.show)
        print(f"# case {case.index}: seed {case.seed_name}; {'; '.join(case.mutations)}")
        for fname, content in case.files.items():
            if fname not in base_files():
                print(f"# --- {fname}\n{content.decode('utf-8', 'backslashreplace')}")
        with tempfile.TemporaryDirectory(prefix="kfgen-fuzz-") as tmp:
            outcome = run_case(case, Path(tmp) / "case")
        print(f"# render exit {outcome.render}, validate exit {outcome.validate}")
        print("\n".join(outcome.failures))
        return 1 if outcome.failures else 0
    figures = fuzz(args.cases, args.seed)
    print(figures.report())
    return 1 if figures.failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
