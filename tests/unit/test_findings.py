from leakguard.findings import Finding, redact
from tests.conftest import fake_github_token


def test_redact_keeps_only_a_short_public_prefix_of_random_tokens(rng):
    token = fake_github_token(rng)
    redacted = redact(token)
    assert redacted == "ghp_********"
    assert token[4:] not in redacted


def test_redact_reveals_nothing_of_a_low_entropy_password():
    assert redact("hunter2hunter2") == "********"
    assert redact("correct horse battery staple") == "********"


def test_redacted_form_does_not_reveal_length(rng):
    longer = fake_github_token(rng) + fake_github_token(rng)[4:]
    assert len(redact(fake_github_token(rng))) == len(redact(longer))


def _finding(secret, *, path="a.py", line=1, commit="c" * 40, rule_id="github-pat"):
    return Finding.create(
        secret=secret,
        rule_id=rule_id,
        description="d",
        severity="high",
        mode="enforce",
        path=path,
        line=line,
        column=5,
        commit=commit,
        author="A <a@b>",
    )


def test_finding_never_holds_the_secret(rng):
    token = fake_github_token(rng)
    finding = _finding(token)
    assert token not in repr(finding)
    assert token not in str(finding.to_dict())
    assert finding.entropy > 4


def test_finding_fingerprint_names_the_secret_in_its_file_not_the_line_or_commit(rng):
    token = fake_github_token(rng)
    first = _finding(token, line=3, commit="c" * 40)
    assert _finding(token, line=90, commit=None, rule_id="generic").fingerprint == first.fingerprint
    assert _finding(token, path="b.py").fingerprint != first.fingerprint
    assert _finding(fake_github_token(rng)).fingerprint != first.fingerprint
