package collexa.authz.invoke_test

import data.collexa.authz.invoke

base := {
	"user": {"id": "u1", "role": "developer", "org_id": "o1"},
	"org": {"id": "o1", "settings": {}},
	"agent": {"id": "a1", "name": "billing-bot"},
	"capability": {"name": "refund", "risk": "low", "server": "stripe", "server_security_level": "medium", "tool": "create_refund"},
	"context": {},
}

with_role(role) := object.union(base, {"user": {"role": role}})

with_risk(risk) := object.union(base, {"capability": {"risk": risk}})

with_level(risk, level) := object.union(with_risk(risk), {"capability": {"server_security_level": level}})

with_setting(risk, setting) := object.union(with_risk(risk), {"org": {"settings": {"approval_required_from": setting}}})

denied(d) if {
	d.allow == false
	d.require_approval == false
	d.approver_roles == []
}

test_decision_low_allowed_without_approval if {
	invoke.decision == {
		"allow": true,
		"require_approval": false,
		"approver_roles": [],
		"reasons": ["low risk capability allowed"],
	} with input as base
}

test_decision_medium_allowed_without_approval if {
	d := invoke.decision with input as with_risk("medium")
	d.allow
	not d.require_approval
	d.reasons == ["medium risk capability allowed"]
}

test_decision_high_requires_approver_or_admin if {
	invoke.decision == {
		"allow": true,
		"require_approval": true,
		"approver_roles": ["approver", "admin"],
		"reasons": ["high risk capability requires approval by approver or admin"],
	} with input as with_risk("high")
}

test_decision_critical_requires_admin if {
	invoke.decision == {
		"allow": true,
		"require_approval": true,
		"approver_roles": ["admin"],
		"reasons": ["critical risk capability requires approval by admin"],
	} with input as with_risk("critical")
}

test_decision_admin_high_still_requires_approval if {
	d := invoke.decision with input as object.union(with_risk("high"), {"user": {"role": "admin"}})
	d.require_approval
	d.approver_roles == ["approver", "admin"]
}

test_decision_every_invoking_role_allowed_low if {
	every role in ["admin", "developer", "approver"] {
		d := invoke.decision with input as with_role(role)
		d.allow
	}
}

test_deny_viewer if {
	d := invoke.decision with input as with_role("viewer")
	denied(d)
	d.reasons == ["viewer role may not invoke capabilities"]
}

test_deny_viewer_wins_over_approval if {
	d := invoke.decision with input as object.union(with_risk("critical"), {"user": {"role": "viewer"}})
	denied(d)
}

test_deny_role_without_can_invoke_flag if {
	d := invoke.decision with input as with_role("auditor")
		with data.collexa.roles.auditor as {}
	denied(d)
	d.reasons == ["auditor role may not invoke capabilities"]
}

test_deny_unknown_role if {
	d := invoke.decision with input as with_role("superuser")
	denied(d)
	d.reasons == ["unknown role superuser"]
}

test_deny_unknown_risk if {
	d := invoke.decision with input as with_risk("extreme")
	denied(d)
	d.reasons == ["unknown risk level extreme"]
}

test_deny_cross_org_user if {
	d := invoke.decision with input as object.union(base, {"user": {"org_id": "o2"}})
	denied(d)
	d.reasons == ["user belongs to another organization"]
}

test_deny_cross_org_wins_over_approval if {
	d := invoke.decision with input as object.union(with_risk("high"), {"user": {"org_id": "o2"}})
	denied(d)
}

test_deny_reasons_accumulate if {
	d := invoke.decision with input as object.union(with_risk("extreme"), {"user": {"role": "viewer", "org_id": "o2"}})
	denied(d)
	d.reasons == [
		"unknown risk level extreme",
		"user belongs to another organization",
		"viewer role may not invoke capabilities",
	]
}

test_deny_missing_each_required_string if {
	every path in invoke.required_strings {
		d := invoke.decision with input as json.remove(base, [path])
		denied(d)
		sprintf("missing required field %s", [concat(".", path)]) in d.reasons
	}
}

test_deny_empty_string_field if {
	d := invoke.decision with input as object.union(base, {"user": {"id": ""}})
	d.reasons == ["missing required field user.id"]
}

test_deny_non_string_field if {
	d := invoke.decision with input as object.union(base, {"capability": {"risk": 3}})
	d.reasons == ["missing required field capability.risk"]
}

test_deny_missing_settings if {
	d := invoke.decision with input as object.remove(base, ["org"])
	denied(d)
	"missing required field org.settings" in d.reasons
	"missing required field org.id" in d.reasons
}

test_deny_settings_not_object if {
	d := invoke.decision with input as object.union(base, {"org": {"settings": "strict"}})
	d.reasons == ["missing required field org.settings"]
}

test_deny_missing_context if {
	d := invoke.decision with input as object.remove(base, ["context"])
	d.reasons == ["missing required field context"]
}

test_deny_empty_input if {
	d := invoke.decision with input as {}
	denied(d)
	count(d.reasons) == count(invoke.required_strings) + count(invoke.required_objects)
}

test_deny_no_input if {
	denied(invoke.decision)
}

test_deny_input_not_object if {
	denied(invoke.decision) with input as "admin"
}

test_approver_roles_org_tightens_medium if {
	invoke.decision == {
		"allow": true,
		"require_approval": true,
		"approver_roles": ["approver", "admin"],
		"reasons": ["medium risk capability requires approval by approver or admin (org setting approval_required_from: medium)"],
	} with input as with_setting("medium", "medium")
}

test_approver_roles_org_tightens_low if {
	d := invoke.decision with input as with_setting("low", "low")
	d.require_approval
	d.approver_roles == ["approver", "admin"]
}

test_approver_roles_org_threshold_leaves_lower_risk if {
	d := invoke.decision with input as with_setting("low", "medium")
	d.allow
	not d.require_approval
}

test_approver_roles_org_cannot_loosen_high if {
	d := invoke.decision with input as with_setting("high", "critical")
	d.require_approval
	d.approver_roles == ["approver", "admin"]
	d.reasons == ["high risk capability requires approval by approver or admin"]
}

test_approver_roles_org_cannot_widen_critical if {
	d := invoke.decision with input as with_setting("critical", "low")
	d.approver_roles == ["admin"]
}

test_deny_org_setting_unknown_value if {
	every setting in ["none", "", 2, true, {"risk": "high"}] {
		d := invoke.decision with input as with_setting("low", setting)
		denied(d)
		startswith(d.reasons[0], "org setting approval_required_from has unknown value")
	}
}

test_org_threshold_setting_null_means_unset if {
	d := invoke.decision with input as with_setting("medium", null)
	d.allow
	not d.require_approval
}

test_approver_roles_other_org_settings_ignored if {
	d := invoke.decision with input as object.union(with_risk("high"), {"org": {"settings": {"approval": "none", "roles": {"viewer": {"can_invoke": true}}}}})
	d.require_approval
	d.approver_roles == ["approver", "admin"]
}

test_security_level_low_and_medium_add_nothing if {
	every level in ["low", "medium"] {
		every risk in ["low", "medium"] {
			d := invoke.decision with input as with_level(risk, level)
			d.allow
			not d.require_approval
		}
		d := invoke.decision with input as with_level("high", level)
		d.approver_roles == ["approver", "admin"]
		d.reasons == ["high risk capability requires approval by approver or admin"]
	}
}

test_security_level_high_leaves_low_risk if {
	d := invoke.decision with input as with_level("low", "high")
	d.allow
	not d.require_approval
}

test_security_level_high_requires_approver_from_medium if {
	invoke.decision == {
		"allow": true,
		"require_approval": true,
		"approver_roles": ["approver", "admin"],
		"reasons": ["medium risk capability on high security level server stripe requires approval by approver or admin"],
	} with input as with_level("medium", "high")
}

test_security_level_high_keeps_critical_risk_admin_only if {
	d := invoke.decision with input as with_level("critical", "high")
	d.approver_roles == ["admin"]
}

test_security_level_critical_requires_admin_for_any_risk if {
	every risk in ["low", "medium", "high", "critical"] {
		d := invoke.decision with input as with_level(risk, "critical")
		d.allow
		d.require_approval
		d.approver_roles == ["admin"]
		d.reasons == [sprintf("%s risk capability on critical security level server stripe requires approval by admin", [risk])]
	}
}

test_security_level_critical_narrows_org_threshold if {
	d := invoke.decision with input as object.union(with_level("low", "critical"), {"org": {"settings": {"approval_required_from": "low"}}})
	d.approver_roles == ["admin"]
}

test_security_level_org_threshold_still_applies if {
	d := invoke.decision with input as object.union(with_level("low", "high"), {"org": {"settings": {"approval_required_from": "low"}}})
	d.approver_roles == ["approver", "admin"]
	d.reasons == ["low risk capability requires approval by approver or admin (org setting approval_required_from: low)"]
}

test_deny_unknown_security_level if {
	d := invoke.decision with input as with_level("low", "extreme")
	denied(d)
	d.reasons == ["unknown security level extreme"]
}

test_deny_security_level_viewer_wins if {
	d := invoke.decision with input as object.union(with_level("low", "critical"), {"user": {"role": "viewer"}})
	denied(d)
}

test_deny_approvals_without_common_role if {
	d := invoke.decision with input as with_level("high", "critical")
		with data.collexa.security_levels.critical as {"approval_from_risk": "low", "approver_roles": ["security"]}
	denied(d)
	d.reasons == ["the approvals required have no approver role in common"]
}

# Sandboxes: mock and emulated runs touch no real system, so they need no approval; a connected one is judged as real.
test_sandboxed_mock_and_emulated_need_no_approval if {
	every mode in ["mock", "emulated"] {
		d := invoke.decision with input as object.union(with_level("critical", "critical"), {"sandbox": {"id": "s1", "mode": mode, "target": "stripe.com"}})
		d.allow
		not d.require_approval
	}
}

test_connected_sandbox_keeps_approval if {
	d := invoke.decision with input as object.union(with_level("high", "medium"), {"sandbox": {"id": "s1", "mode": "connected", "target": "stripe.com"}})
	d.allow
	d.require_approval
}

test_sandboxed_viewer_still_denied if {
	d := invoke.decision with input as object.union(with_level("low", "low"), {"user": {"role": "viewer"}, "sandbox": {"id": "s1", "mode": "mock", "target": "t"}})
	denied(d)
}

test_sandbox_first_from_denies_real_system_calls if {
	d := invoke.decision with input as object.union(with_level("high", "medium"), {"sandbox": null, "org": {"settings": {"sandbox_first_from": "high"}}})
	denied(d)
	d.reasons == ["high risk capabilities run only in a sandbox (org setting sandbox_first_from: high)"]
	below := invoke.decision with input as object.union(with_level("medium", "medium"), {"sandbox": null, "org": {"settings": {"sandbox_first_from": "high"}}})
	below.allow
	inside := invoke.decision with input as object.union(with_level("high", "medium"), {"sandbox": {"id": "s1", "mode": "connected", "target": "t"}, "org": {"settings": {"sandbox_first_from": "high"}}})
	inside.allow
}

test_deny_unknown_sandbox_first_from if {
	d := invoke.decision with input as object.union(with_level("low", "low"), {"org": {"settings": {"sandbox_first_from": "sometimes"}}})
	denied(d)
}

with_billing(risk, status) := object.union(with_risk(risk), {"org": {"billing": {"plan": "team", "status": status}}})

read_only(input_doc) := object.union(input_doc, {"capability": {"read_only": true}})

test_billing_past_due_high_requires_admin if {
	d := invoke.decision with input as with_billing("high", "past_due")
	d.allow
	d.require_approval
	d.approver_roles == ["admin"]
	d.reasons == ["high risk capability requires approval by admin (the org's subscription is past_due)"]
}

test_billing_past_due_critical_requires_admin if {
	d := invoke.decision with input as with_billing("critical", "past_due")
	d.approver_roles == ["admin"]
}

test_billing_past_due_medium_needs_no_approval if {
	d := invoke.decision with input as with_billing("medium", "past_due")
	d.allow
	not d.require_approval
}

test_billing_active_high_keeps_approver_or_admin if {
	d := invoke.decision with input as with_billing("high", "active")
	d.approver_roles == ["approver", "admin"]
}

test_billing_canceled_denies_a_write if {
	d := invoke.decision with input as with_billing("low", "canceled")
	denied(d)
	d.reasons == ["the org's subscription is canceled: only read-only capabilities run"]
}

test_billing_canceled_allows_a_read if {
	d := invoke.decision with input as read_only(with_billing("low", "canceled"))
	d.allow
	not d.require_approval
}

test_billing_no_account_changes_nothing if {
	d := invoke.decision with input as object.union(base, {"org": {"billing": {"plan": null, "status": null}}})
	d.allow
	not d.require_approval
}
