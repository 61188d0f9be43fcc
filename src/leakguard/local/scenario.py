"""``make demo``: the whole bot, on the embedded AWS, with real git pushes, checked step by step.

The story a new user watches: a developer pushes a clean commit (nothing happens), then a commit with a
generated fake AWS key on ``main``, then a new branch carrying a fake Stripe key, then a release branch
and its annotated tag in one ``git push --follow-tags`` (two ref events, one incident naming both refs,
one email). For each push the
timeline shows what the inspector found, the email admins receive, the lock tag, the branch heads and
the quarantine bundle; then an admin unlocks the repository and restores the quarantined commits. Every
expectation is a check: the demo exits 0 only if all of them held.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import boto3

from leakguard.cli import main as leakguard_cli
from leakguard.local.emulator import local_aws
from leakguard.local.outbox import write_eml
from leakguard.local.pipeline import Delivery, LocalPipeline, Mail
from leakguard.local.template import synthesize
from leakguard.local.timeline import Timeline
from leakguard.sample import fake_aws_access_key_id, fake_stripe_key

REPOSITORY = "payments"
ADMIN_EMAIL = "security-admins@example.com"
#: The deployment the demo runs: the same keys as cdk.json's context.
DEMO_CONTEXT: dict[str, Any] = {
    "repositories": [REPOSITORY],
    "notificationEmails": [ADMIN_EMAIL],
    "remediations": {"*": {"lock": True, "reset": True}},
}


class Demo:
    """One run of the demo story in ``workdir``."""

    def __init__(self, workdir: Path, timeline: Timeline) -> None:
        self.workdir = workdir
        self.timeline = timeline
        self.outbox = workdir / "outbox"
        self.mail_count = 0

    def run(self) -> int:
        t = self.timeline
        t.step("Starting an embedded AWS (moto server on loopback) and the CodeCommit stand-in")
        with local_aws() as aws:
            t.event(
                "aws",
                f"EventBridge, SNS, SQS, S3, DynamoDB at {aws.endpoint}; CodeCommit tags at "
                f"{aws.codecommit_endpoint}",
            )
            t.step("Deploying leakguard's CDK stack into it (synthesized now, no Docker, no AWS account)")
            template = synthesize(DEMO_CONTEXT)
            self.pipeline = LocalPipeline.deploy(aws, template, workdir=self.workdir)
            for rule in self.pipeline.wiring.rules:
                targets = ", ".join(self.pipeline.wiring.functions[f].name for f, _ in rule.targets)
                t.event("stack", f"rule {rule.logical_id} -> {targets}")
                t.block(json.dumps(self.pipeline.resolver().resolve(rule.pattern)), indent=25)
            self.bare = self.pipeline.create_repository(REPOSITORY)
            self.remote = aws.remote(REPOSITORY)
            t.event(
                "codecommit",
                f"repository {REPOSITORY} (a bare git repository, {self.bare}) whose "
                "post-receive hook emits CodeCommit's reference events",
            )
            t.event(
                "codecommit",
                f"git remote {self.remote}: developer, inspector and reset all fetch from and push to it "
                f"through git-remote-codecommit (SigV4, fake credentials) and HTTPS to the git endpoint "
                f"https://{aws.git.host} (certificate trusted via GIT_SSL_CAINFO)",
            )
            try:
                self._story()
            finally:
                self.pipeline.close()
        t.step("Result")
        t.event(
            "demo",
            f"{t.passed} checks passed, {len(t.failures)} failed; emails in {self.outbox}; "
            f"function logs in {self.workdir / 'logs'}",
        )
        for failure in t.failures:
            t.event("demo", f"FAILED: {failure}")
        return 0 if not t.failures else 1

    # -- the story -------------------------------------------------------------------------------

    def _story(self) -> None:
        t = self.timeline
        clone = self.workdir / "developer-clone"
        self.timeline.event("developer", f"git clone {self.remote}")
        self._git("clone", "-q", self.remote, str(clone))
        self._git("-C", str(clone), "config", "user.name", "Dee Veloper")
        self._git("-C", str(clone), "config", "user.email", "dee@example.com")

        t.step("Developer pushes a clean commit to main")
        self._commit(
            clone, {"README.md": "# payments\n", "app.py": "def handler(event):\n    return 200\n"}, "Initial"
        )
        clean = self._push(clone, "main")
        deliveries, mails = self._deliver()
        t.check(
            _statuses(deliveries) == [("inspector", "clean")],
            "the inspector found it clean: no security event",
        )
        t.check(mails == [], "no email was sent")

        t.step("Developer pushes a commit with a (generated, fake) AWS access key to main")
        self._commit(
            clone, {"config.py": f"AWS_ACCESS_KEY_ID = '{fake_aws_access_key_id()}'\n"}, "Add config"
        )
        leak = self._push(clone, "main")
        first = self._incident(self._deliver(), "main")
        t.check(self._head("refs/heads/main") == clean, f"main is back at the clean commit {clean[:12]}")
        t.check(self._locked(), "the repository is tagged RepoState=locked")
        t.check(self._bundle(first), "the removed commit is quarantined as a git bundle in S3")
        t.check(self._through_endpoint(), f"the functions fetched and pushed through {self.remote}")
        t.event("git", "locally nothing enforces IAM; in AWS the developer policy now denies pull and push")

        t.step("EventBridge delivers the same push event a second time (it delivers at least once)")
        duplicate, mails = self._redeliver(clean_old=clean, new=leak)
        t.check(
            [(d.function, d.error) for d in duplicate] == [("inspector", None)],
            "the duplicate started no second incident",
        )
        t.check(mails == [], "no second email")

        t.step("Developer creates branch feature/checkout carrying a (generated, fake) Stripe key")
        self._git("-C", str(clone), "checkout", "-q", "-b", "feature/checkout", clean)
        self._commit(clone, {"checkout.py": f"STRIPE_KEY = '{fake_stripe_key()}'\n"}, "Checkout")
        self._push(clone, "feature/checkout")
        second = self._incident(self._deliver(), "feature/checkout")
        t.check(
            self._head("refs/heads/feature/checkout") is None, "the branch only carried the leak: deleted"
        )
        t.check(self._bundle(second), "its commit is quarantined first")

        t.step("Developer pushes a release branch and its tag at once: git push --follow-tags")
        self._git("-C", str(clone), "checkout", "-q", "-b", "release/1.0", clean)
        self._commit(clone, {"deploy.py": f"DEPLOY_KEY = '{fake_aws_access_key_id()}'\n"}, "Release prep")
        self._git("-C", str(clone), "tag", "-a", "-m", "Release 1.0", "v1.0")
        self.timeline.event(
            "developer", "git push --follow-tags -u origin release/1.0  (a new branch and tag v1.0)"
        )
        self._git("-C", str(clone), "push", "-q", "--follow-tags", "-u", "origin", "release/1.0")
        deliveries, mails = self._deliver()
        inspected = [d for d in deliveries if d.function == "inspector"]
        pushed = [d for d in inspected if d.event.get("detail", {}).get("event") != "referenceDeleted"]
        t.check(len(pushed) == 2, "both ref events (the branch and the tag) were inspected")
        t.check(  # reset's deletion of the tag reaches the inspector too: it scans nothing, fails nothing
            all(
                d.error is None and (d.result or {}).get("status") == "ignored"
                for d in inspected
                if d not in pushed
            ),
            "the deletions reset made were inspected and scanned nothing",
        )
        action = [m for m in mails if m.subject.startswith("[ACTION REQUIRED]")]
        t.check(len(action) == 1, "one push, one incident: exactly one [ACTION REQUIRED] email")
        t.check(
            bool(action)
            and all(ref in action[0].body for ref in ("refs/heads/release/1.0", "refs/tags/v1.0")),
            "the email names every ref carrying the leak: the branch and the tag",
        )
        resets = [d for d in deliveries if d.function == "reset"]
        t.check(bool(resets) and not any(d.error for d in resets), "reset contained the push without failing")
        t.check(
            self._head("refs/tags/v1.0") is None and self._head("refs/heads/release/1.0") in (None, clean),
            "one quarantine, then neither ref carries the leak (tag deleted, branch deleted or at clean)",
        )

        t.step("Admin rotates the keys, then unlocks the repository")
        self._cli("unlock", REPOSITORY, "--reason", "demo: keys rotated")
        tags = self._tags()
        recorded = (
            "leakguard:unlockedBy" in tags and tags.get("leakguard:unlockReason") == "demo: keys rotated"
        )
        t.check(
            tags.get("RepoState") != "locked" and recorded,
            f"unlocked, with who and why recorded: {json.dumps(tags, sort_keys=True)}",
        )

        t.step("Admin restores the quarantined commits into a clone")
        admin = self.workdir / "admin-clone"
        self.timeline.event("admin", f"git clone {self.remote}")
        self._git("clone", "-q", self.remote, str(admin))
        bucket = self.pipeline.environments["reset"]["QUARANTINE_BUCKET"]
        for incident in (first, second):
            if incident:
                self._cli(
                    "restore",
                    incident,
                    "--repository",
                    REPOSITORY,
                    "--bucket",
                    bucket,
                    "--repo-dir",
                    str(admin),
                )
        restored = self._git(
            "-C", str(admin), "for-each-ref", "--format=%(objectname) %(refname)", "refs/leakguard"
        )
        t.check(leak in restored, f"the leaking commit {leak[:12]} is back, under refs/leakguard/restored/")

    # -- steps -----------------------------------------------------------------------------------

    def _push(self, clone: Path, branch: str) -> str:
        head = self._git("-C", str(clone), "rev-parse", "HEAD")
        before = self._head(f"refs/heads/{branch}")
        moved = f"{(before or 'new branch')[:12]} -> {head[:12]}"
        self.timeline.event("developer", f"git push origin {branch}  (origin: {self.remote}; {moved})")
        self._git("-C", str(clone), "push", "-q", "origin", branch)
        return head

    def _deliver(self) -> tuple[list[Delivery], list[Mail]]:
        """Let the pipeline run until idle; show what each function did and every email sent."""
        deliveries = self.pipeline.pump()
        for delivery in deliveries:
            self._show(delivery)
        mails = self.pipeline.mails()
        for mail in mails:
            self.mail_count += 1
            path = write_eml(
                self.outbox, to=mail.to, subject=mail.subject, body=mail.body, number=self.mail_count
            )
            self.timeline.event("sns", f"email to {mail.to} ({path.name})")
            self.timeline.block(f"Subject: {mail.subject}\n\n{mail.body}")
        return deliveries, mails

    def _show(self, delivery: Delivery) -> None:
        t = self.timeline
        t.event(delivery.function, delivery.summary())
        if delivery.error:
            return
        if delivery.function == "notify":
            for finding in delivery.event.get("detail", {}).get("findings", []):
                t.block(
                    f"finding: {finding['path']}:{finding['line']} {finding['rule_id']} "
                    f"({finding['severity']}) {finding['redacted']} commit {str(finding.get('commit'))[:12]}"
                )

    def _incident(self, delivered: tuple[list[Delivery], list[Mail]], branch: str) -> str | None:
        t = self.timeline
        deliveries, mails = delivered
        by_function = {d.function: d for d in deliveries if not d.error}
        for function in ("notify", "lock", "reset"):
            t.check(function in by_function, f"the security event reached {function}")
        incident = (
            by_function["notify"].event["detail"].get("incidentId") if "notify" in by_function else None
        )
        action = [m for m in mails if m.subject.startswith("[ACTION REQUIRED]")]
        t.check(len(action) == 1, f"exactly one [ACTION REQUIRED] email for the incident on {branch}")
        t.event("s3", ", ".join(self._quarantine_keys()) or "quarantine bucket empty")
        t.event("codecommit", f"tags: {json.dumps(self._tags(), sort_keys=True)}")
        return incident

    def _redeliver(self, *, clean_old: str, new: str) -> tuple[list[Delivery], list[Mail]]:
        detail = {
            "event": "referenceUpdated",
            "repositoryName": REPOSITORY,
            "repositoryId": f"local-{REPOSITORY}",
            "referenceType": "branch",
            "referenceName": "main",
            "referenceFullName": "refs/heads/main",
            "oldCommitId": clean_old,
            "commitId": new,
            "callerUserArn": "arn:aws:iam::123456789012:user/developer",
        }
        arn = f"arn:aws:codecommit:{self.pipeline.aws.region}:{self.pipeline.aws.account}:{REPOSITORY}"
        boto3.client("events").put_events(
            Entries=[
                {
                    "Source": "aws.codecommit",
                    "Resources": [arn],
                    "DetailType": "CodeCommit Repository State Change",
                    "Detail": json.dumps(detail),
                }
            ]
        )
        return self._deliver()

    def _cli(self, *argv: str) -> int:
        self.timeline.event("admin", "$ leakguard " + " ".join(argv))
        code = leakguard_cli(list(argv))
        self.timeline.check(code == 0, f"leakguard {argv[0]} exited 0")
        return code

    # -- observations ----------------------------------------------------------------------------

    def _head(self, ref: str) -> str | None:
        out = subprocess.run(
            ["git", "-C", str(self.bare), "rev-parse", "--verify", "-q", ref],
            capture_output=True,
            text=True,
            check=False,
        )
        return out.stdout.strip() or None

    def _tags(self) -> dict[str, str]:
        arn = self.pipeline.aws.codecommit.names[REPOSITORY]
        return dict(boto3.client("codecommit").list_tags_for_resource(resourceArn=arn)["tags"])

    def _through_endpoint(self) -> bool:
        """Signed fetches and the reset's push reached the git endpoint, and nothing was refused."""
        requests = self.pipeline.aws.git.requests
        served = {r.action for r in requests if r.repository == REPOSITORY and r.status == 200}
        refused = [r for r in requests if r.status == 403]
        self.timeline.event(
            "codecommit",
            f"git endpoint: {sum(r.status == 200 for r in requests)} signed requests served, "
            f"{len(refused)} refused",
        )
        return served == {"GitPull", "GitPush"} and not refused

    def _locked(self) -> bool:
        return self._tags().get("RepoState") == "locked"

    def _quarantine_keys(self) -> list[str]:
        bucket = self.pipeline.environments["reset"]["QUARANTINE_BUCKET"]
        listing = boto3.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])
        return [f"s3://{bucket}/{item['Key']}" for item in listing]

    def _bundle(self, incident: str | None) -> bool:
        return bool(incident) and any(
            f"/{incident}/" in key and key.endswith(".bundle") for key in self._quarantine_keys()
        )

    def _commit(self, clone: Path, files: dict[str, str], message: str) -> None:
        for name, content in files.items():
            (clone / name).write_text(content, encoding="utf-8")
        self._git("-C", str(clone), "add", "-A")
        self._git("-C", str(clone), "commit", "-q", "-m", message)

    def _git(self, *args: str) -> str:
        return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout.strip()


def _statuses(deliveries: list[Delivery]) -> list[tuple[str, str]]:
    """(function, status) of each delivery; a failed invocation has status "failed"."""
    return [(d.function, "failed" if d.error else str((d.result or {}).get("status"))) for d in deliveries]


def run_demo(workdir: Path, timeline: Timeline | None = None) -> int:
    """Run the demo story in ``workdir`` (emptied first); 0 only if every check held."""
    import shutil

    workdir = workdir.resolve()
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    return Demo(workdir, timeline or Timeline()).run()
