"""The ``jpmacro-bt`` command line.

Heavy libraries (pandas, vectorbt, quantstats) are imported inside the
commands that need them, so ``--help`` answers at once. A user error
(:class:`~jpmacro_bt.errors.JpMacroError`) is caught once, for every command,
by the app's group: it prints one line, ``ErrorName: message``, and exits 1;
usage errors exit 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import typer
from typer.core import TyperGroup

from jpmacro_bt.cli import data, reports, research, run, sweep
from jpmacro_bt.errors import JpMacroError

__all__ = ["app", "main"]


class _Commands(TyperGroup):
    """The command group: the one place a user error becomes a line on stderr and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except JpMacroError as exc:
            typer.echo(f"{type(exc).__name__}: {exc}", err=True)
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
    app()
