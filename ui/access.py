"""Who may see what. Called first by every page *and* the entrypoint.

With a ``pages/`` folder, Streamlit can run a page without running ``app.py`` first (deep
links, first request after a restart), so a check in ``app.py`` alone protects nothing.
"""

from __future__ import annotations

import streamlit as st

from geo import settings

ROLES = ("viewer", "editor", "admin")


def team_mode() -> bool:
    return bool(settings.get("auth_roles"))


def require_access(minimum: str = "viewer") -> str:
    """Stop the page unless the visitor has at least ``minimum``; returns their role.

    Local single-user mode (no allow-list configured) grants ``admin`` to the person at
    the keyboard and says so in the sidebar.
    """
    if not team_mode():
        st.sidebar.caption("Local single-user mode: no sign-in configured.")
        return "admin"
    from geo.auth import role_for

    user = st.user
    if not getattr(user, "is_logged_in", False):
        st.title("Salvo")
        st.info("Sign in with your team account to see the dashboard.")
        st.button("Sign in", on_click=st.login, type="primary")
        st.stop()
    role = role_for(getattr(user, "email", None), settings.get("auth_roles"))
    if role is None:
        st.error("Your account is not on this team's access list. Ask an admin to add you.")
        st.button("Sign out", on_click=st.logout)
        st.stop()
    if ROLES.index(role) < ROLES.index(minimum):
        st.error(f"This page needs the {minimum} role; you are a {role}.")
        st.stop()
    st.sidebar.caption(f"Signed in as {user.email} · {role}")
    st.sidebar.button("Sign out", on_click=st.logout)
    return role
