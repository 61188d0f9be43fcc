from leakguard.findings import SkippedFile
from leakguard.sources.base import Fragment
from leakguard.sources.patch import COMMIT_MARKER, parse_patch, unquote_path


def _parse(text: bytes, **kwargs):
    return list(
        parse_patch(text.splitlines(keepends=True), max_file_bytes=kwargs.pop("limit", 1000), **kwargs)
    )


def test_only_added_lines_with_their_new_line_numbers():
    patch = (
        b"diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n"
        b"@@ -3 +3,2 @@\n-old = 1\n+new = 1\n+more = 2\n@@ -10,0 +12 @@\n+tail = 3\n"
    )
    [fragment] = _parse(patch)
    assert fragment.path == "app.py"
    assert fragment.lines == [(3, "new = 1"), (4, "more = 2"), (12, "tail = 3")]


def test_deleted_file_and_pure_rename_add_nothing():
    patch = (
        b"diff --git a/gone.txt b/gone.txt\ndeleted file mode 100644\n--- a/gone.txt\n+++ /dev/null\n"
        b"@@ -1 +0,0 @@\n-secret\n"
        b"diff --git a/a.txt b/b.txt\nsimilarity index 100%\nrename from a.txt\nrename to b.txt\n"
    )
    assert _parse(patch) == []


def test_binary_files_are_reported_as_skipped():
    patch = (
        b"diff --git a/logo.png b/logo.png\nnew file mode 100644\n"
        b"Binary files /dev/null and b/logo.png differ\n"
    )
    assert _parse(patch, commit="c1") == [SkippedFile(path="logo.png", reason="binary file", commit="c1")]


def test_text_past_the_size_limit_is_reported_as_skipped_and_the_rest_still_scanned():
    header = b"diff --git a/big.txt b/big.txt\n--- /dev/null\n+++ b/big.txt\n@@ -0,0 +1,2 @@\n"
    patch = header + b"+" + b"x" * 600 + b"\n" + b"+" + b"y" * 600 + b"\n"
    [fragment, skipped] = _parse(patch, limit=1000)
    assert fragment.lines == [(1, "x" * 600)]
    assert isinstance(skipped, SkippedFile)
    assert "past the first 1000 bytes" in skipped.reason


def test_large_added_text_comes_in_windows_cut_between_top_level_lines():
    body = b"".join(b"+key%d:\n+  value: %d\n" % (i, i) for i in range(100))
    header = b"diff --git a/big.yaml b/big.yaml\n--- /dev/null\n+++ b/big.yaml\n@@ -0,0 +1,200 @@\n"
    windows = _parse(header + body, limit=10**6, window_bytes=400)
    assert len(windows) > 3
    assert [n for w in windows for n, _ in w.lines] == list(range(1, 201))
    assert all(w.lines[0][1].startswith("key") for w in windows)  # never cut inside a block


def test_invalid_utf8_is_replaced_not_fatal():
    patch = b"diff --git a/x b/x\n--- /dev/null\n+++ b/x\n@@ -0,0 +1 @@\n+caf\xe9 \xff ok\n"
    [fragment] = _parse(patch)
    assert fragment.lines == [(1, "caf\ufffd \ufffd ok")]


def test_quoted_unusual_names_are_unquoted():
    assert unquote_path(b'"d\\303\\255r/we ird\\".txt"') == 'dír/we ird".txt'
    patch = b'diff --git "a/t\\tab" "b/t\\tab"\n--- /dev/null\n+++ "b/t\\tab"\n@@ -0,0 +1 @@\n+x\n'
    [fragment] = _parse(patch)
    assert fragment.path == "t\tab"


def test_name_with_space_has_git_trailing_tab_removed():
    patch = b"diff --git a/my file b/my file\n--- /dev/null\n+++ b/my file\t\n@@ -0,0 +1 @@\n+x\n"
    assert _parse(patch)[0].path == "my file"


def test_combined_merge_diff_keeps_only_lines_new_against_every_parent():
    patch = (
        b"diff --cc conf.py\nindex 1,2..3\n--- a/conf.py\n+++ b/conf.py\n"
        b"@@@ -1,1 -1,1 +1,3 @@@\n- from_first\n -from_second\n++evil = 1\n"
        b"+ from_second_kept\n +from_first_kept\n"
    )
    [fragment] = _parse(patch)
    assert fragment.lines == [(1, "evil = 1")]


def test_commit_markers_attribute_fragments():
    patch = (
        COMMIT_MARKER + b"a" * 40 + b"\x00Ann <ann@example.com>\x00\n\n"
        b"diff --git a/x b/x\n--- /dev/null\n+++ b/x\n@@ -0,0 +1 @@\n+one\n"
        + COMMIT_MARKER
        + b"b" * 40
        + b"\x00Bob <bob@example.com>\x00\n\n"
        b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,0 +2 @@\n+two\n"
    )
    first_commit, first, second_commit, second = _parse(patch)
    assert (first_commit.commit, second_commit.author) == ("a" * 40, "Bob <bob@example.com>")
    assert isinstance(first, Fragment) and isinstance(second, Fragment)
    assert (first.commit, first.author, first.lines) == ("a" * 40, "Ann <ann@example.com>", [(1, "one")])
    assert (second.commit, second.author, second.lines) == ("b" * 40, "Bob <bob@example.com>", [(2, "two")])
