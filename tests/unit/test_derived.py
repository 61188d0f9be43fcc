"""Derived lines: the C-level trigger and the shortcuts that skip Python work must never drop a line
``_derive`` would make something of (detect/derived.py)."""

import random

import pytest

from leakguard.detect import derived
from leakguard.detect.derived import derived_lines
from leakguard.detect.lines import matching_lines


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
