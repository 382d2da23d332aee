package govern.controls.inventory_test

import data.govern.controls.inventory
import data.govern.fixtures_test as fx
import rego.v1

denied(inp) := {v.control | some v in d} if d := inventory.deny with input as inp

test_good_model_is_no_zombie if count(denied(fx.good)) == 0

test_zmb01_no_owner if "INV-ZMB-01" in denied(fx.without_model(["owner"]))

test_owner_id_counts_as_owner if not "INV-ZMB-01" in denied(fx.with_model({"owner": "", "owner_id": "u1"}))

test_zmb02_no_recent_monitoring if "INV-ZMB-02" in denied(json.remove(fx.good, ["evidence/drift", "evidence/performance"]))

# A zombie that is still scanned: the re-scans read files first scanned 175 days ago.
test_zmb02_no_new_data if {
	msgs := {v.msg | some v in inventory.deny with input as fx.data_changed("2026-06-01T00:00:00Z"); v.control == "INV-ZMB-02"}
	msgs == {"zombie: no new inference data since 2026-06-01T00:00:00Z (175 days); the scans since re-read the same files, more than 92 days (tier 1)"}
	not "INV-ZMB-02" in denied(fx.data_changed("2026-10-01T00:00:00Z"))
	not "INV-ZMB-02" in denied(fx.data_changed(null))
}

test_zmb03_validation_overdue if {
	"INV-ZMB-03" in denied(fx.with_model({"next_validation_due": "2026-01-01"}))
	"INV-ZMB-03" in denied(fx.with_model({"next_validation_due": null, "validation": {"date": "2024-01-01"}}))
}

test_zmb04_inference_after_retirement if {
	ret := fx.at_stage(fx.with_model({"retirement": {"date": "2026-11-01"}}), "retired")
	"INV-ZMB-04" in denied(object.union(ret, {"evidence": {"operational": {"last_request_at": "2026-11-20T00:00:00Z"}}}))
	not "INV-ZMB-04" in denied(object.union(ret, {"evidence": {"operational": {"last_request_at": "2026-10-20T00:00:00Z"}}}))
}
