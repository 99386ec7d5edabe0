"""Notice when graded code calls matcalc's own numerical or reference routines.

While a check (or the grader's bridge) runs the student's derivative function, :func:`watching` is
active; every routine decorated with :func:`watched` records its name -- from any thread, since a
routine started in a thread of the student's is still the student's -- so the check can reject a
gradient that was not derived analytically.
"""
import contextlib
import functools
import threading

_calls = None                   # the list being collected (process-wide), or None
_inside = threading.local()     # per thread: inside a watched routine (nested ones are recorded once)


def watched(func):
    """Record calls to ``func`` made while a check is watching."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        calls = _calls
        if calls is None or getattr(_inside, "active", False):
            return func(*args, **kwargs)
        calls.append(f"{func.__module__.split('.')[0]}.{func.__name__}")
        _inside.active = True
        try:
            return func(*args, **kwargs)
        finally:
            _inside.active = False

    return wrapper


@contextlib.contextmanager
def watching():
    """Collect the names of watched routines called inside the block."""
    global _calls
    outer = _calls
    _calls = calls = []
    try:
        yield calls
    finally:
        _calls = outer
