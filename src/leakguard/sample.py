"""Generated fake credentials for the demo: random strings in the providers' formats, none real."""

from __future__ import annotations

import secrets
import string

_BASE32 = string.ascii_uppercase + "234567"
_ALNUM = string.ascii_letters + string.digits


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def fake_aws_access_key_id() -> str:
    """``AKIA`` and 16 base32 characters, like an AWS access key id."""
    return "AKIA" + _random(_BASE32, 16)


def fake_stripe_key() -> str:
    """``sk_live_`` and 24 alphanumerics, like a Stripe live secret key."""
    return "sk_live_" + _random(_ALNUM, 24)


def fake_aws_secret_access_key() -> str:
    """40 characters of the AWS secret key alphabet (letters, digits, ``/`` and ``+``)."""
    return _random(_ALNUM + "/+", 40)
