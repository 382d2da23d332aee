"""The sinks file (`govern-sinks.yaml`): where events go. Secrets come only from the environment.

    sinks:
      - name: ops-hook
        type: webhook            # webhook | slack | smtp | jsonl
        url: https://hooks.example.com/govern
        secret_env: GOVERN_HOOK_SECRET   # HMAC-SHA256 key, read from this variable
        timeout: 5
      - name: mail
        type: smtp
        host: smtp.example.com
        port: 587
        starttls: true           # certificate and host name checked (system CAs)
        ca_file: corp-ca.pem     # or this CA bundle, relative to this file

Every problem is a UserInputError naming the file and line, raised before anything runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern import _yaml
from govern.errors import UserInputError

SINKS_FILE = "govern-sinks.yaml"
SINKS_ENV = "GOVERN_SINKS"
# A jsonl sink's `path` meaning standard output (`govern monitor` then prints to stderr).
STDOUT = "-"
TYPES = ("webhook", "slack", "smtp", "jsonl")
_KEYS: dict[str, tuple[set[str], set[str]]] = {  # type -> (required, optional)
    "webhook": ({"url"}, {"url_env", "secret_env", "timeout", "headers"}),
    "slack": (set(), {"url", "url_env", "timeout"}),
    "smtp": (
        {"host", "from", "to"},
        {"port", "starttls", "ca_file", "username_env", "password_env", "timeout"},
    ),
    "jsonl": ({"path"}, set()),
}
_COMMON = {"name", "type"}


@dataclass(frozen=True)
class SinkConfig:
    """One configured sink; `options` holds its type's keys, secrets already resolved."""

    name: str
    type: str
    options: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict, repr=False)


def default_sinks_path() -> Path | None:
    """`$GOVERN_SINKS`, else ./govern-sinks.yaml when it exists, else None (no sinks)."""
    env = os.environ.get(SINKS_ENV)
    if env:
        return Path(env)
    local = Path(SINKS_FILE)
    return local if local.is_file() else None


def load_sinks(path: Path) -> list[SinkConfig]:
    """Parse and validate the sinks file; resolve every secret from the environment."""
    try:
        data, root = _yaml.parse(_yaml.read_text(path))
    except FileNotFoundError:
        raise UserInputError("sinks file not found; pass --sinks PATH", path=path) from None
    except OSError as exc:
        raise UserInputError(f"cannot read sinks file: {exc.strerror}", path=path) from None
    except _yaml.YamlError as exc:
        raise UserInputError(str(exc), path=path, line=exc.line) from None

    def fail(msg: str, where: list[str | int]) -> UserInputError:
        return UserInputError(msg, path=path, line=_yaml.line_of(root, where))

    if not isinstance(data, dict) or not isinstance(data.get("sinks"), list):
        raise fail("expected a mapping with a `sinks:` list", [])
    extra = set(data) - {"sinks"}
    if extra:
        raise fail(f"unknown key {sorted(extra)[0]!r}; the file holds only `sinks:`", [])
    out: list[SinkConfig] = []
    for i, raw in enumerate(data["sinks"]):
        where: list[str | int] = ["sinks", i]
        if not isinstance(raw, dict):
            raise fail(f"sinks[{i}]: expected a mapping with name and type", where)
        out.append(_sink(raw, i, where, fail, path.parent))
    names = [s.name for s in out]
    for i, n in enumerate(names):
        if n in names[:i]:
            raise fail(f"sinks[{i}]: duplicate sink name {n!r}", ["sinks", i, "name"])
    return out


def _ca_file(value: Any, base: Path, i: int, where: list[str | int], fail: Any) -> str:
    """The CA bundle (PEM) that STARTTLS trusts, relative to the sinks file's folder."""
    if not isinstance(value, str) or not value:
        raise fail(f"sinks[{i}].ca_file: expected the path of a PEM file", where)
    ca = Path(value) if Path(value).is_absolute() else base / value
    if not ca.is_file():
        raise fail(f"sinks[{i}].ca_file: no file {str(ca)!r}", where)
    return str(ca)


def _sink(raw: dict[str, Any], i: int, where: list[str | int], fail: Any, base: Path) -> SinkConfig:
    kind = raw.get("type")
    if kind not in TYPES:
        raise fail(
            f"sinks[{i}].type: unknown sink type {kind!r}; valid types are: {', '.join(TYPES)}",
            [*where, "type"],
        )
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail(f"sinks[{i}].name: expected a non-empty string", [*where, "name"])
    required, optional = _KEYS[kind]
    for key in sorted(required - set(raw)):
        raise fail(f"sinks[{i}] ({name}): {kind} sink needs `{key}`", where)
    for key in sorted(set(raw) - required - optional - _COMMON):
        valid = ", ".join(sorted(required | optional))
        raise fail(
            f"sinks[{i}].{key}: unknown key for a {kind} sink; valid keys: {valid}", [*where, key]
        )
    options = {k: v for k, v in raw.items() if k not in _COMMON}
    secrets: dict[str, str] = {}
    for key, value in options.items():
        if key.endswith("_env"):
            if not isinstance(value, str) or not value:
                raise fail(
                    f"sinks[{i}].{key}: expected an environment variable name", [*where, key]
                )
            if value not in os.environ:
                raise fail(
                    f"sinks[{i}].{key}: environment variable {value} is not set "
                    "(secrets are read only from the environment)",
                    [*where, key],
                )
            secrets[key[: -len("_env")]] = os.environ[value]
        elif key in ("timeout", "port") and not (
            isinstance(value, int | float) and not isinstance(value, bool) and value > 0
        ):
            raise fail(
                f"sinks[{i}].{key}: expected a positive number, got {value!r}", [*where, key]
            )
        elif key == "starttls" and not isinstance(value, bool):
            raise fail(f"sinks[{i}].starttls: expected true or false", [*where, key])
        elif key == "ca_file":
            options[key] = _ca_file(value, base, i, [*where, key], fail)
        elif key == "to" and not (
            isinstance(value, list) and value and all(isinstance(x, str) for x in value)
        ):
            raise fail(f"sinks[{i}].to: expected a list of e-mail addresses", [*where, key])
        elif key in ("url", "host", "from", "path") and not isinstance(value, str):
            raise fail(f"sinks[{i}].{key}: expected a string", [*where, key])
    if "ca_file" in options and options.get("starttls") is not True:
        raise fail(
            f"sinks[{i}].ca_file: only used with `starttls: true` (the certificate it checks)",
            [*where, "ca_file"],
        )
    if kind == "slack" and "url" not in options and "url" not in secrets:
        raise fail(f"sinks[{i}] ({name}): slack sink needs `url` or `url_env`", where)
    for key in ("url",):
        url = secrets.get(key) or options.get(key)
        if isinstance(url, str) and not url.startswith(("http://", "https://")):
            raise fail(f"sinks[{i}].url: expected an http:// or https:// URL", [*where, key])
    return SinkConfig(name, kind, options, secrets)
