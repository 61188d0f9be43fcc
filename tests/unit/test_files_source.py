from leakguard.findings import SkippedFile
from leakguard.sources.base import Fragment
from leakguard.sources.files import FileToRead, file_fragments


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


def test_entries_are_shown_as_their_path_objects_would_show_them(tmp_path, monkeypatch):
    # _Directory works out a directory's prefix once instead of building Path objects per entry; it must
    # show every entry as _shown(Path(directory, name), relative_to) does, wherever the walk started.
    from pathlib import Path

    from leakguard.sources import files

    (tmp_path / "repo" / "src").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "repo")
    monkeypatch.chdir(tmp_path / "repo")
    directories = [".", "./src", "src", "src/", "/", "//", "../repo/src", "./src/./"]
    directories += [str(tmp_path), str(tmp_path / "repo"), str(tmp_path / "repo" / "src")]
    directories += [str(tmp_path / "link" / "src")]
    for relative_to in (None, tmp_path / "repo", tmp_path / "repo" / "src", Path("/nowhere")):
        for directory in directories:
            place = files._Directory(directory, relative_to)
            for name in ("a.py", "repo", "src", ".env"):
                expected = files._shown(Path(directory, name), relative_to)
                assert place.shown(name) == expected, (directory, name, relative_to)


def test_a_scan_from_above_the_repository_shows_paths_inside_it_relative_to_it(tmp_path):
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "a.txt").write_text("one\n")
    (tmp_path / "outside.txt").write_text("two\n")
    shown = sorted(item.path for item in file_fragments([tmp_path], relative_to=tmp_path / "repo"))
    assert shown == sorted(["a.txt", (tmp_path / "outside.txt").as_posix()])


def test_a_file_is_read_up_to_the_limit_whatever_its_size_said(tmp_path):
    # _read_at_most sizes its first read by fstat; a pipe says 0 and delivers in pieces, and what it
    # returns must still be exactly the first bytes up to the limit, as a buffered read(limit) gives.
    import os
    import threading

    from leakguard.sources import files

    data = bytes(range(256)) * 10_000  # 2.56 MB, more than one further read of 1 MB
    for limit in (1, 1_000_000, 2_000_001, len(data), len(data) + 1, 10_000_000):
        reader, writer = os.pipe()

        def feed(fd=writer):
            with os.fdopen(fd, "wb", buffering=0) as pipe:
                for start in range(0, len(data), 70_000):
                    pipe.write(data[start : start + 70_000])

        thread = threading.Thread(target=feed)
        thread.start()
        with os.fdopen(reader, "rb", buffering=0) as handle:
            assert files._read_at_most(handle, limit) == data[:limit], limit
            handle.read()  # let the writer finish
        thread.join()
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    for limit in (1, len(data) - 1, len(data), len(data) + 1):
        with open(path, "rb", buffering=0) as handle:
            assert files._read_at_most(handle, limit) == data[:limit], limit


def test_a_walk_shows_every_file_as_its_path_object_would_show_it(tmp_path):
    # Subdirectories take their parent's prefix (no realpath each): the walk below a symlinked root,
    # with a symlinked directory inside it (reported as a link, not entered), must still show what
    # _shown shows.
    import os
    from pathlib import Path

    from leakguard.sources import files

    repo = tmp_path / "repo"
    for directory in ("a/b/c", "a/d", "e"):
        (repo / directory).mkdir(parents=True)
        (repo / directory / "f.txt").write_text("x\n")
    (repo / "a" / "to-e").symlink_to(repo / "e")
    (tmp_path / "link").symlink_to(repo)
    for root in (repo, tmp_path / "link", repo / "a", tmp_path):
        for relative_to in (None, repo, repo / "a", tmp_path / "elsewhere"):
            expected = sorted(
                files._shown(Path(directory, name), relative_to)
                for directory, subdirs, names in os.walk(root)
                for name in names + [d for d in subdirs if os.path.islink(os.path.join(directory, d))]
            )
            shown = sorted(item.path for item in file_fragments([root], relative_to=relative_to))
            assert shown == expected, (root, relative_to)


def test_a_file_whose_name_is_not_utf8_is_scanned_not_a_crash(tmp_path):
    # os.walk gives such a name with surrogate escapes; the allowlist's path patterns used to encode it
    # as strict UTF-8 and the scan died with a UnicodeEncodeError.
    import os

    from leakguard.detect.engine import Detector
    from leakguard.rules import load_rules

    name = os.fsdecode(b"\xffsettings.py")
    (tmp_path / name).write_text('db_password = "Xk9mQ2vLp7Rt"\n')
    [fragment] = file_fragments([tmp_path])
    [finding] = Detector(load_rules()).scan(fragment)
    assert (finding.path, finding.line) == (fragment.path, 1)
    assert fragment.path.endswith(name)


def test_deferred_files_read_later_give_what_a_walk_that_reads_gives(tmp_path):
    (tmp_path / "a.py").write_text("a = 1\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.bin").write_bytes(b"\x00\x01\x02")
    (tmp_path / "sub" / "link").symlink_to(tmp_path / "a.py")
    (tmp_path / "node_modules").mkdir()
    read = list(file_fragments([tmp_path], relative_to=tmp_path))
    deferred = list(file_fragments([tmp_path], relative_to=tmp_path, deferred=True))
    assert any(isinstance(item, FileToRead) for item in deferred)
    assert not any(isinstance(item, FileToRead) for item in read)
    expanded = [
        part for item in deferred for part in (item.read() if isinstance(item, FileToRead) else [item])
    ]
    assert expanded == read
    assert [i.size for i in deferred if isinstance(i, FileToRead) and i.path == "a.py"] == [6]


def test_pipes_and_devices_are_skipped_not_read(tmp_path):
    # A named pipe with no writer used to block the scan forever on open(); a device such as /dev/zero
    # never ends. Both are reported as skipped, and the regular file beside them is still scanned.
    import os

    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "a.py").write_text("x = 1\n")
    items = sorted(file_fragments([tmp_path, "/dev/zero"]), key=lambda item: item.path)
    assert [(type(i), i.path.rsplit("/", 1)[1], getattr(i, "reason", "")) for i in items] == [
        (SkippedFile, "zero", "not a regular file (a pipe, socket or device)"),
        (Fragment, "a.py", ""),
        (SkippedFile, "pipe", "not a regular file (a pipe, socket or device)"),
    ]
    deferred = [item for item in file_fragments([tmp_path], deferred=True) if item.path.endswith("pipe")]
    assert [skipped.reason for item in deferred for skipped in item.read()] == [
        "not a regular file (a pipe, socket or device)"
    ]


def test_a_directory_that_cannot_be_listed_is_reported_skipped(tmp_path, monkeypatch):
    # os.walk drops a directory it cannot list (permissions, removed mid-walk) without a word: the
    # scan would report the tree clean. The OS refusal is stood in for at os.scandir.
    import os

    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "key.txt").write_text("x\n")
    (tmp_path / "open.txt").write_text("y\n")
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    items = list(file_fragments([tmp_path], relative_to=tmp_path.resolve()))
    assert [(type(i).__name__, i.path, getattr(i, "reason", "")) for i in items] == [
        ("Fragment", "open.txt", ""),
        ("SkippedFile", "locked/", "unreadable directory: Permission denied"),
    ]


def test_a_tree_deeper_than_the_recursion_limit_is_walked(tmp_path):
    # Python 3.11's os.walk recursed once per level: 1,100 nested directories raised RecursionError
    # and ended the scan. A link to a directory is reported, not entered.
    import os
    import sys

    depth = sys.getrecursionlimit() + 100
    deepest = tmp_path
    for _ in range(depth):  # made level by level: os.makedirs recurses too
        deepest = deepest / "d"
        os.mkdir(deepest)
    (deepest / "key.env").write_text("x = 1\n")
    (tmp_path / "linked").symlink_to(tmp_path / "d")
    try:
        items = list(file_fragments([tmp_path], relative_to=tmp_path.resolve()))
    finally:  # shutil.rmtree (pytest's clean-up) recurses too: take the tree down level by level
        (deepest / "key.env").unlink()
        while deepest != tmp_path:
            os.rmdir(deepest)
            deepest = deepest.parent
    assert [(type(i).__name__, i.path.count("/"), getattr(i, "reason", "")) for i in items] == [
        ("SkippedFile", 0, "symbolic link"),
        ("Fragment", depth, ""),
    ]


def test_a_relative_directory_is_shown_from_the_working_directory_of_each_scan(tmp_path, monkeypatch):
    # The real path of "." was cached as given: a second scan from another working directory in the
    # same process showed its files relative to the first one (and fingerprinted them differently).
    shown = []
    for name in ("one", "two"):
        (tmp_path / name / "pkg").mkdir(parents=True)
        (tmp_path / name / "pkg" / "a.py").write_text("x = 1\n")
        monkeypatch.chdir(tmp_path / name / "pkg")
        [item] = file_fragments(["."], relative_to=(tmp_path / name).resolve())
        shown.append(item.path)
    assert shown == ["pkg/a.py", "pkg/a.py"]
