"""Stopwords mark placeholders as whole values or words of a value, never as arbitrary substrings."""

import pytest

from leakguard.rules.stopwords import Stopwords

WORDS = Stopwords(["admin", "passw0rd", "redis", "test", "root", "example", "changeme", "your_", "user"])


@pytest.mark.parametrize(
    "value", ["Admin2024!", "R00tPassw0rd!", "Redis-Pr0d-77", "Us3rTest#91", "xTestx", "roots4Ever!"]
)
def test_a_stopword_inside_a_real_password_does_not_allow_it(value):
    assert not WORDS.allows(value)


@pytest.mark.parametrize(
    "value",
    [
        "admin",
        "'Admin'",
        "changeme123",
        "Passw0rd!",
        "root_1",
        "your_api_key_here",
        "example.com",
        "insert test here",
        "my-example-token",
        "sk_test_example_key_9",
    ],
)
def test_a_stopword_as_the_value_or_one_of_its_words_allows_it(value):
    assert WORDS.allows(value)


def test_an_empty_list_allows_nothing():
    assert not Stopwords([]).allows("changeme")
    assert not Stopwords([])


def test_two_plain_words_joined_are_a_placeholder_phrase():
    assert WORDS.allows("secure_user")
    assert WORDS.allows("user-password")
    assert not WORDS.allows("Us3r-Pa55")


def test_file_wide_markers_also_match_camel_case_words():
    markers = Stopwords(["example", "placeholder"], camel_case=True)
    assert markers.allows("ExamplePassword123!")
    assert markers.allows("AKIAIOSFODNN7EXAMPLE")
    assert not markers.allows("Exampl3Pass!")
    assert not Stopwords(["admin"]).allows("AdminPass2024!")  # a rule's weak words do not
