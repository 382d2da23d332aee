"""The format registry and the Reporter protocol."""

from __future__ import annotations

from importlib import import_module
from typing import Protocol

from govern.errors import UserInputError
from govern.output._report import Report

FORMATS: dict[str, str] = {
    "text": "govern.output._text",
    "json": "govern.output._json",
    "junit": "govern.output._junit",
    "sarif": "govern.output._sarif",
    "github": "govern.output._github",
    "markdown": "govern.output._markdown",
}
"""Format name -> module defining `REPORTER`, in the order shown in help and errors."""

UNKNOWN_FORMAT = "unknown format {name!r}; valid formats are: {valid}"


class Reporter(Protocol):
    """Turns a Report into the text of one format.

    `color` asks for terminal colour; only formats meant for a terminal use it.
    """

    name: str

    def render(self, report: Report, *, color: bool = False) -> str:
        """The whole output document for `report`."""
        ...


def get_reporter(name: str) -> Reporter:
    """The reporter registered as `name`, or a UserInputError listing the valid formats."""
    module = FORMATS.get(name)
    if module is None:
        raise UserInputError(UNKNOWN_FORMAT.format(name=name, valid=", ".join(FORMATS)))
    reporter: Reporter = import_module(module).REPORTER
    return reporter
