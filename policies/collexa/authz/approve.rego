# METADATA
# description: |
#   May this user decide (approve or reject) this pending approval?
#   Fails closed: any missing or unknown input denies. Four eyes: a requester never decides their own request.
package collexa.authz.approve

import data.collexa.lib

roles := data.collexa.roles

required_strings := [
	["approver", "id"],
	["approver", "role"],
	["approver", "org_id"],
	["approval", "org_id"],
	["approval", "requested_by"],
	["approval", "status"],
]

default decision := {"allow": false, "reasons": ["policy could not reach a decision"]}

decision := {"allow": false, "reasons": sort(deny)} if count(deny) > 0

decision := {"allow": true, "reasons": [sprintf("%s may decide this approval", [input.approver.role])]} if count(deny) == 0

deny contains reason if {
	some reason in lib.missing_strings(required_strings)
}

deny contains "missing required field approval.approver_roles" if not valid_approver_roles

deny contains "approver belongs to another organization" if {
	lib.non_empty_string(input.approver.org_id)
	lib.non_empty_string(input.approval.org_id)
	input.approver.org_id != input.approval.org_id
}

deny contains "requester may not decide their own approval (four eyes)" if {
	lib.non_empty_string(input.approver.id)
	input.approver.id == input.approval.requested_by
}

deny contains sprintf("unknown role %s", [input.approver.role]) if {
	lib.non_empty_string(input.approver.role)
	not roles[input.approver.role]
}

# The approval record names its roles, but a role that may never approve is refused even if named there.
deny contains sprintf("%s role may not decide approvals", [input.approver.role]) if {
	role := roles[input.approver.role]
	not role.can_approve == true
}

deny contains sprintf("%s role may not decide this approval; it needs %s", [
	input.approver.role,
	concat(" or ", input.approval.approver_roles),
]) if {
	lib.non_empty_string(input.approver.role)
	valid_approver_roles
	not input.approver.role in input.approval.approver_roles
}

deny contains sprintf("approval is not pending (status %s)", [input.approval.status]) if {
	lib.non_empty_string(input.approval.status)
	input.approval.status != "pending"
}

valid_approver_roles if {
	is_array(input.approval.approver_roles)
	count(input.approval.approver_roles) > 0
	every r in input.approval.approver_roles {
		lib.non_empty_string(r)
	}
}
