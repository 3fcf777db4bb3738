# METADATA
# description: |
#   May this user run this agent capability, and does it need a human approval first?
#   Fails closed: any missing or unknown input denies. Deny wins over everything.
#   allow with require_approval means "permitted once one of approver_roles approves".
package collexa.authz.invoke

import data.collexa.lib

roles := data.collexa.roles

risks := data.collexa.risk

required_strings := [
	["user", "id"],
	["user", "role"],
	["user", "org_id"],
	["org", "id"],
	["agent", "id"],
	["agent", "name"],
	["capability", "name"],
	["capability", "risk"],
	["capability", "server"],
	["capability", "tool"],
]

required_objects := [["org", "settings"], ["context"]]

default decision := {
	"allow": false,
	"require_approval": false,
	"approver_roles": [],
	"reasons": ["policy could not reach a decision"],
}

decision := {
	"allow": false,
	"require_approval": false,
	"approver_roles": [],
	"reasons": sort(deny),
} if {
	count(deny) > 0
}

decision := {
	"allow": true,
	"require_approval": true,
	"approver_roles": approver_roles,
	"reasons": [approval_reason],
} if {
	count(deny) == 0
	count(approver_roles) > 0
}

decision := {
	"allow": true,
	"require_approval": false,
	"approver_roles": [],
	"reasons": [sprintf("%s risk capability allowed", [input.capability.risk])],
} if {
	count(deny) == 0
	count(approver_roles) == 0
}

deny contains reason if {
	some reason in lib.missing_strings(required_strings)
}

deny contains reason if {
	some reason in lib.missing_objects(required_objects)
}

deny contains sprintf("unknown role %s", [input.user.role]) if {
	lib.non_empty_string(input.user.role)
	not roles[input.user.role]
}

deny contains sprintf("%s role may not invoke capabilities", [input.user.role]) if {
	role := roles[input.user.role]
	not role.can_invoke == true
}

deny contains "user belongs to another organization" if {
	lib.non_empty_string(input.user.org_id)
	lib.non_empty_string(input.org.id)
	input.user.org_id != input.org.id
}

deny contains sprintf("unknown risk level %s", [input.capability.risk]) if {
	lib.non_empty_string(input.capability.risk)
	not risks[input.capability.risk]
}

deny contains sprintf("org setting approval_required_from has unknown value %v", [setting]) if {
	setting := org_threshold_setting
	not risks[setting]
}

# null means "not set" (a cleared column), like an absent key.
org_threshold_setting := input.org.settings.approval_required_from if {
	input.org.settings.approval_required_from != null
}

# The org threshold only ever adds approval to risks the defaults let through; it cannot
# replace or remove the approver roles a risk already requires.
approver_roles := risks[input.capability.risk].approver_roles if {
	count(risks[input.capability.risk].approver_roles) > 0
} else := data.collexa.org_threshold_approver_roles if {
	risks[input.capability.risk].level >= risks[org_threshold_setting].level
} else := []

approval_reason := sprintf("%s risk capability requires approval by %s", [
	input.capability.risk,
	concat(" or ", approver_roles),
]) if {
	count(risks[input.capability.risk].approver_roles) > 0
} else := sprintf(
	"%s risk capability requires approval by %s (org setting approval_required_from: %s)",
	[input.capability.risk, concat(" or ", approver_roles), org_threshold_setting],
)
