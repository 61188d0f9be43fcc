"""Skipped content reaches people: listed in an incident, and a low-severity notice for a clean push."""

from __future__ import annotations

import jsonschema

from leakguard.events.security import parse_security_event, security_event_schema
from leakguard.remediate.email import email_body, email_subject
from tests.archive_builders import make_zip
from tests.conftest import fake_github_token


def test_unreadable_content_is_listed_and_a_clean_push_with_it_gets_a_notice(pipeline, rng):
    dev = pipeline.repository("app")
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.push(dev, "main", "refs/heads/main", name="app")

    locked = make_zip({"readme.txt": b"hello\n", "prod.env": b"T=1\n"}, encrypted=("prod.env",))
    dev.commit("vault", {"secrets.zip": locked})
    result = pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    assert result["status"] == "clean" and "notice sent" in result["reason"]
    [event] = pipeline.security_events()
    notice = event["detail"]
    jsonschema.validate(notice, security_event_schema())
    assert (notice["kind"], notice["mode"], notice["findingCount"]) == ("notice", "monitor", 0)
    assert notice["remediations"] == {"notify": True, "lock": False, "reset": False}
    assert [(s["path"], s["reason"]) for s in notice["skipped"]] == [
        ("secrets.zip!prod.env", "encrypted archive member")
    ]
    parsed = parse_security_event(event)
    assert email_subject(parsed).startswith("[NOTICE] 1 item(s) not scanned in a push to app")
    assert "secrets.zip!prod.env: encrypted archive member" in email_body(parsed)

    dev.commit("leak", {"conf.py": f"t = '{fake_github_token(rng)}'\n", "more.zip": locked})
    pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    incident = pipeline.security_events()[-1]["detail"]
    assert "kind" not in incident and incident["findingCount"] == 1
    assert [s["path"] for s in incident["skipped"]] == ["more.zip!prod.env"]
    assert "more.zip!prod.env: encrypted archive member" in email_body(parse_security_event(incident))


def test_plain_binaries_alone_do_not_trigger_a_notice(pipeline):
    dev = pipeline.repository("app")
    dev.commit("base", {"app.py": "x = 1\n"})
    pipeline.push(dev, "main", "refs/heads/main", name="app")
    dev.commit("logo", {"logo.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8})
    result = pipeline.inspect(pipeline.push(dev, "main", "refs/heads/main"))
    assert result["status"] == "clean" and pipeline.security_events() == []
