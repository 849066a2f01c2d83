"""The render walks each object's pod templates once (kfgen.render.pipeline.pod_walks) and shares them between
its steps: kfgen.render.safety (via pipeline.secured), the Pod Security check (pipeline.namespaces) and the GPU /
node checks (kfgen.render.checks.pods). Given the shared walk, each step says what it says when it walks the
objects itself, on the committed profiles, the error goldens and fuzzed profiles (scripts/fuzz_profiles.py)."""

from __future__ import annotations

import copy
import shutil
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from conftest import ROOT, load_script

from kfgen.actions import Workspace
from kfgen.errors import KfgenError
from kfgen.kube import objects as kube_objects
from kfgen.profile import Profile
from kfgen.render import checks, pipeline, safety

Json = dict[str, Any]
ERRORS = ROOT / "tests" / "testdata" / "errors"
FUZZ_CASES = 200
FUZZ_SEED = 20261202


class Case(NamedTuple):
    name: str
    profile: Profile
    labelled: list[Any]  # pipeline._Instance, before the patches
    rendered: list[Any]  # after the patches


def _case(name: str, profiles: Path, profile_name: str) -> Case | None:
    try:
        profile = Workspace(profiles, profiles.parent / "out").load(profile_name)
        labelled = pipeline.labels(profile, pipeline.instances(profile)[0])
        return Case(name, profile, labelled, pipeline.patched(profile, labelled))
    except KfgenError:
        return None


@lru_cache(maxsize=1)
def corpus() -> tuple[Case, ...]:
    """Every profile that renders up to the patches: the committed ones, the error goldens' and fuzzed ones."""
    import tempfile

    work = Path(tempfile.mkdtemp(prefix="kfgen-walks-"))
    cases = [_case(f"profile {name}", ROOT / "profiles", name)
             for name in Workspace(ROOT / "profiles", work / "out").profile_names()]
    for path in sorted(ERRORS.glob("*.yaml")):
        profiles = work / f"error-{path.stem}" / "profiles"
        profiles.mkdir(parents=True)
        shutil.copy(path, profiles / path.name)
        for extra in (ERRORS / f"{path.stem}.profiles").glob("*.yaml"):
            shutil.copy(extra, profiles / extra.name)
        cases.append(_case(f"error {path.stem}", profiles, path.stem))
    fuzz = sys.modules.get("fuzz_profiles") or load_script("fuzz_profiles")
    for i in range(FUZZ_CASES):
        made = fuzz.make_case(FUZZ_SEED, i)
        profiles = work / f"fuzz-{i}" / "profiles"
        profiles.mkdir(parents=True)
        for fname, content in made.files.items():
            if content != fuzz.FIFO:  # a named pipe the profile never names: left out
                (profiles / fname).write_bytes(content)
        cases.append(_case(f"fuzz {i}", profiles, fuzz.NAME))
    shutil.rmtree(work)
    return tuple(c for c in cases if c is not None)


def all_objects() -> list[Json]:
    """Every object of the corpus, before and after the patches."""
    return [obj for case in corpus() for insts in (case.labelled, case.rendered) for inst in insts
            for obj in inst.objects]


def outcome(fn: Any, *args: Any) -> Any:
    try:
        return "ok", fn(*args)
    except KfgenError as exc:
        return "refused", exc.problems


def test_the_corpus_reaches_every_kind_of_case() -> None:
    names = [c.name.split(" ")[0] for c in corpus()]
    assert names.count("profile") >= 3 and names.count("error") >= 3 and names.count("fuzz") >= FUZZ_CASES // 10
    kinds = {obj.get("kind") for obj in all_objects()}
    assert {"TFJob", "Deployment", "StatefulSet", "Secret", "Service", "ClusterRole", "RoleBinding"} <= kinds


def test_pod_walks_is_pod_templates_of_each_object() -> None:
    for case in corpus():
        walks = pipeline.pod_walks(case.rendered)
        objs = [obj for inst in case.rendered for obj in inst.objects]
        assert walks == {id(obj): kube_objects.pod_templates(obj) for obj in objs}, case.name


def _changed(rendered: list[Any], change: Any) -> list[Any]:
    """*rendered* (copies) with *change* (container or pod spec -> None) done to every pod spec."""
    out = []
    for inst in rendered:
        objs = copy.deepcopy(inst.objects)
        for obj in objs:
            for t in kube_objects.pod_templates(obj):
                change(t.spec)
        out.append(type(inst)(inst.name, inst.namespace, objs))
    return out


def _stripped(rendered: list[Any]) -> list[Any]:
    """*rendered* with every container's resources removed: what the secured step refuses."""
    def strip(pod: Json) -> None:
        for c in pod.get("containers") or []:
            if isinstance(c, dict):
                c.pop("resources", None)
    return _changed(rendered, strip)


def test_secured_with_the_shared_walk_is_secured_alone() -> None:
    refused = 0
    for case in corpus():
        stripped = _stripped(case.rendered)
        # as rendered; every object held to its own findings; patched objects held to what they had before
        for rendered, before in ((case.rendered, case.labelled), (stripped, stripped), (stripped, case.labelled)):
            walks = pipeline.pod_walks(rendered)
            alone = outcome(pipeline.secured, case.profile, rendered, before)
            assert outcome(pipeline.secured, case.profile, rendered, before, walks) == alone, case.name
            refused += alone[0] == "refused"
    assert refused  # some case has findings: the comparison is not only of empty answers


def test_namespaces_with_the_shared_walk_is_namespaces_alone() -> None:
    refused = 0
    for case in corpus():
        on_host = _changed(case.rendered, lambda pod: pod.update(hostNetwork=True))  # every pod below restricted
        for rendered in (case.rendered, on_host):
            try:
                owner = pipeline.collisions(case.profile, rendered)
            except KfgenError:
                continue
            walks = pipeline.pod_walks(rendered)
            alone = outcome(pipeline.namespaces, case.profile, rendered, owner)
            assert outcome(pipeline.namespaces, case.profile, rendered, owner, walks) == alone, case.name
            refused += alone[0] == "refused"
    assert refused


def test_pods_check_with_the_shared_walk_is_the_check_alone() -> None:
    noted = 0
    for case in corpus():
        objs = [obj for inst in case.rendered for obj in inst.objects]
        objs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}})  # not in the walk
        walks = pipeline.pod_walks(case.rendered)
        try:
            alone = checks.pods(case.profile, objs)
        except (ValueError, TypeError, ArithmeticError) as exc:  # a fuzzed value the check cannot read
            with pytest.raises(type(exc)):
                checks.pods(case.profile, objs, walks)
            continue
        shared = checks.pods(case.profile, objs, walks)
        assert (shared.errors, shared.warnings, shared.summary) == (alone.errors, alone.warnings, alone.summary)
        noted += bool(alone.errors or alone.warnings)
        for obj in objs:
            assert checks.pod_groups(obj, walks.get(id(obj))) == checks.pod_groups(obj)
    assert noted


def test_findings_given_the_templates_are_findings_alone() -> None:
    skips = (frozenset(), safety.PARAM_CHECKED, frozenset(safety.OPT_INS), frozenset({"resources"}))
    found = 0
    for obj in all_objects():
        templates = kube_objects.pod_templates(obj)
        for skip in skips:
            alone = safety.findings(obj, skip)
            assert safety.findings(obj, skip, templates) == alone, obj.get("metadata")
            found += bool(alone)
    assert found


def test_kinds_with_rules_of_their_own_are_not_walked_for_pods() -> None:
    """A Secret, role, binding, Service or Ingress is held to its kind's rule only (as before the kind table):
    a pod template in one of them is no workload's."""
    template = {"template": {"spec": {"containers": [{"name": "c"}]}}}
    for kind, rule in {"Secret": "secretValues", "Role": "rbacWildcards", "ClusterRole": "rbacWildcards",
                       "RoleBinding": "adminRoleBindings", "ClusterRoleBinding": "adminRoleBindings",
                       "Service": "externalExposure", "Ingress": "externalExposure"}.items():
        obj = {"apiVersion": "v1", "kind": kind, "metadata": {"name": "x"}, "spec": template}
        assert {f.rule for f in safety.findings(obj)} <= {rule}
        assert safety.findings(obj, frozenset({rule})) == []
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}, "spec": template}
    assert [f.rule for f in safety.findings(deployment)] == ["image"]


def test_the_render_walks_each_object_once(monkeypatch: pytest.MonkeyPatch) -> None:
    walked: list[int] = []

    def counting(obj: Json) -> list[kube_objects.PodTemplate]:
        walked.append(id(obj))
        return kube_objects.pod_templates(obj)

    for module, name in ((pipeline, "pod_templates"), (safety, "_pod_templates"), (checks, "pod_templates")):
        monkeypatch.setattr(module, name, counting)
    profile = Workspace(ROOT / "profiles", ROOT / "out").load("gpu-lab")
    result = pipeline.render_profile(profile)
    assert sorted(walked) == sorted(id(obj) for obj in result.objects)
