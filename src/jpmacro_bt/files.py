"""Writing outputs so that a reader never sees half of them.

Every output folder (a run, a suite, a sweep, a comparison) is built in a
hidden sibling ``.<name>.<pid>-<token>.tmp`` and renamed into place only when
complete; on any failure, an interrupt included, the temporary folder is
removed. The process id and a random token make the temporary folder of each
writer its own, so identical runs started at the same moment never touch each
other's files. A writer killed outright (SIGKILL, power loss) cannot remove its
folder: the next write into the same parent removes temporary folders whose
process is gone and that are older than :data:`STALE_AFTER` seconds.

A disk that is full or a folder that cannot be written becomes a
:class:`~jpmacro_bt.errors.ReportError` naming the folder and the fix.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from jpmacro_bt.errors import ReportError

__all__ = ["STALE_AFTER", "AtomicFolder", "atomic_folder", "json_text", "remove_stale", "write_error", "write_text"]

STALE_AFTER = 10 * 60  # seconds: far longer than any write takes, so only a dead writer's folder is this old

# ".<final name>.<pid>-<token>.tmp"; earlier versions wrote ".<final name>.tmp" with no pid (age alone decides),
# recognised only by the UTC time every output name carries, so a user's own hidden folder is never taken for one.
_TMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[0-9a-f]{6}\.tmp$")
_OLD_TMP = re.compile(r"^\..+-\d{8}-\d{6}(?:-[0-9a-f]{6})?\.tmp$")
# errno values that mean the folder cannot take the output, whatever file was being written.
_WRITE_FAILURES = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EACCES, errno.EPERM, errno.EROFS)
_MAX_SUFFIX = 1000


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    except OSError:
        return True
    return True


def remove_stale(parent: Path, *, older_than: float = STALE_AFTER, now: float | None = None) -> list[Path]:
    """Remove the temporary folders in ``parent`` left by dead writers; return what was removed.

    A folder goes only when its writer's process is gone (or not recorded) and it
    has not been touched for ``older_than`` seconds: a writer on another machine
    sharing the folder keeps its own until then.
    """
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    for entry in entries:
        match = _TMP.match(entry.name)
        if (match is None and not _OLD_TMP.match(entry.name)) or not entry.is_dir(follow_symlinks=False):
            continue
        # This process's own folders may be in use by another of its threads.
        if match is not None and (int(match["pid"]) == os.getpid() or _alive(int(match["pid"]))):
            continue
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        if age >= older_than:
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def write_error(what: str, path: Path, exc: OSError, *, elsewhere: str = "pass another --reports-dir") -> ReportError:
    """A write that failed (``exc``) as one line naming ``path`` and the fix."""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        fix = f"free space on that disk, or {elsewhere}"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = f"make {path.parent} writable, or {elsewhere}"
    else:
        fix = elsewhere
    return ReportError(f"cannot write {what} {path}: {reason}; {fix}")


def _inside(filename: Any, folder: Path) -> bool:
    if not isinstance(filename, str | os.PathLike):
        return False
    path = os.path.abspath(os.fspath(filename))
    return path == os.path.abspath(folder) or path.startswith(os.path.abspath(folder) + os.sep)


class AtomicFolder:
    """The context manager of :func:`atomic_folder`; ``final`` is where the folder landed."""

    def __init__(self, final: Path, *, what: str, fix: str, unique: bool, renamed: Callable[[Path, str], None] | None) -> None:
        self.final = Path(final)
        self.what, self.fix, self.unique, self.renamed = what, fix, unique, renamed
        self.tmp: Path | None = None

    def __enter__(self) -> Path:
        final = self.final
        if not self.unique and (final.exists() or final.is_symlink()):
            raise ReportError(f"{self.what} {final} already exists; {self.fix}")
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            remove_stale(final.parent)
            tmp = final.parent / f".{final.name}.{os.getpid()}-{secrets.token_hex(3)}.tmp"
            tmp.mkdir()
        except OSError as exc:
            raise write_error(self.what, final, exc) from None
        self.tmp = tmp
        return tmp

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> bool:
        tmp = self.tmp
        if tmp is None:  # pragma: no cover - __exit__ without __enter__
            return False
        if kind is None:
            try:
                self._commit(tmp)
                return False
            except BaseException as failure:
                exc = failure
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError) and (exc.errno in _WRITE_FAILURES or _inside(exc.filename, tmp)):
            raise write_error(self.what, self.final, exc) from exc
        if exc is not None and kind is None:
            raise exc
        return False

    def _commit(self, tmp: Path) -> None:
        """Rename ``tmp`` to the final name, or with ``unique`` to the first free ``<name>-2``, ``<name>-3``, ..."""
        base = self.final
        for n in range(1, _MAX_SUFFIX + 1):
            target = base if n == 1 else base.with_name(f"{base.name}-{n}")
            if target.exists() or target.is_symlink():
                if not self.unique:
                    raise ReportError(f"{self.what} {target} already exists; {self.fix}")
                continue
            if target != base and self.renamed is not None:
                self.renamed(tmp, target.name)
            try:
                # rename, not replace: a folder another writer has just put there is never overwritten.
                os.rename(tmp, target)
            except OSError as exc:
                if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                    raise
                if not self.unique:
                    raise ReportError(f"{self.what} {target} already exists; {self.fix}") from None
                continue
            self.final = target
            return
        raise ReportError(f"{self.what} {base} and {_MAX_SUFFIX - 1} numbered copies already exist; move old ones away")


def atomic_folder(
    final: Path,
    *,
    what: str = "folder",
    fix: str = "wait a second and run again",
    unique: bool = False,
    renamed: Callable[[Path, str], None] | None = None,
) -> AtomicFolder:
    """A context manager yielding an empty temporary folder that becomes ``final`` when the block ends without error.

    With ``unique``, a name already taken (by an earlier folder, or by an
    identical writer that finished first) becomes ``<name>-2``, ``<name>-3``...;
    ``renamed(tmp, new_name)`` is called first, so files that state their own
    name can be updated. The folder written is the context manager's ``final``
    afterwards. Without ``unique``, a name already taken is a ReportError ending
    with ``fix``.
    """
    return AtomicFolder(final, what=what, fix=fix, unique=unique, renamed=renamed)


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text with LF line ends and a final newline, flushed to disk."""
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text if text.endswith("\n") else text + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _plain(value: Any, default: Callable[[Any], Any] | None) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v, default) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, default) for v in value]
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):  # numpy scalars and arrays
        return _plain(value.tolist(), default)
    if default is not None:
        converted = default(value)
        if converted is not value:
            return _plain(converted, default)
    return value  # json.dumps names the type it cannot write


def json_text(obj: Any, *, indent: int | None = 2, sort_keys: bool = False, default: Callable[[Any], Any] | None = None) -> str:
    """``obj`` as JSON with every NaN or infinity written as ``null``: a bare ``NaN`` is not JSON."""
    return json.dumps(_plain(obj, default), indent=indent, sort_keys=sort_keys, default=default, allow_nan=False)
