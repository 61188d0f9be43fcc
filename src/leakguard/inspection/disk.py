"""How much of ``/tmp`` the clone cache may use, and how much a clone takes on disk.

Lambda's ``/tmp`` is the function's ephemeral storage (512 MB to 10 GB): a warm sandbox that has served
many repositories must never fill it, or the next clone fails half-written. The budget is explicit
(``LEAKGUARD_CLONE_BUDGET_MB``) or a fraction of the filesystem the cache lives on, leaving the rest for
what a fetch writes before it is counted (the incoming pack, its index) and for git's own temporary
files.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

#: Share of the cache's filesystem the clones may take when no budget is set.
DEFAULT_BUDGET_FRACTION = 0.5


def disk_usage(path: Path) -> int:
    """Bytes ``path`` occupies on disk (allocated blocks, as ``du`` counts them); 0 if it is gone."""
    total = 0
    for directory, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(directory, name)).st_blocks * 512
            except FileNotFoundError:  # removed while we walked (an interrupted git)
                continue
    return total


def default_budget(root: Path, fraction: float = DEFAULT_BUDGET_FRACTION) -> int:
    """``fraction`` of the size of the filesystem ``root`` is (or will be) on."""
    existing = root
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    return int(shutil.disk_usage(existing).total * fraction)
