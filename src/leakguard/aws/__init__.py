"""Thin AWS clients: the only code that calls boto3. Each takes its boto3 client as an argument
(the real one by default) so tests hand in moto-backed clients or the CodeCommit stand-in."""

from leakguard.errors import LeakguardError


class AwsCallError(LeakguardError):
    """An AWS call made for a person (CLI) failed; the message is botocore's, one line."""
