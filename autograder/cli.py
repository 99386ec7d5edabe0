"""Command line of the instructor toolkit: ``autograder COMMAND ...``."""
import argparse
import sys

from .course import CourseError, find_root
from .release import release


def main(argv=None):
    parser = argparse.ArgumentParser(prog="autograder", description="Grading tools for the Matrix Calculus course.")
    parser.add_argument("--course", default=".", help="course folder (default: the one holding nbgrader_config.py)")
    commands = parser.add_subparsers(dest="command", required=True)
    rel = commands.add_parser("release", help="solutions/ -> exercises/ (nbgrader generate_assignment)")
    rel.add_argument("assignments", nargs="*", help="assignment names (default: all)")
    rel.add_argument("--no-db", action="store_true", help="do not record the assignments in the gradebook")
    args = parser.parse_args(argv)
    try:
        root = find_root(args.course)
        if args.command == "release":
            release(root, args.assignments, record=not args.no_db)
    except CourseError as exc:
        print(f"autograder: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
