"""The CodeCommit stand-in the handler tests plug into boto3 clients.

It is the product's own stand-in (local mode serves the same one over HTTP), so the tests and
``make demo`` cannot drift apart; it validates every request and response against botocore's model.
"""

from leakguard.local.codecommit import CodeCommitStandIn as FakeCodeCommit

__all__ = ["FakeCodeCommit"]
