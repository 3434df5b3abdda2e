"""Wall-clock of the default benchmark suite, serial vs local worker processes, measured side by side.

Usage: ``.venv/bin/python benchmarks/bench_suite_speed.py [--workers 2] [--episodes 3]``. Prints a Markdown table.
Runs ``quadgait bench`` (all built-in gaits × the default suite) once serially and once with ``--workers``, each in a
fresh output folder, and checks that both produced the same numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(out: Path, episodes: int, workers: int) -> float:
    cmd = [sys.executable, "-m", "train.cli", "bench", "--episodes", str(episodes), "--out", str(out),
           "--workers", str(workers), "--no-progress"]
    start = time.perf_counter()
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def numbers(out: Path) -> list:
    data = json.loads((out / "results.json").read_text())
    return [(e["controller"], e["scenario"], e["episode"], e.get("metrics")) for e in data["episodes"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--episodes", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        serial = run(Path(tmp) / "serial", args.episodes, 1)
        parallel = run(Path(tmp) / "parallel", args.episodes, args.workers)
        same = numbers(Path(tmp) / "serial") == numbers(Path(tmp) / "parallel")
        cells = len(numbers(Path(tmp) / "serial"))
    print(f"# Default suite: {cells} episodes (6 gaits x {cells // (6 * args.episodes)} scenarios x {args.episodes}), "
          f"{os.cpu_count()} CPUs\n")
    print("| run | wall-clock (s) | episodes/s | speed-up |")
    print("|---|---:|---:|---:|")
    print(f"| serial | {serial:.1f} | {cells / serial:.2f} | 1.00x |")
    print(f"| --workers {args.workers} | {parallel:.1f} | {cells / parallel:.2f} | {serial / parallel:.2f}x |")
    print(f"\nidentical numbers serial vs workers: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
