# METADATA
# description: Input checks shared by the authz packages, so both fail closed the same way.
package collexa.lib

non_empty_string(x) if {
	is_string(x)
	x != ""
}

# Reads input itself rather than taking it as an argument: with no input at all, an argument would
# be undefined and the whole call with it, and a missing input must deny, not vanish.
missing_strings(paths) := {sprintf("missing required field %s", [concat(".", path)]) |
	some path in paths
	not non_empty_string(object.get(input, path, null))
}

missing_objects(paths) := {sprintf("missing required field %s", [concat(".", path)]) |
	some path in paths
	not is_object(object.get(input, path, null))
}
