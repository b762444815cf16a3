"""mkdocs hook: the scenario-file reference page, rendered from ``constellation.scenario.scenario_json_schema()``.

The page (``scenario-reference.md``) exists only in the build: every model of the schema is a section, every field a
table row with its type, unit, default, constraints and description, so the reference cannot drift from the code.
"""

from __future__ import annotations

import json
import re

PAGE = "scenario-reference.md"

_UNIT_DESCRIPTION = re.compile(r"^(?P<kind>.+?) in (?P<unit>.+?), or a string with a unit such as '(?P<example>.+)'\.$")
_SUFFIX_UNITS = (("_dbw", "dBW"), ("_dbi", "dBi"), ("_dbk", "dB/K"), ("_db", "dB"))
_BOUNDS = (
    ("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="), ("exclusiveMaximum", "<"),
    ("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"),
)
_DISCRIMINATED_BY_KEYS = {
    ("FixedRateLink", "LinkBudgetSpec"): "a mapping with `rate` is a FixedRateLink; any other is a LinkBudgetSpec",
}
_INTRO = """\
# Scenario file reference

Generated from the JSON Schema of `constellation.scenario` (`constellation schema` prints the same schema) each time
the documentation is built. A scenario file is a YAML mapping whose top level is a [Scenario](#Scenario); unknown
keys are errors.

A field with a unit takes a number in that unit or a string with any unit of the same kind (`altitude: 510 km`,
`altitude: 510000 m` and `altitude: 510` are the same); the value is stored as a float in the unit shown. A field
marked **required** has no default.
"""


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _link(name: str) -> str:
    return f"[{name}](#{name})"


def _code(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return f"`{text}`"


def _unit_info(prop: dict) -> dict | None:
    """kind, unit and example of a field given as a number in a unit or a string with a unit (None otherwise)."""
    for schema in [prop, *prop.get("anyOf", [])]:
        match = _UNIT_DESCRIPTION.match(schema.get("description", ""))
        if match:
            return match.groupdict()
    return None


def _constraints(schema: dict) -> list[str]:
    out = []
    for key, sign in _BOUNDS:
        if key in schema:
            out.append(f"{sign} {schema[key]:g}")
    if "minLength" in schema:
        out.append("not empty" if schema["minLength"] == 1 else f"at least {schema['minLength']} characters")
    if "pattern" in schema:
        out.append(f"matches `{schema['pattern']}`")
    if "minItems" in schema and schema.get("minItems") == schema.get("maxItems"):
        out.append(f"exactly {schema['minItems']} items")
    else:
        if "minItems" in schema:
            out.append(f"at least {schema['minItems']} item{'s' if schema['minItems'] != 1 else ''}")
        if "maxItems" in schema:
            out.append(f"at most {schema['maxItems']} items")
    for part in schema.get("anyOf", []) + schema.get("oneOf", []):
        if "$ref" not in part:
            out += _constraints(part)
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict) and "$ref" not in schema["items"]:
        out += [f"each {c}" for c in _constraints(schema["items"])]
    return list(dict.fromkeys(out))


def _type(schema: dict, unit: dict | None = None) -> str:
    """The type of a field in words, with links to the models it refers to."""
    if "$ref" in schema:
        return _link(_ref_name(schema["$ref"]))
    if "const" in schema:
        return _code(schema["const"])
    if "enum" in schema:
        return "one of " + ", ".join(_code(v) for v in schema["enum"])
    if "oneOf" in schema or "anyOf" in schema:
        parts = schema.get("oneOf") or schema.get("anyOf")
        nullable = any(p.get("type") == "null" for p in parts)
        parts = [p for p in parts if p.get("type") != "null"]
        if unit is not None and all(p.get("type") in ("number", "string") or "anyOf" in p for p in parts):
            text = f"number or string with a unit (`{unit['example']}`)"
        elif "description" in schema and parts == [{"type": "number"}, {"type": "string"}]:
            text = "number or string"
        else:
            names = tuple(_ref_name(p["$ref"]) for p in parts if "$ref" in p)
            text = " or ".join(_type(p, unit) for p in parts)
            if "discriminator" in schema:
                text = f"one of {', '.join(_link(n) for n in names)}, chosen by `{schema['discriminator']['propertyName']}`"
            elif names in _DISCRIMINATED_BY_KEYS:
                text += f" ({_DISCRIMINATED_BY_KEYS[names]})"
        return f"{text}, or null" if nullable else text
    kind = schema.get("type")
    if kind == "array":
        return f"list of {_type(schema.get('items', {}), unit)}"
    if kind == "object":
        return "mapping"
    return {"number": "number", "integer": "integer", "string": "string", "boolean": "boolean",
            "null": "null"}.get(kind, "any")


def _unit(name: str, prop: dict, unit: dict | None) -> str:
    if unit is not None:
        return unit["unit"]
    for suffix, text in _SUFFIX_UNITS:
        if name.endswith(suffix):
            return text
    match = re.search(r", (W|s|km|deg|bit/s)\.$", prop.get("description", ""))
    return match.group(1) if match else ""


def _default(name: str, prop: dict, required: bool, unit: str) -> str:
    if required:
        return "**required**"
    if "default" not in prop:
        if prop.get("type") == "array":
            return "`[]`"
        if "$ref" in prop:
            return "its defaults"
        return ""
    value = prop["default"]
    if value is None:
        return "null (not set)"
    if value == "":
        return '`""`'
    if isinstance(value, float) and unit and unit not in ("dB", "dBW", "dBi", "dB/K"):
        return f"`{value:g}` {unit}"
    return _code(value)


def _description(prop: dict, unit: dict | None) -> str:
    texts = [prop.get("description", "")] + [p.get("description", "") for p in prop.get("anyOf", [])]
    texts = [t for t in texts if t and not _UNIT_DESCRIPTION.match(t)]
    return _cell(texts[0]) if texts else ""


def _cell(text: str) -> str:
    return " ".join(text.replace("``", "`").replace("|", "\\|").split())


def _order(schema: dict) -> list[str]:
    """Model names in the order a reader meets them: breadth first from the top level."""
    defs = schema["$defs"]
    seen, queue = ["Scenario"], [schema]
    while queue:
        node = queue.pop(0)
        for ref in re.findall(r'"\$ref": "#/\$defs/(\w+)"', json.dumps(node.get("properties", {}))):
            if ref not in seen:
                seen.append(ref)
                queue.append(defs[ref])
    return seen + sorted(set(defs) - set(seen))


def _users(schema: dict) -> dict[str, list[str]]:
    """For each model, the fields (Model.field) that refer to it."""
    out: dict[str, list[str]] = {}
    models = {"Scenario": schema, **schema["$defs"]}
    for owner, model in models.items():
        for field, prop in model.get("properties", {}).items():
            for ref in dict.fromkeys(re.findall(r'"\$ref": "#/\$defs/(\w+)"', json.dumps(prop))):
                out.setdefault(ref, []).append(f"[{owner}](#{owner}).`{field}`")
    return out


def render(schema: dict) -> str:
    """The reference page as Markdown."""
    models = {"Scenario": schema, **schema["$defs"]}
    users = _users(schema)
    lines = [_INTRO]
    for name in _order(schema):
        model = models[name]
        lines.append(f"## {name} {{#{name}}}\n")
        description = model.get("description", "")
        if description:
            lines.append(description.replace("``", "`") + "\n")
        if users.get(name):
            lines.append("Used by " + ", ".join(users[name]) + ".\n")
        required = set(model.get("required", []))
        lines.append("| key | type | unit | default | constraints | description |")
        lines.append("| --- | --- | --- | --- | --- | --- |")
        for field, prop in model.get("properties", {}).items():
            unit_info = _unit_info(prop)
            unit = _unit(field, prop, unit_info)
            row = [
                f"`{field}`",
                _type(prop, unit_info),
                unit,
                _default(field, prop, field in required, unit),
                ", ".join(_constraints(prop)),
                _description(prop, unit_info),
            ]
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    return "\n".join(lines)


def on_files(files, config):
    from mkdocs.structure.files import File

    from constellation.scenario import scenario_json_schema

    files.append(File.generated(config, PAGE, content=render(scenario_json_schema())))
    return files
