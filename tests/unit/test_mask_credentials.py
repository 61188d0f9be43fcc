"""``mask_credentials``: the safety net for error messages (git's stderr) that quote a leaking name."""

from __future__ import annotations

import pytest

from leakguard.detect.engine import Detector
from leakguard.rules import load_rules, parse_rules
from leakguard.scan import mask_credentials
from tests.conftest import fake_aws_key, fake_github_token


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(load_rules())


def test_every_occurrence_of_every_credential_in_a_message_is_masked_to_the_end_of_its_word(detector, rng):
    key, token = fake_aws_key(rng), fake_github_token(rng)
    message = (
        f"error: cannot lock ref 'refs/heads/{key}': Unable to create '/tmp/app.git/refs/heads/{key}.lock'\n"
        f" ! [rejected]        feature/{token}-x -> feature/{token}-x  (non-fast-forward)"
    )
    shown = mask_credentials(detector, message)
    assert shown == (
        f"error: cannot lock ref 'refs/heads/{key[:4]}********': Unable to create "
        f"'/tmp/app.git/refs/heads/{key[:4]}********'\n"
        " ! [rejected]        feature/ghp_******** -> feature/ghp_********  (non-fast-forward)"
    )


def test_a_message_without_credentials_is_left_as_it_is(detector):
    message = (
        "fatal: remote error: upload-pack: not our ref 0123456789abcdef0123456789abcdef01234567\n"
        "error: failed to push some refs to 'codecommit::eu-west-1://app'\n"
        "\n"
        " ! [remote rejected] main -> main (pre-receive hook declined) \u00e9\u00e8"
    )
    assert mask_credentials(detector, message) == message
    assert mask_credentials(detector, "") == ""


def test_a_secret_holding_a_space_is_masked_whole():
    # a team's own rule for passphrases: the word ends at the first space, the secret does not
    raw = {
        "version": 1,
        "rules": [
            {
                "id": "passphrase",
                "description": "d",
                "regex": "passphrase=(?P<secret>[a-z]+ [a-z]+ [a-z]+ [0-9]+)",
                "keywords": ["passphrase="],
                "severity": "high",
                "examples": {"match": ["passphrase=correct horse battery 42"], "nomatch": ["passphrase"]},
            }
        ],
    }
    detector = Detector(parse_rules(raw), plugins=False)
    shown = mask_credentials(detector, "could not read 'passphrase=correct horse battery 42' at line 3")
    assert shown == "could not read 'passphrase=********' at line 3"
