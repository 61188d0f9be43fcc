"""detect-secrets beside the rules: what it adds, and the hard negatives it must not flood admins with."""

import base64
import hashlib
import uuid

import pytest

from leakguard.detect.engine import Detector
from leakguard.rules import RuleSet


@pytest.fixture(scope="module")
def plugins_only():
    """No rules at all: every finding here comes from the detect-secrets plugins."""
    return Detector(RuleSet(rules=()), plugins=True)


def _random_b64(rng, n):
    return base64.b64encode(rng.randbytes(n)).decode().rstrip("=")


def test_high_entropy_value_under_a_secret_name_is_found(plugins_only, rng):
    value = _random_b64(rng, 30)
    [finding] = plugins_only.scan_text(f'client_secret = "{value}"', path="settings.py")
    assert finding.rule_id == "high-entropy-base64"
    assert finding.detector == "detect-secrets:Base64HighEntropyString"
    assert value not in repr(finding)


def test_secret_name_and_entropy_value_apart_on_one_line_is_found(plugins_only, rng):
    # The C-level prefilter wants a secret-ish word and a quoted token on one line, in any order.
    value = _random_b64(rng, 30)
    line = f'conf = {{"api_secret_ref": 1, "x": 2, "value": "{value}"}}'
    assert [f.rule_id for f in plugins_only.scan_text(line, path="settings.py")] == ["high-entropy-base64"]


def test_secret_word_only_inside_a_short_quoted_token_is_not_analysed(plugins_only, rng):
    # "auths" holds the word but is no 20-character token: the line has no quoted token at all
    value = _random_b64(rng, 30)
    assert plugins_only.scan_text(f'{{"auths": {{"r": {{"x": \\"{value}\\"}}}}}}', path="c.json") == []


def test_hex_secret_under_a_secret_name_is_found(plugins_only, rng):
    value = rng.randbytes(32).hex()
    findings = plugins_only.scan_text(f'SIGNING_SECRET = "{value}"', path="settings.py")
    assert [f.rule_id for f in findings] == ["high-entropy-hex"]


def test_password_assignment_is_found_by_the_keyword_plugin(plugins_only):
    findings = plugins_only.scan_text('db_password = "Tr0ub4dor&3x!"', path="settings.py")
    assert [f.rule_id for f in findings] == ["secret-keyword"]
    assert findings[0].redacted == "********"


def _hard_negatives(rng):
    sha256 = hashlib.sha256(rng.randbytes(16)).hexdigest()
    sha1 = hashlib.sha1(rng.randbytes(16)).hexdigest()  # noqa: S324 - a git-like id, not security
    b64_512 = base64.b64encode(hashlib.sha512(rng.randbytes(8)).digest()).decode()
    b64_256 = base64.b64encode(hashlib.sha256(rng.randbytes(8)).digest()).decode()
    ssh = base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00 " + rng.randbytes(32)).decode()
    der = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" + _random_b64(rng, 60)
    png = "iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9h" + _random_b64(rng, 40)
    return [
        ("package-lock.json", f'      "integrity": "sha512-{b64_512}",'),
        ("app/package.json", f'  "integrity": "sha512-{b64_512}"'),
        ("yarn.lock", f"  integrity sha1-{b64_256[:27]}="),
        ("go.sum", f"github.com/pkg/errors v0.9.1 h1:{b64_256}"),
        ("Cargo.lock", f'checksum = "{sha256}"'),
        ("poetry.lock", f'    {{file = "x-1.0-py3-none-any.whl", hash = "sha256:{sha256}"}},'),
        ("docs/changes.md", f"Fixed in commit {sha1}."),
        ("release.py", f'EXPECTED_SHA256 = "{sha256}"'),
        ("vectors.py", f'expected = "{sha256}"'),
        ("vectors.py", f'digest = "{b64_256}"'),
        ("app.py", f'request_id = "{uuid.UUID(int=rng.getrandbits(128))}"'),
        ("app.py", f'etag = "{sha1}"'),
        (
            "index.html",
            f'<script src="x.js" integrity="sha384-{b64_512[:64]}" crossorigin="anonymous"></script>',
        ),
        ("nginx.conf", f"add_header Content-Security-Policy \"script-src 'sha256-{b64_256}'\";"),
        ("authorized_keys", f"ssh-ed25519 {ssh} dev@laptop"),
        ("keys.py", f'PUBLIC_KEY = "{der}"'),
        ("ui.js", f'const ICON = "{png}";'),
        ("ui.css", f'background: url("data:image/png;base64,{png}");'),
        ("settings.py", 'password = os.environ["DB_PASSWORD"]'),
        ("settings.py", "password: str = None"),
        ("settings.py", "token = get_token()"),
        ("settings.py", 'secret_name = "prod/db/credentials"'),
        ("settings.py", 'password = "password123"'),
        ("settings.py", 'API_KEY_ENV = "OPENAI_API_KEY"'),
        ("settings.py", 'token_url = "https://login.example.com/oauth2/token"'),
        ("settings.py", 'password_label = "Enter your password"'),
        ("settings.py", 'auth_header = "Authorization"'),
        ("settings.py", 'private_key_path = "certs/server.key"'),
        (".env.example", "DB_PASSWORD=changeme"),
        ("values.yaml", "  password: ${DB_PASSWORD}"),
        ("values.yaml", "  password: <your-password>"),
        ("values.yaml", '  token: "{{ .Values.token }}"'),
        ("test_app.py", 'client.login(username="u", password="")'),
        ("examples.json", f'    "jobId": "{_random_b64(rng, 60).replace("+", "_").replace("/", "-")}",'),
        ("examples.json", f'    "UploadId": "{_random_b64(rng, 60)}"'),
        ("examples.json", f'    "NextContinuationToken": "{_random_b64(rng, 40)}=",'),
        ("examples.json", '    "PasswordLastUsed": "2016-09-08T21:47:36Z",'),
        (
            "examples.json",
            f'    "Name": "awseb-e-qu3fyyjyjs-stack-AWSEBAutoScalingGroup-{_random_b64(rng, 9).upper()}"',
        ),
        ("app.py", 'secret_name="my-cool-name",'),
        ("app.py", f'EXPECTED = "{base64.b64encode(hashlib.sha256(rng.randbytes(8)).digest()).decode()}"'),
        ("app.py", f'    "{_random_b64(rng, 40)}"'),
    ]


def test_hard_negatives_are_not_reported(plugins_only, rng):
    for _ in range(10):
        for path, line in _hard_negatives(rng):
            assert plugins_only.scan_text(line, path=path) == [], (path, line)


def test_hard_negatives_are_not_reported_by_the_default_rules_either(rng):
    from leakguard.rules import load_rules

    detector = Detector(load_rules(), plugins=True)
    for _ in range(5):
        for path, line in _hard_negatives(rng):
            assert detector.scan_text(line, path=path) == [], (path, line)
