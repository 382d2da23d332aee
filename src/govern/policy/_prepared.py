"""Prepare once, evaluate many: a loaded bundle that turns policy input into a Decision."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import rfc8785

from govern.clock import rfc3339, utcnow
from govern.errors import PolicyEvalError, UserInputError
from govern.policy._bundle import Bundle, read_bundle
from govern.policy._conventions import applicable_packages, parse_package_result
from govern.policy._regorus import RegorusEngine
from govern.results import Decision, Violation


def input_hash(input_doc: dict[str, Any]) -> str:
    """sha256 of the RFC 8785 canonical JSON of the input (NaN/inf refused)."""
    try:
        return hashlib.sha256(rfc8785.dumps(input_doc)).hexdigest()
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise UserInputError(f"policy input cannot be canonicalised: {exc}") from exc


class PreparedPolicies:
    """A policy bundle compiled into an engine, ready to evaluate many inputs."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self.engine = RegorusEngine(bundle.modules, bundle.data)

    @property
    def bundle_hash(self) -> str:
        """sha256 over the sorted paths and contents of the bundle's files."""
        return self.bundle.sha256

    def packages_for(self, stage: str, scopes: list[str]) -> list[str]:
        """Packages evaluated for a stage and a model's regulatory scopes."""
        return applicable_packages(self.bundle.data, stage, scopes)

    def violations(self, input_doc: dict[str, Any], packages: list[str]) -> list[Violation]:
        """Gather deny/warn from each package; a missing package is an error (fail closed)."""
        out: list[Violation] = []
        for package in packages:
            if package not in self.engine.packages:
                raise PolicyEvalError(
                    f"package {package} is not defined in {self.bundle.root}; "
                    "a gate with no policy cannot pass"
                )
            value = self.engine.evaluate(input_doc, f"data.{package}")
            out.extend(parse_package_result(package, value))
        return out

    def decide(
        self, input_doc: dict[str, Any], *, model: str, version: str, stage: str
    ) -> Decision:
        """Evaluate the gate of `stage` (and applicable packs) into a Decision."""
        scopes = [str(s) for s in input_doc.get("model", {}).get("regulatory_scope", [])]
        packages = self.packages_for(stage, scopes)
        violations = self.violations(input_doc, packages)
        return Decision(
            decision_id=str(uuid.uuid4()),
            model=model,
            version=version,
            stage=stage,
            allowed=not any(v.kind == "deny" for v in violations),
            violations=tuple(violations),
            bundle_hash=self.bundle_hash,
            input_hash=input_hash(input_doc),
            engine=self.engine.name,
            engine_version=self.engine.version,
            decided_at=rfc3339(utcnow()),
            packages=tuple(packages),
        )


def load(policies: str | Path, *, data: tuple[str | Path, ...] = ()) -> PreparedPolicies:
    """Read and compile a policy directory (plus data overlays)."""
    return PreparedPolicies(read_bundle(policies, data))
