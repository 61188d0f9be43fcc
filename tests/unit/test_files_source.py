from leakguard.findings import SkippedFile
from leakguard.sources.base import Fragment
from leakguard.sources.files import file_fragments


def test_directories_are_walked_and_every_line_is_scanned(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("one\ntwo\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("ignored\n")
    [fragment] = file_fragments([tmp_path])
    assert isinstance(fragment, Fragment)
    assert fragment.path.endswith("pkg/a.py")
    assert fragment.lines == [(1, "one"), (2, "two")]


def test_binary_huge_and_linked_files_are_reported_skipped(tmp_path):
    (tmp_path / "img.bin").write_bytes(b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00")
    (tmp_path / "big.txt").write_text("x" * 2048)
    (tmp_path / "link.txt").symlink_to(tmp_path / "big.txt")
    items = sorted(
        file_fragments([tmp_path], max_file_bytes=1024), key=lambda item: (item.path, type(item).__name__)
    )
    assert [(type(i), i.path.rsplit("/", 1)[1], getattr(i, "reason", "")) for i in items] == [
        (Fragment, "big.txt", ""),  # the first 1024 bytes are still scanned
        (SkippedFile, "big.txt", "only the first 1024 bytes were read"),
        (SkippedFile, "img.bin", "binary file"),
        (SkippedFile, "link.txt", "symbolic link"),
    ]


def test_invalid_utf8_is_decoded_with_replacement(tmp_path):
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9\n\xff\xfe\n")
    [fragment] = file_fragments([tmp_path / "latin1.txt"])
    assert fragment.lines == [(1, "caf\ufffd"), (2, "\ufffd\ufffd")]


def test_unreadable_file_is_skipped_with_the_reason(tmp_path):
    target = tmp_path / "gone.txt"
    [skipped] = file_fragments([target])
    assert isinstance(skipped, SkippedFile)
    assert skipped.reason.startswith("unreadable")
