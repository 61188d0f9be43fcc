"""Credentials in commit messages, tag messages and file names: found, located, never shown in clear."""

from __future__ import annotations

import io
import json
import logging

from tests.conftest import fake_aws_key, fake_github_token
from tests.handlers.conftest import LambdaContext


def test_messages_and_file_names_are_scanned_and_what_people_see_is_masked_and_escaped(pipeline, rng):
    logs = io.StringIO()
    for name in ["leakguard", *logging.Logger.manager.loggerDict]:
        if name.startswith("leakguard"):
            for handler in logging.getLogger(name).handlers:
                if isinstance(handler, logging.StreamHandler):
                    handler.stream = logs
    dev = pipeline.repository()
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.git_push(dev, "main")[0])
    in_message, in_tag, in_name = fake_github_token(rng), fake_aws_key(rng), fake_aws_key(rng)
    in_content = fake_github_token(rng)
    dev.write(f"keys/{in_name}.txt", f"t = '{in_content}'\n")
    dev.write("evil\nSubject: [resolved] all clear\u202e.txt", "x = 2\n")
    commit = dev.commit(f"wire the deploy\n\ntoken {in_message} for now")
    dev.git("tag", "-a", "-m", f"release\naws {in_tag}", "v1")
    for event in pipeline.git_push(dev, "--follow-tags", "main"):
        pipeline.inspect(event)
    (security,) = pipeline.security_events()
    detail = security["detail"]
    located = sorted((f["source"], f["path"], f["line"], f["commit"]) for f in detail["findings"])
    tag_object = dev.git("rev-parse", "v1")
    masked = f"keys/{in_name[:4]}********"
    assert located == [
        ("commit-message", "", 3, commit),
        ("file", masked, 1, commit),
        ("path", masked, 0, commit),
        ("tag-message", "v1", 2, tag_object),
    ]
    assert detail["leakingCommits"] == [commit]  # the tag object is no commit: it is deleted, not reset
    assert sorted(r["fullName"] for r in detail["references"]) == ["refs/heads/main", "refs/tags/v1"]
    pipeline.notify.handler(security, LambdaContext(function_name="notify"))
    ((subject, body),) = pipeline.mails()
    assert "commit message, line 3" in body and "message of tag v1, line 2" in body
    assert f"file name {masked}" in body
    everything = json.dumps(detail) + subject + body + logs.getvalue()
    for secret in (in_message, in_tag, in_name, in_content):
        assert secret not in everything
    assert "\nSubject: [resolved]" not in body


def test_a_newline_in_a_leaking_file_name_stays_on_its_line_of_the_email(pipeline, rng):
    dev = pipeline.repository()
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.inspect(pipeline.git_push(dev, "main")[0])
    dev.commit("odd", {"conf\nSubject: all clear\u202e.py": f"k = '{fake_aws_key(rng)}'\n"})
    pipeline.inspect(pipeline.git_push(dev, "main")[0])
    (security,) = pipeline.security_events()
    assert (
        security["detail"]["findings"][0]["path"] == "conf\nSubject: all clear\u202e.py"
    )  # JSON keeps it exact
    pipeline.notify.handler(security, LambdaContext(function_name="notify"))
    ((_, body),) = pipeline.mails()
    assert "  - conf\\nSubject: all clear\\u202e.py:1  rule aws-access-key-id" in body
    assert not any(line.startswith("Subject:") for line in body.splitlines())
