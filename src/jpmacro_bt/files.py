"""Writing outputs so that a reader never sees half of them.

Every output folder (a run, a suite, a sweep, a comparison) is built in a
hidden sibling ``.<name>.tmp`` and renamed into place only when complete; on
any failure, an interrupt included, the temporary folder is removed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jpmacro_bt.errors import ReportError

__all__ = ["atomic_folder", "write_text"]


@contextmanager
def atomic_folder(final: Path, *, what: str = "folder", fix: str = "wait a second and run again") -> Iterator[Path]:
    """Yield an empty temporary folder that becomes ``final`` when the block ends without error."""
    if final.exists():
        raise ReportError(f"{what} {final} already exists; {fix}")
    tmp = final.parent / f".{final.name}.tmp"
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        yield tmp
        if final.exists():
            raise ReportError(f"{what} {final} already exists; {fix}")
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text with LF line ends and a final newline, flushed to disk."""
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text if text.endswith("\n") else text + "\n")
        fh.flush()
        os.fsync(fh.fileno())
