"""Derived lines: the C-level trigger and the shortcuts that skip Python work must never drop a line
``_derive`` would make something of (detect/derived.py)."""

import base64
import random

import pytest

from leakguard.detect import derived
from leakguard.detect.derived import derived_lines
from leakguard.detect.engine import Detector
from leakguard.detect.lines import located_lines, matching_lines
from leakguard.rules import load_rules, parse_rules
from leakguard.sources.base import FileLines, Fragment
from tests.fakes import _password, fake


def _derived(text: str) -> list[str]:
    texts = text.split("\n")
    blob = text.encode()
    return [line.text for line in derived_lines(texts, blob, range(1, len(texts) + 1), None)]


@pytest.mark.parametrize(
    "line",
    [
        '<add key="' + "K" * 128 + '" ' + "x" * 198 + ' value="v4lue"/>',  # name and gap at their bounds
        '<add key="ApiKey" value="v4lue"/>',
        '<add value="v4lue" ' + "y" * 198 + ' key="PaymentApiKey" />',
        '{"name": "DB_PASSWORD", "value": "v4lue"}',
    ],
)
def test_name_value_pairs_at_the_bounds_of_the_exact_shape_are_derived(line):
    assert derived._PAIR_SHAPE.search(line.encode())
    assert matching_lines(derived._TRIGGER, f"x\n{line}\n".encode()) == [1]
    assert any(text.endswith('= "v4lue"') for text in _derived(line)), _derived(line)


def test_the_relaxed_trigger_takes_every_line_the_exact_pair_shape_takes():
    # The trigger's pair part has its counted gaps relaxed; it must over-match, never under-match.
    rng = random.Random(5)

    def text(size: int, alphabet: str = "ab x_.'\"=") -> str:
        return "".join(rng.choice(alphabet) if rng.random() < 0.98 else "<" for _ in range(size))

    hits = 0
    for _ in range(20000):
        name, value = rng.choice(["name", "Key", "id", "property", "nam"]), rng.choice(["value", "Valu"])
        quote, assign = rng.choice("\"'"), rng.choice(["=", ":", " = ", "  :", "-"])
        held = text(rng.choice([0, 1, 128, 129, rng.randint(0, 140)]), "ab x_.")
        named = f"{name}{rng.choice(['', quote])}{assign}{quote}{held}{quote}"
        valued = f"{value}{rng.choice(['', quote])}{assign}{quote}{text(rng.randint(0, 3))}{quote}"
        gap = text(rng.choice([0, 1, rng.randint(0, 210), 199, 200, 201]))
        pair = f"{named}{gap} {valued}" if rng.random() < 0.5 else f"{valued}{gap} {named}"
        line = text(rng.randint(0, 3)) + pair
        if derived._PAIR_SHAPE.search(line.encode()):
            hits += 1
            assert matching_lines(derived._TRIGGER, line.encode()) == [0], line
    assert hits > 200  # the generator does reach the shape


# -- what a whole file's value lines are gated by ---------------------------------------------------


@pytest.mark.parametrize(
    ("keyword", "stems"),
    [
        ("auth ", {"auth"}),  # a name ending in auth: "proxy_auth" + ' = "'
        ('"pass', {"pass"}),  # a value starting with pass
        ('auth"', {"auth"}),  # a value ending in auth, before the closing quote
        ('token = "', {"token", "token = "}),  # a name "token", or a value ending in 'token = '
        (' = "x', {"x"}),
        ("sig=", set()),  # '=' never follows a name directly: no stem
        ("private key", set()),
        ("= ", None),  # inside the glue: every derived line holds it
        ('"', None),
        ('""', None),  # the glue's quote, then the value's first character or the closing quote
    ],
)
def test_glue_stems_are_the_parts_a_name_or_value_must_hold(keyword, stems):
    assert derived.glue_stems([keyword]) == stems


def test_the_bundled_keywords_straddle_the_glue_with_auth_and_pass_only(bundled):
    assert derived.glue_stems(bundled._keyword_rules) == {"auth", "pass"}
    # the layout below relies on it: neither line holds a keyword, the derived line does
    match = bundled._keyword_set.Match
    assert not match(b"- name: proxy_auth") and not match(f"  value: {CREDENTIAL}".encode())
    assert match(f'proxy_auth = "{CREDENTIAL}"'.encode())


@pytest.fixture(scope="module")
def bundled():
    return Detector(load_rules(), plugins=False)


@pytest.fixture(scope="module")
def ungated():
    """The same rules, with every value line's name looked up (no words to gate on)."""
    detector = Detector(load_rules(), plugins=False)
    detector._name_words = None
    return detector


def _whole(detector, text):
    fragment = Fragment(path="deploy/config.yaml", lines=FileLines(text))
    return [(f.rule_id, f.line, f.column, f.fingerprint) for f in detector.scan(fragment)]


R = random.Random(3)
PASSWORD = _password(R)
TOKEN = fake("github-pat", R)
CREDENTIAL = "q8Wd2LmZ0pXv7Rt3kLm9"  # no keyword in it
#: A private key whose body lines hold no keyword (random base64 often holds a short one, like sk)
PEM = ["-----BEGIN RSA PRIVATE KEY-----", *["".join(R.choice("QWXZ0123456789+/") for _ in range(64))] * 4]
PEM.append("-----END RSA PRIVATE KEY-----")
PADDING = "".join(f"  # note {n}\n" for n in range(30))
GATED_LAYOUTS = {
    # the name holds the keyword, the value none
    "sibling above": f"env:\n  - name: DB_PASSWORD\n    value: {PASSWORD}\n",
    "sibling three below": f"- value: {PASSWORD}\n  a: 1\n  b: 2\n  name: DB_PASSWORD\n",
    # the name is the block's, 30 lines up
    "block name far up": f'variable "db_password" {{\n{PADDING}  default = "{PASSWORD}"\n}}\n',
    # a keyword across the glue: "proxy_auth" + ' = "' holds generic-credential's 'auth '
    "keyword across the glue": f"- name: proxy_auth\n  value: {CREDENTIAL}\n",
    # a decoded value holds a provider token under a neutral name: never gated
    "base64 under a neutral name": "- name: blob\n  value: "
    + base64.b64encode(f"export GITHUB_TOKEN={TOKEN}".encode()).decode()
    + "\n",
    # an unnamed sibling is taken before a named block header: no word either way
    "unnamed sibling under a named header": f"db_password:\n  - name: color\n    value: {PASSWORD}\n",
    # a private key laid out over value lines: the rule spans the derived lines of its body
    "private key over value lines": "".join(f"- name: k\n  value: {line}\n" for line in PEM),
    "nothing to find": f"- name: color\n  value: {PASSWORD}\n",
}


@pytest.mark.parametrize("case", sorted(GATED_LAYOUTS))
def test_gating_value_lines_by_words_loses_no_finding(bundled, ungated, case):
    text = GATED_LAYOUTS[case]
    assert _whole(bundled, text) == _whole(ungated, text)


@pytest.mark.parametrize(
    "case", ["sibling above", "sibling three below", "block name far up", "keyword across the glue"]
)
def test_a_name_holding_the_word_is_found_in_a_whole_file(bundled, case):
    # (and not by the original lines alone: the finding is the derived line's)
    assert [rule for rule, *_ in _whole(bundled, GATED_LAYOUTS[case])], case


def _gated_lines(detector, text):
    texts = text.split("\n")
    blob = text.encode()
    words = detector._name_words_for(detector._keywordless_matches(blob))
    lines = derived_lines(texts, blob, range(1, len(texts) + 1), None, lambda: words)
    return [line.text for line in lines]


def test_a_private_key_spread_over_value_lines_keeps_its_body(bundled):
    # The body lines hold no keyword, but the private-key rule runs over the whole derived blob once
    # a kept line holds its keyword: the body's derived lines must all be there.
    body = [line for line in PEM[1:-1]]
    assert not any(bundled._keyword_set.Match(f'k = "{line}"'.encode()) for line in body)
    text = GATED_LAYOUTS["private key over value lines"]
    assert _gated_lines(bundled, text) == _gated_lines(_no_words(), text)
    # without a key around it, the same body is not derived at all (what the gate saves)
    plain = "".join(f"- name: k\n  value: {line}\n" for line in body)
    assert _gated_lines(bundled, plain) == []
    assert len(_gated_lines(_no_words(), plain)) == len(body)


def _no_words():
    detector = Detector(load_rules(), plugins=False)
    detector._name_words = None
    return detector


def test_a_custom_keyword_across_the_glue_gates_by_its_stem():
    # A rule whose keyword runs from the name into the glue ('token = "'): the name line holds only
    # 'token', which must count as a word (a gate with only the bundled auth/pass stems drops it).
    raw = {
        "version": 1,
        "rules": [
            {
                "id": "glued-token",
                "description": "d",
                "regex": 'token = "(?P<secret>[a-z0-9]{16})"',
                "keywords": ['token = "'],
                "severity": "high",
                "examples": {"match": ['token = "abcdefgh12345678"'], "nomatch": ["token: x"]},
            },
            {
                "id": "quoted-pass",
                "description": "d",
                "regex": '"(?P<secret>pass[a-z0-9]{12})"',
                "keywords": ['"pass'],
                "severity": "high",
                "examples": {"match": ['x = "passabcdefgh1234"'], "nomatch": ["pass"]},
            },
        ],
    }
    detector = Detector(parse_rules(raw), plugins=False)
    named = "- name: token\n  value: abcdefgh12345678\n"
    assert [(rule, line) for rule, line, *_ in _whole(detector, named)] == [("glued-token", 2)]
    valued = "- name: neutral\n  value: passabcdefgh1234\n"
    assert [(rule, line) for rule, line, *_ in _whole(detector, valued)] == [("quoted-pass", 2)]


def test_no_attribute_pair_fits_a_value_line():
    # _derive skips the pair patterns on a line _VALUE_LINE matches: generated lines of both shapes.
    rng = random.Random(9)
    parts = ["value", "Value", "name", "key", "id", "=", ":", '"', "'", " ", "x", "<", "/>", "-", ","]
    value_lines = 0
    for _ in range(30000):
        line = "".join(rng.choice(parts) for _ in range(rng.randint(2, 12)))
        if derived._VALUE_LINE.match(line):
            value_lines += 1
            assert not any(pattern.search(line) for pattern in derived._ATTRIBUTE_PAIRS), line
    assert value_lines > 200


def test_gated_derived_lines_are_the_ungated_ones_holding_a_word(bundled):
    # Generated files of names, values and blocks, some holding keywords: the gate drops exactly
    # lines without any keyword (it may keep some without one, never drop one with one).
    rng = random.Random(21)
    names = ["color", "DB_PASSWORD", "api_token", "proxy_auth", "region", "sk", "x"]
    values = ["debug", PASSWORD, "https://example.com/a", "passw0rdpassw0rd", "v4lue-123", "MIIEowIBAAKC"]
    ungated = _no_words()
    for _ in range(300):
        lines = []
        for _ in range(rng.randint(1, 12)):
            indent = " " * rng.choice([0, 2, 4])
            shape = rng.randrange(4)
            if shape == 0:
                lines += [f"{indent}- name: {rng.choice(names)}", f"{indent}  value: {rng.choice(values)}"]
            elif shape == 1:
                lines += [f"{indent}{rng.choice(names)}:", f"{indent}  default: {rng.choice(values)}"]
            elif shape == 2:
                lines += [f'{indent}"{rng.choice(names)}": {{', f'{indent}  "Value": "{rng.choice(values)}"']
            else:
                lines += [f"{indent}# {rng.choice(names)} {rng.choice(values)}"]
        text = "\n".join(lines) + "\n"
        gated, full = _gated_lines(bundled, text), _gated_lines(ungated, text)
        assert all(line in full for line in gated)
        assert [line for line in full if bundled._keyword_set.Match(line.encode())] == [
            line for line in gated if bundled._keyword_set.Match(line.encode())
        ], text


def test_a_file_a_keywordless_rule_matches_keeps_every_value_line(bundled):
    # discord-bot-token has no keywords: where it matches, nothing is known about the words a
    # derived line needs, so no value line is skipped.
    layout = "- name: color\n  value: debug-level-x\n"
    assert _gated_lines(bundled, layout) == []
    token = fake("discord-bot-token", random.Random(4))
    assert 'color = "debug-level-x"' in _gated_lines(bundled, f"bot: {token}\n{layout}")


# -- the trigger located by the engine's Vectorscan gate --------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "ENV app.db-password {}",  # a name with dots and dashes (the trigger once took \w+ only)
        "ENV DB_PASSWORD\u00a0{}",  # a no-break space, which Python's \s takes
        "\u3000ENV\tDB-PASSWORD {}",
        '<entry\u00a0key="db.password">{}</entry>',
    ],
)
def test_a_dockerfile_env_line_or_entry_with_any_name_or_space_is_derived(line):
    text = line.format(PASSWORD)
    assert matching_lines(derived._TRIGGER, f"x\n{text}\n".encode()) == [1]
    assert any(derived_text.endswith(f'= "{PASSWORD}"') for derived_text in _derived(text)), text


@pytest.fixture(scope="module")
def locator():
    """A Vectorscan gate holding the trigger's parts as located patterns, as the engine's does."""
    vectorscan = pytest.importorskip("leakguard.detect.vectorscan")
    if not vectorscan.available():
        pytest.skip("the hyperscan wheel is not installed")
    gate, _ = vectorscan.PatternGate.build(["unused"], located=derived.TRIGGER_PARTS)
    assert gate is not None and gate.located == len(derived.TRIGGER_PARTS)
    return gate


def _located_and_not(gate, words, text):
    """The gated derived lines of ``text`` with the trigger located by ``gate``, and by RE2's pass."""
    texts, blob = text.split("\n"), text.encode()
    numbers = range(1, len(texts) + 1)
    _, ends = gate.locating(blob)
    results = []
    for located in (ends, None):
        lines = derived_lines(texts, blob, numbers, None, lambda: words, located)
        results.append([(line.line_index, line.column, line.text) for line in lines])
    return results, ends


def test_lines_the_gate_locates_derive_what_the_re2_pass_derives(bundled, locator):
    # Generated whole files: value lines near and far from words (far ones, triggered by the value
    # part alone, are dropped before any Python work), base64 in them, pairs, elements, ENV lines.
    rng = random.Random(12)
    words = bundled._name_words
    encoded = base64.b64encode(f"export GITHUB_TOKEN={TOKEN}".encode()).decode()
    spaces = [" ", "  ", "\t", "\u00a0", "\u2003"]
    shapes = [
        lambda: f"- name: {rng.choice(['color', 'DB_PASSWORD', 'api_token'])}",
        lambda: f"  value:{rng.choice(spaces)}{rng.choice([PASSWORD, 'debug-x', encoded, 'us-east-1'])}",
        lambda: f'  "Value": "{rng.choice([PASSWORD, "https://a.example/x"])}",',
        lambda: f"{rng.choice(['db_password', 'region'])}:{rng.choice(spaces)}{{",
        lambda: f'<add key="{rng.choice(["ApiKey", "Color"])}" value="{PASSWORD}"/>',
        lambda: f"<value>{PASSWORD}</value>",
        lambda: f"ENV{rng.choice(spaces)}app.{rng.choice(['db-password', 'color'])} {PASSWORD}",
        lambda: f"  default = {encoded}",  # value part and base64 part on one line
        lambda: f"  {rng.choice(['api_key', 'notes'])}: {rng.choice(['|', '>-', '|+', '>2'])}",
        lambda: f"    {rng.choice([PASSWORD, 'two words'])}",
        lambda: f"# note {rng.randrange(100)}",
        lambda: "",
    ]
    dropped = compared = 0
    for _ in range(300):
        lines = [rng.choice(shapes)() for _ in range(rng.randint(1, 90))]
        (located, plain), ends = _located_and_not(locator, words, "\n".join(lines) + "\n")
        assert located == plain, lines
        compared += bool(plain)
        triggered = located_lines("\n".join(lines).encode(), ends, alone=derived.VALUE_PART)[0]
        dropped += len(triggered) > len(plain)
    assert compared > 100 and dropped > 10  # the generator reaches both paths


def test_a_located_line_far_from_any_word_is_kept_when_another_part_matched_it(bundled, locator):
    encoded = base64.b64encode(f"export GITHUB_TOKEN={TOKEN}".encode()).decode()
    text = "\n".join(["# nothing", *["a: 1"] * 50, f"  value: {encoded}", ""])
    (located, plain), ends = _located_and_not(locator, bundled._name_words, text)
    assert located == plain and any(TOKEN in derived_text for *_, derived_text in located)
    assert located_lines(text.encode(), ends, alone=derived.VALUE_PART)[:2] == ([51], [False])


# -- YAML block scalars: the value on the line after its name ----------------------------------------


@pytest.mark.parametrize("indicator", ["|", "|-", ">", ">-", "|+", ">2", "|  # the key"])
def test_a_block_scalar_value_is_derived_on_its_own_line(indicator):
    text = f"data:\n  db_password: {indicator}\n    {PASSWORD}\nother: 1"
    lines = derived_lines(text.split("\n"), text.encode(), range(1, 5), None)
    assert [(line.line_index, line.column, line.text) for line in lines] == [
        (2, 4, f'db_password = "{PASSWORD}"')
    ]


@pytest.mark.parametrize(
    "text",
    [
        f"script: |\n  echo {PASSWORD}\n",  # a block of text, not one token
        f"db_password: |\n  {PASSWORD}\n  {PASSWORD}\n",  # more lines in the block
        f"  db_password: |\n  {PASSWORD}\n",  # not indented deeper: not the block's
        "db_password: |\n",  # nothing after it
        f"db_password: >-\n\n    {PASSWORD}\n",  # a blank line first (taken as text, rare)
    ],
)
def test_a_block_scalar_that_is_not_one_token_is_not_derived(text):
    assert not [line for line in _derived(text) if PASSWORD in line and "db_password" in line]


def test_a_block_scalar_in_a_diff_needs_its_value_line_added_too():
    texts, blob = ["  api_key: >-", f"    {PASSWORD}"], f"  api_key: >-\n    {PASSWORD}".encode()
    assert [line.line_index for line in derived_lines(texts, blob, [7, 8], None)] == [1]
    assert derived_lines(texts, blob, [7, 9], None) == []  # the value is not the next line


def test_a_block_scalar_credential_is_found_in_a_kubernetes_manifest(bundled):
    token = fake("github-pat", random.Random(3))
    manifest = f"apiVersion: v1\nkind: ConfigMap\ndata:\n  api_token: >-\n    {token}\n  region: us-east-1\n"
    findings = bundled.scan(Fragment(path="k8s/app.yaml", lines=FileLines(manifest)))
    assert (5, 5) in {(finding.line, finding.column) for finding in findings}
    password = _password(random.Random(5))
    manifest = f"data:\n  db_password: |\n    {password}\n"
    findings = bundled.scan(Fragment(path="app.yaml", lines=FileLines(manifest)))
    assert [(finding.rule_id, finding.line) for finding in findings] == [("generic-password", 3)]


# -- windows: a whole file's lines read only around the triggered ones ---------------------------------


def test_windows_bound_the_lines_within_reach_of_each_triggered_line():
    rng = random.Random(21)
    for _ in range(200):
        texts = [rng.choice(["", "a", "value: x", "é ü", "  b: 1"]) for _ in range(rng.randint(1, 200))]
        blob = "\n".join(texts).encode()
        triggered = sorted(rng.sample(range(len(texts)), rng.randint(1, min(6, len(texts)))))
        starts = [sum(len(t.encode()) + 1 for t in texts[:i]) for i in range(len(texts))]
        anchors = [starts[i] + rng.randint(0, max(len(texts[i].encode()) - 1, 0)) for i in triggered]
        windows = derived._windows(blob, len(texts), triggered, anchors)
        covered = [i for w in windows for i in range(w.first, w.last + 1)]
        reach = {i for t in triggered for i in range(t - derived.BLOCK_SEARCH, t + derived.NEIGHBOURS + 1)}
        assert covered == sorted(reach & set(range(len(texts))))  # merged, in order, disjoint
        for window in windows:
            read = blob[window.start : window.end].decode().split("\n")
            assert read == texts[window.first : window.last + 1]


class _Unsplit(list):
    """A file's lines that count every look-up by index: derived_lines copies a lazy sequence (one not
    a list) whole, or reads only its windows."""

    def __init__(self, texts):
        super().__init__(texts)
        self.asked = 0

    def __getitem__(self, index):
        self.asked += 1
        return super().__getitem__(index)


class _Lazy:
    def __init__(self, texts):
        self._texts = _Unsplit(texts)

    def __len__(self):
        return len(self._texts)

    def __getitem__(self, index):
        return self._texts[index]


def test_a_whole_files_derived_lines_are_the_same_read_in_windows(bundled, locator):
    rng = random.Random(8)
    words = bundled._name_words
    filler = [f"    step_{n}: run" for n in range(400)]
    for _ in range(40):
        lines = list(filler)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(lines))
            lines[at:at] = [f"  - name: {rng.choice(['DB_PASSWORD', 'color'])}", f"    value: {PASSWORD}"]
        text = "\n".join(lines)
        blob = text.encode()
        _, ends = locator.locating(blob)
        numbers = range(1, len(lines) + 1)
        whole = derived_lines(lines, blob, numbers, None, lambda: words, ends)
        lazy = _Lazy(lines)
        windowed = derived_lines(lazy, blob, numbers, None, lambda: words, ends)
        assert windowed == whole
        assert lazy._texts.asked == 0  # no whole split: every line read came from a window
    assert any(PASSWORD in line.text for line in whole)
