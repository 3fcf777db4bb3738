package collexa.authz.approve_test

import data.collexa.authz.approve

base := {
	"approver": {"id": "u2", "role": "approver", "org_id": "o1"},
	"approval": {"org_id": "o1", "requested_by": "u1", "approver_roles": ["approver", "admin"], "status": "pending"},
}

with_approver(fields) := object.union(base, {"approver": fields})

with_approval(fields) := object.union(base, {"approval": fields})

test_decision_approver_allowed if {
	approve.decision == {"allow": true, "reasons": ["approver may decide this approval"]} with input as base
}

test_decision_admin_allowed if {
	d := approve.decision with input as with_approver({"role": "admin"})
	d.allow
}

test_decision_admin_allowed_for_admin_only if {
	d := approve.decision with input as object.union(with_approver({"role": "admin"}), {"approval": {"approver_roles": ["admin"]}})
	d.allow
}

test_deny_four_eyes if {
	approve.decision == {
		"allow": false,
		"reasons": ["requester may not decide their own approval (four eyes)"],
	} with input as with_approver({"id": "u1"})
}

test_deny_four_eyes_even_for_admin if {
	d := approve.decision with input as with_approver({"id": "u1", "role": "admin"})
	not d.allow
}

test_deny_role_not_in_approver_roles if {
	d := approve.decision with input as with_approval({"approver_roles": ["admin"]})
	not d.allow
	d.reasons == ["approver role may not decide this approval; it needs admin"]
}

test_deny_developer if {
	d := approve.decision with input as with_approver({"role": "developer"})
	not d.allow
	"developer role may not decide approvals" in d.reasons
}

test_deny_role_that_cannot_approve_even_if_named if {
	d := approve.decision with input as object.union(with_approver({"role": "viewer"}), {"approval": {"approver_roles": ["viewer"]}})
	d.reasons == ["viewer role may not decide approvals"]
}

test_deny_unknown_role if {
	d := approve.decision with input as object.union(with_approver({"role": "root"}), {"approval": {"approver_roles": ["root"]}})
	d.reasons == ["unknown role root"]
}

test_deny_other_org if {
	d := approve.decision with input as with_approver({"org_id": "o2"})
	d.reasons == ["approver belongs to another organization"]
}

test_deny_not_pending if {
	every status in ["approved", "rejected", "expired", "PENDING"] {
		d := approve.decision with input as with_approval({"status": status})
		d.reasons == [sprintf("approval is not pending (status %s)", [status])]
	}
}

test_deny_reasons_accumulate if {
	d := approve.decision with input as object.union(with_approver({"id": "u1", "org_id": "o2"}), {"approval": {"status": "approved"}})
	d.reasons == [
		"approval is not pending (status approved)",
		"approver belongs to another organization",
		"requester may not decide their own approval (four eyes)",
	]
}

test_deny_missing_each_required_string if {
	every path in approve.required_strings {
		d := approve.decision with input as json.remove(base, [path])
		not d.allow
		sprintf("missing required field %s", [concat(".", path)]) in d.reasons
	}
}

test_deny_missing_approver_roles if {
	every roles in [null, [], "approver", [""], ["approver", 1]] {
		d := approve.decision with input as with_approval({"approver_roles": roles})
		not d.allow
		d.reasons == ["missing required field approval.approver_roles"]
	}
}

test_deny_absent_approver_roles if {
	d := approve.decision with input as json.remove(base, ["approval/approver_roles"])
	d.reasons == ["missing required field approval.approver_roles"]
}

test_deny_empty_input if {
	d := approve.decision with input as {}
	not d.allow
	count(d.reasons) == count(approve.required_strings) + 1
}

test_deny_no_input if {
	not approve.decision.allow
}
