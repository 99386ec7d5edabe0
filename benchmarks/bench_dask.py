"""Benchmark: the same class through the local pool and through a 2-worker local Dask cluster.

    python benchmarks/bench_dask.py [--students 40] [--assignment 00_warmup] [--workers 2]

Builds a class of honest submissions (as benchmarks/bench_grading.py does), starts ``dask scheduler``
and ``--workers`` ``dask worker --nthreads 1`` processes on 127.0.0.1, waits until they have joined
(a standing cluster: its start-up is not timed; its first imports and kernel zygotes are), then times
the full ``autograder grade`` command (grading, feedback, grades.csv, report) on identical course
copies: ``--workers N`` locally, then ``--scheduler-file`` on the cluster, alternating ``--rounds``
times so that a change of load on a shared machine hits both; the fastest run of each counts.  Prints both times, their
ratio (goal: Dask within 1.2x of the local pool on one machine, so that N machines scale with N) and
whether the scores are identical, and writes ``bench_results/bench_dask.json``.  Wall-clock times on a
shared machine: the load average is printed with them.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_grading import BIN, REPO, build, copy_course, env, run, scores, worker_seconds


def start_cluster(folder, workers):
    scheduler_file = folder / "scheduler.json"
    cluster_env = {**env(), "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(scheduler_file)], env=cluster_env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    from distributed import Client
    client = Client(scheduler_file=str(scheduler_file), timeout="120s", set_as_default=False)
    for _ in range(workers):
        procs.append(subprocess.Popen([str(BIN / "dask"), "worker", "--scheduler-file", str(scheduler_file),
                                       "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"], env=cluster_env,
                                      start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    client.wait_for_workers(workers, timeout=300)
    client.close()
    return scheduler_file, procs


def stop_cluster(procs):
    for proc in reversed(procs):
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--assignment", default="00_warmup")
    parser.add_argument("--workers", type=int, default=2, help="local pool workers = Dask workers")
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs of each (the fastest counts)")
    args = parser.parse_args(argv)
    a, n = args.assignment, args.workers
    base = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    print(f"building a class of {args.students} submissions of {a} in {base} ...", flush=True)
    course, kinds = build(base, a, args.students)
    ag = BIN / "autograder"
    load_before = os.getloadavg()
    print(f"starting a local Dask cluster of {n} workers ...", flush=True)
    scheduler_file, procs = start_cluster(base, n)
    times = {"local": [], "dask": []}
    try:
        for number in range(args.rounds):  # alternating, so that a change of load hits both
            local = copy_course(course, base / f"local{number}")
            print(f"round {number + 1}: autograder grade --workers {n} (local pool) ...", flush=True)
            times["local"].append(run([ag, "grade", a, "--workers", n, "--quiet"], local)[0])
            dask = copy_course(course, base / f"dask{number}")
            print(f"round {number + 1}: autograder grade --scheduler-file ... ({n} Dask workers) ...", flush=True)
            times["dask"].append(run([ag, "grade", a, "--scheduler-file", scheduler_file, "--quiet"], dask)[0])
    finally:
        stop_cluster(procs)
    t_local, t_dask = min(times["local"]), min(times["dask"])
    per = {kind: statistics.mean(s for number in range(args.rounds)
                                 for s in worker_seconds(base / f"{kind}{number}", a)) for kind in times}
    reference = scores(base / "local0", a)
    identical = all(scores(base / f"{kind}{number}", a) == reference
                    for kind in ("local", "dask") for number in range(args.rounds))
    figures = {"students": len(kinds), "assignment": a, "cores": os.cpu_count(), "workers": n,
               "local_pool_s": times["local"], "dask_s": times["dask"], "ratio": t_dask / t_local,
               "identical_scores": identical, "seconds_per_submission": per,
               "load_average_before": load_before, "load_average_after": os.getloadavg()}
    out = REPO / "bench_results"
    out.mkdir(exist_ok=True)
    (out / "bench_dask.json").write_text(json.dumps(figures, indent=1))
    print()
    print(f"{len(kinds)} submissions of {a}, {os.cpu_count()} cores, full `autograder grade` "
          f"(load average {load_before[0]:.2f} before, {figures['load_average_after'][0]:.2f} after)")
    print(f"  local pool, {n} workers        {t_local:7.1f} s  (runs: {', '.join(f'{t:.1f}' for t in times['local'])})")
    print(f"  Dask cluster, {n} workers      {t_dask:7.1f} s  (runs: {', '.join(f'{t:.1f}' for t in times['dask'])})")
    print(f"  ratio Dask / local (fastest runs): {figures['ratio']:.2f} (goal <= 1.2)")
    print(f"  grading time of one submission inside its worker: local {per['local']:.2f} s, Dask {per['dask']:.2f} s")
    print(f"  identical scores, student by student and item by item: {'yes' if identical else 'NO'}")
    print(f"  figures: {out / 'bench_dask.json'}")
    shutil.rmtree(base, ignore_errors=True)
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
