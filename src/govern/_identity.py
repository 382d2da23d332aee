"""What a model name and a version label may contain.

A name or version that two people can read as the same text must be the same model:
`Credit-Risk`, `credit‐risk` (a Unicode hyphen), `ｃredit-risk` (full-width) and
`credit-risk` followed by a zero-width space all print alike but would be distinct keys.
So both are restricted to lower-case ASCII letters, digits and a few separators, and a
refused value comes with the spelling it most likely meant (NFKC-normalised, invisible
characters removed, lower-cased) so the fix is one edit. `@` is never allowed: it
separates NAME from VERSION in a reference. The rules follow the spirit of Kubernetes
object names (RFC 1123 labels) and PEP 503 name normalisation.
"""

from __future__ import annotations

import re
import unicodedata

from govern.errors import UserInputError

MAX_NAME = 100
MAX_VERSION = 64
NAME_RULE = (
    f"1 to {MAX_NAME} characters: lower-case ASCII letters, digits, '.', '_' and '-', "
    "starting and ending with a letter or digit"
)
VERSION_RULE = (
    f"1 to {MAX_VERSION} characters: lower-case ASCII letters, digits, '.', '_', '-' and '+', "
    "starting and ending with a letter or digit"
)
_NAME = re.compile(r"[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?")
_VERSION = re.compile(r"[a-z0-9](?:[a-z0-9._+-]*[a-z0-9])?")
BAD_NAME = "model name {value!r} is not valid: a name is {rule}{hint}"
BAD_VERSION = "version {value!r} is not valid: a version is {rule}{hint}"


def _suggest(value: str, pattern: re.Pattern[str], limit: int) -> str:
    text = unicodedata.normalize("NFKC", value)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Cc"))
    text = text.replace("\u2010", "-").replace("\u2011", "-").lower()
    if text != value and len(text) <= limit and pattern.fullmatch(text):
        return f"; did you mean {text!r}?"
    return ""


def check_name(value: str) -> str:
    """`value` if it is a valid model name, else UserInputError with the likely intent."""
    if len(value) <= MAX_NAME and _NAME.fullmatch(value):
        return value
    hint = _suggest(value, _NAME, MAX_NAME)
    raise UserInputError(BAD_NAME.format(value=value, rule=NAME_RULE, hint=hint))


def check_version(value: str) -> str:
    """`value` if it is a valid version label, else UserInputError with the likely intent."""
    if len(value) <= MAX_VERSION and _VERSION.fullmatch(value):
        return value
    hint = _suggest(value, _VERSION, MAX_VERSION)
    raise UserInputError(BAD_VERSION.format(value=value, rule=VERSION_RULE, hint=hint))


__all__ = ["NAME_RULE", "VERSION_RULE", "check_name", "check_version"]
