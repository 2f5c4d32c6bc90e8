"""Access on every page (AppTest): sign-in prompt, allow-list, roles, configuration errors.

Every page is opened as a first request would open it (entrypoint app.py, then that page),
in team mode (SALVO_AUTH_ROLES + an [auth] secrets section) unless a test says otherwise.
"""

from __future__ import annotations

import ast
import base64
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo import settings
from geo.filters import parse_query
from geo.store.duckdb import DuckDBStore

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["app.py", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))]
DATA_PAGES = ["app.py", "pages/1_Map.py", "pages/2_Timeline.py", "pages/3_Events.py"]
TEAM = "alice@x.org=admin,bob@x.org=editor,@x.org=viewer"
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "0123456789abcdef0123456789abcdef",
    "client_id": "salvo",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "https://idp.example.org/.well-known/openid-configuration",
}
# Elements that show data (or let data in); none may appear before access is granted.
DATA_ELEMENTS = ("metric", "arrow_data_frame", "file_uploader", "multiselect",
                 "arrow_vega_lite_chart", "date_input", "number_input")


def user(email: str | None, name: str = "Test User", **claims) -> dict:
    return {"is_logged_in": True, "email": email, "name": name, **claims}


LOGGED_OUT = {"is_logged_in": False}


@pytest.fixture
def team(tmp_path, monkeypatch):
    path = tmp_path / "access.duckdb"
    monkeypatch.setenv("SALVO_STORE", str(path))
    monkeypatch.setenv("SALVO_SEED_BUNDLED", "true")
    monkeypatch.setenv("SALVO_AUTH_ROLES", TEAM)
    monkeypatch.delenv("SALVO_OPEN_ROLE", raising=False)
    return path


def run(page: str, who: dict | None, secrets: dict | None = None,
        query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    # A non-empty dict always, so the real secrets files of the machine never take part.
    at.secrets = {"auth": dict(AUTH)} if secrets is None else {"unrelated": "x", **secrets}
    if who is not None:
        at.user = who
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if page != "app.py":
        at.switch_page(page)
    return at.run()


def shown_data(at: AppTest) -> list[str]:
    found = [kind for kind in DATA_ELEMENTS if len(at.get(kind))]
    components = [e for e in at.main if getattr(getattr(e, "proto", None), "component_name", "")]
    return found + ["component"] * len(components)


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "error", "info", "markdown", "caption")
             for e in at.get(kind)]
    return " ".join(str(p) for p in parts)


def sidebar_text(at: AppTest) -> str:
    """Sidebar captions as read (Markdown escapes removed)."""
    return " ".join(c.value for c in at.sidebar.caption).replace("\\", "")


def events_metric(at: AppTest) -> int:
    return int(next(m for m in at.metric if m.label == "Events").value.replace(",", ""))


# --- every page calls the access check first (static) -------------------------------------

def _calls(node: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Call) and getattr(n.func, "id", getattr(n.func, "attr", None))
               == name for n in ast.walk(node))


def _uses_st(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
               and n.value.id == "st" for n in ast.walk(node))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_calls_page_before_any_other_streamlit_call(page):
    tree = ast.parse((ROOT / page).read_text(encoding="utf-8"))
    first = next((i for i, stmt in enumerate(tree.body) if _calls(stmt, "page")), None)
    assert first is not None, f"{page} never calls ui.page.page()"
    assert not any(_uses_st(stmt) for stmt in tree.body[:first]), \
        f"{page} uses st. before page() (the access check)"
    call = next(n for n in ast.walk(tree.body[first])
                if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "page")
    assert isinstance(tree.body[first], ast.Assign | ast.Expr) and call is not None
    imports = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "ui.page"]
    assert any(alias.name == "page" for n in imports for alias in n.names)


def test_page_runs_require_access_right_after_set_page_config():
    tree = ast.parse((ROOT / "ui" / "page.py").read_text(encoding="utf-8"))
    func = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "page")
    body = [s for s in func.body if not (isinstance(s, ast.Expr)
                                         and isinstance(s.value, ast.Constant))]  # docstring
    assert _calls(body[0], "set_page_config")
    assert _calls(body[1], "require_access")


# --- signed out, refused, misconfigured: no data on any page ------------------------------

@pytest.mark.parametrize("page", PAGES)
def test_signed_out_visitor_sees_a_sign_in_prompt_and_no_data(team, page):
    at = run(page, LOGGED_OUT, query={"origin": "PRK"})
    assert not at.exception, at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert "Sign in with your team account" in texts(at)
    assert shown_data(at) == []


def test_default_apptest_user_without_login_flag_is_signed_out(team):
    at = run("pages/1_Map.py", None)  # AppTest's default user: {"email": "test@example.com"}
    assert [b.label for b in at.button] == ["Sign in"] and shown_data(at) == []


def refused(at: AppTest) -> bool:
    return (not at.exception and "not on this team's access list" in texts(at)
            and [b.label for b in at.button] == ["Sign out"] and shown_data(at) == [])


@pytest.mark.parametrize("page", PAGES)
def test_user_not_on_the_allow_list_is_refused_on_every_page(team, page):
    assert refused(run(page, user("stranger@elsewhere.org")))


@pytest.mark.parametrize("who", [user("eve@sub.x.org"), user(None), user("not-an-address"),
                                 user("carol@x.org", email_verified=False)])
def test_subdomains_missing_or_unverified_addresses_are_refused(team, who):
    assert refused(run("pages/1_Map.py", who))


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("secrets", [{}, {"auth": {**AUTH, "client_id": ""}},
                                     {"auth": {**AUTH, "cookie_secret": "short"}}])
def test_team_mode_without_usable_auth_secrets_is_a_configuration_error(team, page, secrets):
    at = run(page, user("alice@x.org"), secrets=secrets)
    assert not at.exception, at.exception
    assert "not configured correctly" in texts(at) and "secrets.toml" in texts(at)
    assert shown_data(at) == [] and len(at.button) == 0


def test_invalid_allow_list_is_a_configuration_error_that_does_not_show_it(team, monkeypatch):
    monkeypatch.setenv("SALVO_AUTH_ROLES", "alice@x.org=admin,bob@x.org=boss")
    at = run("pages/1_Map.py", user("alice@x.org"))
    assert "SALVO_AUTH_ROLES is not valid" in texts(at)
    assert "alice@x.org" not in texts(at) and shown_data(at) == []


def test_auth_secrets_without_an_allow_list_never_open_up(team, monkeypatch):
    monkeypatch.delenv("SALVO_AUTH_ROLES")
    at = run("pages/3_Events.py", user("alice@x.org"))
    assert "SALVO_AUTH_ROLES is empty" in texts(at) and shown_data(at) == []


# --- roles ----------------------------------------------------------------------------------

def test_viewer_sees_the_map_but_not_the_import_page(team):
    at = run("pages/1_Map.py", user("carol@x.org", name="Carol"))
    assert not at.exception and events_metric(at) > 0
    sidebar = sidebar_text(at)
    assert "Carol" in sidebar and "carol@x.org" in sidebar and "viewer" in sidebar
    assert "Sign out" in [b.label for b in at.sidebar.button]

    at = run("pages/4_Import.py", user("carol@x.org"))
    assert not at.exception
    assert "needs the editor role; your role is viewer" in texts(at)
    assert len(at.get("file_uploader")) == 0


@pytest.mark.parametrize("email, role", [("bob@x.org", "editor"), ("ALICE@x.org", "admin")])
def test_editors_and_admins_get_the_uploader(team, email, role):
    at = run("pages/4_Import.py", user(email))
    assert not at.exception and len(at.get("file_uploader")) == 1
    assert role in sidebar_text(at)


@pytest.mark.parametrize("page", DATA_PAGES)
def test_viewer_sees_the_same_count_as_the_store(team, page):
    at = run(page, user("carol@x.org"), query={"origin": "PRK"})
    expected = DuckDBStore(team, snapshot=False).count(parse_query({"origin": "PRK"}).filters)
    assert events_metric(at) == expected


def test_sign_out_returns_to_the_sign_in_prompt(team):
    at = run("pages/2_Timeline.py", user("carol@x.org"))
    at.sidebar.button[0].click().run()
    assert [b.label for b in at.button] == ["Sign in"] and shown_data(at) == []


def test_names_from_the_identity_provider_are_shown_as_plain_text(team):
    at = run("app.py", user("carol@x.org", name="[click](https://evil.example) **x**"))
    caption = " ".join(c.value for c in at.sidebar.caption)
    assert "\\[click\\]\\(https" in caption and "\\*\\*x\\*\\*" in caption


# --- open mode (no allow-list) ---------------------------------------------------------------

def test_local_single_user_mode_is_labelled_and_open(team, monkeypatch):
    monkeypatch.delenv("SALVO_AUTH_ROLES")
    at = run("pages/4_Import.py", None, secrets={})
    assert not at.exception and len(at.get("file_uploader")) == 1
    assert "Local single-user mode" in sidebar_text(at)


def test_public_read_only_instance_has_no_uploader(team, monkeypatch):
    monkeypatch.delenv("SALVO_AUTH_ROLES")
    monkeypatch.setenv("SALVO_OPEN_ROLE", "viewer")
    at = run("pages/1_Map.py", None, secrets={})
    assert events_metric(at) > 0
    assert "everyone is a viewer" in sidebar_text(at)
    at = run("pages/4_Import.py", None, secrets={})
    assert "needs the editor role" in texts(at) and len(at.get("file_uploader")) == 0


# --- caches are safe across users --------------------------------------------------------------

def test_two_sessions_with_different_users_and_filters_see_their_own_counts(team):
    def expected(origin: str) -> int:
        return DuckDBStore(team, snapshot=False).count(parse_query({"origin": origin}).filters)

    alice = run("pages/2_Timeline.py", user("alice@x.org"), query={"origin": "PRK"})
    carol = run("pages/2_Timeline.py", user("carol@x.org"), query={"origin": "IRN"})
    assert events_metric(alice) == expected("PRK") != expected("IRN") == events_metric(carol)
    carol.multiselect(key="w_origins").set_value(["RUS"]).run()
    alice.run()
    assert events_metric(carol) == expected("RUS")
    assert events_metric(alice) == expected("PRK")
    assert "alice@x.org" in sidebar_text(alice)
    assert "carol@x.org" in sidebar_text(carol)


# --- the hosted profile (deploy/hosted.env.example, docs/team-deployment.md) ----------------

PROFILE = ROOT / "deploy" / "hosted.env.example"


def profile(commented: bool = False) -> dict[str, str]:
    """KEY=VALUE lines of the example profile (with ``commented``, also ``# KEY=VALUE``)."""
    pattern = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")
    found = {}
    for line in PROFILE.read_text(encoding="utf-8").splitlines():
        match = pattern.match(line.strip())
        if match and (commented or not match.group(1)):
            found[match.group(2)] = match.group(3).strip()
    return found


def test_hosted_profile_names_only_real_options_and_valid_settings():
    from streamlit import config

    from geo.settings import SETTINGS

    streamlit_vars = {o.env_var for o in config.get_config_options().values() if o.env_var}
    salvo = {s.env: s.name for s in SETTINGS}
    entries = profile(commented=True)
    assert len(entries) > 20
    for key, value in entries.items():
        if key.startswith("STREAMLIT_"):
            assert key in streamlit_vars, f"{key} is not a Streamlit 1.67 config option"
        else:
            assert key in salvo, f"{key} is neither a STREAMLIT_ option nor a Salvo setting"
            settings.get(salvo[key], {key: value})  # raises SettingError when invalid


def test_hosted_profile_has_the_safe_values():
    entries = profile()
    expected = {
        "STREAMLIT_SERVER_ENABLE_CORS": "true", "STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION": "true",
        "STREAMLIT_CLIENT_SHOW_ERROR_DETAILS": "none", "STREAMLIT_CLIENT_TOOLBAR_MODE": "viewer",
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "STREAMLIT_CLIENT_DISABLE_DATA_EXPORT": "true",
        "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none", "STREAMLIT_SERVER_RUN_ON_SAVE": "false",
    }
    assert {k: entries.get(k) for k in expected} == expected
    assert entries["STREAMLIT_SERVER_ADDRESS"] not in ("", "0.0.0.0", "::")  # noqa: S104
    assert entries["STREAMLIT_SERVER_ALLOWED_HOSTS"].strip() not in ("", "*")
    assert int(entries["STREAMLIT_SERVER_MAX_UPLOAD_SIZE"]) <= 50
    assert not entries["STREAMLIT_SECRETS_FILES"].startswith(str(ROOT))
    assert "STREAMLIT_SERVER_TRUSTED_USER_HEADERS" not in entries  # forgeable st.user
    assert "STREAMLIT_SERVER_UNSAFE_METRICS_USER_ATTRIBUTES" not in entries


def test_real_secrets_are_ignored_and_never_committed():
    lines = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".streamlit/secrets.toml" in [line.strip() for line in lines]
    try:
        tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                                 check=True).stdout.splitlines()
        ignored = subprocess.run(["git", "check-ignore", "-q", ".streamlit/secrets.toml"],
                                 cwd=ROOT).returncode == 0
    except (OSError, subprocess.CalledProcessError) as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"not a git checkout: {exc}")
    assert not [p for p in tracked if p.endswith("secrets.toml")], "a secrets.toml is tracked"
    assert ignored


def _ws_status(port: int, host: str, origin: str | None = None) -> int:
    lines = ["GET /_stcore/stream HTTP/1.1", f"Host: {host}", "Upgrade: websocket",
             "Connection: Upgrade", "Sec-WebSocket-Version: 13",
             f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}"]
    if origin:
        lines.append(f"Origin: {origin}")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return int(sock.recv(64).split()[1])


def test_hosted_profile_live_guards_host_origin_and_binds_where_told(tmp_path):
    """`streamlit run` with the profile: loopback only, foreign Host/Origin refused (403)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, **profile(), "STREAMLIT_SERVER_PORT": str(port),
           "STREAMLIT_SECRETS_FILES": str(tmp_path / "none.toml"),
           "SALVO_STORE": str(tmp_path / "live.duckdb")}
    with open(tmp_path / "server.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py"], cwd=ROOT,
                                env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=2) as resp:
                    if resp.read() == b"ok":
                        break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, \
                (tmp_path / "server.log").read_text(errors="replace")
            time.sleep(0.2)
        host = profile()["STREAMLIT_SERVER_ALLOWED_HOSTS"].split()[0]
        assert _ws_status(port, host, f"https://{host}") == 101
        assert _ws_status(port, "evil.example") == 403
        assert _ws_status(port, host, "https://evil.example") == 403
        log = (tmp_path / "server.log").read_text(errors="replace")
        assert f"127.0.0.1:{port}" in log and "0.0.0.0" not in log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
