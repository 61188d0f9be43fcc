"""Archives built in memory for tests: zip (optionally with members marked encrypted) and tar.gz."""

from __future__ import annotations

import io
import tarfile
import zipfile


def make_zip(members: dict[str, bytes], *, encrypted: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    raw = bytearray(buffer.getvalue())
    for name in encrypted:  # set the "encrypted" flag bit, as a password-protected zip has it
        for signature, flag_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
            at = raw.find(signature)
            while at != -1:
                if raw[at + name_at : at + name_at + len(name)] == name.encode():
                    raw[at + flag_at] |= 0x1
                at = raw.find(signature, at + 1)
    return bytes(raw)


def make_tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
