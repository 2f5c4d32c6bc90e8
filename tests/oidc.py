"""A real OpenID Connect provider on the loopback, for sign-in tests (nothing leaves the machine).

It is PyPI ``oidc-provider-mock`` (pinned in requirements-dev.txt): an Authlib/Flask provider
with discovery, an authorisation page (pick a user, then it redirects back with a code), a
token endpoint issuing RS256-signed ID tokens, JWKS and userinfo. It accepts any client id
and secret. We run it in a thread on 127.0.0.1 and predefine the users and their claims.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Provider:
    url: str  # issuer, e.g. http://127.0.0.1:40123

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"


@contextmanager
def running(users: Mapping[str, Mapping[str, Any]]) -> Iterator[Provider]:
    """Serve a provider knowing ``users`` (subject → claims, e.g. email, name) until exit.

    OAuth forbids plain http except on purpose: ``AUTHLIB_INSECURE_TRANSPORT`` is set for
    the provider's lifetime (it runs in this process) and restored afterwards.
    """
    with warnings.catch_warnings():  # the package imports authlib.jose (deprecated, works)
        import authlib.deprecate  # noqa: F401  (installs an "always" filter of its own first)

        warnings.simplefilter("ignore")
        import oidc_provider_mock
        import werkzeug.serving

    app = oidc_provider_mock.app(
        require_nonce=True,
        user_claims=[oidc_provider_mock.User(sub=sub, claims=dict(claims))
                     for sub, claims in users.items()],
    )
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="oidc-provider", daemon=True)
    saved = os.environ.get("AUTHLIB_INSECURE_TRANSPORT")
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    thread.start()
    try:
        yield Provider(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        if saved is None:
            os.environ.pop("AUTHLIB_INSECURE_TRANSPORT", None)
        else:
            os.environ["AUTHLIB_INSECURE_TRANSPORT"] = saved


def secrets_toml(provider: Provider, app_url: str, cookie_secret: str) -> str:
    """The ``[auth]`` section Streamlit needs to sign in against ``provider``."""
    return (
        "[auth]\n"
        f'redirect_uri = "{app_url}/oauth2callback"\n'
        f'cookie_secret = "{cookie_secret}"\n'
        'client_id = "salvo-e2e"\n'
        'client_secret = "salvo-e2e-client-secret"\n'
        f'server_metadata_url = "{provider.metadata_url}"\n'
    )
