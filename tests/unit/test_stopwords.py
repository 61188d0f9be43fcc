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


def test_a_placeholder_phrase_inside_punctuation_is_one_too():
    # gsutil's tests: PASSWORD = '##invalid-password##' (its words are the phrase, not the value)
    assert WORDS.allows("##invalid-admin##")
    assert WORDS.allows("<secure-user>")
    assert not WORDS.allows("##Redis-Pr0d-77##")


def test_file_wide_markers_also_match_camel_case_words():
    markers = Stopwords(["example", "placeholder"], camel_case=True)
    assert markers.allows("ExamplePassword123!")
    assert markers.allows("AKIAIOSFODNN7EXAMPLE")
    assert not markers.allows("Exampl3Pass!")
    assert not Stopwords(["admin"]).allows("AdminPass2024!")  # a rule's weak words do not


PHRASES = Stopwords(["todo_", "your_", "change-me", "p@ssw0rd"])


@pytest.mark.parametrize(
    "value",
    ["YOUR_API_KEY", "insert_your_key", "todo_replace_me", "sk-change-me-1", "P@ssw0rd123", "x.your_token"],
)
def test_a_punctuated_stopword_where_a_word_starts_allows_the_value(value):
    assert PHRASES.allows(value)


@pytest.mark.parametrize(
    "value",
    [
        "tgp_v1_IFtn_Ig-HnTsqTOENNXOMKWmUzRGKvnCWJtODo_iFYO",  # random base64url holding "todo_" by chance
        "Zq8rLyour_k2Vb9XmT4nPw7Hs",
        "Gh5xchange-meQ2",
        "MyP@ssw0rd!2024",
    ],
)
def test_a_punctuated_stopword_inside_a_run_of_letters_and_digits_does_not(value):
    assert not PHRASES.allows(value)
