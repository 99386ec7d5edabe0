"""Command line of the instructor toolkit: ``autograder COMMAND ...``.

Nothing heavy is imported at module load (nbgrader takes seconds to import): ``--help`` and argument
errors answer at once, and each command imports what it needs.
"""
import argparse
import sys


def _limits(args):
    from .grade import Limits
    limits = Limits()
    for name in ("timeout", "cell_timeout", "memory_mb"):
        value = getattr(args, name, None)
        if value is not None:
            setattr(limits, name, value)
    return limits


def parser():
    """The argument parser; ``--course DIR`` is accepted before or after the command."""
    course = argparse.ArgumentParser(add_help=False)
    course.add_argument("--course", metavar="DIR", default=argparse.SUPPRESS,
                        help="the course folder, the one holding nbgrader_config.py (default: the current "
                             "folder or the nearest one above it)")
    top = argparse.ArgumentParser(prog="autograder", parents=[course],
                                  description="Grading tools for the Matrix Calculus course.")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, help):
        return commands.add_parser(name, help=help, description=help, parents=[course])

    rel = command("release", "solutions/ -> exercises/ (nbgrader generate_assignment)")
    rel.add_argument("assignments", nargs="*", help="assignment names (default: all)")
    rel.add_argument("--no-db", action="store_true", help="do not record the assignments in the gradebook")

    grd = command("grade", "grade a class in parallel, sandboxed, into nbgrader's gradebook")
    grd.add_argument("assignment")
    grd.add_argument("--submissions", help="nbgrader's submitted/ layout (STUDENT/ASSIGNMENT/*.ipynb) or a folder "
                                           "of uploads named by student (alice.ipynb, bob.zip); default: submitted/")
    grd.add_argument("--workers", type=int, default=0, help="parallel workers (default: one per core)")
    grd.add_argument("--timeout", type=int, help="wall-clock seconds per notebook (default 600)")
    grd.add_argument("--cell-timeout", type=int, help="seconds per cell (default: Execute.timeout of the course)")
    grd.add_argument("--memory-mb", type=int, help="memory limit of a student's kernel (default 2048)")
    grd.add_argument("--force", action="store_true", help="re-grade students whose submission was graded already")
    grd.add_argument("--no-feedback", action="store_true", help="do not generate feedback")
    grd.add_argument("--no-report", action="store_true", help="do not write the report")
    grd.add_argument("--keep-scratch", action="store_true", help="keep the scratch courses (debugging)")
    grd.add_argument("--quiet", action="store_true", help="no progress bar")
    grd.add_argument("--scheduler", help="grade on the workers of this Dask cluster (tcp://HOST:PORT)")
    grd.add_argument("--scheduler-file", help="... or of the Dask cluster this scheduler file describes")

    val = command("validate", "student side: run a notebook's tests, exit 1 if any fails")
    val.add_argument("notebook")
    val.add_argument("--timeout", type=int, default=300, help="wall-clock seconds for the notebook")
    val.add_argument("--cell-timeout", type=int, default=60, help="seconds per cell")
    val.add_argument("--json", action="store_true", help="print the result as JSON (for the Validate button)")

    fbk = command("feedback", "feedback again (e.g. after manual grading), hidden tests removed")
    fbk.add_argument("assignment")
    fbk.add_argument("students", nargs="*", help="only these students (default: all autograded)")

    rep = command("report", "score histogram, pass rate per item, most frequent diagnoses")
    rep.add_argument("assignment")

    demo = command("demo", "grade a generated sample class end to end (a newcomer's tour)")
    demo.add_argument("--students", type=int, default=30, help="size of the sample class")
    demo.add_argument("--into", help="course folder to build the demo in (default: a new temporary folder)")
    demo.add_argument("--assignment", default="00_warmup")
    demo.add_argument("--workers", type=int, default=0)
    return top


def main(argv=None):
    args = parser().parse_args(argv)
    from .course import CourseError, find_root
    try:
        if args.command == "validate":
            from .validate import main as validate_main
            return validate_main(args.notebook, timeout=args.timeout, cell_timeout=args.cell_timeout,
                                 as_json=args.json)
        try:
            root = find_root(getattr(args, "course", "."))
        except CourseError as exc:
            raise CourseError(f"{exc}, or name it with --course DIR") from None
        if args.command == "release":
            from .release import release
            release(root, args.assignments, record=not args.no_db)
        elif args.command == "grade":
            from .grade import Settings, grade
            settings = Settings(workers=args.workers, limits=_limits(args), force=args.force,
                                feedback=not args.no_feedback, report=not args.no_report,
                                keep_scratch=args.keep_scratch, scheduler=args.scheduler or "",
                                scheduler_file=args.scheduler_file or "")
            outcome = grade(root, args.assignment, args.submissions, settings, progress=not args.quiet)
            if outcome.get("interrupted"):
                return 130
            if any(r.status.value == "error" for r in outcome["results"].values()):
                return 2
        elif args.command == "feedback":
            from .course import load_api
            from .feedback import regenerate
            return 0 if regenerate(load_api(root), args.assignment, args.students) else 2
        elif args.command == "report":
            from .course import load_api
            from .report import diagnosis_lines, graded_data, summarize, write
            api = load_api(root)
            data = graded_data(api, args.assignment)  # CourseError: not graded yet, or no such assignment
            write(api, args.assignment, data=data)
            for line in diagnosis_lines(summarize(data)):
                print("  " + line)
        elif args.command == "demo":
            from .demo import demo
            demo(root, students=args.students, into=args.into, assignment=args.assignment, workers=args.workers)
    except CourseError as exc:
        print(f"autograder: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("autograder: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
