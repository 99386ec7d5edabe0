"""Checked reference implementations (each is verified numerically in tests/).

Graded work may not call these: while a check runs, a call to any of them is
noticed and the answer is rejected (see ``matcalc._watch``).
"""
from .neural import *  # noqa: F401,F403
from .neural import __all__ as _neural
from .optimize import *  # noqa: F401,F403
from .optimize import __all__ as _optimize

__all__ = [*_optimize, *_neural]
