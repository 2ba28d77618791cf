"""The ``jpmacro-bt`` command line.

Heavy libraries (pandas, vectorbt, quantstats) are imported inside the
commands that need them, so ``--help`` answers at once. A user error
(:class:`~jpmacro_bt.errors.JpMacroError`) is caught once, for every command,
by the app's group: it prints one line, ``ErrorName: message``, and exits 1;
usage errors exit 2; anything else is a bug and keeps its traceback. A disk
that is full or a folder that cannot be written is never a bug, wherever the
write happens (a library's cache included): it gets one line too.
"""

from __future__ import annotations

import errno
import gc

import typer
from typer.core import TyperGroup

from jpmacro_bt.cli import data, reports, research, run, sweep
from jpmacro_bt.errors import JpMacroError

__all__ = ["app", "main"]


_FULL = (errno.ENOSPC, errno.EDQUOT)
_LOCKED = (errno.EACCES, errno.EPERM, errno.EROFS)


def _os_line(exc: OSError) -> str | None:
    """One line for an OSError that is the machine's state, not a bug; None for any other."""
    where = f" {exc.filename}" if exc.filename else ""
    if exc.errno in _FULL:
        return f"ReportError: cannot write{where}: {exc.strerror}; free space on that disk, or write elsewhere (--reports-dir, JPMACRO_CACHE_DIR)"
    if exc.errno in _LOCKED:
        return f"ReportError: cannot use{where}: {exc.strerror}; make it writable, or choose another folder (--reports-dir, JPMACRO_CACHE_DIR)"
    return None


class _Commands(TyperGroup):
    """The command group: the one place a user error becomes a line on stderr and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except JpMacroError as exc:
            typer.echo(f"{type(exc).__name__}: {exc}", err=True)
            raise typer.Exit(1) from None
        except OSError as exc:
            line = _os_line(exc)
            if line is None:
                raise
            typer.echo(line, err=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    name="jpmacro-bt",
    cls=_Commands,
    help="Backtest Japan-macro trade ideas on real data, offline, with tearsheets.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
for _module in (run, data, reports, sweep, research):
    _module.register(app)


def main() -> None:
    """Console entry point."""
    try:
        app()
    finally:
        # The command's files are written and closed. The interpreter's last garbage collections would walk every
        # object vectorbt, numba and pandas made (about a second) only to free memory the OS takes back anyway.
        gc.freeze()
