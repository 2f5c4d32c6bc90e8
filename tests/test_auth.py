"""geo.auth: allow-list, roles, actions, the [auth] secrets check; the settings validators."""

import tomllib
from pathlib import Path

import pytest

from geo import settings
from geo.auth import (
    ACTIONS,
    MIN_COOKIE_SECRET,
    at_least,
    auth_config_problems,
    authorise,
    can,
    parse_roles,
    role_for,
)
from geo.settings import SettingError

ROOT = Path(__file__).resolve().parents[1]
TEAM = "alice@x.org=admin, @x.org=viewer, bob@partner.net=editor"
GOOD_AUTH = {
    "redirect_uri": "https://salvo.example.org/oauth2callback",
    "cookie_secret": "c" * MIN_COOKIE_SECRET,
    "client_id": "salvo",
    "client_secret": "s3cret",
    "server_metadata_url": "https://idp.example.org/.well-known/openid-configuration",
}


def test_parse_roles_normalises_case_space_and_separators():
    assert parse_roles(" Alice@X.org = Admin ,\n@X.ORG=viewer,, ") == {
        "alice@x.org": "admin", "@x.org": "viewer"}
    assert parse_roles("") == {}
    assert parse_roles("a@x.org=viewer,a@x.org=viewer") == {"a@x.org": "viewer"}


@pytest.mark.parametrize("text, message", [
    ("alice@x.org", "needs the form"),
    ("alice@x.org=boss", "role must be one of viewer, editor, admin"),
    ("alice@x.org=", "role must be one of"),
    ("=admin", "neither an e-mail address nor @domain"),
    ("alice=admin", "neither an e-mail address nor @domain"),
    ("*@x.org=admin", "neither"),
    ("@*.x.org=viewer", "neither"),
    ("@x=viewer", "neither"),  # a domain needs a dot
    ("al ice@x.org=admin", "neither"),
    ("a@b@x.org=admin", "neither"),
    ("a@x.org=admin,A@X.org=viewer", "two roles"),
])
def test_parse_roles_rejects_bad_entries_with_a_clear_message(text, message):
    with pytest.raises(ValueError, match=message):
        parse_roles(text)


@pytest.mark.parametrize("email, role", [
    ("alice@x.org", "admin"),           # exact address beats its domain
    ("ALICE@X.Org ", "admin"),          # case and surrounding space ignored
    ("carol@x.org", "viewer"),          # domain entry
    ("bob@partner.net", "editor"),
    ("dave@partner.net", None),         # only bob from that domain
    ("eve@sub.x.org", None),            # a domain does not cover its subdomains
    ("eve@x.org.evil.net", None),
    ("x.org", None), ("@x.org", None), ("", None), (None, None), (42, None),
    ("alice@x.org\n", "admin"),
    ("mallory@x.org@evil.net", None),
])
def test_role_for(email, role):
    assert role_for(email, TEAM) == role


def test_role_for_with_empty_allow_list_lets_nobody_in():
    assert role_for("alice@x.org", "") is None


@pytest.mark.parametrize("user, role", [
    ({"is_logged_in": True, "email": "carol@x.org"}, "viewer"),
    ({"is_logged_in": True, "email": "carol@x.org", "email_verified": True}, "viewer"),
    ({"is_logged_in": True, "email": "carol@x.org", "email_verified": False}, None),
    ({"is_logged_in": True, "email": "carol@x.org", "email_verified": "false"}, None),
    ({"is_logged_in": False, "email": "alice@x.org"}, None),
    ({"email": "alice@x.org"}, None),   # AppTest's default user: not signed in
    ({"is_logged_in": "yes", "email": "alice@x.org"}, None),
    ({"is_logged_in": True}, None),
    ({"is_logged_in": True, "email": "stranger@y.org"}, None),
])
def test_authorise(user, role):
    assert authorise(user, TEAM) == role


def test_role_order_and_actions():
    assert at_least("admin", "editor") and at_least("editor", "editor")
    assert not at_least("viewer", "editor") and not at_least(None, "viewer")
    assert not at_least("root", "viewer")
    table = {role: {a for a in ACTIONS if can(role, a)} for role in ("viewer", "editor", "admin")}
    assert table == {
        "viewer": {"view", "export"},
        "editor": {"view", "export", "import", "curate"},
        "admin": {"view", "export", "import", "curate", "admin"},
    }
    assert not any(can(None, action) for action in ACTIONS)
    with pytest.raises(ValueError, match="unknown action"):
        can("admin", "delete")
    with pytest.raises(ValueError, match="unknown role"):
        at_least("admin", "owner")


def test_auth_config_problems():
    assert auth_config_problems(GOOD_AUTH) == []
    assert "missing" in auth_config_problems(None)[0]
    assert "missing" in auth_config_problems({})[0]
    missing = auth_config_problems({k: v for k, v in GOOD_AUTH.items() if k != "client_id"})
    assert missing == ["[auth] has no client_id"]
    short = auth_config_problems({**GOOD_AUTH, "cookie_secret": "xxx"})
    assert len(short) == 1 and "cookie_secret" in short[0]
    for uri in ("/oauth2callback", "https://salvo.example.org/callback", "salvo/oauth2callback"):
        assert "redirect_uri" in auth_config_problems({**GOOD_AUTH, "redirect_uri": uri})[0]
    example = tomllib.loads((ROOT / ".streamlit" / "secrets.toml.example").read_text())
    assert auth_config_problems(example["auth"]) == [
        "[auth] still has example values: cookie_secret, client_id, client_secret"]
    # Key names only: a problem report never repeats a secret value.
    text = " ".join(auth_config_problems({**GOOD_AUTH, "cookie_secret": "tiny-secret",
                                          "client_secret": ""}))
    assert "tiny-secret" not in text


def test_settings_validate_the_allow_list_and_open_role():
    assert settings.get("auth_roles", {}) == ""
    assert settings.get("auth_roles", {"SALVO_AUTH_ROLES": f" {TEAM} "}) == TEAM
    with pytest.raises(SettingError, match=r"SALVO_AUTH_ROLES.*role must be one of"):
        settings.get("auth_roles", {"SALVO_AUTH_ROLES": "alice@x.org=boss"})
    with pytest.raises(SettingError, match=r"SALVO_AUTH_ROLES.*neither an e-mail"):
        settings.get("auth_roles", {"SALVO_AUTH_ROLES": "*=viewer"})
    assert settings.get("open_role", {}) == "admin"
    assert settings.get("open_role", {"SALVO_OPEN_ROLE": " Viewer "}) == "viewer"
    with pytest.raises(SettingError, match="SALVO_OPEN_ROLE"):
        settings.get("open_role", {"SALVO_OPEN_ROLE": "nobody"})
