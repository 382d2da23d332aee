"""`govern decision replay`: re-evaluate a stored decision on its stored input.

The clock is part of the input (`input.now`) and refused builtins cannot read any other
time, so the same bundle and the same input must give the same result and violations.
A different bundle hash is reported (the policies changed since), not hidden.

The data overlays (`--data`) a decision was evaluated with are stored with it
(policy_overlays / decision_overlays), so `replay_stored` re-applies them from the database:
no overlay file has to be kept anywhere else.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govern.errors import UserInputError
from govern.policy import EngineOptions, PreparedPolicies, load
from govern.results import Decision
from govern.store import Store
from govern.store import decisions as decision_store

UNKNOWN_DECISION = "unknown decision {id!r}; list decisions with: SELECT decision_id FROM decisions"
OVERLAY_MISSING = (
    "decision {id}: its data overlay {path} (sha256 {sha}) is not in the database; "
    "pass the file with --data to replay"
)


@dataclass(frozen=True)
class ReplayResult:
    """A stored decision next to its re-evaluation."""

    stored: dict[str, Any]
    replayed: Decision

    @property
    def same_bundle(self) -> bool:
        """The policies evaluated now are byte-for-byte those of the stored decision."""
        return bool(self.stored["bundle_hash"] == self.replayed.bundle_hash)

    @property
    def same_input(self) -> bool:
        """The stored input still hashes to the stored input hash."""
        return bool(self.stored["input_hash"] == self.replayed.input_hash)

    @property
    def same_outcome(self) -> bool:
        """Result and violations are identical."""
        mine = sorted(json_key(v.to_dict()) for v in self.replayed.violations)
        theirs = sorted(json_key(v) for v in self.stored["violations"])
        return bool(self.stored["result"] == self.replayed.result and mine == theirs)

    @property
    def reproduced(self) -> bool:
        """Same bundle, same input, same outcome."""
        return self.same_bundle and self.same_input and self.same_outcome


def json_key(violation: dict[str, Any]) -> str:
    """A stable text form of a violation, for comparing sets of them."""
    return json.dumps(violation, sort_keys=True)


def replay(store: Store, prepared: PreparedPolicies, decision_id: str) -> ReplayResult:
    """Evaluate the stored input of `decision_id` again with `prepared`."""
    stored = decision_store.get_decision(store, decision_id)
    if stored is None:
        raise UserInputError(UNKNOWN_DECISION.format(id=decision_id))
    input_doc = stored["input"]
    replayed = prepared.decide(
        input_doc, model=stored["name"], version=stored["version"], stage=stored["stage"]
    )
    return ReplayResult(stored, replayed)


def replay_stored(
    store: Store, policies: Path | tuple[Path, ...], options: EngineOptions, decision_id: str
) -> ReplayResult:
    """Replay with `policies` and the data overlays stored with the decision, in their order."""
    stored = decision_store.get_decision(store, decision_id)
    if stored is None:
        raise UserInputError(UNKNOWN_DECISION.format(id=decision_id))
    with tempfile.TemporaryDirectory(prefix="govern-replay-") as tmp:
        paths = []
        for i, overlay in enumerate(stored["overlays"]):
            if overlay["content"] is None:
                raise UserInputError(
                    OVERLAY_MISSING.format(
                        id=decision_id, path=overlay["path"], sha=overlay["sha256"]
                    )
                )
            path = (
                Path(tmp) / f"{i:04d}-{Path(overlay['path']).name}"
            )  # the suffix picks the parser
            path.write_text(overlay["content"], encoding="utf-8")
            paths.append(path)
        with load(policies, data=tuple(paths), options=options) as prepared:
            return replay(store, prepared, decision_id)
