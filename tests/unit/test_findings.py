from leakguard.findings import Finding, fingerprint, redact
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


def test_fingerprint_is_stable_and_location_based():
    first = fingerprint("rule", "a.py", 3, "c" * 40)
    assert first == fingerprint("rule", "a.py", 3, "c" * 40)
    assert first != fingerprint("rule", "a.py", 4, "c" * 40)
    assert first != fingerprint("other", "a.py", 3, "c" * 40)
    assert len(first) == 32


def test_finding_never_holds_the_secret(rng):
    token = fake_github_token(rng)
    finding = Finding.create(
        secret=token,
        rule_id="github-pat",
        description="d",
        severity="high",
        mode="enforce",
        path="a.py",
        line=1,
        column=5,
        commit="c" * 40,
        author="A <a@b>",
    )
    assert token not in repr(finding)
    assert token not in str(finding.to_dict())
    assert finding.entropy > 4
