"""False-positive classes found on real third-party code (benchmarks/accuracy.py), each with the
credential of the same shape that must still be found."""

from __future__ import annotations

import random
import string

import pytest

from tests.fakes import _password


@pytest.mark.parametrize(
    "line",
    [
        # cfn-lint's provider schemas: type names mapped to digests (86 of 94 findings before)
        '  "AWS::SecretsManager::Secret": "9fcfa92780965940",',
        '  "AWS::ApiGateway::ApiKey": "b899a0d240b53d9d",',
        # documentation placeholders written as constants, camelCase or word phrases
        '{ \\"form\\": { \\"password\\": \\"THE_PASSWORD\\" } }',
        '{\\"customerAdAdminDomainPassword\\":\\"ExamplePassword123!\\"}',
        '{\\"username\\": \\"proxy_user\\", \\"password\\": \\"secure_password\\"}',
        '{ \\"Username\\": \\"user-name\\", \\"Password\\": \\"user-password\\" }',
        "DATABASE_URL=postgres://postgres:postgres@localhost:5432/app",
        "redis_url: redis://:redis@localhost:6379/0",
        # aws-cdk-lib's jsii package: CloudFormation types mapped to module members, context keys
        '  "AWS::Route53::KeySigningKey": "aws-cdk-lib/aws-route53.CfnKeySigningKey",',
        '"AWS::Route53GlobalResolver::AccessToken": "aws-cdk-lib/aws-route53globalresolver.CfnAccessToken",',
        'const DISABLE_INLINE_RULES_CONTEXT_KEY="@aws-cdk/aws-ec2.securityGroupDisableInlineRules";',
        'cfnPropertyNames={addPrivateKey:"AddPrivateKey",privateKey:"PrivateKey"}',
        # systemd.network(5): an IPv6 interface token; vim's neomuttrc syntax: a list of commands
        "Token=prefixstable:2002:da8:1::",
        "\\ 'flag-message', 'followup-message', 'forget-passphrase', 'forward-char',",
        # google-cloud-sdk: docstring types, generated message classes, Secret Manager references
        "    credentials: oauth2client.client.OAuth2Credentials.",
        "    oauth2ClientCredentials: Oauth2ClientCredentials.",
        "oauthConfig = _messages.MessageField("
        "'GoogleCloudDialogflowCxV3beta1WebhookGenericWebServiceOAuthConfig', 3)",
        "        'service_account_token': 'V1ServiceAccountTokenProjection',",
        "  $ {command} src --sasl-username=kafka --sasl-password=projects/12345/secrets/my-sasl/versions/1",
        "  --tls-client-key='projects/123/secrets/my-key/versions/1'",
        "PASSWORD = '##invalid-password##'",
    ],
)
def test_real_code_lookalikes_are_not_reported(detector, line):
    assert [(f.rule_id, f.detector) for f in detector.scan_text(line, path="data/service-2.json")] == []


@pytest.mark.parametrize(
    "password", ["Admin2024!", "R00tPassw0rd!", "Redis-Pr0d-77", "Us3rTest#91", "Root74#"]
)
def test_real_passwords_holding_a_weak_word_are_reported(detector, password):
    line = f"DATABASE_URL=postgres://app:{password}@db.internal:5432/app"
    assert [f.rule_id for f in detector.scan_text(line)] == ["database-connection-string"]


def test_a_real_password_under_a_type_name_like_key_is_still_reported_by_the_rules(detector):
    password = _password(random.Random(3))
    findings = detector.scan_text(f'  "DbPassword": "{password}",', path="config.json")
    assert [f.rule_id for f in findings] == ["generic-password"]


@pytest.mark.parametrize(
    "line",
    [
        # moto's AWS managed policies: an IAM action under a name ending in "auth"
        '      "sso-oauth:IntrospectTokenWithIAM",',
        'API_KEY = "getHTTPResponseCodeValue"',
        'client_secret: "AWSSecretsManagerReadWrite"',
        "auth=XMLHttpRequestUploadProgress",
    ],
)
def test_an_identifier_holding_an_acronym_is_not_a_letters_only_secret(detector, line):
    assert [f.rule_id for f in detector.scan_text(line, path="policies.py")] == []


@pytest.mark.parametrize("seed", range(20))
def test_a_random_letters_only_secret_is_still_reported(detector, seed):
    rng = random.Random(f"letters/{seed}")
    value = "".join(rng.choice(string.ascii_letters) for _ in range(31)) + "q"
    assert [f.rule_id for f in detector.scan_text(f'client_secret = "{value}"')] == ["generic-secret"]


def _netrc_entry(rng: random.Random) -> str:
    token = "".join(rng.choice(string.hexdigits.lower()[:16]) for _ in range(40))
    return f"machine api.internal\n  login ci\n  password {token}\n"


@pytest.mark.parametrize("path", ["README.md", "docs/setup.rst", "scripts/bootstrap.sh", "src/client.py"])
def test_a_netrc_entry_one_field_a_line_is_found_outside_a_netrc_file(detector, path):
    text = f"Put this in ~/.netrc:\n\n```\n{_netrc_entry(random.Random(path))}```\n"
    assert [(f.rule_id, f.line) for f in detector.scan_text(text, path=path)] == [("netrc-entry-password", 6)]


def test_in_a_netrc_file_the_entry_is_the_netrc_rules_alone(detector):
    findings = detector.scan_text(_netrc_entry(random.Random(1)), path="home/ci/.netrc")
    assert [f.rule_id for f in findings] == ["netrc-file-password"]


@pytest.mark.parametrize(
    "line",
    [
        # smtplib's docstring: a word after "password" at the start of a line is prose
        "                                  password combination.",
        "  password ${NETRC_PASSWORD}",
        "  password <your-token-1>",
    ],
)
def test_prose_or_a_placeholder_after_the_word_password_is_not_a_netrc_entry(detector, line):
    assert [f.rule_id for f in detector.scan_text(line + "\n", path="smtplib.py")] == []
