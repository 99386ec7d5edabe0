"""Instructor-side reference answers of graded items, checked numerically in ``tests/test_reference_*.py``.

They live here, in the test suite, because they are complete answers of graded assignment items (08's
gradient descent, 09's Newton, 11-14's sigmoid, losses, forward and backward passes): nothing a student
imports may hold them.  ``matcalc`` ships only the numerical routines and checks; lectures write out what
they demonstrate.  ``tests/test_reference_leaks.py`` fails if any of these bodies shows up in a released
notebook or in ``matcalc``.
"""
from .neural import *  # noqa: F401,F403
from .neural import __all__ as _neural
from .optimize import *  # noqa: F401,F403
from .optimize import __all__ as _optimize

__all__ = [*_optimize, *_neural]
