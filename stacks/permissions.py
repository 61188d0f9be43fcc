"""cdk-nag acknowledgements for the few wildcards least privilege cannot avoid, each with its reason.

cdk-nag 3 acknowledges one finding at a time (``AwsSolutions-IAM5[Resource::<arn>]``), with the ARN in
cdk-nag's notation (tokens as ``<LogicalId.Arn>``, pseudo parameters as ``<AWS::Region>``), so these
helpers compute the exact finding id instead of silencing the whole rule for a role.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import IConstruct


def nag_notation(scope: IConstruct, value: str) -> str:
    """``value`` as cdk-nag prints it: ``{"Ref": X}`` as ``<X>``, ``Fn::GetAtt`` as ``<Id.Attr>``."""

    def render(node: Any) -> str:
        if isinstance(node, str):
            return node
        if isinstance(node, dict) and "Ref" in node:
            return f"<{node['Ref']}>"
        if isinstance(node, dict) and "Fn::GetAtt" in node:
            return "<{}.{}>".format(*node["Fn::GetAtt"])
        if isinstance(node, dict) and "Fn::Join" in node:
            separator, parts = node["Fn::Join"]
            return str(separator).join(render(p) for p in parts)
        raise ValueError(f"no cdk-nag notation for {node!r}")

    return render(Stack.of(scope).resolve(value))


def acknowledge_object_prefix(role: iam.IRole, *, bucket: s3.IBucket, prefix: str, why: str) -> None:
    """Object permissions under a key prefix: the key names are made at run time (per incident)."""
    Validations.of(role).acknowledge(
        Acknowledgment(
            id=f"AwsSolutions-IAM5[Resource::{nag_notation(role, bucket.arn_for_objects(prefix + '*'))}]",
            reason=f"Object keys under '{prefix}' are chosen per incident at run time ({why}); the "
            "permission is limited to that prefix of this one bucket.",
        )
    )


def acknowledge_all_repositories(role: iam.IRole, *, arn: str) -> None:
    """``repositories: "*"``: the deployment was told to watch every repository of the account."""
    Validations.of(role).acknowledge(
        Acknowledgment(
            id=f"AwsSolutions-IAM5[Resource::{nag_notation(role, arn)}]",
            reason='The deployment is configured with repositories="*": every CodeCommit repository of '
            "this account and region is watched, including ones created later; the actions stay exact.",
        )
    )
