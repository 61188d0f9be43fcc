"""The emails of a local run, written as .eml files a mail client can open."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

SENDER = "leakguard <no-reply@sns.amazonaws.com>"


def write_eml(directory: Path, *, to: str, subject: str, body: str, number: int) -> Path:
    """Write one message as ``NNN-subject.eml`` in ``directory``; return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="leakguard.local")
    message.set_content(body)
    slug = re.sub(r"[^a-z0-9]+", "-", subject.lower()).strip("-")[:60] or "message"
    path = directory / f"{number:03d}-{slug}.eml"
    path.write_bytes(bytes(message))
    return path
