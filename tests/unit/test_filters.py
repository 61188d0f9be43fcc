import pytest

from leakguard.detect.entropy import shannon_entropy
from leakguard.detect.filters import has_inline_allow, is_placeholder


@pytest.mark.parametrize(
    "value",
    [
        "${AWS_SECRET}",
        "{{ vault_token }}",
        "$TOKEN",
        "<your-token>",
        "os.environ['X']",
        "process.env.API_KEY",
        "xxxxxxxxxxxx",
        "AKIAXXXXXXXXXXXXXXXX",
        "************",
        "%(password)s",
        "aaaaaaaaaa",
        "",
    ],
)
def test_placeholders_are_not_secrets(value):
    assert is_placeholder(value)


@pytest.mark.parametrize(
    "value", ["hunter2hunter", "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5", "Zq8Xr2Lm9Kt4Wp7N"]
)
def test_real_looking_values_are_not_placeholders(value):
    assert not is_placeholder(value)


def test_entropy():
    assert shannon_entropy("") == 0
    assert shannon_entropy("aaaa") == 0
    assert shannon_entropy("abcd") == 2
    assert shannon_entropy("0123456789abcdef") == 4


def test_inline_allow_marker():
    assert has_inline_allow("key = 'x'  # leakguard:allow")
    assert not has_inline_allow("key = 'x'  # leakguard")
