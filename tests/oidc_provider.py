"""A small OpenID provider for the tests, run inside the test process.

Built on Authlib's own authorization server (the authorization code grant with the OpenID
Connect and PKCE extensions), so Polku's client meets the protocol as a real provider speaks
it: a discovery document, a JWKS with an RS256 key, an authorize page with a login form (a
username field and a button) for the configured people, a token endpoint that takes
client_secret_basic or client_secret_post, and userinfo. It keeps everything in memory and
sets no cookies (a cookie of 127.0.0.1 would overwrite Polku's, whatever the port).

Knobs for the tests: `signing_key` (sign id_tokens with a key that is not in the JWKS),
`audience` (issue id_tokens to another client), `groups_in_id_token` (leave the groups to the
userinfo endpoint, as some providers do) and `iss` (the issuer the id_tokens name, e.g. with
a trailing slash as some providers have); `extra_in_id_token` (False: a person's `extra` claims,
such as a client's identity code, only in userinfo, as Suomi.fi gives them).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749 import AuthorizationCodeGrant, ClientMixin, scope_to_list
from authlib.oauth2.rfc6749.util import list_to_scope
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from flask import Flask, jsonify, request
from joserfc.jwk import RSAKey
from markupsafe import escape
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

KEY_ID = "test-key-1"
SCOPES = ["openid", "profile", "email"]


@dataclass
class Person:
    """Someone the provider knows; `groups` go into the groups claim."""

    sub: str
    preferred_username: str
    name: str
    groups: list[str] = field(default_factory=list)
    email: str | None = None
    # more claims: e.g. a client's personal identity code under Suomi.fi's claim name
    # ("urn:oid:1.2.246.21"), as strong identification gives it
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Client(ClientMixin):  # type: ignore[misc]
    client_id: str
    client_secret: str
    redirect_uris: list[str]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope: str | None) -> str:
        return list_to_scope([s for s in scope_to_list(scope or "") or [] if s in SCOPES])

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(self.client_secret, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):  # type: ignore[misc]
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    username: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str | None:
        return None

    def get_amr(self) -> list[str] | None:
        return None


class _Server(AuthorizationServer):  # type: ignore[misc]
    provider: OpenIDProvider


class _CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
    server: _Server

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        self.server.provider.codes[code] = Code(
            code=code,
            client_id=request.client.get_client_id(),
            redirect_uri=request.payload.redirect_uri or "",
            scope=request.client.get_allowed_scope(request.payload.scope),
            username=request.user.preferred_username,
            nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            auth_time=int(time.time()),
        )
        if data.get("nonce"):
            self.server.provider.nonces.add(data["nonce"])

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        found = self.server.provider.codes.get(code)
        return found if found is not None and found.client_id == client.client_id else None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        self.server.provider.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: Code) -> Person | None:
        return self.server.provider.people.get(authorization_code.username)


class _OpenIDCode(OpenIDCode):  # type: ignore[misc]
    def __init__(self, provider: OpenIDProvider) -> None:
        super().__init__(require_nonce=True)
        self.provider = provider

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return nonce in self.provider.nonces

    def resolve_client_private_key(self, client: Client) -> RSAKey:
        return self.provider.signing_key

    def get_client_algorithm(self, client: Client) -> str:
        return "RS256"

    def get_encode_header(self, client: Client) -> dict[str, str]:
        return {"alg": "RS256", "kid": KEY_ID}

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        return {"iss": self.provider.iss, "aud": [self.provider.audience or client.client_id]}

    def generate_user_info(self, user: Person, scope: str) -> UserInfo:
        return self.provider.claims(user, in_id_token=True)


class OpenIDProvider:
    """The provider, served on 127.0.0.1 at a free port while started."""

    def __init__(
        self,
        people: list[Person],
        *,
        client_id: str = "polku",
        client_secret: str | None = None,
        redirect_uris: list[str] | None = None,
    ) -> None:
        self.people = {p.preferred_username: p for p in people}
        self.key = RSAKey.generate_key(2048, parameters={"kid": KEY_ID, "use": "sig"})
        self.signing_key = self.key
        self.audience: str | None = None
        self.groups_in_id_token = True
        self.extra_in_id_token = True  # False: the extra claims only in userinfo (Suomi.fi)
        self.codes: dict[str, Code] = {}
        self.nonces: set[str] = set()
        self.tokens: dict[str, str] = {}  # access token -> username
        self.client = Client(
            client_id,
            client_secret or secrets.token_urlsafe(16),
            list(redirect_uris or ["http://localhost/login/sso/callback"]),
        )
        self.app = self._make_app()
        self._http = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.issuer = f"http://127.0.0.1:{self._http.server_port}"
        self.iss = self.issuer  # what the id_tokens and the discovery document call it
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def start(self) -> OpenIDProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def forge_id_tokens(self) -> None:
        """Sign id_tokens from now on with a key of the same id that the JWKS does not hold."""
        self.signing_key = RSAKey.generate_key(2048, parameters={"kid": KEY_ID, "use": "sig"})

    def polku_settings(self, role_map: dict[str, list[str]], **changes: Any) -> dict[str, Any]:
        """Polku's app.config["OIDC"] for this provider (as web.config.oidc_settings makes it)."""
        settings: dict[str, Any] = {
            "issuer": self.issuer,
            "client_id": self.client.client_id,
            "client_secret": self.client.client_secret,
            "discovery_url": None,
            "scope": "openid profile email",
            "groups_claim": "groups",
            "username_claim": "preferred_username",
            "role_map": role_map,
            "label": None,
            "password_login": True,
        }
        settings.update(changes)
        return settings

    def sign_in(self, authorize_url: str, username: str, *, cancel: bool = False) -> str:
        """What a browser does on the provider's pages: open the login form, send it; the
        address the provider sends the browser back to."""
        page = requests.get(authorize_url, timeout=5)
        assert page.status_code == 200, page.text
        assert 'name="username"' in page.text
        form = dict(parse_qsl(urlsplit(authorize_url).query))
        form.update({"username": username, "action": "cancel" if cancel else "sign_in"})
        answer = requests.post(
            f"{self.issuer}/authorize", data=form, allow_redirects=False, timeout=5
        )
        assert answer.status_code == 302, answer.text
        return answer.headers["Location"]

    def claims(self, person: Person, *, in_id_token: bool = False) -> UserInfo:
        info = UserInfo(
            sub=person.sub, name=person.name, preferred_username=person.preferred_username
        )
        if person.email:
            info["email"] = person.email
        if self.extra_in_id_token or not in_id_token:
            info.update(person.extra)
        if self.groups_in_id_token or not in_id_token:
            info["groups"] = list(person.groups)
        return info

    # -- the provider's pages ---------------------------------------------------------------

    def _make_app(self) -> Flask:
        app = Flask("oidc_provider")
        app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"authorization_code": 300}
        server = _Server(app, query_client=self._query_client, save_token=self._save_token)
        server.provider = self
        server.register_grant(_CodeGrant, [CodeChallenge(required=True), _OpenIDCode(self)])

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Response:
            return jsonify(
                issuer=self.iss,
                authorization_endpoint=f"{self.issuer}/authorize",
                token_endpoint=f"{self.issuer}/token",
                userinfo_endpoint=f"{self.issuer}/userinfo",
                jwks_uri=f"{self.issuer}/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                scopes_supported=SCOPES,
                token_endpoint_auth_methods_supported=[
                    "client_secret_basic",
                    "client_secret_post",
                ],
                code_challenge_methods_supported=["S256"],
                claims_supported=["sub", "name", "preferred_username", "email", "groups"],
            )

        @app.get("/jwks")
        def jwks() -> Response:
            return jsonify(keys=[self.key.as_dict(private=False, alg="RS256")])

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize() -> Response | tuple[str, int]:
            person = None
            if request.method == "POST":
                person = self.people.get(request.form.get("username", ""))
                if person is None and request.form.get("action") != "cancel":
                    return self._login_form(error="Unknown user"), 200
            try:
                grant = server.get_consent_grant(end_user=person)
            except OAuth2Error as error:
                return f"<p>Invalid request: {escape(error.error)}</p>", 400
            if request.method == "GET":
                return self._login_form(), 200
            granted = None if request.form.get("action") == "cancel" else person
            response: Response = server.create_authorization_response(
                grant_user=granted, grant=grant
            )
            return response

        @app.post("/token")
        def token() -> Response:
            response: Response = server.create_token_response()
            return response

        @app.get("/userinfo")
        def userinfo() -> Response | tuple[Response, int]:
            scheme, _, value = request.headers.get("Authorization", "").partition(" ")
            username = self.tokens.get(value) if scheme.lower() == "bearer" else None
            if username is None or username not in self.people:
                return jsonify(error="invalid_token"), 401
            return jsonify(self.claims(self.people[username]))

        return app

    def _query_client(self, client_id: str) -> Client | None:
        return self.client if client_id == self.client.client_id else None

    def _save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        self.tokens[token["access_token"]] = request.user.preferred_username

    def _login_form(self, error: str | None = None) -> str:
        keep = {k: v for k, v in request.values.items() if k not in ("username", "action")}
        hidden = "".join(
            f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in keep.items()
        )
        message = f'<p role="alert">{escape(error)}</p>' if error else ""
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            "<title>Organisation sign-in</title></head><body><h1>Organisation sign-in</h1>"
            f'{message}<form method="post" action="/authorize">{hidden}'
            '<label for="idp-username">Username</label> '
            '<input id="idp-username" name="username" autocomplete="username">'
            '<button type="submit" name="action" value="sign_in">Sign in</button> '
            '<button type="submit" name="action" value="cancel">Cancel</button>'
            "</form></body></html>"
        )


@contextmanager
def running(people: list[Person], **kwargs: Any) -> Iterator[OpenIDProvider]:
    provider = OpenIDProvider(people, **kwargs).start()
    try:
        yield provider
    finally:
        provider.stop()
