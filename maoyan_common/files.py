"""Publishing a file atomically: written beside its destination under a temporary name
(``.NAME.PID.RANDOM.partial``) and moved into place whole, so a failed or killed writer
never leaves a half-written file where a reader looks, and the earlier file stays."""

from __future__ import annotations

import glob
import os
import re
import stat
import tempfile
from pathlib import Path

#: The PID tells a later writer whether the one that left a temporary file is alive.
PARTIAL = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[^.]+\.partial$")


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def real(target: Path) -> Path:
    """The file a path names, through symlinks (an output that is a link is written
    through it, not replaced by a regular file)."""
    return Path(os.path.realpath(target))


def remove_leftovers(target: Path) -> list[Path]:
    """Remove the temporary files a killed writer left beside ``target``; they are never
    complete (a finished file is renamed), and nobody else will clean them."""
    removed = []
    for path in target.parent.glob(f".{glob.escape(target.name)}.*.partial"):
        match = PARTIAL.match(path.name)
        if match and match["name"] == target.name and process_alive(int(match["pid"])):
            continue  # another writer of the same file, at work right now
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def temporary_beside(file: Path) -> Path:
    """A new, empty temporary file beside ``file``, named so it is found as its leftover."""
    handle, name = tempfile.mkstemp(
        prefix=f".{file.name}.{os.getpid()}.", suffix=".partial", dir=file.parent
    )
    os.close(handle)
    return Path(name)


def new_file_mode() -> int:
    """The mode ``open()`` gives a new file under the current umask (0644 under 022)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def move_into_place(temp: Path, destination: Path, new_mode: int | None = None) -> None:
    """Replace ``destination`` by ``temp`` at once; a replaced file keeps its mode, a new
    one gets ``new_mode`` (default: the umask's)."""
    try:
        mode = stat.S_IMODE(destination.stat().st_mode)
    except FileNotFoundError:
        mode = new_file_mode() if new_mode is None else new_mode
    os.chmod(temp, mode)
    os.replace(temp, destination)
