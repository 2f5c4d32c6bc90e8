"""Team mode in a real browser: sign in through a real OIDC provider on the loopback.

`streamlit run app.py` in team mode (SALVO_AUTH_ROLES + an [auth] secrets file given with
``--secrets.files``, so the repository's .streamlit/ is never written to) against
``tests/oidc.py`` (oidc-provider-mock: discovery, authorise, RS256 ID token, JWKS). Debian
Chromium via Playwright; every request to a host other than the loopback is aborted.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser import (
    MAP_IFRAME,
    Counts,
    LiveServer,
    events_metric,
    metric,
    new_page,
    record_timing,
)
from tests.oidc import Provider, running, secrets_toml

pytestmark = [
    pytest.mark.browser,
    # The provider (oidc-provider-mock 0.3.4) uses an Authlib hook Authlib now deprecates.
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
]

ANALYST = "analyst@team.example"
EDITOR = "editor@team.example"
STRANGER = "someone@elsewhere.example"
USERS = {
    ANALYST: {"email": ANALYST, "email_verified": True, "name": "Team Analyst"},
    EDITOR: {"email": EDITOR, "email_verified": True, "name": "Team Editor"},
    STRANGER: {"email": STRANGER, "email_verified": True, "name": "Not On The List"},
}
ROLES = f"{EDITOR}=editor,@team.example=viewer"
# The mock provider's own page links a stylesheet on a CDN; it is aborted like any other
# non-loopback request. Nothing else may leave the machine.
PROVIDER_CSS = "https://cdn.jsdelivr.net/npm/@picocss/"
TIMEOUT_MS = 30_000


@dataclass
class TeamServer(LiveServer):
    """tests.browser.LiveServer in team mode: allow-list in the env, [auth] secrets file."""

    provider: Provider | None = None

    def start(self, timeout: float = 60.0) -> TeamServer:
        secrets_file = self.log_dir / "secrets.toml"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        secrets_file.write_text(secrets_toml(self.provider, self.url, secrets.token_hex(32)))
        self.env = {"SALVO_AUTH_ROLES": ROLES, "SALVO_OPEN_ROLE": None,
                    "AUTHLIB_INSECURE_TRANSPORT": "1",  # the provider is plain http on loopback
                    "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
        self.args = ["--secrets.files", str(secrets_file)]
        return super().start(timeout)


@pytest.fixture(scope="module")
def provider():
    with running(USERS) as p:
        yield p


def _team_server(tmp: Path, provider: Provider) -> TeamServer:
    return TeamServer(store_path=tmp / "team.duckdb", log_dir=tmp, provider=provider).start()


@pytest.fixture(scope="module")
def team_server(tmp_path_factory, provider):
    live = _team_server(tmp_path_factory.mktemp("team"), provider)
    record_timing("team-mode streamlit start → health ok", live.started_in)
    yield live
    live.stop()


@pytest.fixture
def tab(browser, team_server):
    pg = new_page(browser, team_server.url)
    yield pg
    pg.context.close()
    print(team_server.logs())  # shown by pytest only when the test failed


def left_the_machine(page) -> list[str]:
    return [u for u in page.external_requests if not u.startswith(PROVIDER_CSS)]


def settled(page) -> None:
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        state="attached", timeout=TIMEOUT_MS)


def sign_in(page, provider: Provider, app_url: str, who: str) -> float:
    """Click our Sign in button and pick ``who`` at the provider; returns the click time."""
    page.goto("/", wait_until="domcontentloaded")
    button = page.get_by_role("button", name="Sign in")
    button.wait_for(timeout=TIMEOUT_MS)
    clicked = time.monotonic()
    button.click()
    page.wait_for_url(f"{provider.url}/oauth2/authorize**", timeout=TIMEOUT_MS,
                      wait_until="commit")
    page.get_by_role("button", name=who, exact=True).click()
    # provider → /oauth2callback (code exchanged, identity cookie set) → the app's home page
    page.wait_for_url(f"{app_url}/", timeout=TIMEOUT_MS, wait_until="commit")
    return clicked


def no_data(page) -> None:
    assert page.locator('[data-testid="stMetric"]').count() == 0
    assert page.locator(MAP_IFRAME).count() == 0
    assert page.locator("iframe").count() == 0
    assert page.locator('[data-testid="stDataFrame"]').count() == 0
    assert page.get_by_test_id("stException").count() == 0


def test_first_request_after_start_is_a_deep_link_and_shows_no_data(browser, provider,
                                                                     tmp_path):
    live = _team_server(tmp_path, provider)  # fresh: no session has run any page yet
    try:
        page = new_page(browser, live.url)
        page.goto("/Map?origin=PRK", wait_until="domcontentloaded")
        page.get_by_role("button", name="Sign in").wait_for(timeout=TIMEOUT_MS)
        settled(page)
        assert page.get_by_text("Sign in with your team account").is_visible()
        no_data(page)
        assert "Events" not in page.locator('[data-testid="stMain"]').inner_text()
        assert page.external_requests == []
        page.context.close()
    finally:
        print(live.logs())  # shown by pytest only when the test failed
        live.stop()


def test_team_member_signs_in_and_sees_the_dashboard(tab, team_server, provider):
    clicked = sign_in(tab, provider, team_server.url, ANALYST)
    record_timing("OIDC sign-in: click Sign in → provider → pick user → back at the app",
                  time.monotonic() - clicked)
    events_metric(tab).locator('[data-testid="stMetricValue"]').wait_for(timeout=TIMEOUT_MS)
    record_timing("OIDC sign-in: click Sign in → … → Events metric shown (first page run)",
                  time.monotonic() - clicked)
    counts = Counts(team_server.store_path)
    try:
        assert metric(tab) == counts.count()
    finally:
        counts.close()
    sidebar = tab.get_by_test_id("stSidebar").inner_text()
    assert "Team Analyst" in sidebar and ANALYST in sidebar and "viewer" in sidebar

    # A deep link in the same browser is signed in too; a viewer gets no uploader.
    tab.goto("/Map?origin=PRK", wait_until="domcontentloaded")
    events_metric(tab).wait_for(timeout=TIMEOUT_MS)
    tab.goto("/Import", wait_until="domcontentloaded")
    tab.get_by_text("This page needs the editor role").wait_for(timeout=TIMEOUT_MS)
    assert tab.locator('[data-testid="stFileUploader"]').count() == 0

    # Sign out: Streamlit ends the session at the provider too (its end_session_endpoint asks
    # for a confirmation), then we are back at the prompt with no data.
    tab.goto("/", wait_until="domcontentloaded")
    tab.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    tab.wait_for_url(f"{provider.url}/oauth2/end_session**", timeout=TIMEOUT_MS)
    tab.get_by_role("button", name="End session").click()
    tab.get_by_role("button", name="Sign in").wait_for(timeout=TIMEOUT_MS)
    settled(tab)
    no_data(tab)
    assert left_the_machine(tab) == []


def test_editor_gets_the_uploader(tab, team_server, provider):
    sign_in(tab, provider, team_server.url, EDITOR)
    events_metric(tab).wait_for(timeout=TIMEOUT_MS)
    tab.goto("/Import", wait_until="domcontentloaded")
    tab.locator('[data-testid="stFileUploader"]').wait_for(timeout=TIMEOUT_MS)
    assert "editor" in tab.get_by_test_id("stSidebar").inner_text()
    assert left_the_machine(tab) == []


def test_someone_not_on_the_allow_list_signs_in_and_is_refused(tab, team_server, provider):
    sign_in(tab, provider, team_server.url, STRANGER)
    tab.get_by_text("not on this team's access list").wait_for(timeout=TIMEOUT_MS)
    settled(tab)
    no_data(tab)
    for path in ("/Map?origin=PRK", "/Events", "/Timeline"):
        tab.goto(path, wait_until="domcontentloaded")
        tab.get_by_text("not on this team's access list").wait_for(timeout=TIMEOUT_MS)
        settled(tab)
        no_data(tab)
    assert left_the_machine(tab) == []
