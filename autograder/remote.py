"""The first step of every grading task on a Dask worker: can this machine grade like the coordinator?

:func:`run` is sent to the workers *by value* (``cloudpickle.register_pickle_by_value``), and its
payload is opaque bytes, so it starts even on a worker where ``autograder`` is missing or different.
It compares the worker's course environment (Python, nbgrader, numpy, and a fingerprint of the
``autograder`` and ``matcalc`` sources) with the coordinator's, checks that the worker process may
start the processes grading needs, and only then hands the shipment to the installed
:func:`autograder.cluster.grade_shipment`.
A worker that cannot grade answers ``{"unfit": worker, "cause": words}`` instead of a result.

Standard library only: this module must load where the course environment does not.
"""
import hashlib
import importlib
import os
import platform
import sys

PACKAGES = ("autograder", "matcalc")


def environment():
    """What must be the same on the coordinator and every worker: {name: version or source fingerprint}."""
    found = {"python": "%d.%d" % sys.version_info[:2]}
    for name in PACKAGES:
        folder = os.path.dirname(importlib.import_module(name).__file__)
        h = hashlib.sha256()
        for base, dirs, files in sorted(os.walk(folder)):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for file in sorted(f for f in files if f.endswith(".py")):
                path = os.path.join(base, file)
                h.update(os.path.relpath(path, folder).encode() + b"\0")
                with open(path, "rb") as fh:
                    h.update(hashlib.sha256(fh.read()).digest())
        found[name] = "source " + h.hexdigest()[:12]
    for name in ("nbgrader", "numpy"):  # the grading pipeline, and the arithmetic every score depends on
        found[name] = importlib.import_module(name).__version__
    return found


def where():
    """This Dask worker's address and host, for messages."""
    try:
        from distributed import get_worker
        address = get_worker().address
    except Exception:  # noqa: BLE001 - not inside a Dask worker (a direct call)
        address = f"pid {os.getpid()}"
    return f"Dask worker {address} on {platform.node()}"


def unfit_cause(expected):
    """Why this process cannot grade like the coordinator (None when it can)."""
    try:
        found = environment()
    except Exception as exc:  # noqa: BLE001 - a missing or broken course package
        return (f"the course environment is not importable here ({type(exc).__name__}: {exc}); "
                f"install the course (pip install -e . in the course folder) on every worker")
    differ = [f"{name} is {found.get(name)} here but {want} on the coordinator"
              for name, want in sorted(expected.items()) if found.get(name) != want]
    if differ:
        return "its course environment differs from the coordinator's: " + "; ".join(differ)
    import multiprocessing
    if multiprocessing.current_process().daemon:
        return ("it runs as a daemonic process, which may not start the grader's checker processes; "
                "start the worker with DASK_DISTRIBUTED__WORKER__DAEMON=False (or dask worker --no-nanny)")
    return None


def run(shipment, expected):
    """The grading task: check this worker, then grade the pickled shipment with the installed grader."""
    cause = unfit_cause(expected)
    if cause is None:
        from autograder import cluster
        try:
            return cluster.grade_shipment(shipment)
        except cluster.Unfit as exc:
            cause = str(exc)
    return {"unfit": where(), "cause": cause}
