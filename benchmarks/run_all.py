"""Run every benchmark in this folder, one process each, and print their RESULT lines.

    .venv/bin/python benchmarks/run_all.py [NAME ...]     # e.g. e2sfca scoring

Each benchmark is a script ``bench_<name>.py`` that prints its figures and ends with
``RESULT bench=<name> ours_s=.. peer_s=.. ratio=.. peak_mb=..``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in names]
    results, failed = [], []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, text=True,
                              capture_output=True, timeout=300)
        print(proc.stdout, end="")
        if proc.returncode != 0:
            print(proc.stderr[-2000:], file=sys.stderr)
            failed.append(script.name)
        results += [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
        print(f"   ({time.perf_counter() - start:.1f} s wall)\n", flush=True)
    print("== summary")
    print("\n".join(results))
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
