"""The benchmarks run (on a small class): they time nothing here, they must work and compare equal scores.

Speed is never asserted in a test; `make bench` and `make bench-dask` are where the figures come from.
"""
import sys

import pytest
from harness import REPO, run


@pytest.mark.parametrize("script, args", [
    ("bench_grading.py", ["--students", "4"]),
    ("bench_dask.py", ["--students", "4", "--rounds", "1"]),
])
def test_a_benchmark_runs_and_finds_identical_scores(script, args, tmp_path):
    proc = run([sys.executable, str(REPO / "benchmarks" / script), *args], cwd=tmp_path, check=False, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    verdict = [line for line in proc.stdout.splitlines() if "identical scores" in line]
    assert verdict and verdict[-1].rstrip().endswith("yes"), proc.stdout[-2000:]
