#!/usr/bin/env python3
"""CDK entry point: read the context, validate it once, build the stack. No I/O, no AWS calls."""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks
from stacks import LeakguardConfig, LeakguardStack

app = cdk.App()
config = LeakguardConfig.from_context(app.node.try_get_context)
LeakguardStack(
    app,
    app.node.try_get_context("stackName") or "Leakguard",
    config=config,
    description="leakguard: catch credentials pushed to CodeCommit and contain them",
)
# The AWS Solutions checks run on every synth, so a deploy never ships an unacknowledged finding.
cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
