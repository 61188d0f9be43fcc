"""Every CodeCommit action, classified for the developer lock policy, cross-checked against botocore.

The lock policy must deny, while a repository is locked, every action that returns file content,
diffs, commit messages or comments, or that changes refs, files, branches, pull requests or the
repository itself. Listing those by hand lets a new operation slip through, so the deny list is
derived from the CodeCommit service model botocore ships: every operation is denied unless this module
says it is harmless metadata or not about a repository at all. Anything new is therefore denied by
default, and the infra tests fail until somebody reviews it and files it under one of the four sets
below (``METADATA``, ``NOT_REPOSITORY``, ``READS_CONTENT``, ``CHANGES_REPOSITORY``).

IAM also knows permission-only actions that are no API operation (the git transport, the console's
browsing); they are listed with the same rules, from the Service Authorization Reference.
"""

from __future__ import annotations

from functools import lru_cache

import botocore.session

#: Readable while locked: names, ids and tags only (a developer must still see that it is locked).
METADATA = {
    "BatchGetRepositories": "repository metadata (name, ARN, default branch)",
    "GetRepository": "repository metadata (name, ARN, default branch)",
    "GetBranch": "a branch's name and commit id",
    "ListBranches": "branch names",
    "ListPullRequests": "pull request ids",
    "ListTagsForResource": "the tags, including the lock itself",
    "GetRepositoryTriggers": "trigger configuration (targets and events), no repository content",
    "ListAssociatedApprovalRuleTemplatesForRepository": "names of associated approval templates",
}

#: Not about one repository's content (account-level or approval-template resources): the
#: repository tag condition cannot apply to them.
NOT_REPOSITORY = {
    "CreateRepository": "account level: no repository exists yet",
    "ListRepositories": "account level",
    "CreateApprovalRuleTemplate": "approval rule template resource",
    "DeleteApprovalRuleTemplate": "approval rule template resource",
    "GetApprovalRuleTemplate": "approval rule template resource",
    "ListApprovalRuleTemplates": "account level",
    "ListRepositoriesForApprovalRuleTemplate": "approval rule template resource",
    "UpdateApprovalRuleTemplateContent": "approval rule template resource",
    "UpdateApprovalRuleTemplateDescription": "approval rule template resource",
    "UpdateApprovalRuleTemplateName": "approval rule template resource",
}

#: Reviewed operations that return file content, diffs, commit messages or comments (denied).
READS_CONTENT = frozenset(
    {
        "BatchDescribeMergeConflicts", "BatchGetCommits", "DescribeMergeConflicts",
        "DescribePullRequestEvents", "EvaluatePullRequestApprovalRules", "GetBlob", "GetBlobDifferences",
        "GetComment",
        "GetCommentReactions", "GetCommentsForComparedCommit", "GetCommentsForPullRequest", "GetCommit",
        "GetDifferences", "GetFile", "GetFolder", "GetMergeCommit", "GetMergeConflicts", "GetMergeOptions",
        "GetPullRequest", "GetPullRequestApprovalStates", "GetPullRequestOverrideState",
        "ListFileCommitHistory",
    }
)  # fmt: skip

#: Reviewed operations that change refs, files, branches, pull requests, comments or the repository.
CHANGES_REPOSITORY = frozenset(
    {
        "AssociateApprovalRuleTemplateWithRepository", "BatchAssociateApprovalRuleTemplateWithRepositories",
        "BatchDisassociateApprovalRuleTemplateFromRepositories", "CreateBranch", "CreateCommit",
        "CreatePullRequest", "CreatePullRequestApprovalRule", "CreateUnreferencedMergeCommit", "DeleteBranch",
        "DeleteCommentContent", "DeleteFile", "DeletePullRequestApprovalRule", "DeleteRepository",
        "DisassociateApprovalRuleTemplateFromRepository", "MergeBranchesByFastForward",
        "MergeBranchesBySquash", "MergeBranchesByThreeWay", "MergePullRequestByFastForward",
        "MergePullRequestBySquash", "MergePullRequestByThreeWay", "OverridePullRequestApprovalRules",
        "PostCommentForComparedCommit", "PostCommentForPullRequest", "PostCommentReply", "PutCommentReaction",
        "PutFile", "PutRepositoryTriggers", "TagResource", "TestRepositoryTriggers", "UntagResource",
        "UpdateComment", "UpdateDefaultBranch", "UpdatePullRequestApprovalRuleContent",
        "UpdatePullRequestApprovalState", "UpdatePullRequestDescription", "UpdatePullRequestStatus",
        "UpdatePullRequestTitle", "UpdateRepositoryDescription", "UpdateRepositoryEncryptionKey",
        "UpdateRepositoryName",
    }
)  # fmt: skip

#: Permission-only IAM actions (no API operation) that read content or change the repository.
PERMISSION_ONLY_DENIED = {
    "GitPull": "git fetch/clone over HTTPS or SSH",
    "GitPush": "git push, including ref deletions",
    "GetTree": "the console's file browser",
    "GetObjectIdentifier": "resolves paths to blobs in the console",
    "GetReferences": "the console's ref listing with commit ids and messages",
    "GetCommitHistory": "commit messages in the console",
    "GetCommitsFromMergeBase": "commit messages between two commits",
    "BatchGetPullRequests": "pull request titles and descriptions",
    "UploadArchive": "an archive of the repository's content (CodePipeline)",
    "GetUploadArchiveStatus": "status of such an archive",
    "CancelUploadArchive": "cancels such an archive",
}


@lru_cache(maxsize=1)
def model_operations() -> tuple[str, ...]:
    """Every operation of the CodeCommit service model botocore ships."""
    return tuple(botocore.session.get_session().get_service_model("codecommit").operation_names)


def locked_actions() -> list[str]:
    """``codecommit:`` actions denied while a repository is locked: every operation that is neither
    metadata nor account-level, plus the permission-only actions above. New operations land here."""
    api = [op for op in model_operations() if op not in METADATA and op not in NOT_REPOSITORY]
    return sorted(f"codecommit:{name}" for name in {*api, *PERMISSION_ONLY_DENIED})
