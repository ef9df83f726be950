"""Validates a 360Giving package against the standard's schemas: check_360giving.py SCHEMA_DIR FILE.

The package schema refers to the grant schema by its published address; the registry serves the
local copy under it. Formats are checked (date-time needs rfc3339-validator), which the schema's
oneOf between a date-time and a plain date relies on.
"""
import json
import sys

import jsonschema
from referencing import Registry
from referencing.jsonschema import DRAFT202012

schema_dir, path = sys.argv[1], sys.argv[2]
with open(f"{schema_dir}/360-giving-schema.json") as f:
    grant = json.load(f)
with open(f"{schema_dir}/360-giving-package-schema.json") as f:
    package = json.load(f)
resource = DRAFT202012.create_resource(grant)
registry = Registry().with_resources(
    [(grant["$id"], resource), (package["properties"]["grants"]["items"]["$ref"], resource)]
)
validator = jsonschema.Draft202012Validator(
    package, registry=registry, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)
with open(path) as f:
    data = json.load(f)
errors = list(validator.iter_errors(data))
for error in errors[:20]:
    print(f"{list(error.absolute_path)}: {error.message[:300]}")
print(f"{len(data.get('grants', []))} grants, {len(errors)} errors")
sys.exit(1 if errors else 0)
