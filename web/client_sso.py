"""Clients' sign-in with strong identification (Suomi.fi e-Identification over OpenID
Connect; docs/deployment.md "Clients' own sign-in").

The same Authlib integration as the professionals' single sign-on (web/sso.py), with a client
registration of its own (app.config["CLIENT_OIDC"]): the discovery document, the redirect with
`state`, `nonce` and PKCE, the code exchange and the id_token's signature and claims. What comes
out is the personal identity code the provider vouches for (the configured claim, from the
id_token or else from userinfo), which `engine.services.client_sessions` matches to the client
record. Failures are `sso.SignInFailed` with the same kinds; log lines never name a person."""

from __future__ import annotations

from typing import Any

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError
from flask import Flask, current_app, request
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from web import sso
from web.config import ConfigError
from web.sso import (
    _ERROR_CODE,
    _TROUBLE,
    ISSUER_MAX,
    PROVIDER_ERROR,
    STATE,
    TOKEN,
    UNREACHABLE,
    SignInFailed,
    _failed,
    register_provider,
)

CLIENT_NAME = "client_identification"
EXTENSION = "polku.client_sso"
CODE_MAX = 20  # as client.identity_code keeps it


def init_app(app: Flask) -> None:
    """Register the identification provider's client when it is configured."""
    settings = app.config.get("CLIENT_OIDC")
    if not settings:
        return
    if "openid" not in str(settings.get("scope", "")).split():
        raise ConfigError("POLKU_CLIENT_OIDC_SCOPE must include openid")
    if len(str(settings["issuer"]).rstrip("/")) > ISSUER_MAX:
        raise ConfigError(f"POLKU_CLIENT_OIDC_ISSUER is longer than {ISSUER_MAX} characters")
    register_provider(app, EXTENSION, CLIENT_NAME, settings)

def settings() -> dict[str, Any] | None:
    if EXTENSION not in current_app.extensions:
        return None
    value: dict[str, Any] = current_app.config["CLIENT_OIDC"]
    return value


def redirect_uri() -> str:
    """Where the provider sends the client back: register it at the provider."""
    return sso.redirect_uri("oma.sign_in_callback")

def start() -> Response:
    try:
        response: Response = current_app.extensions[EXTENSION].authorize_redirect(redirect_uri())
    except AuthlibBaseError as exc:
        raise _failed(PROVIDER_ERROR, str(exc.error)[:60]) from None
    except _TROUBLE as exc:
        raise _failed(UNREACHABLE, type(exc).__name__) from None
    return response


def finish() -> str:
    """The personal identity code the provider's answer on the callback vouches for."""
    config = settings()
    assert config is not None
    client = current_app.extensions[EXTENSION]
    issuer = str(config["issuer"]).rstrip("/")
    error = request.args.get("error")
    if error:
        raise _failed(PROVIDER_ERROR, error if _ERROR_CODE.match(error) else "unreadable")
    try:
        token = client.authorize_access_token(
            claims_options={
                "iss": {"essential": True, "values": [issuer, f"{issuer}/"]},
                "aud": {"essential": True, "value": config["client_id"]},
            }
        )
    except MismatchingStateError:
        raise _failed(STATE) from None
    except JoseError as exc:
        raise _failed(TOKEN, type(exc).__name__) from None
    except AuthlibBaseError as exc:
        raise _failed(PROVIDER_ERROR, str(exc.error)[:60]) from None
    except _TROUBLE as exc:
        raise _failed(UNREACHABLE, type(exc).__name__) from None
    claims = token.get("userinfo")
    if not claims or not claims.get("sub"):
        raise _failed(TOKEN, "no id_token")
    claim = config.get("identity_claim") or ""
    code = claims.get(claim)
    if code is None:
        code = _from_userinfo(client, token, dict(claims), claim)
    if not isinstance(code, str) or not code.strip() or len(code.strip()) > CODE_MAX:
        raise _failed(TOKEN, "no usable identity code")
    return code.strip()


def _from_userinfo(client: Any, token: Any, claims: dict[str, Any], claim: str) -> Any:
    """Suomi.fi gives the identity code in userinfo, not in the id_token."""
    try:
        if not client.load_server_metadata().get("userinfo_endpoint"):
            return None
        info = client.userinfo(token=token)
    except AuthlibBaseError as exc:
        raise _failed(PROVIDER_ERROR, f"userinfo {str(exc.error)[:50]}") from None
    except _TROUBLE as exc:
        raise _failed(UNREACHABLE, f"userinfo {type(exc).__name__}") from None
    if info.get("sub") != claims.get("sub"):
        raise _failed(TOKEN, "userinfo for another subject")
    return info.get(claim)


__all__ = ["SignInFailed", "finish", "init_app", "settings", "start"]
