"""Benchmark: ``autograder grade`` against plain serial ``nbgrader autograde`` on the same class.

    python benchmarks/bench_grading.py [--students 40] [--assignment 00_warmup] [--workers 0]

One run builds a course copy in a temporary folder, releases the assignment, generates a class of
honest submissions (correct, typical mistakes, unfinished; no tampering, which the two are *meant* to
score differently) and then times, on identical copies of that course:

  nbclient     every autograded notebook executed by nbclient alone, one after another
               (the bare kernel cost of a submission: start, run, stop)
  nbgrader     ``nbgrader autograde`` (serial), then ``generate_feedback`` and ``export``
  autograder   ``autograder grade`` (parallel, sandboxed; grading only, then the full command with
               feedback, grades.csv and the report), and once more with one worker for the
               per-submission cost without competition for the cores

It checks that the scores are identical student by student and item by item, prints the figures and
writes them to ``bench_results/bench_grading.json``.  Timings are wall-clock; on a shared machine,
say under what load they were taken (the load average is printed).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def env():
    e = dict(os.environ)
    e["PATH"] = f"{BIN}{os.pathsep}{e.get('PATH', '')}"
    return e


def run(args, cwd):
    t = time.perf_counter()
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=env(), capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args))} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return elapsed, proc


def build(base, assignment, students):
    import nbformat
    sys.path.insert(0, str(REPO))
    from autograder import sample
    course = base / "course"
    course.mkdir(parents=True)
    shutil.copy(REPO / "nbgrader_config.py", course)
    shutil.copytree(REPO / "solutions" / assignment, course / "solutions" / assignment)
    run([BIN / "nbgrader", "generate_assignment", assignment, "--force"], course)
    name = sorted(p.name for p in (course / "solutions" / assignment).glob("*.ipynb"))[0]
    source_nb = nbformat.read(course / "solutions" / assignment / name, as_version=4)
    released = nbformat.read(course / "exercises" / assignment / name, as_version=4)
    kinds = {}
    for student, (label, nb) in sample.sample_class(released, source_nb, size=students, tampering=False).items():
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / name)
        (folder / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
        kinds[student] = label
    return course, kinds


def copy_course(course, dest):
    shutil.copytree(course, dest, symlinks=True)
    return dest


def scores(course, assignment):
    from nbgrader.api import Gradebook
    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for sub in gb.assignment_submissions(assignment):
            out[sub.student.id] = {g.name: g.score for nb in sub.notebooks for g in nb.grades}
    return out


def nbclient_times(course, assignment):
    import nbformat
    from nbclient import NotebookClient
    times = []
    for path in sorted((course / "autograded").glob(f"*/{assignment}/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
        t = time.perf_counter()
        NotebookClient(nb, timeout=60, allow_errors=True, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute(stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return times


def worker_seconds(course, assignment, field="seconds"):
    folder = course / "reports" / assignment / "students"
    return [json.load(open(p)).get(field, 0.0) for p in sorted(folder.glob("*.json"))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--assignment", default="00_warmup")
    parser.add_argument("--workers", type=int, default=0, help="autograder workers (default: one per core)")
    parser.add_argument("--keep", action="store_true", help="keep the course copies")
    args = parser.parse_args(argv)
    a = args.assignment
    base = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    load_before = os.getloadavg()
    print(f"building a class of {args.students} submissions of {a} in {base} ...", flush=True)
    course, kinds = build(base, a, args.students)
    copies = {name: copy_course(course, base / name) for name in ("nbgrader", "parallel", "full", "serial")}
    n = len(kinds)
    workers = args.workers or os.cpu_count()
    ag = BIN / "autograder"
    figures = {"students": n, "assignment": a, "cores": os.cpu_count(), "workers": workers}

    print("nbgrader autograde (serial) ...", flush=True)
    figures["nbgrader_autograde_s"], _ = run([BIN / "nbgrader", "autograde", a, "--force"], copies["nbgrader"])
    t_fb, _ = run([BIN / "nbgrader", "generate_feedback", a, "--force"], copies["nbgrader"])
    t_ex, _ = run([BIN / "nbgrader", "export"], copies["nbgrader"])
    figures["nbgrader_feedback_export_s"] = t_fb + t_ex

    print("autograder grade (grading only) ...", flush=True)
    figures["autograder_grading_s"], _ = run([ag, "grade", a, "--workers", workers, "--no-feedback", "--no-report",
                                              "--quiet"], copies["parallel"])
    print("autograder grade (full: feedback, grades.csv, report) ...", flush=True)
    figures["autograder_full_s"], proc = run([ag, "grade", a, "--workers", workers, "--quiet"], copies["full"])
    print("autograder grade --workers 1 (per-submission cost) ...", flush=True)
    figures["autograder_one_worker_s"], _ = run([ag, "grade", a, "--workers", 1, "--no-feedback", "--no-report",
                                                 "--quiet"], copies["serial"])
    print("nbclient alone (serial) ...", flush=True)
    bare = nbclient_times(copies["nbgrader"], a)

    reference = scores(copies["nbgrader"], a)
    identical = {name: scores(copies[name], a) == reference for name in ("parallel", "full", "serial")}
    one = worker_seconds(copies["serial"], a)
    figures.update({
        "identical_scores": identical,
        "speedup_grading": figures["nbgrader_autograde_s"] / figures["autograder_grading_s"],
        "speedup_full": (figures["nbgrader_autograde_s"] + figures["nbgrader_feedback_export_s"])
        / figures["autograder_full_s"],
        "nbgrader_per_submission_s": figures["nbgrader_autograde_s"] / n,
        "nbclient_per_submission_s": statistics.mean(bare),
        "autograder_per_submission_s": statistics.mean(one),
        "checker_per_submission_s": statistics.mean(worker_seconds(copies["serial"], a, "checker_seconds")),
        "autograder_wall_per_submission_s": figures["autograder_grading_s"] / n,
        "load_average_before": load_before, "load_average_after": os.getloadavg(),
    })
    figures["overhead_vs_nbclient"] = figures["autograder_per_submission_s"] / figures["nbclient_per_submission_s"]
    out = REPO / "bench_results"
    out.mkdir(exist_ok=True)
    (out / "bench_grading.json").write_text(json.dumps(figures, indent=1))

    f = figures
    print()
    print(f"{n} submissions of {a}, {f['cores']} cores, {workers} autograder workers "
          f"(load average {load_before[0]:.2f} before, {f['load_average_after'][0]:.2f} after)")
    print(f"  nbgrader autograde, serial          {f['nbgrader_autograde_s']:7.1f} s  "
          f"({f['nbgrader_per_submission_s']:.2f} s per submission)")
    print(f"  autograder grade, grading only      {f['autograder_grading_s']:7.1f} s  "
          f"-> {f['speedup_grading']:.2f}x faster")
    print(f"  nbgrader autograde+feedback+export  {f['nbgrader_autograde_s'] + f['nbgrader_feedback_export_s']:7.1f} s")
    print(f"  autograder grade, full command      {f['autograder_full_s']:7.1f} s  -> {f['speedup_full']:.2f}x faster")
    print(f"  per submission: nbclient alone {f['nbclient_per_submission_s']:.3f} s, autograder (one worker, "
          f"sandboxed, nbgrader pipeline, checker) {f['autograder_per_submission_s']:.3f} s "
          f"-> {f['overhead_vs_nbclient']:.2f}x; of which test cells in the checker "
          f"{f['checker_per_submission_s']:.3f} s")
    print(f"  identical scores to nbgrader, student by student and item by item: "
          f"{'yes' if all(identical.values()) else 'NO ' + str(identical)}")
    print(f"  figures: {out / 'bench_grading.json'}")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    else:
        print(f"  courses kept in {base}")
    return 0 if all(identical.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
