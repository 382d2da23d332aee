"""Policy inputs for every registered version from one read of each table (`check --all`).

input_from_row reads approvals, events, the latest scan and its metrics with four queries
per version; over an inventory that is most of the run. RegistrySnapshot reads each table
once (store/bulk.py) and assembles the same documents with check.assemble_input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from govern.results import MetricRow
from govern.runner.check import assemble_input
from govern.runner.evidence_doc import evidence_from_scan
from govern.store import Store

Key = tuple[str, str]


@dataclass(frozen=True)
class RegistrySnapshot:
    """Approvals, lifecycle events and latest drift scans (with metrics) of every version."""

    approvals: dict[Key, list[dict[str, Any]]]
    events: dict[Key, list[dict[str, Any]]]
    scans: dict[Key, dict[str, Any]]
    metrics: dict[str, list[MetricRow]]
    triggers: dict[str, list[dict[str, Any]]]  # model name -> open retraining triggers
    profiles: dict[Key, str]  # the newest reference profile id of each version

    @classmethod
    def read(cls, store: Store) -> RegistrySnapshot:
        """Six queries, whatever the number of versions."""
        from govern.store import bulk
        from govern.store import events as event_store
        from govern.store.views import latest_profiles

        triggers: dict[str, list[dict[str, Any]]] = {}
        for t in event_store.open_triggers(store):
            triggers.setdefault(t["name"], []).append(t)
        return cls(
            approvals=bulk.all_approvals(store),
            events=bulk.all_events(store),
            scans=bulk.latest_scans(store, "drift"),
            metrics=bulk.latest_scan_metrics(store, "drift"),
            triggers=triggers,
            profiles=latest_profiles(store),
        )

    def evidence(self, key: Key) -> dict[str, Any]:
        """evidence_document's result for one version, from the snapshot."""
        scan = self.scans.get(key)
        if scan is None:
            return {}
        metrics = self.metrics.get(scan["scan_id"], [])
        return evidence_from_scan(scan, metrics, self.profiles.get(key))

    def input_for(self, row: dict[str, Any], stage: str, *, now: str) -> dict[str, Any]:
        """The same document as input_from_row(store, row, stage, now=now)."""
        key = (str(row["name"]), str(row["version"]))
        return assemble_input(
            row,
            stage,
            now=now,
            approvals=self.approvals.get(key, []),
            events=self.events.get(key, []),
            evidence=self.evidence(key),
            triggers=self.triggers.get(key[0], []),
        )


__all__ = ["RegistrySnapshot"]
