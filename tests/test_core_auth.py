"""jupyterHubAuthenticator: shared-password — JupyterHub's SharedPasswordAuthenticator with its passwords in a
Secret the user creates (only its name is rendered): a real login without NativeAuthenticator's race for an
admin name."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from kfgen.prototypes.base import RenderContext
from kfgen.prototypes.core import PROTOTYPE, CoreParams

CTX = RenderContext(profile="t", instance="kubeflow-core", namespace="kubeflow", kubernetes_version="1.37")
SHARED = {"jupyterHubAuthenticator": "shared-password", "jupyterHubPasswordSecret": "hub-passwords",
          "jupyterHubAdminUsers": ["admin"]}
USER_PASSWORD, ADMIN_PASSWORD = "user-pass-1234", "a" * 40
# The traits of JupyterHub 5's SharedPasswordAuthenticator (jupyterhub/authenticators/shared.py, 5.0 and later):
# FakeConfig takes any name, so a misspelt trait (a pre-release 'global_password') would otherwise pass here
# and lock every user out of the real hub.
SHARED_PASSWORD_TRAITS = {"user_password", "admin_password"}


class FakeConfig:
    """Stands in for JupyterHub's ``c``."""

    def __getattr__(self, name: str) -> types.SimpleNamespace:
        section = types.SimpleNamespace()
        setattr(self, name, section)
        return section


def render(**params: Any) -> list[dict[str, Any]]:
    out = PROTOTYPE.render_instance(CTX, CoreParams(**params))
    assert out.warnings == []
    return out.objects


def run_config(objects: list[dict[str, Any]], passwords: dict[str, str], tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> FakeConfig:
    """Execute the rendered jupyterhub_config.py with the Secret's keys as files in a scratch directory."""
    (cm,) = [o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "jupyterhub-config"]
    token = tmp_path / "token"
    token.write_text("t")
    monkeypatch.setenv("KFGEN_PROXY_TOKEN_FILE", str(token))
    secret_dir = tmp_path / "passwords"
    secret_dir.mkdir()
    for key, value in passwords.items():
        (secret_dir / key).write_text(value)
    text = cm["data"]["jupyterhub_config.py"]
    literal = "PASSWORD_DIR = '/etc/jupyterhub-passwords'"
    assert literal in text
    monkeypatch.setitem(sys.modules, "nativeauthenticator", types.ModuleType("nativeauthenticator"))
    c = FakeConfig()
    exec(compile(text.replace(literal, f"PASSWORD_DIR = {str(secret_dir)!r}"), "jupyterhub_config.py", "exec"),
         {"c": c})
    return c


def test_passwords_come_from_the_named_secret_and_never_reach_the_output(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    objects = render(**SHARED, jupyterHubServiceType="LoadBalancer")  # exposed: a real authenticator, no warning
    assert not [o for o in objects if o["kind"] == "Secret" and o["metadata"]["name"] == "hub-passwords"]
    (sts,) = [o for o in objects if o["kind"] == "StatefulSet"]
    pod = sts["spec"]["template"]["spec"]
    assert {"name": "passwords", "secret": {"secretName": "hub-passwords"}} in pod["volumes"]
    (hub,) = [c for c in pod["containers"] if c["name"] == "tf-hub"]
    assert {"name": "passwords", "mountPath": "/etc/jupyterhub-passwords", "readOnly": True} in hub["volumeMounts"]
    assert not [c for c in pod["containers"] + pod["initContainers"] if c["name"] != "tf-hub" and any(
        m["name"] == "passwords" for m in c.get("volumeMounts", []))]  # the proxy never sees them
    c = run_config(objects, {"user-password": USER_PASSWORD + "\n", "admin-password": ADMIN_PASSWORD}, tmp_path,
                   monkeypatch)
    assert c.JupyterHub.authenticator_class == "jupyterhub.authenticators.shared.SharedPasswordAuthenticator"
    assert c.SharedPasswordAuthenticator.user_password == USER_PASSWORD  # a file's trailing newline is not part
    assert c.SharedPasswordAuthenticator.admin_password == ADMIN_PASSWORD
    assert set(vars(c.SharedPasswordAuthenticator)) <= SHARED_PASSWORD_TRAITS
    assert c.Authenticator.admin_users == {"admin"}
    assert "NativeAuthenticator" not in vars(c)  # nothing to sign up for: no race for an admin name


def test_without_the_user_password_the_hub_does_not_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit, match="user-password"):
        run_config(render(**SHARED), {"admin-password": ADMIN_PASSWORD}, tmp_path, monkeypatch)


@pytest.mark.parametrize("passwords, message", [
    ({"user-password": "short"}, "user-password must be at least 8 characters"),
    ({"user-password": USER_PASSWORD, "admin-password": "b" * 31}, "admin-password must be at least 32 characters"),
    ({"user-password": "c" * 40, "admin-password": "c" * 40}, "admin-password must differ from user-password"),
])
def test_passwords_jupyterhub_would_refuse_stop_the_hub_with_the_secrets_name(
        passwords: dict[str, str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit, match=f"jupyterHubPasswordSecret: {message}"):
        run_config(render(**SHARED), passwords, tmp_path, monkeypatch)


def test_without_the_admin_password_no_admin_password_is_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    c = run_config(render(**SHARED), {"user-password": USER_PASSWORD}, tmp_path, monkeypatch)
    assert c.SharedPasswordAuthenticator.user_password == USER_PASSWORD
    assert not hasattr(c.SharedPasswordAuthenticator, "admin_password")  # admins cannot log in at all


def test_other_authenticators_mount_no_password_secret() -> None:
    (sts,) = [o for o in render() if o["kind"] == "StatefulSet"]
    assert not [v for v in sts["spec"]["template"]["spec"]["volumes"] if "secret" in v]


@pytest.mark.parametrize("params, fragment", [
    pytest.param({"jupyterHubAuthenticator": "shared-password"}, "needs jupyterHubPasswordSecret", id="no-secret"),
    pytest.param({"jupyterHubPasswordSecret": "hub-passwords"}, "only matters with", id="secret-without-it"),
    pytest.param({"jupyterHubAuthenticator": "native", "jupyterHubAdminUsers": ["admin"],
                  "jupyterHubPasswordSecret": "hub-passwords"}, "only matters with", id="secret-with-native"),
    pytest.param({**SHARED, "jupyterHubPasswordSecret": "Hub_Passwords"}, "pattern", id="bad-name"),
])
def test_bad_password_params_are_refused(params: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        CoreParams(**params)


@pytest.mark.parametrize("admins, keys", [
    pytest.param([], "key user-password", id="no-admins"),
    pytest.param(["admin"], "keys user-password and admin-password", id="admins"),
])
def test_a_missing_password_secret_is_reported_at_the_authenticator(admins: list[str], keys: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CoreParams(jupyterHubAuthenticator="shared-password", jupyterHubAdminUsers=admins)
    (err,) = caught.value.errors()
    assert err["loc"] == ("jupyterHubAuthenticator",) and err["input"] == "shared-password"
    assert err["msg"].endswith(f"the Secret you create with {keys}")
    assert err["ctx"]["error"].expected and err["ctx"]["error"].hint
    assert ("admin-password" in err["ctx"]["error"].hint) == bool(admins)
