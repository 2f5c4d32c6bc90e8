"""Who may do what: the allow-list and the role rules (pure logic, no Streamlit).

Signing in (who you are) is the identity provider's job, through Streamlit's ``st.login``.
Authorisation (what you may do) is ours: ``SALVO_AUTH_ROLES`` maps e-mail addresses and
``@domains`` to roles, e.g. ``alice@x.org=admin, @x.org=viewer``. An exact address beats its
domain; matching ignores case; a domain matches that domain only, not its subdomains.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

ROLES = ("viewer", "editor", "admin")
# The least role each action needs. Exports hold only what the viewer already sees.
ACTIONS = {"view": "viewer", "export": "viewer", "import": "editor", "curate": "editor",
           "admin": "admin"}
# What st.login needs in the [auth] secrets section (the default, unnamed provider).
AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret",
             "server_metadata_url")
MIN_COOKIE_SECRET = 32

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")
_LOCAL = re.compile(r"[a-z0-9!#$%&'+/=?^_`{|}~.-]{1,64}")  # no '*': wildcards are an error


def _normalise_email(email: object) -> str | None:
    """Lower-cased ``local@domain`` if ``email`` looks like one address, else None."""
    if not isinstance(email, str):
        return None
    text = email.strip().lower()
    local, at, domain = text.rpartition("@")
    if not at or not _LOCAL.fullmatch(local) or not _DOMAIN.fullmatch(domain):
        return None
    return text


def parse_roles(text: str) -> dict[str, str]:
    """``"alice@x.org=admin, @x.org=viewer"`` → ``{"alice@x.org": "admin", "@x.org": "viewer"}``.

    Entries are separated by commas or new lines. Raises ``ValueError`` naming the first bad
    entry: no ``=``, an unknown role, something that is neither an address nor ``@domain``,
    or the same address/domain given two different roles.
    """
    roles: dict[str, str] = {}
    for raw in re.split(r"[,\n]", text or ""):
        entry = raw.strip()
        if not entry:
            continue
        who, eq, role = entry.partition("=")
        who, role = who.strip().lower(), role.strip().lower()
        if not eq:
            raise ValueError(f"entry {entry!r} needs the form address=role or @domain=role")
        if role not in ROLES:
            raise ValueError(f"entry {entry!r}: role must be one of {', '.join(ROLES)}")
        if who.startswith("@"):
            ok = bool(_DOMAIN.fullmatch(who[1:]))
        else:
            ok = _normalise_email(who) == who
        if not ok:
            raise ValueError(f"entry {entry!r}: {who!r} is neither an e-mail address nor "
                             "@domain (no wildcards)")
        if roles.get(who, role) != role:
            raise ValueError(f"{who!r} is given two roles ({roles[who]} and {role})")
        roles[who] = role
    return roles


def role_for(email: object, roles_text: str) -> str | None:
    """The role of ``email`` under the allow-list ``roles_text``; None if not on it."""
    address = _normalise_email(email)
    if address is None:
        return None
    roles = parse_roles(roles_text)
    return roles.get(address) or roles.get("@" + address.rpartition("@")[2])


def authorise(user: Mapping[str, Any], roles_text: str) -> str | None:
    """The role of a signed-in ``st.user`` (its claims as a dict); None = refused.

    Refused: not signed in, no e-mail claim, an e-mail the provider says is *not* verified
    (``email_verified`` false), or an address/domain not on the allow-list.
    """
    if user.get("is_logged_in") is not True:
        return None
    if user.get("email_verified") in (False, "false", "False"):
        return None
    return role_for(user.get("email"), roles_text)


def at_least(role: str | None, minimum: str) -> bool:
    """Whether ``role`` is ``minimum`` or above (viewer < editor < admin)."""
    if minimum not in ROLES:
        raise ValueError(f"unknown role {minimum!r}")
    return role in ROLES and ROLES.index(role) >= ROLES.index(minimum)


def can(role: str | None, action: str) -> bool:
    """Whether ``role`` may do ``action`` (view, export, import, curate, admin)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    return at_least(role, ACTIONS[action])


def auth_config_problems(auth: Mapping[str, Any] | None) -> list[str]:
    """What is wrong with the ``[auth]`` secrets section for team mode (empty = usable).

    Names keys only, never their values, so the result can be shown to anyone.
    """
    if not auth:
        return ["the [auth] section is missing from .streamlit/secrets.toml"]
    problems = [f"[auth] has no {key}" for key in AUTH_KEYS if not auth.get(key)]
    redirect = str(auth.get("redirect_uri") or "")
    if redirect and (not re.match(r"https?://[^/]+/", redirect)
                     or not redirect.endswith("/oauth2callback")):
        problems.append("[auth] redirect_uri must be an absolute URL ending in /oauth2callback")
    copied = [key for key in AUTH_KEYS if str(auth.get(key) or "").startswith("REPLACE")]
    if copied:  # straight from .streamlit/secrets.toml.example
        problems.append(f"[auth] still has example values: {', '.join(copied)}")
    secret = str(auth.get("cookie_secret") or "")
    if secret and len(secret) < MIN_COOKIE_SECRET:
        problems.append(f"[auth] cookie_secret must be at least {MIN_COOKIE_SECRET} random "
                        "characters (python -c 'import secrets; print(secrets.token_hex(32))')")
    return problems
