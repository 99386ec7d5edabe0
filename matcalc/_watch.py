"""Notice when graded code calls matcalc's own numerical or reference routines.

While a check runs the student's derivative function, :func:`watching` is
active; every routine decorated with :func:`watched` records its name, so the
check can reject a gradient that was not derived analytically.
"""
import contextlib
import functools
import threading

_state = threading.local()


def watched(func):
    """Record calls to ``func`` made while a check is watching."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        calls = getattr(_state, "calls", None)
        if calls is not None:
            calls.append(f"{func.__module__.split('.')[0]}.{func.__name__}")
            # Nested routines (jacobian -> gradient) are recorded once.
            _state.calls = None
            try:
                return func(*args, **kwargs)
            finally:
                _state.calls = calls
        return func(*args, **kwargs)

    return wrapper


@contextlib.contextmanager
def watching():
    """Collect the names of watched routines called inside the block."""
    outer = getattr(_state, "calls", None)
    _state.calls = calls = []
    try:
        yield calls
    finally:
        _state.calls = outer
