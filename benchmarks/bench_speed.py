"""How long whole commands take, today's code against an earlier commit, measured side by side in one run.

    .venv/bin/python benchmarks/bench_speed.py --before c193a93 [--data-dir ../shared/data/market] [--repeat 3] \
        [--only run,run_all,sweep,cold,commands,million] [--merge benchmarks/results.json]

Every figure is a whole process (``python -m jpmacro_bt.cli ...``), as a user
waits for it. The earlier commit is unpacked with ``git archive`` into a
temporary folder and run from there (``PYTHONPATH``), with the same
interpreter and packages. Timings of the two are taken in turns (before,
after, before, after, ...) and the fastest of each kept, so that other load
on the machine slows both alike. Warm measurements share one cache folder
(``JPMACRO_CACHE_DIR``, numba's compile cache under it), filled by one
untimed run of each command first; cold ones get an empty folder each.

* ``run``: ``jpmacro-bt run boj_hike_long_jpy`` (tearsheet included).
* ``run_all``: ``jpmacro-bt run-all --data-dir DIR`` (every strategy, tearsheets included).
* ``sweep``: ``jpmacro-bt sweep boj_hike_long_jpy --grid hold_days=1:250 --grid stop=0.005:0.1:0.005``
  (5,000 combinations), and ``benchmarks/raw_sweep.py``, a hand-written raw vectorbt script over the same signals.
* ``cold``: the run above in a fresh environment (empty cache: data and compiled code).
* ``commands``: ``--help``, ``list``, ``symbols``, ``events`` (which must not import vectorbt, quantstats or numba).
* ``million``: 1,000,000 combinations (hold_days=1:250 x stop=0.001:0.4009:0.0001) with ``--max-memory 4GiB``, today's
  code only (the earlier one computes every combination's signals: hours): wall time and peak RSS from
  ``/usr/bin/time -v``; stopped after ``--million-limit`` seconds, and then the throughput of its progress lines.

Prints the results as JSON; ``--merge FILE`` also stores them under the key ``speed`` of FILE. Nothing here is
collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SWEEP = ["sweep", "boj_hike_long_jpy", "--grid", "hold_days=1:250", "--grid", "stop=0.005:0.1:0.005", "--no-record"]
MILLION = ["sweep", "boj_hike_long_jpy", "--grid", "hold_days=1:250", "--grid", "stop=0.001:0.4009:0.0001", "--no-record", "--max-memory", "4GiB"]


def unpack(rev: str) -> Path:
    """The tree of ``rev`` in a new temporary folder (``git archive``: the repository is only read)."""
    folder = Path(tempfile.mkdtemp(prefix="jpmacro-before-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def environment(cache: Path, src: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "PYTHONPATH")}
    env.update(JPMACRO_CACHE_DIR=str(cache), COLUMNS="200")
    if src is not None:
        env["PYTHONPATH"] = str(src)
    return env


def _family(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except (OSError, ValueError):
            pass
    return out


def _hwm(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            return max([0] + [int(line.split()[1]) * 1024 for line in fh if line.startswith("VmHWM:")])
    except (OSError, ValueError):
        return 0


def child(args: list[str], env: dict[str, str], *, cwd: Path | None = None, limit: float | None = None) -> dict:
    """Wall seconds and peak RSS (the largest VmHWM of the process and its descendants, polled); its stderr.

    After ``limit`` seconds the descendants are sent SIGTERM (so that a wrapping ``/usr/bin/time`` still reports).
    """
    t = time.perf_counter()
    proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()
    peak, stopped = 0, False
    while proc.poll() is None:
        family = _family(proc.pid)
        peak = max([peak] + [_hwm(p) for p in family])
        if limit is not None and not stopped and time.perf_counter() - t > limit:
            for p in family[1:] or family:
                os.kill(p, signal.SIGTERM)
            stopped = True
        time.sleep(0.05)
    reader.join(timeout=5)
    seconds = time.perf_counter() - t
    if proc.returncode and not stopped:
        raise RuntimeError(f"{args} failed ({proc.returncode}):\n{''.join(lines[-30:])}")
    return {"seconds": seconds, "peak_rss_bytes": peak, "stopped": stopped, "stderr": lines}


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "jpmacro_bt.cli", *args]


def paired(commands: dict[str, tuple[list[str], dict[str, str]]], repeat: int, *, warm: bool = True) -> dict[str, dict]:
    """Each command ``repeat`` times, in turns; the fastest run of each (after one untimed run each when ``warm``)."""
    if warm:
        for args, env in commands.values():
            child(args, env)
    best: dict[str, dict] = {}
    for _ in range(repeat):
        for name, (args, env) in commands.items():
            out = child(args, env)
            if name not in best or out["seconds"] < best[name]["seconds"]:
                best[name] = out
    return {name: {"seconds": round(o["seconds"], 2), "peak_rss_mib": round(o["peak_rss_bytes"] / 2**20)} for name, o in best.items()}


def with_ratio(result: dict[str, dict], num: str, den: str) -> dict:
    return {**result, f"{num}_over_{den}": round(result[num]["seconds"] / result[den]["seconds"], 3)}


def cold(before: Path, repeat: int, reports: Path) -> dict:
    best: dict[str, float] = {}
    for _ in range(repeat):
        for name, src in (("before", before / "src"), ("after", None)):
            cache = Path(tempfile.mkdtemp(prefix="jpmacro-cold-"))
            seconds = child(cli("run", "boj_hike_long_jpy", "--reports-dir", str(reports)), environment(cache, src))["seconds"]
            shutil.rmtree(cache, ignore_errors=True)
            best[name] = min(best.get(name, seconds), seconds)
    return {k: {"seconds": round(v, 2)} for k, v in best.items()}


def commands(cache: Path, repeat: int) -> dict:
    """Wall time of the light commands, and which heavy packages each imported (none is the goal)."""
    out = {}
    probe = "import sys, runpy; sys.argv = ['jpmacro-bt', *sys.argv[1:]]\ntry:\n    runpy.run_module('jpmacro_bt.cli', run_name='__main__')\nexcept SystemExit:\n    pass\n" \
            "print(sorted(m for m in ('vectorbt', 'quantstats', 'numba', 'matplotlib', 'pandas') if m in sys.modules), file=sys.stderr)"
    for name, args in (("--help", ["--help"]), ("list", ["list"]), ("symbols", ["symbols"]), ("events", ["events", "boj"])):
        runs = [child([sys.executable, "-c", probe, *args], environment(cache, None)) for _ in range(repeat)]
        fastest = min(runs, key=lambda r: r["seconds"])
        out[name] = {"seconds": round(fastest["seconds"], 2), "imports": fastest["stderr"][-1].strip()}
    return out


def million(cache: Path, reports: Path, limit: float) -> dict:
    timer = ["/usr/bin/time", "-v"] if Path("/usr/bin/time").exists() else []
    run = child([*timer, *cli(*MILLION, "--reports-dir", str(reports))], environment(cache, None), limit=limit)
    text = "".join(run["stderr"])
    out = {"combinations": 1_000_000, "budget_bytes": 4 * 2**30, "stopped_after_s": round(limit) if run["stopped"] else None}
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    out["peak_rss_bytes"] = max(run["peak_rss_bytes"], int(match.group(1)) * 1024 if match else 0)
    out["peak_over_budget"] = round(out["peak_rss_bytes"] / out["budget_bytes"], 3)
    out["seconds"] = round(run["seconds"], 1)
    out["last_lines"] = [line.rstrip() for line in run["stderr"] if line.startswith(("sweep:", "walk-forward:", "\tElapsed", "\tMaximum"))][-4:]
    progress = re.findall(r"sweep: ([\d,]+)(?:/| of )[\d,]+ .*?(?:in|,) (\d+) min (\d+) s", text)
    if progress:
        done, minutes, secs = progress[-1]
        out["combos_done"] = int(done.replace(",", ""))
        out["combos_per_second"] = round(out["combos_done"] / (int(minutes) * 60 + int(secs)), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="c193a93", help="the commit to compare against")
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data" / "market"), help="market data folder for run-all")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="run,run_all,sweep,cold,commands", help="comma-separated: run,run_all,sweep,cold,commands,million")
    parser.add_argument("--million-limit", type=float, default=1800.0, help="seconds after which the 1,000,000 sweep is stopped")
    parser.add_argument("--merge", type=Path, help="also store the results under the key 'speed' of this JSON file")
    args = parser.parse_args()
    only = set(args.only.split(","))
    before = unpack(args.before)
    cache, reports = Path(tempfile.mkdtemp(prefix="jpmacro-bench-cache-")), Path(tempfile.mkdtemp(prefix="jpmacro-bench-reports-"))
    old, new = environment(cache, before / "src"), environment(cache, None)
    out: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}, "before": args.before}
    rep = ["--reports-dir", str(reports)]
    if "run" in only:
        args_run = cli("run", "boj_hike_long_jpy", *rep)
        out["run"] = with_ratio(paired({"before": (args_run, old), "after": (args_run, new)}, args.repeat), "after", "before")
    if "run_all" in only:
        args_all = cli("run-all", "--data-dir", args.data_dir, *rep)
        out["run_all"] = with_ratio(paired({"before": (args_all, old), "after": (args_all, new)}, max(1, args.repeat - 1)), "after", "before")
    if "sweep" in only:
        raw = [sys.executable, str(ROOT / "benchmarks" / "raw_sweep.py"), "250", "0.005", "0.1", "0.005"]
        result = paired({"before": (cli(*SWEEP, *rep), old), "after": (cli(*SWEEP, *rep), new), "raw_vectorbt": (raw, new)}, max(1, args.repeat - 1))
        out["sweep_5000"] = with_ratio(with_ratio(result, "after", "raw_vectorbt"), "before", "raw_vectorbt")
    if "cold" in only:
        out["cold_run"] = cold(before, max(1, args.repeat - 1), reports)
    if "commands" in only:
        out["commands"] = commands(cache, args.repeat)
    if "million" in only:
        out["sweep_1000000"] = million(cache, reports, args.million_limit)
    shutil.rmtree(before, ignore_errors=True)
    shutil.rmtree(reports, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    print(json.dumps(out, indent=2))
    if args.merge:
        stored = json.loads(args.merge.read_text()) if args.merge.exists() else {}
        stored["speed"] = {**stored.get("speed", {}), **out}
        args.merge.write_text(json.dumps(stored, indent=2) + "\n")


if __name__ == "__main__":
    main()
