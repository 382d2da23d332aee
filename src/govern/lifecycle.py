"""The six lifecycle stages and model references (`NAME@VERSION`)."""

from __future__ import annotations

from dataclasses import dataclass

from govern.errors import UnknownStageError, UserInputError

STAGES: tuple[str, ...] = (
    "proposed",
    "development",
    "validation",
    "deployment",
    "production",
    "retired",
)


def check_stage(stage: str) -> str:
    """Return `stage` if it is one of the six stages, else raise naming the valid ones."""
    if stage not in STAGES:
        raise UnknownStageError(f"unknown stage {stage!r}; valid stages are: {', '.join(STAGES)}")
    return stage


def registration_gates(stage: str) -> tuple[str, ...]:
    """Gates a new version passes to be registered directly at `stage`, in order.

    Every forward stage after `proposed` up to `stage`; `retired` only needs its own gate,
    as `govern retire` does from any stage.
    """
    check_stage(stage)
    if stage == "retired":
        return ("retired",)
    return STAGES[1 : STAGES.index(stage) + 1]


@dataclass(frozen=True)
class ModelRef:
    """A parsed `NAME@VERSION`; version None means "the latest registered version"."""

    name: str
    version: str | None = None

    @classmethod
    def parse(cls, text: str) -> ModelRef:
        """Parse `NAME@VERSION` or `NAME`."""
        from govern._identity import check_name, check_version

        name, sep, version = text.partition("@")
        if not name or (sep and not version):
            raise UserInputError(f"bad model reference {text!r}; expected NAME@VERSION or NAME")
        try:
            check_name(name)
            if version:
                check_version(version)
        except UserInputError as exc:
            raise UserInputError(f"bad model reference {text!r}: {exc.message}") from None
        return cls(name, version or None)

    def __str__(self) -> str:
        return f"{self.name}@{self.version}" if self.version else self.name
