"""Who may see what. Called first by every page *and* the entrypoint (through ui.page.page()).

With a ``pages/`` folder, Streamlit can run a page without running ``app.py`` first (deep
links, first request after a restart), so a check in ``app.py`` alone protects nothing.

Two modes, never mixed:
- **open** (``SALVO_AUTH_ROLES`` empty): no sign-in; everyone gets ``SALVO_OPEN_ROLE``
  (``admin`` = the person at the keyboard; ``viewer`` for a public read-only instance);
- **team** (``SALVO_AUTH_ROLES`` set): ``st.login`` against the ``[auth]`` provider in
  ``.streamlit/secrets.toml``, then our allow-list decides the role (geo.auth).
Any inconsistency between the two (team mode without usable ``[auth]`` secrets, ``[auth]``
secrets without an allow-list, an invalid setting) shows a configuration error and no data:
it never falls back to open access.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import streamlit as st

from geo import auth, settings
from geo.escape import for_markdown
from geo.settings import SettingError
from ui.state import t

_LOG = logging.getLogger("salvo.access")
_ROLES_ENV = settings.SETTINGS_BY_NAME["auth_roles"].env


def team_mode() -> bool:
    """Team mode = the allow-list variable is set (even if invalid: then nobody gets in)."""
    return bool(os.environ.get(_ROLES_ENV, "").strip())


def _auth_secrets() -> dict[str, Any] | None:
    """The ``[auth]`` secrets section, or None when there is none (or it can't be read)."""
    try:
        section = st.secrets.get("auth")  # read through st. so AppTest's at.secrets applies
    except FileNotFoundError:  # no secrets.toml anywhere
        return None
    except Exception:  # unreadable TOML: report, and treat as missing (fail closed)
        _LOG.exception("cannot read the [auth] secrets")
        return None
    return section.to_dict() if hasattr(section, "to_dict") else section


def _stop(title: str, message: str, details: list[str] | tuple[str, ...] = ()) -> None:
    st.title(title)
    st.error(message)
    for line in details:  # our own fixed texts (key names only, never secret values)
        st.markdown(f"- {line}")
    st.stop()


def _setting(name: str) -> Any:
    try:
        return settings.get(name)
    except SettingError as exc:  # the value may name team members: log it, don't show it
        _LOG.error("%s", exc)
        env = settings.SETTINGS_BY_NAME[name].env
        _stop(t("access.misconfigured"), t("access.invalid_setting", env=env))


def _open_access() -> str:
    if _auth_secrets():
        _stop(t("access.misconfigured"), t("access.no_allow_list", env=_ROLES_ENV))
    role = _setting("open_role")
    if role == "admin":
        st.sidebar.caption(t("access.local"))
    else:
        st.sidebar.caption(t("access.open", role=role))
    return role


def _team_access() -> str:
    roles_text = _setting("auth_roles")
    problems = auth.auth_config_problems(_auth_secrets())
    if problems:
        _LOG.error("team mode without usable [auth] secrets: %s", "; ".join(problems))
        # The problems are fixed English lines naming secrets keys (geo.auth), for the admin.
        _stop(t("access.misconfigured"), t("access.no_sign_in", env=_ROLES_ENV), problems)
    user = st.user.to_dict()
    if user.get("is_logged_in") is not True:
        st.title("Salvo")
        st.info(t("access.sign_in.prompt"))
        st.button(t("access.sign_in"), on_click=st.login, type="primary", key="access_sign_in")
        st.stop()
    role = auth.authorise(user, roles_text)
    if role is None:
        st.title("Salvo")
        st.error(t("access.not_on_list"))
        st.button(t("access.sign_out"), on_click=st.logout, key="access_sign_out")
        st.stop()
    name, email = for_markdown(user.get("name")), for_markdown(user.get("email"))
    st.sidebar.caption(t("access.signed_in", name=name or email, email=email, role=role))
    st.sidebar.button(t("access.sign_out"), on_click=st.logout, key="access_sidebar_sign_out")
    return role


def require_access(minimum: str = "viewer") -> str:
    """Stop the page unless the visitor has at least ``minimum``; returns their role."""
    role = _team_access() if team_mode() else _open_access()
    if not auth.at_least(role, minimum):
        _stop(t("access.refused"), t("access.refused.text", minimum=minimum, role=role))
    return role


def current_actor() -> str:
    """Who is making a change, for the audit log: the signed-in e-mail, or the local user."""
    if team_mode():
        email = st.user.to_dict().get("email")
        if email:
            return str(email)
    return "local user (no sign-in)"
