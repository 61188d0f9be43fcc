"""Random FAKE credentials in the formats of real providers, made fresh at test time.

Nothing here is, or was copied from, a real credential: every value is drawn from a seeded
:class:`random.Random` with the provider's alphabet, length and public prefix, so the tests exercise the
rules' shapes without a real key ever sitting in the repository.

``KINDS`` maps every kind :func:`fake` can produce to the id of the rule that must report it. Every kind
has a distinctive prefix or shape, so it must be found under a neutral variable name
(``value = "<fake>"``). Formats without one (AWS secret keys, Twilio auth tokens, Datadog keys ...) only
count in context: :func:`context_lines` gives such lines with the rule that must report each.
"""

from __future__ import annotations

import base64
import json
import random
import string

UPPER = string.ascii_uppercase
LOWER = string.ascii_lowercase
DIGITS = string.digits
ALNUM = UPPER + LOWER + DIGITS
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
BASE32 = UPPER + "234567"
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _s(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _b64url_json(obj: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")


def _pem(rng: random.Random, label: str, body_bytes: int, sep: str = "\\n") -> str:
    body = base64.b64encode(rng.randbytes(body_bytes)).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return sep.join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"])


def _jwt(rng: random.Random) -> str:
    header = _b64url_json({"alg": "HS256", "typ": "JWT"})
    payload = _b64url_json(
        {"sub": _s(rng, HEX, 12), "iat": rng.randint(1_600_000_000, 1_800_000_000), "role": "svc"}
    )
    return f"{header}.{payload}.{_s(rng, B64URL, 43)}"


def _discord_bot(rng: random.Random) -> str:
    user_id = str(rng.randint(10**17, 10**19 - 1)).encode()
    head = base64.b64encode(user_id).decode().rstrip("=")
    return f"{head}.{_s(rng, B64URL, 6)}.{_s(rng, B64URL, 38)}"


def _uuid(rng: random.Random) -> str:
    return f"{_s(rng, HEX, 8)}-{_s(rng, HEX, 4)}-4{_s(rng, HEX, 3)}-a{_s(rng, HEX, 3)}-{_s(rng, HEX, 12)}"


def _password(rng: random.Random, n: int = 16) -> str:
    return rng.choice(ALNUM) + _s(rng, ALNUM + "!#%^*-_+", n - 3) + rng.choice(DIGITS) + rng.choice("!#%*")


_GENERATORS = {
    "aws-access-key-id": lambda r: "AKIA" + _s(r, BASE32, 16),
    "aws-temporary-access-key-id": lambda r: "ASIA" + _s(r, BASE32, 16),
    "github-pat": lambda r: "ghp_" + _s(r, ALNUM, 36),
    "github-oauth": lambda r: "gho_" + _s(r, ALNUM, 36),
    "github-user-to-server": lambda r: "ghu_" + _s(r, ALNUM, 36),
    "github-server-to-server": lambda r: "ghs_" + _s(r, ALNUM, 36),
    "github-refresh-token": lambda r: "ghr_" + _s(r, ALNUM, 76),
    "github-fine-grained-pat": lambda r: "github_pat_" + _s(r, ALNUM, 22) + "_" + _s(r, ALNUM, 59),
    "gitlab-pat": lambda r: "glpat-" + _s(r, ALNUM + "-_", 20),
    "gitlab-deploy-token": lambda r: "gldt-" + _s(r, ALNUM + "-_", 20),
    "gitlab-runner-token": lambda r: "glrt-" + _s(r, ALNUM + "-_", 20),
    "gitlab-trigger-token": lambda r: "glptt-" + _s(r, HEX, 40),
    "gitlab-scim-token": lambda r: "glsoat-" + _s(r, ALNUM + "-_", 20),
    "slack-bot-token": lambda r: f"xoxb-{_s(r, DIGITS, 12)}-{_s(r, DIGITS, 13)}-{_s(r, ALNUM, 24)}",
    "slack-user-token": lambda r: (
        f"xoxp-{_s(r, DIGITS, 12)}-{_s(r, DIGITS, 12)}-{_s(r, DIGITS, 13)}-{_s(r, HEX, 32)}"
    ),
    "slack-app-token": lambda r: f"xapp-1-A{_s(r, UPPER + DIGITS, 10)}-{_s(r, DIGITS, 13)}-{_s(r, HEX, 64)}",
    "slack-config-token": lambda r: "xoxe.xoxp-1-" + _s(r, ALNUM, 160),
    "slack-webhook": lambda r: (
        "https://hooks.slack.com/services/"
        f"T{_s(r, UPPER + DIGITS, 10)}/B{_s(r, UPPER + DIGITS, 10)}/{_s(r, ALNUM, 24)}"
    ),
    "stripe-live-secret-key": lambda r: "sk_live_" + _s(r, ALNUM, 99),
    "stripe-test-secret-key": lambda r: "sk_test_" + _s(r, ALNUM, 99),
    "stripe-restricted-key": lambda r: "rk_live_" + _s(r, ALNUM, 99),
    "stripe-webhook-secret": lambda r: "whsec_" + _s(r, ALNUM, 32),
    "google-api-key": lambda r: "AIza" + _s(r, B64URL, 35),
    "google-oauth-client-secret": lambda r: "GOCSPX-" + _s(r, B64URL, 28),
    "google-oauth-access-token": lambda r: "ya29.a0" + _s(r, B64URL, 150),
    "private-key-rsa": lambda r: _pem(r, "RSA PRIVATE KEY", 1190),
    "private-key-pkcs8": lambda r: _pem(r, "PRIVATE KEY", 1216),
    "private-key-ec": lambda r: _pem(r, "EC PRIVATE KEY", 121),
    "private-key-openssh": lambda r: _pem(r, "OPENSSH PRIVATE KEY", 400),
    "private-key-encrypted": lambda r: _pem(r, "ENCRYPTED PRIVATE KEY", 1250),
    "private-key-pgp": lambda r: _pem(r, "PGP PRIVATE KEY BLOCK", 900),
    "jwt": _jwt,
    "npm-token": lambda r: "npm_" + _s(r, ALNUM, 36),
    "pypi-token": lambda r: "pypi-AgEIcHlwaS5vcmc" + _s(r, B64URL, 150),
    "sendgrid-api-key": lambda r: f"SG.{_s(r, B64URL, 22)}.{_s(r, B64URL, 43)}",
    "shopify-access-token": lambda r: "shpat_" + _s(r, HEX, 32),
    "shopify-shared-secret": lambda r: "shpss_" + _s(r, HEX, 32),
    "openai-project-key": lambda r: "sk-proj-" + _s(r, B64URL, 74) + "T3BlbkFJ" + _s(r, B64URL, 74),
    "openai-legacy-key": lambda r: "sk-" + _s(r, ALNUM, 20) + "T3BlbkFJ" + _s(r, ALNUM, 20),
    "anthropic-api-key": lambda r: "sk-ant-api03-" + _s(r, B64URL, 93) + "AA",
    "huggingface-token": lambda r: "hf_" + _s(r, UPPER + LOWER, 34),
    "vault-service-token": lambda r: "hvs.CAESI" + _s(r, B64URL, 86),
    "vault-batch-token": lambda r: "hvb.AAAAAQ" + _s(r, B64URL, 130),
    "azure-storage-connection-string": lambda r: (
        "DefaultEndpointsProtocol=https;AccountName=st"
        + _s(r, LOWER + DIGITS, 10)
        + ";AccountKey="
        + _s(r, B64, 86)
        + "==;EndpointSuffix=core.windows.net"
    ),
    "azure-ad-client-secret": lambda r: _s(r, ALNUM, 3) + r.choice(DIGITS) + "Q~" + _s(r, ALNUM + "_~.-", 34),
    "digitalocean-pat": lambda r: "dop_v1_" + _s(r, HEX, 64),
    "digitalocean-oauth-token": lambda r: "doo_v1_" + _s(r, HEX, 64),
    "discord-webhook": lambda r: f"https://discord.com/api/webhooks/{_s(r, DIGITS, 19)}/{_s(r, B64URL, 68)}",
    "telegram-bot-token": lambda r: f"{r.randint(10**8, 10**10 - 1)}:AA{_s(r, B64URL, 33)}",
    "atlassian-api-token": lambda r: "ATATT3xFfGF0" + _s(r, B64URL, 171) + "=" + _s(r, HEX.upper(), 8),
    "databricks-token": lambda r: "dapi" + _s(r, HEX, 32),
    "doppler-token": lambda r: "dp.pt." + _s(r, ALNUM, 43),
    "pulumi-token": lambda r: "pul-" + _s(r, HEX, 40),
    "postman-api-key": lambda r: f"PMAK-{_s(r, HEX, 24)}-{_s(r, HEX, 34)}",
    "linear-api-key": lambda r: "lin_api_" + _s(r, ALNUM, 40),
    "alibaba-access-key-id": lambda r: "LTAI" + _s(r, ALNUM, 20),
    "heroku-api-key-v2": lambda r: "HRKU-AA" + _s(r, B64URL, 58),
    "newrelic-user-api-key": lambda r: "NRAK-" + _s(r, UPPER + DIGITS, 27),
    "newrelic-insert-key": lambda r: "NRII-" + _s(r, B64URL, 32),
    "sentry-user-token": lambda r: "sntryu_" + _s(r, HEX, 64),
    "sentry-org-token": lambda r: (
        "sntrys_"
        + _b64url_json({"iat": r.randint(1_600_000_000, 1_800_000_000), "org": _s(r, LOWER, 8)})
        + "_"
        + _s(r, B64URL, 43)
    ),
    "square-access-token": lambda r: "EAAA" + _s(r, B64URL, 60),
    "square-oauth-secret": lambda r: "sq0csp-" + _s(r, B64URL, 43),
    "dropbox-token": lambda r: "sl.B" + _s(r, B64URL, 135),
    "grafana-cloud-token": lambda r: "glc_" + _s(r, ALNUM, 80) + "==",
    "grafana-service-account-token": lambda r: "glsa_" + _s(r, ALNUM, 32) + "_" + _s(r, HEX, 8),
    "netlify-token": lambda r: "nfp_" + _s(r, ALNUM, 36),
    "age-secret-key": lambda r: "AGE-SECRET-KEY-1" + _s(r, BECH32, 58).upper(),
    "terraform-cloud-token": lambda r: _s(r, ALNUM, 14) + ".atlasv1." + _s(r, ALNUM, 67),
    "figma-token": lambda r: "figd_" + _s(r, B64URL, 40),
    "brevo-api-key": lambda r: f"xkeysib-{_s(r, HEX, 64)}-{_s(r, ALNUM, 16)}",
    "mailchimp-api-key": lambda r: _s(r, HEX, 32) + f"-us{r.randint(1, 21)}",
    "firebase-fcm-server-key": lambda r: f"AAAA{_s(r, B64URL, 7)}:APA91b{_s(r, B64URL, 134)}",
    "airtable-pat": lambda r: f"pat{_s(r, ALNUM, 14)}.{_s(r, HEX, 64)}",
    "docker-hub-pat": lambda r: "dckr_pat_" + _s(r, B64URL, 27),
    "notion-token": lambda r: "ntn_" + _s(r, DIGITS, 11) + _s(r, ALNUM, 35),
    "supabase-token": lambda r: "sbp_" + _s(r, HEX, 40),
    "mapbox-secret-token": lambda r: "sk.eyJ1Ijoi" + _s(r, B64URL, 40) + "." + _s(r, B64URL, 22),
    "groq-api-key": lambda r: "gsk_" + _s(r, ALNUM, 52),
    "replicate-token": lambda r: "r8_" + _s(r, ALNUM, 37),
    "perplexity-api-key": lambda r: "pplx-" + _s(r, ALNUM, 48),
    "planetscale-token": lambda r: "pscale_tkn_" + _s(r, B64URL, 43),
    "rubygems-api-key": lambda r: "rubygems_" + _s(r, HEX, 48),
    "buildkite-token": lambda r: "bkua_" + _s(r, HEX, 40),
    "tailscale-key": lambda r: f"tskey-auth-k{_s(r, ALNUM, 12)}CNTRL-{_s(r, ALNUM, 33)}",
    "jfrog-api-key": lambda r: "AKCp" + _s(r, ALNUM, 69),
    "bitbucket-app-password": lambda r: "ATBB" + _s(r, ALNUM, 32),
    "cloudflare-origin-ca-key": lambda r: f"v1.0-{_s(r, HEX, 24)}-{_s(r, HEX, 146)}",
    "newrelic-license-key": lambda r: _s(r, HEX, 36) + "NRAL",
    "jfrog-identity-token": lambda r: "cmVmdGtuOjAxOjE3" + _s(r, ALNUM, 48),
    "facebook-access-token": lambda r: "EAAG" + _s(r, ALNUM, 160),
    "facebook-app-access-token": lambda r: "1" + _s(r, DIGITS, 15) + "|" + _s(r, B64URL, 27),
    "sonarqube-token": lambda r: "squ_" + _s(r, HEX, 40),
    "circleci-pat": lambda r: "CCIPAT_" + _s(r, ALNUM, 22) + "_" + _s(r, HEX, 40),
    "shippo-api-token": lambda r: "shippo_live_" + _s(r, HEX, 40),
    "crates-io-api-token": lambda r: "cio" + _s(r, ALNUM, 32),
    "ionic-api-token": lambda r: "ion_" + _s(r, ALNUM, 42),
    "ubidots-token": lambda r: "BBFF-" + _s(r, ALNUM, 30),
    "salesforce-access-token": lambda r: "00D" + _s(r, ALNUM, 12) + "!" + _s(r, ALNUM + "_.", 96),
    "pagarme-api-key": lambda r: "ak_live_" + _s(r, ALNUM, 30),
    "clickhouse-cloud-api-secret-key": lambda r: "4b1d" + _s(r, ALNUM, 38),
    "contentful-pat": lambda r: "CFPAT-" + _s(r, B64URL, 43),
    "prefect-api-key": lambda r: "pnu_" + _s(r, ALNUM, 36),
    "render-api-key": lambda r: "rnd_" + _s(r, ALNUM, 32),
    "flyio-token": lambda r: "fo1_" + _s(r, B64URL, 43),
    "linear-oauth-token": lambda r: "lin_oauth_" + _s(r, HEX, 64),
    "private-key-base64": lambda r: base64.b64encode(
        _pem(r, "RSA PRIVATE KEY", 600, sep="\n").encode()
    ).decode(),
    "postgres-uri": lambda r: f"postgresql://app_user:{_password(r)}@db.internal:5432/app",
    "mongodb-srv-uri": lambda r: (
        f"mongodb+srv://svc:{_password(r)}@cluster0.{_s(r, LOWER, 5)}.mongodb.net/prod"
    ),
    "redis-uri": lambda r: f"rediss://default:{_password(r)}@cache.internal:6380/0",
    "https-basic-auth-uri": lambda r: f"https://deploy:{_password(r)}@artifacts.internal.corp/repo",
    # Self-identifying formats added for issue 11 (rule id = kind).
    "1password-service-account-token": lambda r: "ops_eyJ" + _s(r, ALNUM + "+/", 300),
    "aws-bedrock-api-key": lambda r: "ABSK" + _s(r, ALNUM + "+/", 128),
    "astra-application-token": lambda r: f"AstraCS:{_s(r, ALNUM, 24)}:{_s(r, HEX, 64)}",
    "deno-deploy-token": lambda r: "ddp_" + _s(r, ALNUM, 36),
    "digitalocean-refresh-token": lambda r: "dor_v1_" + _s(r, HEX, 64),
    "docker-swarm-token": lambda r: f"SWMTKN-1-{_s(r, LOWER + DIGITS, 50)}-{_s(r, LOWER + DIGITS, 25)}",
    "docker-hub-org-token": lambda r: "dckr_oat_" + _s(r, B64URL, 32),
    "dynatrace-api-token": lambda r: f"dt0c01.{_s(r, UPPER + DIGITS, 24)}.{_s(r, UPPER + DIGITS, 64)}",
    "easypost-api-key": lambda r: "EZAK" + _s(r, ALNUM, 54),
    "elastic-cloud-api-key": lambda r: "essu_" + _s(r, B64URL, 80),
    "flutterwave-secret-key": lambda r: f"FLWSECK_TEST-{_s(r, 'abcdefgh0123456789', 32)}-X",
    "flyio-macaroon-token": lambda r: "FlyV1 fm2_" + _s(r, B64URL + "+/", 160),
    "grafana-api-key": lambda r: "eyJrIjoi" + _s(r, ALNUM, 70) + "==",
    "huggingface-org-token": lambda r: "api_org_" + _s(r, UPPER + LOWER, 34),
    "infracost-api-key": lambda r: "ico-" + _s(r, ALNUM, 32),
    "langsmith-api-key": lambda r: f"lsv2_pt_{_s(r, HEX, 32)}_{_s(r, HEX, 10)}",
    "maxmind-license-key": lambda r: f"{_s(r, ALNUM, 6)}_{_s(r, ALNUM, 29)}_mmk",
    "neon-api-key": lambda r: "napi_" + _s(r, LOWER + DIGITS, 64),
    "nvidia-api-key": lambda r: "nvapi-" + _s(r, B64URL, 64),
    "openrouter-api-key": lambda r: "sk-or-v1-" + _s(r, HEX, 64),
    "anthropic-admin-key": lambda r: "sk-ant-admin01-" + _s(r, B64URL, 93) + "AA",
    "xai-api-key": lambda r: "xai-" + _s(r, ALNUM, 80),
    "posthog-personal-api-key": lambda r: "phx_" + _s(r, ALNUM, 43),
    "pinecone-api-key": lambda r: f"pcsk_{_s(r, ALNUM, 6)}_{_s(r, ALNUM, 63)}",
    "pinterest-access-token": lambda r: "pina_" + _s(r, ALNUM, 64),
    "readme-api-key": lambda r: "rdme_" + _s(r, LOWER + DIGITS, 70),
    "together-api-key": lambda r: "tgp_v1_" + _s(r, B64URL, 43),
    "vercel-token": lambda r: "vcp_" + _s(r, ALNUM, 56),
    "wandb-api-key": lambda r: "wandb_v1_" + _s(r, ALNUM, 77),
    "cloudsmith-api-key": lambda r: "csa_" + _s(r, HEX, 30) + _s(r, ALNUM, 6),
    "cockroachdb-api-key": lambda r: f"CCDB1_{_s(r, ALNUM, 22)}_{_s(r, ALNUM, 40)}",
    "clojars-api-token": lambda r: "CLOJARS_" + _s(r, LOWER + DIGITS, 60),
    "octopus-deploy-api-key": lambda r: "API-" + _s(r, UPPER + DIGITS, 26),
    "supabase-secret-key": lambda r: "sb_secret_" + _s(r, B64URL, 31),
    "sourcegraph-access-token": lambda r: f"sgp_{_s(r, HEX, 16)}_{_s(r, HEX, 40)}",
    "slack-session-token": lambda r: (
        f"xoxc-{_s(r, DIGITS, 12)}-{_s(r, DIGITS, 12)}-{_s(r, DIGITS, 13)}-{_s(r, HEX, 64)}"
    ),
    "microsoft-teams-webhook": lambda r: (
        f"https://corp.webhook.office.com/webhookb2/{_uuid(r)}@{_uuid(r)}"
        f"/IncomingWebhook/{_s(r, HEX, 32)}/{_uuid(r)}"
    ),
    "zapier-webhook-url": lambda r: (
        f"https://hooks.zapier.com/hooks/catch/{_s(r, DIGITS, 7)}/{_s(r, LOWER + DIGITS, 6)}/"
    ),
    "gitlab-incoming-mail-token": lambda r: "GR1348941" + _s(r, B64URL, 20),
    "discord-bot-token": _discord_bot,
    "twilio-api-key-sid": lambda r: "SK" + _s(r, HEX, 32),
    "mailgun-api-key": lambda r: "key-" + _s(r, HEX, 32),
    "aws-session-token": lambda r: r.choice(("IQoJb3JpZ2luX2Vj", "FwoGZXIvYXdzE")) + _s(r, B64, 300),
    "adafruit-io-key": lambda r: "aio_" + _s(r, ALNUM, 28),
    "apify-api-token": lambda r: "apify_api_" + _s(r, ALNUM, 36),
    "artifactory-reference-token": lambda r: "cmVmdDox" + _s(r, ALNUM, 56),
    "bitbucket-data-center-token": lambda r: "BBDC-" + _s(r, ALNUM + "+/", 44),
    "cerebras-api-key": lambda r: "csk-" + _s(r, LOWER + DIGITS, 48),
    "clickup-api-token": lambda r: "pk_" + _s(r, DIGITS, 8) + "_" + _s(r, UPPER + DIGITS, 32),
    "defined-networking-api-token": lambda r: (
        "dnkey-" + _s(r, LOWER + DIGITS, 26) + "-" + _s(r, LOWER + DIGITS, 52)
    ),
    "duffel-api-token": lambda r: "duffel_live_" + _s(r, B64URL, 43),
    "frameio-api-token": lambda r: "fio-u-" + _s(r, B64URL, 64),
    "gitlab-session-cookie": lambda r: "_gitlab_session=" + _s(r, LOWER + DIGITS, 32),
    "harness-api-key": lambda r: "pat." + _s(r, B64URL, 22) + "." + _s(r, HEX, 24) + "." + _s(r, ALNUM, 20),
    "hubspot-private-app-token": lambda r: "pat-na1-" + _uuid(r),
    "langfuse-secret-key": lambda r: "sk-lf-" + _uuid(r),
    "lichess-personal-access-token": lambda r: "lip_" + _s(r, ALNUM, 20),
    "llama-cloud-api-key": lambda r: "llx-" + _s(r, ALNUM, 48),
    "mailersend-api-token": lambda r: "mlsn." + _s(r, HEX, 64),
    "mergify-application-key": lambda r: "mergify_application_key_" + _s(r, B64URL, 48),
    "nuget-api-key": lambda r: "oy2" + _s(r, LOWER + DIGITS, 43),
    "openshift-user-token": lambda r: "sha256~" + _s(r, B64URL, 43),
    "paddle-api-key": lambda r: (
        "pdl_live_apikey_" + _s(r, LOWER + DIGITS, 26) + "_" + _s(r, ALNUM, 22) + "_" + _s(r, ALNUM, 3)
    ),
    "polar-access-token": lambda r: "polar_pat_" + _s(r, ALNUM, 43),
    "resend-api-key": lambda r: "re_" + _s(r, BASE58, 8) + "_" + _s(r, BASE58, 24),
    "runpod-api-key": lambda r: "rpa_" + _s(r, UPPER + DIGITS, 40) + _s(r, ALNUM, 6),
    "scalingo-api-token": lambda r: "tk-us-" + _s(r, B64URL, 48),
    "settlemint-access-token": lambda r: "sm_pat_" + _s(r, ALNUM, 16),
    "twitter-bearer-token": lambda r: "A" * 22 + _s(r, ALNUM + "%", 90),
    "typeform-api-token": lambda r: "tfp_" + _s(r, B64URL, 59),
    "unkey-root-key": lambda r: "unkey_" + _s(r, ALNUM, 26),
    "val-town-api-token": lambda r: "vtwn_" + _s(r, ALNUM, 40),
    "yandex-oauth-token": lambda r: "y0_" + _s(r, B64URL, 55),
    "yandex-api-key": lambda r: "AQVN" + _s(r, B64URL, 36),
    "launchdarkly-sdk-key": lambda r: "sdk-" + _uuid(r),
    "mongodb-atlas-service-account-secret": lambda r: "mdb_sa_sk_" + _s(r, B64URL, 6) + _s(r, ALNUM, 34),
    "azure-devops-pat": lambda r: _s(r, ALNUM, 52) + "JQQJ9" + _s(r, ALNUM, 19) + "AZDO" + _s(r, ALNUM, 4),
    "dependency-track-api-key": lambda r: "odt_" + _s(r, ALNUM, 32),
    "sourcegraph-access-token-legacy": lambda r: "sgp_" + _s(r, HEX, 40),
    "segment-public-api-token": lambda r: "sgp_" + _s(r, ALNUM, 64),
    "teamwork-api-token": lambda r: "tkn.v1_" + _s(r, B64, 68) + "=",
    "intra42-client-secret": lambda r: "s-s4t2ud-" + _s(r, HEX, 64),
    "microsoft-teams-webhook-legacy": lambda r: (
        f"https://outlook.office.com/webhook/{_uuid(r)}@{_uuid(r)}"
        f"/IncomingWebhook/{_s(r, HEX, 32)}/{_uuid(r)}"
    ),
}

#: kind → id of the rule that must report it (also under a neutral variable name).
KINDS: dict[str, str] = {
    "aws-access-key-id": "aws-access-key-id",
    "aws-temporary-access-key-id": "aws-access-key-id",
    "github-pat": "github-pat",
    "github-oauth": "github-oauth-token",
    "github-user-to-server": "github-app-token",
    "github-server-to-server": "github-app-token",
    "github-refresh-token": "github-refresh-token",
    "github-fine-grained-pat": "github-fine-grained-pat",
    "gitlab-pat": "gitlab-pat",
    "gitlab-deploy-token": "gitlab-deploy-token",
    "gitlab-runner-token": "gitlab-runner-token",
    "gitlab-trigger-token": "gitlab-pipeline-trigger-token",
    "gitlab-scim-token": "gitlab-other-token",
    "slack-bot-token": "slack-bot-token",
    "slack-user-token": "slack-user-token",
    "slack-app-token": "slack-app-token",
    "slack-config-token": "slack-config-token",
    "slack-webhook": "slack-webhook-url",
    "stripe-live-secret-key": "stripe-live-secret-key",
    "stripe-test-secret-key": "stripe-test-secret-key",
    "stripe-restricted-key": "stripe-restricted-key",
    "stripe-webhook-secret": "stripe-webhook-secret",
    "google-api-key": "google-api-key",
    "google-oauth-client-secret": "google-oauth-client-secret",
    "google-oauth-access-token": "google-oauth-access-token",
    "private-key-rsa": "private-key",
    "private-key-pkcs8": "private-key",
    "private-key-ec": "private-key",
    "private-key-openssh": "private-key",
    "private-key-encrypted": "private-key",
    "private-key-pgp": "private-key",
    "jwt": "jwt",
    "npm-token": "npm-access-token",
    "pypi-token": "pypi-upload-token",
    "sendgrid-api-key": "sendgrid-api-key",
    "shopify-access-token": "shopify-access-token",
    "shopify-shared-secret": "shopify-shared-secret",
    "openai-project-key": "openai-api-key",
    "openai-legacy-key": "openai-api-key",
    "anthropic-api-key": "anthropic-api-key",
    "huggingface-token": "huggingface-token",
    "vault-service-token": "vault-token",
    "vault-batch-token": "vault-token",
    "azure-storage-connection-string": "azure-storage-account-key",
    "azure-ad-client-secret": "azure-ad-client-secret",
    "digitalocean-pat": "digitalocean-pat",
    "digitalocean-oauth-token": "digitalocean-oauth-token",
    "discord-webhook": "discord-webhook-url",
    "telegram-bot-token": "telegram-bot-token",
    "atlassian-api-token": "atlassian-api-token",
    "databricks-token": "databricks-token",
    "doppler-token": "doppler-token",
    "pulumi-token": "pulumi-access-token",
    "postman-api-key": "postman-api-key",
    "linear-api-key": "linear-api-key",
    "alibaba-access-key-id": "alibaba-access-key-id",
    "heroku-api-key-v2": "heroku-api-key-v2",
    "newrelic-user-api-key": "newrelic-user-api-key",
    "newrelic-insert-key": "newrelic-insert-key",
    "sentry-user-token": "sentry-auth-token",
    "sentry-org-token": "sentry-auth-token",
    "square-access-token": "square-access-token",
    "square-oauth-secret": "square-oauth-secret",
    "dropbox-token": "dropbox-access-token",
    "grafana-cloud-token": "grafana-cloud-api-token",
    "grafana-service-account-token": "grafana-service-account-token",
    "netlify-token": "netlify-access-token",
    "age-secret-key": "age-secret-key",
    "terraform-cloud-token": "terraform-cloud-api-token",
    "figma-token": "figma-pat",
    "brevo-api-key": "brevo-api-key",
    "mailchimp-api-key": "mailchimp-api-key",
    "firebase-fcm-server-key": "firebase-fcm-server-key",
    "airtable-pat": "airtable-pat",
    "docker-hub-pat": "docker-hub-pat",
    "notion-token": "notion-integration-token",
    "supabase-token": "supabase-access-token",
    "mapbox-secret-token": "mapbox-secret-token",
    "groq-api-key": "groq-api-key",
    "replicate-token": "replicate-api-token",
    "perplexity-api-key": "perplexity-api-key",
    "planetscale-token": "planetscale-token",
    "rubygems-api-key": "rubygems-api-key",
    "buildkite-token": "buildkite-token",
    "tailscale-key": "tailscale-key",
    "jfrog-api-key": "jfrog-api-key",
    "bitbucket-app-password": "bitbucket-app-password",
    "cloudflare-origin-ca-key": "cloudflare-origin-ca-key",
    "newrelic-license-key": "newrelic-license-key",
    "jfrog-identity-token": "jfrog-identity-token",
    "facebook-access-token": "facebook-access-token",
    "facebook-app-access-token": "facebook-app-access-token",
    "sonarqube-token": "sonarqube-token",
    "circleci-pat": "circleci-pat",
    "shippo-api-token": "shippo-api-token",
    "crates-io-api-token": "crates-io-api-token",
    "ionic-api-token": "ionic-api-token",
    "ubidots-token": "ubidots-token",
    "salesforce-access-token": "salesforce-access-token",
    "pagarme-api-key": "pagarme-api-key",
    "clickhouse-cloud-api-secret-key": "clickhouse-cloud-api-secret-key",
    "contentful-pat": "contentful-pat",
    "prefect-api-key": "prefect-api-key",
    "render-api-key": "render-api-key",
    "flyio-token": "flyio-token",
    "linear-oauth-token": "linear-api-key",
    "private-key-base64": "private-key-base64",
    "postgres-uri": "database-connection-string",
    "mongodb-srv-uri": "database-connection-string",
    "redis-uri": "database-connection-string",
    "https-basic-auth-uri": "url-basic-auth-credentials",
    "1password-service-account-token": "1password-service-account-token",
    "aws-bedrock-api-key": "aws-bedrock-api-key",
    "astra-application-token": "astra-application-token",
    "deno-deploy-token": "deno-deploy-token",
    "digitalocean-refresh-token": "digitalocean-oauth-token",
    "docker-swarm-token": "docker-swarm-token",
    "docker-hub-org-token": "docker-hub-pat",
    "dynatrace-api-token": "dynatrace-api-token",
    "easypost-api-key": "easypost-api-key",
    "elastic-cloud-api-key": "elastic-cloud-api-key",
    "flutterwave-secret-key": "flutterwave-secret-key",
    "flyio-macaroon-token": "flyio-token",
    "grafana-api-key": "grafana-api-key",
    "huggingface-org-token": "huggingface-token",
    "infracost-api-key": "infracost-api-key",
    "langsmith-api-key": "langsmith-api-key",
    "maxmind-license-key": "maxmind-license-key",
    "neon-api-key": "neon-api-key",
    "nvidia-api-key": "nvidia-api-key",
    "openrouter-api-key": "openrouter-api-key",
    "anthropic-admin-key": "anthropic-api-key",
    "xai-api-key": "xai-api-key",
    "posthog-personal-api-key": "posthog-personal-api-key",
    "pinecone-api-key": "pinecone-api-key",
    "pinterest-access-token": "pinterest-access-token",
    "readme-api-key": "readme-api-key",
    "together-api-key": "together-api-key",
    "vercel-token": "vercel-token",
    "wandb-api-key": "wandb-api-key",
    "cloudsmith-api-key": "cloudsmith-api-key",
    "cockroachdb-api-key": "cockroachdb-api-key",
    "clojars-api-token": "clojars-api-token",
    "octopus-deploy-api-key": "octopus-deploy-api-key",
    "supabase-secret-key": "supabase-access-token",
    "sourcegraph-access-token": "sourcegraph-access-token",
    "slack-session-token": "slack-session-token",
    "microsoft-teams-webhook": "microsoft-teams-webhook",
    "zapier-webhook-url": "zapier-webhook-url",
    "gitlab-incoming-mail-token": "gitlab-runner-token",
    "discord-bot-token": "discord-bot-token",
    "twilio-api-key-sid": "twilio-api-key",
    "mailgun-api-key": "mailgun-api-key",
    "aws-session-token": "aws-session-token-prefixed",
    "adafruit-io-key": "adafruit-io-key",
    "apify-api-token": "apify-api-token",
    "artifactory-reference-token": "artifactory-reference-token",
    "bitbucket-data-center-token": "bitbucket-data-center-token",
    "cerebras-api-key": "cerebras-api-key",
    "clickup-api-token": "clickup-api-token",
    "defined-networking-api-token": "defined-networking-api-token",
    "duffel-api-token": "duffel-api-token",
    "frameio-api-token": "frameio-api-token",
    "gitlab-session-cookie": "gitlab-session-cookie",
    "harness-api-key": "harness-api-key",
    "hubspot-private-app-token": "hubspot-private-app-token",
    "langfuse-secret-key": "langfuse-secret-key",
    "lichess-personal-access-token": "lichess-personal-access-token",
    "llama-cloud-api-key": "llama-cloud-api-key",
    "mailersend-api-token": "mailersend-api-token",
    "mergify-application-key": "mergify-application-key",
    "nuget-api-key": "nuget-api-key",
    "openshift-user-token": "openshift-user-token",
    "paddle-api-key": "paddle-api-key",
    "polar-access-token": "polar-access-token",
    "resend-api-key": "resend-api-key",
    "runpod-api-key": "runpod-api-key",
    "scalingo-api-token": "scalingo-api-token",
    "settlemint-access-token": "settlemint-access-token",
    "twitter-bearer-token": "twitter-bearer-token",
    "typeform-api-token": "typeform-api-token",
    "unkey-root-key": "unkey-root-key",
    "val-town-api-token": "val-town-api-token",
    "yandex-oauth-token": "yandex-oauth-token",
    "yandex-api-key": "yandex-api-key",
    "launchdarkly-sdk-key": "launchdarkly-sdk-key",
    "mongodb-atlas-service-account-secret": "mongodb-atlas-service-account-secret",
    "azure-devops-pat": "azure-devops-pat",
    "dependency-track-api-key": "dependency-track-api-key",
    "sourcegraph-access-token-legacy": "sourcegraph-access-token",
    "segment-public-api-token": "segment-public-api-token",
    "teamwork-api-token": "teamwork-api-token",
    "intra42-client-secret": "intra42-client-secret",
    "microsoft-teams-webhook-legacy": "microsoft-teams-webhook",
}


def fake(kind: str, rng: random.Random) -> str:
    """A random fake credential of ``kind`` (one of :data:`KINDS`)."""
    return _GENERATORS[kind](rng)


def context_lines(rng: random.Random) -> list[tuple[str, str]]:
    """(line, rule id) pairs for formats that are only credentials next to a telling name."""
    hex32, hex40 = _s(rng, HEX, 32), _s(rng, HEX, 40)
    uuid = f"{_s(rng, HEX, 8)}-{_s(rng, HEX, 4)}-4{_s(rng, HEX, 3)}-a{_s(rng, HEX, 3)}-{_s(rng, HEX, 12)}"
    return [
        (f"aws_secret_access_key = {_s(rng, B64, 40)}", "aws-secret-access-key"),
        (f'"SecretAccessKey": "{_s(rng, B64, 40)}",', "aws-secret-access-key"),
        (f"AWS_SESSION_TOKEN={'IQoJb3JpZ2luX2VjE' + _s(rng, B64, 300)}", "aws-session-token"),
        (f'"private_key_id": "{hex40}",', "gcp-service-account-key-id"),
        (f"TWILIO_AUTH_TOKEN={hex32}", "twilio-auth-token"),
        (f'twilio_api_key = "SK{_s(rng, HEX, 32)}"', "twilio-api-key"),
        (f"DD_API_KEY={_s(rng, HEX, 32)}", "datadog-api-key"),
        (f"datadog_app_key: {_s(rng, HEX, 40)}", "datadog-app-key"),
        (f'MAILGUN_API_KEY = "key-{_s(rng, HEX, 32)}"', "mailgun-api-key"),
        (f"HEROKU_API_KEY={uuid}", "heroku-api-key"),
        (f"SNYK_TOKEN={uuid}", "snyk-api-token"),
        (f"OPSGENIE_API_KEY={uuid}", "opsgenie-api-key"),
        (
            f"https://prod-07.eastus.logic.azure.com:443/workflows/{hex32}/triggers/manual/paths/invoke"
            f"?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={_s(rng, B64URL, 43)}",
            "azure-workflow-trigger-url",
        ),
        (f"PAGERDUTY_ROUTING_KEY={_s(rng, ALNUM, 32)}", "pagerduty-integration-key"),
        (f"https://maker.ifttt.com/trigger/deploy/with/key/{_s(rng, B64URL, 22)}", "ifttt-webhook-key"),
        (f'AZURE_STORAGE_ACCOUNT_KEY="{_s(rng, ALNUM, 40)}"', "generic-api-key"),
        (f'launchdarkly_access_token: "api-{uuid}"', "launchdarkly-access-token"),
        (f'okta_api_token: "00{_s(rng, B64URL, 40)}"', "okta-api-token"),
        (f"FASTLY_API_TOKEN={_s(rng, B64URL, 32)}", "fastly-api-token"),
        (f'CLOUDFLARE_API_TOKEN="{_s(rng, B64URL, 40)}"', "cloudflare-api-token"),
        (f"NETLIFY_AUTH_TOKEN={_s(rng, B64URL, 43)}", "netlify-legacy-token"),
        (f'confluent_api_secret = "{_s(rng, B64, 64)}"', "confluent-api-secret"),
        (f'asana_token = "1/{_s(rng, DIGITS, 16)}:{hex32}"', "asana-pat"),
        (f"VAULT_TOKEN=s.{_s(rng, ALNUM, 24)}", "vault-legacy-token"),
        (f"bot.run('{_discord_bot(rng)}')", "discord-bot-token"),
        (f'ALIBABA_CLOUD_ACCESS_KEY_SECRET="{_s(rng, ALNUM, 30)}"', "alibaba-access-key-secret"),
        (f'password = "{_password(rng)}"', "generic-password"),
        (f"DB_PASSWORD={_password(rng)}", "generic-password-unquoted"),
        (f"    <password>{_password(rng)}</password>", "generic-password-xml"),
        (f'"client_secret": "{_s(rng, B64URL, 32)}"', "generic-secret"),
        (f"API_KEY={_s(rng, ALNUM, 32)}", "generic-api-key"),
        # a name whose keyword is followed by an environment or version suffix
        (f"SECRET_KEY_BASE={_s(rng, HEX, 128)}", "generic-api-key"),
        (f"API_KEY_PROD={_s(rng, ALNUM, 32)}", "generic-api-key"),
        (f"DB_PASSWORD_STAGING={_password(rng)}", "generic-password-unquoted"),
        (f'auth_token_v2: "{_s(rng, HEX, 40)}"', "generic-token"),
        (f'auth_token: "{_s(rng, HEX, 40)}"', "generic-token"),
        (f'"credentials": "{_s(rng, B64, 40)}"', "generic-credential"),
        # a service's name alone says what its format-less key or token is
        (f"export JENKINS_TOKEN=11{_s(rng, HEX, 32)}", "service-named-credential"),
        (f'mapquest_key: "{_s(rng, ALNUM, 32)}"', "service-named-credential"),
        (f"const pastebinKey = '{_s(rng, ALNUM, 32)}';", "service-named-credential"),
        (f"aviationstack_token = {_s(rng, LOWER + DIGITS, 32)}", "service-named-credential"),
        (f'"mandrill-key": "{_s(rng, ALNUM, 22)}",', "service-named-credential"),
        (
            f"ngrok config add-authtoken {_s(rng, ALNUM, 27)}_{_s(rng, DIGITS, 1)}{_s(rng, ALNUM, 20)}",
            "ngrok-authtoken",
        ),
        (f"AZURE_DEVOPS_EXT_PAT={_s(rng, LOWER + '234567', 52)}", "azure-devops-pat-legacy"),
        (f"curl -d access_token={_s(rng, HEX, 40)} https://api.particle.io/v1/devices", "url-query-secret"),
        (
            f'DATABASE_URL="postgres://app:{_s(rng, ALNUM, 6)}@{_s(rng, ALNUM, 5)}@db.internal:5432/app"',
            "database-connection-string",
        ),
        (f"mvn sonar:sonar -Dsonar.login={_s(rng, HEX, 40)}", "sonarqube-login-token"),
        (f"sonar.login={_s(rng, HEX, 40)}", "sonarqube-login-token"),
        (f"curl --user 'deploy:{_password(rng)}' https://ci.internal/api", "curl-user-password"),
        (f'server.login("alerts@corp.example", "{_password(rng)}")', "password-in-call"),
        (
            f'DriverManager.getConnection("jdbc:mysql://db/app", "app", "{_password(rng)}");',
            "password-in-call",
        ),
        (f'var credential = new NetworkCredential("svc", "{_password(rng)}");', "password-in-call"),
        (f"az login --service-principal -u http://app -p {_password(rng)} --tenant t", "cli-password-option"),
        (f"net use Z: \\\\files\\share {_password(rng)} /user:CORP\\svc", "cli-password-option"),
        (f'curl -H "Authorization: Token {_s(rng, HEX, 40)}" https://api.internal/v1/', "http-bearer-token"),
        (f"token: s.{_s(rng, ALNUM, 24)}", "vault-legacy-token"),
        (
            f"BUNDLE_ENTERPRISE__CONTRIBSYS__COM={_s(rng, HEX, 8)}:{_s(rng, HEX, 8)}",
            "sidekiq-enterprise-credentials",
        ),
        (
            f"  - RAILS_ENV=test CODECLIMATE_REPO_TOKEN={_s(rng, HEX, 64)} bundle exec rake",
            "service-named-credential",
        ),
        (f"PsExec.exe \\\\10.0.0.5 -u Administrator -p {_s(rng, ALNUM, 12)} cmd", "cli-password-option"),
        (f'curl -H "Authorization: Bearer {_s(rng, B64URL, 40)}" https://api.internal', "http-bearer-token"),
        (
            f"Authorization: Basic {base64.b64encode(_password(rng).encode()).decode()}",
            "http-basic-auth-header",
        ),
        (f"machine git.internal login ci password {_password(rng)}", "netrc-password"),
        (f'dataSource.setPassword("{_password(rng)}");', "password-in-call"),
        (f"define('DB_PASSWORD', '{_password(rng)}');", "password-in-call"),
        (f'requests.get(url, auth=("admin", "{_password(rng)}"))', "password-in-call"),
        (f"curl -u deploy:{_password(rng)} https://ci.internal/api", "curl-user-password"),
        (f"docker login -u ci -p {_password(rng)} registry.internal", "registry-login-password"),
        (f"sshpass -p '{_password(rng)}' ssh deploy@10.0.0.5", "sshpass-password"),
        (f"mysql -u root -p'{_password(rng)}' app", "mysql-password-argument"),
        (f"//npm.internal/:_password={base64.b64encode(_password(rng).encode()).decode()}", "npmrc-auth"),
        (f'os.Setenv("API_KEY", "{_s(rng, ALNUM, 32)}")', "secret-name-value-pair"),
        (f'#define CLIENT_SECRET "{_s(rng, ALNUM, 32)}"', "c-define-secret"),
        (f'const apiKey: string = "{_s(rng, ALNUM, 32)}";', "typed-secret-declaration"),
        (f'const key = process.env.API_KEY || "{_s(rng, ALNUM, 32)}";', "env-fallback-secret"),
        (f'curl -H "x-api-key: {_s(rng, ALNUM, 32)}" https://api.internal/v1', "header-secret-argument"),
        (f'get("https://api.internal/v1?api_key={_s(rng, ALNUM, 32)}&limit=5")', "url-query-secret"),
        (f'sentry_auth_token = "{_s(rng, HEX, 64)}"', "sentry-legacy-auth-token"),
        (f"requirepass {_password(rng)}", "redis-password"),
        (f"    command: redis-server --requirepass {_password(rng)}", "redis-password"),
        (f"redis-cli -h cache.internal -a '{_password(rng)}' ping", "redis-password"),
        (f'sql.Open("postgres", "user=app password={_password(rng)} dbname=orders")', "libpq-dsn-password"),
        (f"app = host=db.internal dbname=app user=app password={_password(rng)}", "libpq-dsn-password"),
        (
            f'echo "{_password(rng)}" | docker login registry.internal -u ci --password-stdin',
            "registry-password-stdin",
        ),
        (f"HOOK=https://mm.internal/hooks/{_s(rng, LOWER + DIGITS, 26)}", "mattermost-webhook-url"),
        # passwords shorter than the generic name/value rules' 20 characters, outside an assignment
        (f'#define DB_PASSWORD "{_password(rng, 12)}"', "password-in-code"),
        (f'const dbPassword: string = "{_password(rng, 12)}";', "password-in-code"),
        (f'os.Setenv("DB_PASSWORD", "{_password(rng, 12)}")', "password-in-code"),
        (f"CREATE USER app WITH PASSWORD '{_password(rng, 12)}';", "sql-password-clause"),
        (f"ALTER USER 'app'@'%' IDENTIFIED BY '{_password(rng, 12)}';", "sql-password-clause"),
        (f"wget --user=ci --password={_password(rng, 12)} https://dl.internal/a.tgz", "cli-password-option"),
        (f"keytool -importkeystore -srcstorepass {_password(rng, 12)} -v", "cli-password-option"),
        (f'ConvertTo-SecureString "{_password(rng, 12)}" -AsPlainText', "powershell-securestring-password"),
        # UUID-shaped keys under a secret's name (npm legacy tokens, Atlas, Keycloak client secrets)
        (f"ATLAS_PRIVATE_KEY={uuid}", "generic-api-key"),
        (f'client_secret: "{uuid}"', "generic-secret"),
        (f'NPM_TOKEN="{uuid}"', "generic-token"),
        (f'curl -H "x-api-key: {uuid}" https://api.internal/v1', "header-secret-argument"),
        (f"TELNYX_API_KEY=KEY{_s(rng, ALNUM + '_-', 55)}", "telnyx-api-key"),
        (f"https://thingsboard.cloud/api/v1/{_s(rng, LOWER + DIGITS, 20)}/rpc", "thingsboard-device-token"),
        (f'  "provisionDeviceSecret": "{_s(rng, LOWER + DIGITS, 20)}",', "thingsboard-provision-secret"),
        (f'"params": ["{rng.randint(1, 99)}-{_s(rng, ALNUM, 64)}"]', "truenas-api-key"),
        # a provider prefix and a long random run: not an identifier (Lob, GoCardless live_ keys)
        (f"LOB_API_KEY=live_{_s(rng, HEX, 35)}", "generic-api-key"),
        # random values of letters only (one in fifty 22-character ones has no digit)
        (f"API_KEY={_s(rng, UPPER + LOWER, 31)}q", "generic-api-key"),
        (f'client_secret = "{_s(rng, UPPER + LOWER, 21)}Q"', "generic-secret"),
        # an API key as curl's user, its password empty (Stripe, Mailgun-style APIs)
        (f"curl https://api.internal/v1/charges -u {_s(rng, ALNUM, 24)}:", "curl-user-token"),
        # a .netrc entry one field a line, in a README's code block or a docstring
        (f"  password {_s(rng, ALNUM, 23)}{rng.choice(DIGITS)}", "netrc-entry-password"),
    ]


def path_lines(rng: random.Random) -> list[tuple[str, str, str]]:
    """``(path, line, rule)``: lines that are credentials only in a file of that name (rules with
    ``paths``), with the rule that must report each there and nowhere else."""
    return [
        (".pgpass", f"db.internal:5432:orders:app_user:{_password(rng)}", "pgpass-password"),
        ("home/ci/.pgpass", f"*:*:*:replicator:{_password(rng)}", "pgpass-password"),
        ("AppData/postgresql/pgpass.conf", f"10.0.0.7:5432:*:etl:{_password(rng)}", "pgpass-password"),
        ("config/master.key", _s(rng, HEX, 32), "rails-master-key"),
        ("app/config/credentials/production.key", _s(rng, HEX, 32), "rails-master-key"),
        (".netrc", f"  password {_s(rng, ALNUM, 24)}", "netrc-file-password"),
        ("home/ci/_netrc", f"password {_s(rng, HEX, 40)}", "netrc-file-password"),
        ("build.gradle", f"            password '{_password(rng)}'", "gradle-credentials-password"),
        ("app/build.gradle.kts", f'    password = "{_password(rng)}"', "gradle-credentials-password"),
    ]


def hard_negatives(rng: random.Random) -> list[str]:
    """Lines that look secret-ish but hold no credential: no rule may report anything in them."""
    sha1, sha256 = _s(rng, HEX, 40), _s(rng, HEX, 64)
    uuid = f"{_s(rng, HEX, 8)}-{_s(rng, HEX, 4)}-4{_s(rng, HEX, 3)}-b{_s(rng, HEX, 3)}-{_s(rng, HEX, 12)}"
    sri = base64.b64encode(rng.randbytes(64)).decode()
    ssh_blob = "AAAAC3NzaC1lZDI1NTE5AAAAI" + _s(rng, B64, 43)
    rsa_blob = "AAAAB3NzaC1yc2EAAAADAQABAAABAQ" + _s(rng, B64, 340)
    return [
        f"commit {sha1}",
        f'"commit": "{sha1}",',
        f"checksum: {sha256}",
        f'sha256 = "{sha256}"',
        f'  "hash": "{sha256}",',
        f"digest: sha256:{sha256}",
        f'request_id = "{uuid}"',
        f'"id": "{uuid}",',
        f'"client_id": "{uuid}",',
        f'tenant_id = "{uuid}"',
        f'"ClientToken": "{uuid}",',
        f'"ChangeToken": "{uuid}",',
        f'idempotency_token = "{uuid}"',
        f'      "integrity": "sha512-{sri}",',
        f"  integrity: sha512-{sri}",
        f"ssh-ed25519 {ssh_blob} alice@laptop",
        f"ssh-rsa {rsa_blob} deploy@build-01",
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        'password = os.environ["DB_PASSWORD"]',
        "password: str = None",
        "    password: Optional[str] = None",
        "token = get_token()",
        "api_key = settings.API_KEY",
        "const token = process.env.GITHUB_TOKEN;",
        'password = ""',
        "password = None",
        '"password": null,',
        "password: ${DB_PASSWORD}",
        'api_key = "<your-api-key>"',
        'API_TOKEN="your_api_token_here"',
        'secret = "changeme"',
        'password = "password123"',
        "DATABASE_URL=postgres://user:password@localhost:5432/app",
        "DATABASE_URL=postgres://user:${DB_PASS}@db:5432/app",
        "mongodb://admin:<password>@cluster0.mongodb.net/test",
        'GITHUB_TOKEN="ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"',
        "token: ghp_1234",
        "slack_webhook: https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "-----BEGIN PUBLIC KEY-----",
        "-----BEGIN RSA PRIVATE KEY-----\\n...\\n-----END RSA PRIVATE KEY-----",
        "max_tokens = 4096",
        "next_token = response['NextToken']",
        "password = user_password",
        "self.password = password",
        'if password != confirm_password: raise ValueError("passwords differ")',
        'TOKEN_URL = "https://oauth2.googleapis.com/token"',
        'secret_name = "prod/db/credentials"',
        'client_secret_path = "/etc/app/client_secret.json"',
        f'version = "{sha1[:7]}"',
        "image: registry.internal/app@sha256:" + sha256,
        "ASIA/Tokyo is the timezone",
        'key = "value"',
        # names that hold no credential, whatever their value looks like
        f'"NextContinuationToken": "{_s(rng, B64, 56)}==",',
        '"PurchaseToken": "eyJ2IjoiMSIsInMiOjEsImMiOi...",',
        f'cache_key = "{_s(rng, HEX, 32)}"',
        f"ENV GPG_KEY {_s(rng, HEX, 40).upper()}",
        f"RECAPTCHA_SITE_KEY={_s(rng, B64URL, 40)}",
        f'primaryKey: "{sha1}"',
        '"result_key": "ServerlessV2PlatformVersions"',
        # test logs, changelog prose and key fingerprints
        'app.config.from_mapping(SECRET_KEY="config", TEST_KEY="foo")',
        'SECRET_KEY = "development"',
        "PASS: gas/i386/align-branch-1a",
        "PASS: gdb.testsuite/string_to_regexp.exp: #1: got expected re",
        "\t* src/groupadd.c: Add missing -p, --password description to the usage",
        "  sig_key:        " + ":".join(_s(rng, HEX, 2).upper() for _ in range(20)),
        # documentation placeholders: alphabet and digit runs no random value holds
        'mailgun_token = "abcdef1234567890abcdef1234567890"',
        "WEATHER_API_KEY=1a2b3c4d5e6f7g8h9i0j1k2l3m4n5o6p",
        'client_secret: "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"',
    ]


def kinds() -> list[str]:
    """Every kind :func:`fake` knows, sorted."""
    return sorted(_GENERATORS)
