"""Configuration from the environment (or one `KEY=value` file named by POLKU_CONFIG_FILE).

Every setting is documented in docs/deployment.md. Values are checked here, at start, so a
wrong setting stops the process with a message naming the variable, never a failure later.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}
LOG_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR"}


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message names the variable."""


def environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The process environment over the values of POLKU_CONFIG_FILE (the environment wins)."""
    env = dict(os.environ if env is None else env)
    path = env.get("POLKU_CONFIG_FILE")
    if not path:
        return env
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"POLKU_CONFIG_FILE: cannot read {path}: {exc.strerror}") from None
    from_file: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip().startswith("POLKU_") and key.strip() != "PORT":
            raise ConfigError(f"{path} line {number}: expected POLKU_NAME=value")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]  # a quoted value is taken as it is, '#' and all
        elif " #" in value or value.startswith("#"):
            raise ConfigError(
                f"{path} line {number}: a comment must be on a line of its own "
                "(or quote a value that holds ' #')"
            )
        from_file[key.strip()] = value
    return {**from_file, **env}


def flag(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = env.get(name)
    if raw is None or not raw.strip():  # unset or empty (`POLKU_X=`): the default
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ConfigError(f"{name} must be 1 or 0 (true/false), not {raw!r}")


def number(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}")
    return value


def seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be more than 0")
    return value


def flask_settings(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The Flask configuration the environment asks for."""
    env = environment(env)
    demo = flag(env, "POLKU_DEMO")
    base_url = env.get("POLKU_BASE_URL", "").rstrip("/")
    if base_url and not base_url.startswith(("http://", "https://")):
        raise ConfigError("POLKU_BASE_URL must start with https:// (or http:// for a trial)")
    # outside demo mode cookies are Secure (HTTPS only) unless explicitly turned off
    secure = flag(env, "POLKU_SECURE_COOKIES", default=not demo or base_url.startswith("https://"))
    level = env.get("POLKU_LOG_LEVEL", "INFO").upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"POLKU_LOG_LEVEL must be one of {', '.join(sorted(LOG_LEVELS))}")
    log_format = env.get("POLKU_LOG_FORMAT", "text").lower()
    if log_format not in {"text", "json"}:
        raise ConfigError("POLKU_LOG_FORMAT must be text or json")
    settings: dict[str, Any] = {
        "DEMO_MODE": demo,
        "SECRET_KEY": env.get("POLKU_SECRET_KEY") or None,
        "DATABASE_URL": env.get("POLKU_DATABASE_URL") or None,
        "DATABASE_AUTO_UPGRADE": flag(env, "POLKU_DB_AUTO_UPGRADE"),
        "PROCESSES_DIR": env.get("POLKU_PROCESSES_DIR") or str(ROOT / "processes"),
        "PUBLIC_BASE_URL": base_url or None,
        "PREFERRED_URL_SCHEME": "https" if base_url.startswith("https://") else "http",
        "SESSION_COOKIE_SECURE": secure,
        "LOG_LEVEL": level,
        "LOG_FORMAT": log_format,
        "METRICS_TOKEN": env.get("POLKU_METRICS_TOKEN") or None,
        "RATELIMIT_STORAGE_URI": env.get("POLKU_RATELIMIT_STORAGE_URI") or "memory://",
        "SIGN_IN_THROTTLE": flag(env, "POLKU_SIGN_IN_THROTTLE", default=True),
        "SESSION_IDLE_MINUTES": number(env, "POLKU_SESSION_IDLE_MINUTES", 30),
        "SESSION_LIFETIME_HOURS": number(env, "POLKU_SESSION_LIFETIME_HOURS", 10),
        "OIDC": oidc_settings(env),
        "CLIENT_OIDC": client_oidc_settings(env),
        "NOTIFICATIONS": notification_settings(env, base_url),
    }
    return settings


def notification_settings(env: Mapping[str, str], base_url: str) -> dict[str, Any]:
    """The daily e-mail digest's SMTP server and the notifications' timing (no
    POLKU_SMTP_HOST: no e-mail, the notices in the app still work)."""
    security = (env.get("POLKU_SMTP_SECURITY") or "none").strip().lower()
    if security not in {"none", "starttls", "ssl"}:
        raise ConfigError("POLKU_SMTP_SECURITY must be none, starttls or ssl")
    host = (env.get("POLKU_SMTP_HOST") or "").strip() or None
    default_port = {"none": 25, "starttls": 587, "ssl": 465}[security]
    hour = number(env, "POLKU_DIGEST_HOUR", 7, minimum=0)
    if hour > 23:
        raise ConfigError("POLKU_DIGEST_HOUR must be an hour from 0 to 23 (Finnish time)")
    sender = (env.get("POLKU_MAIL_FROM") or "").strip()
    if host and not sender:
        raise ConfigError("POLKU_SMTP_HOST is set: POLKU_MAIL_FROM (the sender's address) too")
    if any(ch in sender for ch in "\r\n"):
        raise ConfigError("POLKU_MAIL_FROM must be one line")
    username = env.get("POLKU_SMTP_USERNAME") or None
    if username and not env.get("POLKU_SMTP_PASSWORD"):
        raise ConfigError("POLKU_SMTP_USERNAME is set: POLKU_SMTP_PASSWORD is needed too")
    return {
        "smtp_host": host,
        "smtp_port": number(env, "POLKU_SMTP_PORT", default_port),
        "smtp_username": username,
        "smtp_password": env.get("POLKU_SMTP_PASSWORD") or None,
        "smtp_security": security,
        "mail_from": sender or "polku@localhost",
        "base_url": base_url or "http://localhost:5000",
        "digest_hour": hour,
        "quiet_days": number(env, "POLKU_QUIET_DAYS", 10),
    }


def oidc_settings(env: Mapping[str, str]) -> dict[str, Any] | None:
    """Single sign-on through the organisation's OpenID provider, when POLKU_OIDC_ISSUER is set."""
    issuer = env.get("POLKU_OIDC_ISSUER", "").rstrip("/")
    if not issuer:
        return None
    client_id = env.get("POLKU_OIDC_CLIENT_ID")
    secret = env.get("POLKU_OIDC_CLIENT_SECRET")
    if not client_id or not secret:
        raise ConfigError(
            "POLKU_OIDC_ISSUER is set: POLKU_OIDC_CLIENT_ID and "
            "POLKU_OIDC_CLIENT_SECRET are needed too"
        )
    scope = env.get("POLKU_OIDC_SCOPE", "openid profile email")
    if "openid" not in scope.split():
        raise ConfigError("POLKU_OIDC_SCOPE must include openid")
    raw_map = env.get("POLKU_OIDC_ROLE_MAP", "")
    if raw_map.startswith("@"):
        try:
            raw_map = Path(raw_map[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"POLKU_OIDC_ROLE_MAP: cannot read {raw_map[1:]}: {exc.strerror}"
            ) from None
    try:
        role_map = json.loads(raw_map) if raw_map.strip() else {}
    except json.JSONDecodeError as exc:
        raise ConfigError(f"POLKU_OIDC_ROLE_MAP is not valid JSON: {exc.msg}") from None
    if not isinstance(role_map, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(r, str) for r in v)
        for k, v in role_map.items()
    ):
        raise ConfigError(
            "POLKU_OIDC_ROLE_MAP must map a group to a list of roles, e.g. "
            '{"tyokyky-laakarit": ["physician"], "polku-admins": ["admin"]}'
        )
    return {
        "issuer": issuer,
        "client_id": client_id,
        "client_secret": secret,
        # where the discovery document is, when not at <issuer>/.well-known/openid-configuration
        "discovery_url": env.get("POLKU_OIDC_DISCOVERY_URL") or None,
        "scope": scope,
        "groups_claim": env.get("POLKU_OIDC_GROUPS_CLAIM", "groups"),
        "username_claim": env.get("POLKU_OIDC_USERNAME_CLAIM", "preferred_username"),
        "role_map": role_map,
        "label": env.get("POLKU_OIDC_LABEL") or None,
        "password_login": flag(env, "POLKU_PASSWORD_LOGIN", default=True),
    }


# Suomi.fi e-Identification's claim of the Finnish personal identity code (henkilötunnus)
SUOMI_FI_IDENTITY_CLAIM = "urn:oid:1.2.246.21"


def client_oidc_settings(env: Mapping[str, str]) -> dict[str, Any] | None:
    """Clients' own sign-in with strong identification (Suomi.fi e-Identification, or an
    identity broker speaking OpenID Connect), when POLKU_CLIENT_OIDC_ISSUER is set."""
    issuer = env.get("POLKU_CLIENT_OIDC_ISSUER", "").rstrip("/")
    if not issuer:
        return None
    client_id = env.get("POLKU_CLIENT_OIDC_CLIENT_ID")
    secret = env.get("POLKU_CLIENT_OIDC_CLIENT_SECRET")
    if not client_id or not secret:
        raise ConfigError(
            "POLKU_CLIENT_OIDC_ISSUER is set: POLKU_CLIENT_OIDC_CLIENT_ID and "
            "POLKU_CLIENT_OIDC_CLIENT_SECRET are needed too"
        )
    scope = env.get("POLKU_CLIENT_OIDC_SCOPE", "openid profile")
    if "openid" not in scope.split():
        raise ConfigError("POLKU_CLIENT_OIDC_SCOPE must include openid")
    return {
        "issuer": issuer,
        "client_id": client_id,
        "client_secret": secret,
        "discovery_url": env.get("POLKU_CLIENT_OIDC_DISCOVERY_URL") or None,
        "scope": scope,
        # the claim holding the personal identity code the client record is matched on
        "identity_claim": env.get("POLKU_CLIENT_OIDC_IDENTITY_CLAIM") or SUOMI_FI_IDENTITY_CLAIM,
        "label": env.get("POLKU_CLIENT_OIDC_LABEL") or None,
    }


def server_settings(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """How `polku serve` runs its processes."""
    env = environment(env)
    cores = os.cpu_count() or 1
    return {
        "bind": env.get("POLKU_BIND") or f"127.0.0.1:{number(env, 'PORT', 5000)}",
        "web_workers": number(env, "POLKU_WEB_WORKERS", min(2 * cores + 1, 8)),
        "web_threads": number(env, "POLKU_WEB_THREADS", 1),  # docs/benchmarks.md: 1 beat 4
        "timer_workers": number(env, "POLKU_TIMER_WORKERS", 1, minimum=0),
        "timer_interval": seconds(env, "POLKU_TIMER_INTERVAL", 30.0),
        "request_timeout": number(env, "POLKU_REQUEST_TIMEOUT", 60),
        "log_level": env.get("POLKU_LOG_LEVEL", "INFO").upper(),
        # proxies whose X-Forwarded-Proto gunicorn believes (the TLS-terminating balancer)
        "forwarded_allow_ips": env.get("POLKU_FORWARDED_ALLOW_IPS") or "127.0.0.1,::1",
    }
