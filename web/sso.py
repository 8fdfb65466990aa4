"""Single sign-on through the organisation's OpenID provider (docs/single-sign-on.md).

Authlib's Flask client does the protocol: the discovery document, the redirect with `state`,
`nonce` and a PKCE challenge, the code exchange and the id_token's signature and claims
(issuer, audience, expiry, nonce). What comes out is an `Identity` for the account service
`engine.services.single_sign_on`. Every way the exchange can fail becomes one `SignInFailed`
with a kind the login views turn into a page; nothing is changed on a failure.

Log lines name the kind of failure and the provider's error code, never a person.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app, request, url_for
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from engine.services.single_sign_on import Identity, role_map_problems
from engine.workflow.roles import RoleCatalog
from web.config import ConfigError

log = logging.getLogger("polku.sso")
CLIENT_NAME = "organisation"
EXTENSION = "polku.sso"
TIMEOUT_SECONDS = 10  # for each call to the provider: a hung provider must not hang Polku
DISCOVERY_PATH = "/.well-known/openid-configuration"
ISSUER_MAX, SUBJECT_MAX = 300, 255  # as app_user keeps them (and as OpenID Connect limits sub)
_ERROR_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")
# what a call to the provider raises when it cannot be reached or answers nonsense (a
# discovery document that is no JSON object, one without endpoints, a JWKS without keys...)
_TROUBLE = (requests.RequestException, ValueError, KeyError, TypeError, RuntimeError)

# The kinds of failure (SignInFailed.kind):
PROVIDER_ERROR = "provider_error"  # the provider sent the person back with an error
STATE = "state"  # no sign-in of this browser waits for this answer (forged, replayed, expired)
TOKEN = "token"  # the provider's answer could not be verified (signature, claims, no id_token)
UNREACHABLE = "unreachable"  # the provider did not answer, or answered nonsense


class SignInFailed(Exception):
    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


def discovery_url(settings: Mapping[str, Any]) -> str:
    return str(settings.get("discovery_url") or settings["issuer"] + DISCOVERY_PATH)


def init_app(app: Flask) -> None:
    """Register the provider's client when single sign-on is configured (app.config["OIDC"]).

    Refuses to start (ConfigError) on a scope without `openid` or a role map naming roles
    that processes/roles.json does not have."""
    settings = app.config.get("OIDC")
    if not settings:
        return
    if "openid" not in str(settings.get("scope", "")).split():
        raise ConfigError("POLKU_OIDC_SCOPE must include openid")
    if len(str(settings["issuer"]).rstrip("/")) > ISSUER_MAX:
        raise ConfigError(f"POLKU_OIDC_ISSUER is longer than {ISSUER_MAX} characters")
    catalog = RoleCatalog.load(Path(app.config["PROCESSES_DIR"]) / "roles.json")
    unknown = role_map_problems(settings.get("role_map") or {}, catalog)
    if unknown:
        raise ConfigError(
            f"POLKU_OIDC_ROLE_MAP names roles Polku does not have: {', '.join(unknown)} "
            f"(the roles are {', '.join(catalog.codes)}, and admin)"
        )
    register_provider(app, EXTENSION, CLIENT_NAME, settings)


def register_provider(app: Flask, extension: str, name: str, settings: dict[str, Any]) -> None:
    """Register an OpenID provider with Authlib (authorization code with PKCE) under
    `app.extensions[extension]`: the staff's provider and the clients' alike."""
    oauth = OAuth(app)  # one registry per app: tests run several apps in one process
    app.extensions[extension] = oauth.register(
        name,
        client_id=settings["client_id"],
        client_secret=settings["client_secret"],
        server_metadata_url=discovery_url(settings),
        client_kwargs={
            "scope": settings["scope"],
            "code_challenge_method": "S256",
            "default_timeout": TIMEOUT_SECONDS,
        },
    )


def settings() -> dict[str, Any] | None:
    """The single sign-on settings, or None when it is not configured."""
    if EXTENSION not in current_app.extensions:
        return None
    value: dict[str, Any] = current_app.config["OIDC"]
    return value


def password_login_allowed() -> bool:
    """Local passwords are accepted (pages and API tokens) unless single sign-on is configured
    with POLKU_PASSWORD_LOGIN=0."""
    found = settings()
    return found is None or bool(found.get("password_login", True))


def _client() -> Any:
    return current_app.extensions[EXTENSION]


def redirect_uri(endpoint: str = "ui.sso_callback") -> str:
    """Where the provider sends the person back (the callback `endpoint`): register it at the
    provider. Behind a proxy, the configured public address."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        path = url_for(endpoint).removeprefix(request.script_root)
        return f"{str(base).rstrip('/')}{path}"
    return url_for(endpoint, _external=True)


def start() -> Response:
    """The redirect to the provider's sign-in page (state, nonce and PKCE kept in the session)."""
    try:
        response: Response = _client().authorize_redirect(redirect_uri())
    except AuthlibBaseError as exc:
        raise _failed(PROVIDER_ERROR, str(exc.error)[:60]) from None
    except _TROUBLE as exc:
        raise _failed(UNREACHABLE, type(exc).__name__) from None
    return response


def finish() -> Identity:
    """The identity the provider's answer on the callback proves."""
    config = settings()
    assert config is not None
    client = _client()
    issuer = str(config["issuer"]).rstrip("/")
    error = request.args.get("error")
    if error:
        raise _failed(PROVIDER_ERROR, error if _ERROR_CODE.match(error) else "unreadable")
    try:
        token = client.authorize_access_token(
            claims_options={
                # the settings drop a trailing slash that some providers' issuers have
                "iss": {"essential": True, "values": [issuer, f"{issuer}/"]},
                "aud": {"essential": True, "value": config["client_id"]},
            }
        )
    except MismatchingStateError:
        raise _failed(STATE) from None
    except JoseError as exc:
        raise _failed(TOKEN, type(exc).__name__) from None
    except AuthlibBaseError as exc:  # the token endpoint refused the code
        raise _failed(PROVIDER_ERROR, str(exc.error)[:60]) from None
    except _TROUBLE as exc:
        raise _failed(UNREACHABLE, type(exc).__name__) from None
    claims = token.get("userinfo")
    if not claims:
        raise _failed(TOKEN, "no id_token")
    claims = dict(claims)
    if _wants_userinfo(claims, config):
        claims = _with_userinfo(client, token, claims)
    return identity_from(claims, config)


def identity_from(claims: Mapping[str, Any], config: Mapping[str, Any]) -> Identity:
    """The identity in verified claims; the issuer as configured (the claim may differ from it
    by a trailing slash), so that the accounts' key stays the same."""
    subject = str(claims.get("sub") or "")
    if not subject or len(subject) > SUBJECT_MAX:
        raise _failed(TOKEN, "no usable sub")
    username = claims.get(config.get("username_claim") or "preferred_username")
    name = claims.get("name")
    return Identity(
        issuer=str(config["issuer"]).rstrip("/"),
        subject=subject,
        username=username if isinstance(username, str) else None,
        display_name=name if isinstance(name, str) else None,
        groups=_groups(claims.get(config.get("groups_claim") or "groups")),
    )


def _groups(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(g for g in value if isinstance(g, str))
    return ()


def _wants_userinfo(claims: Mapping[str, Any], config: Mapping[str, Any]) -> bool:
    """Whether the id_token lacks the groups (some providers put them only in userinfo)."""
    return (config.get("groups_claim") or "groups") not in claims


def _with_userinfo(client: Any, token: Mapping[str, Any], claims: dict[str, Any]) -> dict[str, Any]:
    try:
        if not client.load_server_metadata().get("userinfo_endpoint"):
            return claims
        info = client.userinfo(token=token)
    except AuthlibBaseError as exc:
        raise _failed(PROVIDER_ERROR, f"userinfo {str(exc.error)[:50]}") from None
    except _TROUBLE as exc:
        raise _failed(UNREACHABLE, f"userinfo {type(exc).__name__}") from None
    if info.get("sub") != claims.get("sub"):
        raise _failed(TOKEN, "userinfo for another subject")
    return {**info, **claims}  # the signed id_token wins where both have a claim


def _failed(kind: str, detail: str = "") -> SignInFailed:
    log.warning(
        "single sign-on failed: %s",
        kind,
        extra={"fields": {"sso_failure": kind, "detail": detail}},
    )
    return SignInFailed(kind, detail)
