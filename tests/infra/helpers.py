"""Small readers of a synthesized template: functions by handler, each role's statements."""

from __future__ import annotations

from typing import Any

Template = dict[str, Any]


def resources(template: Template, type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def function(template: Template, name: str) -> dict[str, Any]:
    """The function whose handler is ``handlers.<name>.handler``."""
    (found,) = [
        f
        for f in resources(template, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == f"handlers.{name}.handler"
    ]
    return found


def function_logical_id(template: Template, name: str) -> str:
    (found,) = [
        k
        for k, f in resources(template, "AWS::Lambda::Function").items()
        if f["Properties"]["Handler"] == f"handlers.{name}.handler"
    ]
    return found


def role_statements(template: Template, name: str) -> list[dict[str, Any]]:
    """Every statement of every inline or attached policy of the function's role."""
    role_id = function(template, name)["Properties"]["Role"]["Fn::GetAtt"][0]
    role = template["Resources"][role_id]["Properties"]
    assert "ManagedPolicyArns" not in role, "function roles carry no managed policies"
    statements = [s for p in role.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
    for policy in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def actions(statements: list[dict[str, Any]]) -> set[str]:
    return {a for s in statements for a in as_list(s["Action"])}


def statement_with(statements: list[dict[str, Any]], action: str) -> dict[str, Any]:
    (found,) = [s for s in statements if action in as_list(s["Action"])]
    return found


def all_statements(template: Template) -> list[dict[str, Any]]:
    """Statements of every identity policy in the template (roles, inline and managed policies)."""
    found: list[dict[str, Any]] = []
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            found += props["PolicyDocument"]["Statement"]
        if resource["Type"] == "AWS::IAM::Role":
            found += [s for p in props.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
    return found


def joined(value: Any) -> str:
    """An ARN built with Fn::Join, flattened for comparisons (``{"Ref": X}`` → ``${X}``)."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return "${" + value["Ref"] + "}"
    if "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    separator, parts = value["Fn::Join"]
    return separator.join(joined(p) for p in parts)
