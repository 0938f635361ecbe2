"""The data folder is private to its user: folders 0700, files 0600, whoever creates them.

The store, its write-ahead log, the embedded Redis's append-only file, worker logs, the
secret key and model artefacts all live there. ``make_private`` tightens what exists and
sets this process's umask, which every child (redis-server, workers, the dashboard)
inherits, so files created later are private too.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
FOLDER_MODE = 0o700
FILE_MODE = 0o600


def make_private(folder: Path) -> Path:
    """Create ``folder`` (0700) if needed, make everything in it private, and set the umask."""
    os.umask(PRIVATE_UMASK)
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    _tighten(folder, FOLDER_MODE)
    for root, folders, files in os.walk(folder):
        for name in folders:
            _tighten(Path(root) / name, FOLDER_MODE)
        for name in files:
            _tighten(Path(root) / name, FILE_MODE)
    return folder


def _tighten(path: Path, mode: int) -> None:
    try:
        current = path.lstat()
    except FileNotFoundError:  # a worker's temporary file came and went
        return
    if stat.S_ISLNK(current.st_mode) or stat.S_ISSOCK(current.st_mode):
        return
    if stat.S_IMODE(current.st_mode) & ~mode:
        path.chmod(stat.S_IMODE(current.st_mode) & mode)
