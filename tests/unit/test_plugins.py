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


@pytest.mark.parametrize(
    "value",
    ["abcdef1234567890abcdef1234567890", "1a2b3c4d5e6f7g8h9i0jabcdefgh", "Qwerty0987654321Zxcvbn00"],
)
def test_a_typed_run_under_a_secret_name_is_a_placeholder_not_a_secret(plugins_only, value):
    # detect-secrets' own sequential-string test wants the whole value in sequence; these only hold runs
    assert plugins_only.scan_text(f'SIGNING_SECRET = "{value}"', path="settings.py") == []
    assert (
        plugins_only.scan_text(f'SIGNING_SECRET = "{value}"'.replace(value, value[::-1]), path="s.py") == []
    )


def test_a_password_holding_one_typed_run_is_still_a_password(plugins_only):
    [finding] = plugins_only.scan_text('db_password = "Kestrel!123456"', path="settings.py")
    assert finding.rule_id == "secret-keyword"


@pytest.mark.parametrize(
    "line", ['SECRET_KEY = "config"', 'app.config.from_mapping(SECRET_KEY="development")']
)
def test_the_name_of_a_configuration_is_no_secret_value(plugins_only, line):
    assert plugins_only.scan_text(line, path="tests/test_config.py") == []


def test_the_fakes_hard_negatives_hold_nothing_for_the_plugins_either(plugins_only, rng):
    from tests.fakes import hard_negatives

    assert [
        line for line in hard_negatives(rng) if plugins_only.scan_text(line, path="src/settings.py")
    ] == []


def test_the_plugins_and_the_generic_rules_drop_the_same_runs():
    from leakguard.detect.filters import _PLACEHOLDER_RUN
    from leakguard.rules import load_rules

    for rule in load_rules().rules:
        if rule.id in ("generic-api-key", "generic-token", "generic-secret", "service-named-credential"):
            assert _PLACEHOLDER_RUN.pattern in [regex.pattern for regex in rule.allowlist.regexes], rule.id


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
        ("iam.generated.js", 'cfnPropertyNames={addPrivateKey:"AddPrivateKey",privateKey:"PrivateKey"}'),
        ("dsa.py", '    backend: "Backend", private_key: "_DSAPrivateKey", data: bytes'),
        ("classes.js", 'authorizationType:"AuthorizationType"},apiKeyRequired:"boolean",methodResponses:{'),
        ("gcloud_completions.py", '          "--secret": "dynamic",'),
        ("v1_rbd_volume_source.py", "        'secret_ref': 'V1LocalObjectReference',"),
        ("v1_pod_spec.py", "        'image_pull_secrets': 'list[V1LocalObjectReference]',"),
        ("file_parsers.py", "PREFERRED_AUTH_KEY = 'spec.preferredAuthentication'"),
        ("utils.py", "CONFIGAPI_KEY = 'configapi'"),
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


# -- the line filter (plugins._line_filter): every line a kept hit can come from must get through -------
# Each case below is found, and found only through the part of the filter it names: dropping that part
# (or narrowing a length or a class) makes it fail. The entropy cases use names outside the keyword
# plugin's denylist, so that the keyword family's part of the filter does not let their line through.


def test_short_hex_value_under_a_secret_name_is_found(plugins_only):
    # Nine different hex digits are the fewest HexHighEntropyString can report (eight give exactly 3.0
    # bits); the 21-character token beside it is what has the entropy family look at the line at all.
    line = 'SIGNING_TOKEN = "9f3a7c1e5"; FILLER = "zzzzzzzzzzzzzzzzzzzzz"'
    findings = plugins_only.scan_text(line, path="settings.py")
    assert [(f.rule_id, f.column) for f in findings] == [("high-entropy-hex", 18)]


def test_shortest_base64_value_under_a_secret_name_is_found(plugins_only):
    # 23 different characters: the fewest with more than 4.5 bits each
    findings = plugins_only.scan_text('auth_token = "Qx7Lm2Vp9Kd4Rt8Wz3Hn6Jb"', path="settings.py")
    assert [(f.rule_id, f.column) for f in findings] == [("high-entropy-base64", 15)]


def test_base64_value_holding_a_backslash_is_found(plugins_only, rng):
    # detect-secrets' base64 charset has the backslash ('\\-_' in its source is three characters).
    value = _random_b64(rng, 18) + "\\" + _random_b64(rng, 18)
    line = f'auth_token = "{value}"  # "zzzzzzzzzzzzzzzzzzzzz"'
    assert [f.rule_id for f in plugins_only.scan_text(line, path="settings.py")] == ["high-entropy-base64"]


def test_entropy_value_with_the_name_only_after_it_is_not_found(plugins_only, rng):
    # What the filter relies on: a random value is kept only under a secret-ish name before it.
    line = f'x = "{_random_b64(rng, 30)}"  # the auth_token'
    assert plugins_only.scan_text(line, path="settings.py") == []


@pytest.mark.parametrize(
    ("path", "line"),
    [
        # DENYLIST \w* [bracket] \s* operator \s* @ quote SECRET
        ("settings.py", 'password_clé = "Xk9mQ2vLp7"'),  # a non-ASCII word character in the name
        ("settings.py", 'apİ_key = "Xk9mQ2vLp7", token = x'),  # Python's (?i) folds "i" with "İ"
        ("auth.c", 'char password[25] = "Xk9mQ2vLp7"'),
        ("Auth.m", 'NSString *password = @"Xk9mQ2vLp7", token = x'),
        ("config.yaml", "  db_password: Xk9mQ2vLp7"),
        # DENYLIST \w* ("SECRET"
        ("auth.cpp", 'std::string secret("Xk9mQ2vLp7"); int pass = 1'),
        # DENYLIST ... "SECRET";
        ("settings.py", 'private_key "Xk9mQ2vLp7"; token = x'),
        # "SECRET" == DENYLIST, the value first
        ("settings.py", 'ok = "Xk9mQ2vLp7" == password or password == x'),
    ],
)
def test_every_form_of_keyword_assignment_is_found(plugins_only, path, line):
    findings = plugins_only.scan_text(line, path=path)
    assert [(f.rule_id, line[f.column - 1 :].startswith("Xk9mQ2vLp7")) for f in findings] == [
        ("secret-keyword", True)
    ]


def test_the_line_filter_words_fold_case_at_least_as_python_does():
    # Python's (?i) lets "i" match "İ" and "ı"; the RE2 words must match whatever Python's do.
    import re

    import re2

    from leakguard.detect import plugins

    letters = set(plugins._CONTEXT_WORDS + plugins._DENYLIST) - set("|?[]\\_-.")
    for letter in sorted(letters):
        folded = re2.compile(plugins._re2_words(letter))
        python = re.compile("(?i)" + re.escape(letter))
        for code in range(0x110000):
            if python.fullmatch(chr(code)) and not 0xD800 <= code < 0xE000:
                assert folded.fullmatch(chr(code).encode()), (letter, hex(code))


def test_the_line_filter_classes_hold_every_python_word_and_space_character():
    import re

    import re2

    from leakguard.detect import plugins

    word, space = re2.compile(plugins._W), re2.compile(plugins._S)
    python_word, python_space = re.compile(r"\w"), re.compile(r"\s")
    for code in range(0x110000):
        if 0xD800 <= code < 0xE000 or code == 0x0A:
            continue
        character = chr(code)
        if python_word.fullmatch(character):
            assert word.fullmatch(character.encode()), hex(code)
        if python_space.fullmatch(character):
            assert space.fullmatch(character.encode()), hex(code)


def test_the_shortest_entropy_values_are_the_filter_minimums():
    import string

    from detect_secrets.plugins.high_entropy_strings import (
        Base64HighEntropyString,
        HexHighEntropyString,
    )

    from leakguard.detect import plugins

    # n different characters are the most entropy n characters can have
    base64, hexadecimal = Base64HighEntropyString(), HexHighEntropyString()
    shortest = plugins._BASE64_MIN
    assert base64.calculate_shannon_entropy(string.ascii_letters[: shortest - 1]) <= base64.entropy_limit
    assert base64.calculate_shannon_entropy(string.ascii_letters[:shortest]) > base64.entropy_limit
    shortest = plugins._HEX_MIN
    assert hexadecimal.calculate_shannon_entropy("abcdefABC"[: shortest - 1]) <= hexadecimal.entropy_limit
    assert hexadecimal.calculate_shannon_entropy("abcdefABC"[:shortest]) > hexadecimal.entropy_limit


def test_the_line_filter_denylist_is_detect_secrets_own():
    from detect_secrets.plugins import keyword

    from leakguard.detect import plugins

    assert "|".join(keyword.DENYLIST) == plugins._DENYLIST


@pytest.mark.parametrize(
    "name", ["client_key", "serviceKey", "account_key", "DB_KEY", "database_key", "priv_key"]
)
def test_every_name_of_detect_secrets_keyword_denylist_reaches_the_keyword_plugin(plugins_only, rng, name):
    """detect-secrets' KeywordDetector knows these names; the line filter in front of it used to drop
    every one that holds none of pass/pwd/secret/token/api key/auth/credential/private key."""
    # starting "Q7": never an identifier or a word, which the weak-value filter rightly drops
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
    value = "Q7" + "".join(rng.choice(alphabet) for _ in range(12))
    findings = plugins_only.scan_text(f'{name} = "{value}"', path="settings.py")
    assert [f.rule_id for f in findings] == ["secret-keyword"], name
