"""Checks the SigV4 signature git-remote-codecommit puts in a CodeCommit git URL, as CodeCommit does.

git-remote-codecommit turns ``codecommit::REGION://REPO`` into
``https://ACCESS_KEY[%SESSION_TOKEN]:TIMESTAMPZSIGNATURE@HOST/v1/repos/REPO``: the password is a SigV4
signature, by the caller's secret key, of the request ``GIT /v1/repos/REPO`` for ``host:HOST`` under the
scope ``DATE/REGION/codecommit/aws4_request``. git sends user and password as HTTP Basic auth.

The check is written out here from the SigV4 specification (hashlib and hmac only) rather than by
calling botocore's signer a second time, so a mistake on the signing side cannot cancel itself out.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac
import re
from dataclasses import dataclass

#: How far a signature's timestamp may be from now, as for every SigV4 request.
MAX_SKEW = datetime.timedelta(minutes=15)
_PASSWORD = re.compile(r"^(?P<timestamp>\d{8}T\d{6})Z(?P<signature>[0-9a-f]{64})$")


@dataclass(frozen=True)
class Credentials:
    """A key pair (and session token, for role credentials) the endpoint accepts."""

    access_key: str
    secret_key: str
    token: str | None = None


class SignatureError(Exception):
    """The request is not correctly signed for this endpoint; the message says why (never a secret)."""


def basic_auth(header: str | None) -> tuple[str, str] | None:
    """``(user, password)`` of an HTTP Basic ``Authorization`` header, None if there is none."""
    if not header or not header.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


def expected_signature(credentials: Credentials, *, timestamp: str, region: str, host: str, path: str) -> str:
    """The hex SigV4 signature of ``GIT path`` for ``host`` at ``timestamp`` (``YYYYMMDDTHHMMSS``)."""
    canonical_request = f"GIT\n{path}\n\nhost:{host}\n\nhost\n"
    scope = f"{timestamp[:8]}/{region}/codecommit/aws4_request"
    string_to_sign = "\n".join(
        ("AWS4-HMAC-SHA256", timestamp, scope, hashlib.sha256(canonical_request.encode()).hexdigest())
    )
    key = f"AWS4{credentials.secret_key}".encode()
    for part in (timestamp[:8], region, "codecommit", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def verify(
    user: str,
    password: str,
    *,
    known: dict[str, Credentials],
    region: str,
    host: str,
    path: str,
    now: datetime.datetime | None = None,
) -> Credentials:
    """Return the credentials that signed ``path``; raise :class:`SignatureError` if none did."""
    access_key, _, token = user.partition("%")
    credentials = known.get(access_key)
    if credentials is None:
        raise SignatureError("unknown access key")
    if not hmac.compare_digest((credentials.token or "").encode(), token.encode()):
        raise SignatureError("session token does not belong to the access key")
    match = _PASSWORD.match(password)
    if match is None:
        raise SignatureError("password is not a CodeCommit signature")
    timestamp = match["timestamp"]
    try:
        signed_at = datetime.datetime.strptime(timestamp, "%Y%m%dT%H%M%S").replace(tzinfo=datetime.UTC)
    except ValueError:
        raise SignatureError("signature timestamp is not a date") from None
    if abs((now or datetime.datetime.now(datetime.UTC)) - signed_at) > MAX_SKEW:
        raise SignatureError("signature expired or from the future")
    wanted = expected_signature(credentials, timestamp=timestamp, region=region, host=host, path=path)
    if not hmac.compare_digest(wanted, match["signature"]):
        raise SignatureError("signature does not match (wrong secret key, region, host or repository)")
    return credentials
