# METADATA
# description: |
#   May this user run this agent capability, and does it need a human approval first?
#   Fails closed: any missing or unknown input denies. Deny wins over everything.
#   allow with require_approval means "permitted once one of approver_roles approves".
#   Approval comes from the capability's risk, the org's approval_required_from threshold (which only
#   adds approval where the risk needs none) and the MCP server's security level
#   (capability.server_security_level, data.collexa.security_levels): a `high` level server needs an
#   approver or admin from medium risk up, a `critical` level one an admin for any risk; `low` and
#   `medium` add nothing. Every requirement must hold, so the roles that may approve are those all of
#   them accept (deny if none).
#   The org's Stripe subscription (input.org.billing.status) adds its own: past_due asks an admin for high
#   risk and up; canceled lets only read-only capabilities (capability.read_only) run.
package collexa.authz.invoke

import data.collexa.lib

roles := data.collexa.roles

risks := data.collexa.risk

levels := data.collexa.security_levels

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
	["capability", "server_security_level"],
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

deny contains sprintf("unknown security level %s", [input.capability.server_security_level]) if {
	lib.non_empty_string(input.capability.server_security_level)
	not levels[input.capability.server_security_level]
}

deny contains "the approvals required have no approver role in common" if {
	count(role_sets) > 0
	count(approver_roles) == 0
}

# null means "not set" (a cleared column), like an absent key.
org_threshold_setting := input.org.settings.approval_required_from if {
	input.org.settings.approval_required_from != null
}

# The org threshold only ever adds approval to risks the defaults let through; it cannot
# replace or remove the approver roles a risk already requires.
default risk_roles := []

risk_roles := risks[input.capability.risk].approver_roles

default org_roles := []

org_roles := data.collexa.org_threshold_approver_roles if {
	count(risk_roles) == 0
	risks[input.capability.risk].level >= risks[org_threshold_setting].level
}

# The server's security level asks for approval from its threshold risk up, whatever the org says.
default level_roles := []

level_roles := rule.approver_roles if {
	rule := levels[input.capability.server_security_level]
	risks[input.capability.risk].level >= risks[rule.approval_from_risk].level
}

# A call routed to a mock or emulated sandbox touches no real system: it needs no approval. A connected
# sandbox is the real system (its creation was approved; its calls are judged like any other).
sandboxed if input.sandbox.mode in {"mock", "emulated"}

# A subscription whose payment failed (past_due) keeps the org working, but its high-risk calls need an admin.
billing_status := input.org.billing.status if {
	input.org.billing.status != null
}

default billing_roles := []

billing_roles := ["admin"] if {
	billing_status == "past_due"
	risks[input.capability.risk].level >= risks.high.level
}

# A canceled subscription: reads still run (an org can look at what it has), nothing that writes.
deny contains "the org's subscription is canceled: only read-only capabilities run" if {
	billing_status == "canceled"
	not input.capability.read_only == true
}

# Each requirement's roles, in precedence order (risk, org, level, billing): the first one's order is kept.
role_sets := [roles | some roles in [risk_roles, org_roles, level_roles, billing_roles]; count(roles) > 0] if {
	not sandboxed
} else := []

# Org setting sandbox_first_from: capabilities of that risk or more run only in a sandbox (mock, emulated,
# or an approved connected one), never straight against the real system.
sandbox_first_setting := input.org.settings.sandbox_first_from if {
	input.org.settings.sandbox_first_from != null
}

deny contains sprintf("org setting sandbox_first_from has unknown value %v", [setting]) if {
	setting := sandbox_first_setting
	not risks[setting]
}

deny contains msg if {
	object.get(input, "sandbox", null) == null
	risks[input.capability.risk].level >= risks[sandbox_first_setting].level
	msg := sprintf(
		"%s risk capabilities run only in a sandbox (org setting sandbox_first_from: %s)",
		[input.capability.risk, sandbox_first_setting],
	)
}

approver_roles := [role |
	some role in role_sets[0]
	every roles in role_sets {
		role in roles
	}
] if {
	count(role_sets) > 0
} else := []

approval_reason := sprintf("%s risk capability requires approval by %s (the org's subscription is past_due)", [
	input.capability.risk,
	concat(" or ", approver_roles),
]) if {
	count(billing_roles) > 0
} else := sprintf("%s risk capability on %s security level server %s requires approval by %s", [
	input.capability.risk,
	input.capability.server_security_level,
	input.capability.server,
	concat(" or ", approver_roles),
]) if {
	count(level_roles) > 0
} else := sprintf("%s risk capability requires approval by %s", [
	input.capability.risk,
	concat(" or ", approver_roles),
]) if {
	count(risk_roles) > 0
} else := sprintf(
	"%s risk capability requires approval by %s (org setting approval_required_from: %s)",
	[input.capability.risk, concat(" or ", approver_roles), org_threshold_setting],
)
