# METADATA
# title: Monitoring (PSI/CSI bands, sample-size-aware drift, performance, operational SLOs)
# description: |
#   Measured evidence from inference logs (`input.evidence.drift|performance|operational`).
#   Fails closed: a monitored metric that is absent, null, or whose status is not "ok" denies.
# custom:
#   source: SR 26-2 ongoing monitoring; PSI bands CONV (Lewis 1994; Siddiqi 2006); Yurdakul (2018)
package govern.controls.monitoring

import data.govern.lib
import rego.v1

p := lib.params

drift := lib.ev.drift

# METADATA
# title: Score distribution stability (PSI) against the validated baseline
# custom:
#   id: MON-PSI-01
#   source: PSI rule of thumb (Lewis 1994; Siddiqi 2006, Credit Risk Scorecards)
#   article: CONV
#   severity: high
#   basis: CONV
deny contains v if {
	lib.applies("MON-PSI-01")
	o := drift.output
	o.status == "ok"
	lib.ok_number(o.psi)
	o.psi >= p.psi_deny
	v := {
		"control": "MON-PSI-01", "severity": "high",
		"msg": sprintf("output %v: PSI %v >= %v (significant shift)", [lib.show(object.get(o, "name", "score")), lib.fixed(o.psi, 3), lib.show(p.psi_deny)]),
		"remediation": "escalate: investigate the score shift; recalibrate or redevelop",
		"evidence": {"psi": o.psi, "scan_id": object.get(drift, "scan_id", null)},
	}
}

deny contains v if {
	lib.applies("MON-PSI-01")
	p.require_output_psi == true
	object.get(lib.m, ["monitoring", "prediction"], null) != null
	not output_measured
	v := {
		"control": "MON-PSI-01", "severity": "high",
		"msg": "output: score PSI could not be measured",
		"remediation": "scan the prediction column named in `monitoring.prediction`",
	}
}

output_measured if {
	drift.output.status == "ok"
	lib.psi_value(drift.output.psi)
}

warn contains v if {
	lib.applies("MON-PSI-01")
	o := drift.output
	o.status == "ok"
	lib.ok_number(o.psi)
	o.psi >= p.psi_warn
	o.psi < p.psi_deny
	v := {
		"control": "MON-PSI-01", "severity": "medium",
		"msg": sprintf("output %v: PSI %v in the moderate band [%v, %v)", [lib.show(object.get(o, "name", "score")), lib.fixed(o.psi, 3), lib.show(p.psi_warn), lib.show(p.psi_deny)]),
		"remediation": "investigate the score shift",
	}
}

# METADATA
# title: Feature stability (CSI) per monitored input
# description: |
#   No drift evidence, evidence measured against a reference profile that is no longer the
#   version's (re-baselined after the scan) or under another `monitoring` section of the card
#   (edited after the scan), an unscanned or unmeasured feature, or a feature at or above the
#   deny band blocks.
# custom:
#   id: MON-CSI-01
#   source: Characteristic Stability Index, PSI per feature (Siddiqi 2006, Credit Risk Scorecards)
#   article: CONV
#   severity: high
#   basis: CONV
deny contains v if {
	lib.applies("MON-CSI-01")
	not drift
	v := {
		"control": "MON-CSI-01", "severity": "high",
		"msg": "drift: no evidence, the model has never been scanned",
		"remediation": "run `govern scan` on recent inference logs",
	}
}

# The scan's reference profile (null: an ad-hoc --baseline file) must be the version's
# current one; a profile_id that does not match (or a reference that is unknown) is stale.
deny contains v if {
	lib.applies("MON-CSI-01")
	drift
	measured := object.get(drift, "profile_id", null)
	measured != null
	current := object.get(drift, "reference_profile_id", null)
	measured != current
	v := {
		"control": "MON-CSI-01", "severity": "high",
		"msg": sprintf("drift: the latest scan measured against reference profile %v, but the version's reference profile is %v (re-baselined after the scan); its figures are stale", [lib.show(measured), lib.show(current)]),
		"remediation": "scan recent inference logs again against the current reference (`govern scan`)",
	}
}

deny contains v if {
	lib.applies("MON-CSI-01")
	"drift" in lib.stale_config
	v := {
		"control": "MON-CSI-01", "severity": "high",
		"msg": lib.stale_config_msg("drift"),
		"remediation": lib.stale_config_fix,
	}
}

deny contains v if {
	lib.applies("MON-CSI-01")
	some f in lib.unmeasured_features
	v := {
		"control": "MON-CSI-01", "severity": "high",
		"msg": sprintf("feature %v: drift could not be measured (%v)", [lib.show(object.get(f, "name", null)), concat("; ", [lib.show(r) | some r in lib.coll(object.get(f, "reasons", []))])]),
		"remediation": "scan enough valid rows for every monitored feature",
	}
}

deny contains v if {
	lib.applies("MON-CSI-01")
	some name in lib.unscanned_features
	v := {
		"control": "MON-CSI-01", "severity": "high",
		"msg": sprintf("feature %v: monitored but absent from the latest scan", [lib.show(name)]),
		"remediation": "include every monitored feature in the scanned data",
	}
}

deny contains v if {
	lib.applies("MON-CSI-01")
	features := lib.coll(drift.features)
	deny_band := p.psi_deny # read once, not once a feature
	some f in features
	f.status == "ok"
	lib.ok_number(f.psi)
	f.psi >= deny_band
	v := {
		"control": "MON-CSI-01", "severity": "high",
		"msg": sprintf("feature %v: PSI %v >= %v (significant shift)", [lib.show(f.name), lib.fixed(f.psi, 3), lib.show(deny_band)]),
		"remediation": "investigate the shift; retrain or recalibrate before promotion",
		"evidence": {"psi": f.psi, "scan_id": object.get(drift, "scan_id", null)},
	}
}

warn contains v if {
	lib.applies("MON-CSI-01")
	features := lib.coll(drift.features)
	warn_band := p.psi_warn # read once, not once a feature
	deny_band := p.psi_deny
	some f in features
	f.status == "ok"
	lib.ok_number(f.psi)
	f.psi >= warn_band
	f.psi < deny_band
	v := {
		"control": "MON-CSI-01", "severity": "medium",
		"msg": sprintf("feature %v: PSI %v in the moderate band [%v, %v)", [lib.show(f.name), lib.fixed(f.psi, 3), lib.show(warn_band), lib.show(deny_band)]),
		"remediation": "investigate the shift",
	}
}

# METADATA
# title: Sample-size-aware drift (band breaches are checked against a chi-square critical value)
# description: |
#   Fixed PSI bands ignore sample size. A band breach whose chi-square p-value is above alpha
#   (or whose PSI is below the chi-square critical value for the rows scanned) is routed to
#   review as not statistically significant.
# custom:
#   id: MON-PSI-02
#   source: Yurdakul (2018); Yurdakul & Naranjo; PDtoolkit critical values
#   article: CONV
#   severity: low
#   basis: CONV
warn contains v if {
	lib.applies("MON-PSI-02")
	features := lib.coll(drift.features)
	warn_band := p.psi_warn # read once, not once a feature
	some f in features
	f.status == "ok"
	lib.ok_number(f.psi)
	f.psi >= warn_band
	not significant(f)
	v := {
		"control": "MON-PSI-02", "severity": "low",
		"msg": sprintf("feature %v: PSI %v breaches a band but is not significant for %v rows (critical %v)", [lib.show(f.name), lib.fixed(f.psi, 3), lib.show(drift.rows), lib.fixed(psi_critical, 4)]),
		"remediation": "scan more rows before acting on this band breach",
	}
}

# Computed thresholds compare with lib.exceeds / lib.reaches / lib.within (tolerance 1e-9):
# at exactly a 10% AUC drop, or a PSI exactly at the critical value, OPA's exact decimals and
# regorus' floats would otherwise decide differently.
# Chi-square approximation: PSI_crit = chi2_{bins-1, 0.95} * (1/n_current + 1/n_baseline).
psi_critical := crit if {
	df := sprintf("%d", [lib.global.psi_bins - 1])
	n_base := object.get(drift, "baseline_rows", drift.rows)
	crit := lib.global.chi2_95[df] * ((1 / drift.rows) + (1 / n_base))
}

significant(f) if {
	lib.ok_number(f.p_value)
	f.p_value < lib.global.psi_alpha_chi2
}

significant(f) if {
	not lib.ok_number(object.get(f, "p_value", null))
	lib.reaches(f.psi, psi_critical)
}

# METADATA
# title: Discrimination stays within the tier tolerance of the validated baseline
# description: Relative AUC drop against `validation.baseline.auc`; tolerances are PROD defaults.
# custom:
#   id: MON-PERF-01
#   source: SR 11-7 (predetermined thresholds of acceptability); Hand (2005) on Gini/KS
#   article: SR 26-2 §V
#   severity: high
#   basis: PROD
deny contains v if {
	lib.applies("MON-PERF-01")
	"performance" in lib.coll(object.get(lib.plan, "metrics", []))
	not perf_measured
	v := {
		"control": "MON-PERF-01", "severity": "high",
		"msg": "performance: no usable evidence (absent, status not ok, or AUC null)",
		"remediation": "scan labelled outcomes for the monitoring window",
	}
}

deny contains v if {
	lib.applies("MON-PERF-01")
	"performance" in lib.stale_config
	v := {
		"control": "MON-PERF-01", "severity": "high",
		"msg": lib.stale_config_msg("performance"),
		"remediation": lib.stale_config_fix,
	}
}

deny contains v if {
	lib.applies("MON-PERF-01")
	perf_measured
	drop := rel_drop
	lib.exceeds(drop, p.max_rel_auc_drop_deny)
	v := {
		"control": "MON-PERF-01", "severity": "high",
		"msg": sprintf("performance: AUC %v is %v%% below the validated %v (limit %v%%)", [lib.fixed(lib.ev.performance.auc, 3), lib.fixed(drop * 100, 1), lib.fixed(lib.m.validation.baseline.auc, 3), lib.fixed(p.max_rel_auc_drop_deny * 100, 0)]),
		"remediation": "recalibrate or redevelop; revalidate before continued use",
		"evidence": {"auc": lib.ev.performance.auc, "baseline_auc": lib.m.validation.baseline.auc, "relative_drop": drop},
	}
}

warn contains v if {
	lib.applies("MON-PERF-01")
	perf_measured
	drop := rel_drop
	lib.exceeds(drop, p.max_rel_auc_drop_warn)
	lib.within(drop, p.max_rel_auc_drop_deny)
	v := {
		"control": "MON-PERF-01", "severity": "medium",
		"msg": sprintf("performance: AUC %v is %v%% below the validated %v", [lib.fixed(lib.ev.performance.auc, 3), lib.fixed(drop * 100, 1), lib.fixed(lib.m.validation.baseline.auc, 3)]),
		"remediation": "investigate the performance decline",
	}
}

perf_measured if {
	lib.ev.performance.status == "ok"
	lib.ok_number(lib.ev.performance.auc)
	lib.ok_number(lib.m.validation.baseline.auc)
	lib.m.validation.baseline.auc > 0
}

rel_drop := d if {
	perf_measured
	d := (lib.m.validation.baseline.auc - lib.ev.performance.auc) / lib.m.validation.baseline.auc
}

# METADATA
# title: Operational service levels (latency, error rate, freshness) are met
# custom:
#   id: MON-OPS-01
#   source: NIST AI RMF MEASURE 2.6; EU AI Act Art. 15(4)
#   article: MEASURE 2.6
#   severity: medium
#   basis: VOL
deny contains v if {
	lib.applies("MON-OPS-01")
	not lib.blank(object.get(lib.m, "slo", null))
	not ops_measured
	v := {
		"control": "MON-OPS-01", "severity": "medium",
		"msg": "operational: SLOs are declared but there is no usable operational evidence",
		"remediation": "collect latency and error-rate evidence for the serving window",
	}
}

deny contains v if {
	lib.applies("MON-OPS-01")
	not lib.blank(object.get(lib.m, "slo", null))
	"operational" in lib.stale_config
	v := {
		"control": "MON-OPS-01", "severity": "medium",
		"msg": lib.stale_config_msg("operational"),
		"remediation": lib.stale_config_fix,
	}
}

deny contains v if {
	lib.applies("MON-OPS-01")
	ops_measured
	some k, limit in {"error_rate": object.get(lib.m, ["slo", "max_error_rate"], null), "freshness_hours": object.get(lib.m, ["slo", "max_freshness_hours"], null)}
	lib.ok_number(limit)
	not lib.ok_number(object.get(lib.ev.operational, k, null))
	v := {
		"control": "MON-OPS-01", "severity": "medium",
		"msg": sprintf("operational %v: not measured", [k]),
		"remediation": sprintf("measure %v", [k]),
	}
}

deny contains v if {
	lib.applies("MON-OPS-01")
	ops_measured
	some k, limit in {"error_rate": object.get(lib.m, ["slo", "max_error_rate"], null), "freshness_hours": object.get(lib.m, ["slo", "max_freshness_hours"], null)}
	lib.ok_number(limit)
	value := lib.ev.operational[k]
	lib.ok_number(value)
	value > limit
	v := {
		"control": "MON-OPS-01", "severity": "medium",
		"msg": sprintf("operational %v: %v above the SLO %v", [k, lib.show(value), lib.show(limit)]),
		"remediation": "restore the service level or roll back",
	}
}

warn contains v if {
	lib.applies("MON-OPS-01")
	ops_measured
	limit := lib.m.slo.p99_latency_ms
	lat := lib.ev.operational.latency_p99_ms
	lib.ok_number(lat)
	lat > limit
	v := {
		"control": "MON-OPS-01", "severity": "medium",
		"msg": sprintf("operational latency_p99_ms: %v above the SLO %v", [lib.show(lat), lib.show(limit)]),
		"remediation": "investigate serving latency",
	}
}

ops_measured if lib.ev.operational.status == "ok"

# METADATA
# title: Input data quality (missing and infinite values) within the tier limit
# description: |
#   The share of a feature's values a model cannot use, null/NaN (`missing_rate`) plus
#   +-infinity (`inf_rate`, which PSI leaves out because it bins finite values only), must
#   not exceed the tier's `max_missing_rate`. Fails closed: a feature whose missing_rate, or
#   (unless it is categorical) inf_rate, is absent, not a number or outside [0, 1] denies.
# custom:
#   id: MON-DQ-01
#   source: Product default (no regulatory threshold); EU AI Act Art. 10(3) data quality context
#   article: PROD
#   severity: medium
#   basis: PROD
deny contains v if {
	lib.applies("MON-DQ-01")
	features := lib.coll(drift.features)
	limit := p.max_missing_rate # read once, not once a feature
	some i, f in features
	share := unusable_share[i]
	lib.exceeds(share, limit)
	v := {
		"control": "MON-DQ-01", "severity": "medium",
		"msg": sprintf("feature %v: unusable share %v (missing %v, infinite %v) above %v", [lib.show(f.name), lib.fixed(share, 3), lib.fixed(f.missing_rate, 3), lib.fixed(share - f.missing_rate, 3), lib.show(limit)]),
		"remediation": "fix the upstream data pipeline",
	}
}

deny contains v if {
	lib.applies("MON-DQ-01")
	some i, f in drift.features
	not unusable_share[i]
	v := {
		"control": "MON-DQ-01", "severity": "medium",
		"msg": sprintf("feature %v: missing or infinite share not measured (missing_rate %v, inf_rate %v)", [lib.show(object.get(f, "name", "?")), lib.show(object.get(f, "missing_rate", null)), lib.show(object.get(f, "inf_rate", null))]),
		"remediation": "scan the feature; evidence needs missing_rate and inf_rate in [0, 1]",
	}
}

# The unusable share of each drift feature, by its key in drift.features: missing_rate plus
# inf_rate, both shares in [0, 1] (a categorical feature without inf_rate has none); no
# entry when either is not measured. A rule, evaluated once per decision: both MON-DQ-01
# rules read it, and regorus memoises no function call. The two bodies are exclusive
# (inf_rate present or not); the share checks are lib.rate written out.
unusable_share[i] := mr + inf if {
	some i, f in lib.coll(drift.features)
	mr := f.missing_rate
	is_number(mr)
	mr == mr
	mr >= 0
	mr <= 1
	inf := f.inf_rate
	is_number(inf)
	inf == inf
	inf >= 0
	inf <= 1
}

unusable_share[i] := mr + 0 if {
	some i, f in lib.coll(drift.features)
	mr := f.missing_rate
	is_number(mr)
	mr == mr
	mr >= 0
	mr <= 1
	f.kind == "categorical"
	not "inf_rate" in object.keys(f)
}
