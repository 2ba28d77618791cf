"""Sweep workers run only the strategy source the sweep shipped them, never a file planted where they look."""

from __future__ import annotations

import stat
import tempfile
from pathlib import Path

from jpmacro_bt.research import chunks

SOURCE = '''"""A test strategy shipped to a worker."""
from dataclasses import dataclass

from jpmacro_bt.strategy import Signals, Strategy


@dataclass(frozen=True)
class Shipped(Strategy):
    claim = "the shipped source"
    source = "test"
    symbols = ("USDJPY",)

    def signals(self, data, events):
        raise NotImplementedError
'''


def test_a_planted_file_at_the_old_predictable_path_is_never_executed(tmp_path):
    key = chunks._source_key("shipped", SOURCE)
    marker = tmp_path / "planted-ran"
    # Where workers used to look: <temp dir>/jpmacro-bt-strategies/<hash of id and source>/<id>.py.
    planted = Path(tempfile.gettempdir()) / "jpmacro-bt-strategies" / key / "shipped.py"
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_text(f"open({str(marker)!r}, 'w').write('x')\n" + SOURCE.replace("the shipped source", "planted"))
    try:
        spec = chunks._spec_for("shipped", SOURCE)
    finally:
        planted.unlink()
    assert spec.claim == "the shipped source" and not marker.exists()
    # The code ran from a folder only this process can read, named at random.
    folder = spec.path.parent.parent
    assert folder != planted.parent.parent and stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert spec.path.read_text() == SOURCE
