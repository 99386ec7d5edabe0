"""What test cells use to call a student's function, the same way in a plain kernel and under the grader.

When an instructor grades, test cells run in a separate checker process and a student's function there is a
proxy of the one in the student's kernel (:mod:`autograder.checker`); in a student's own kernel it is the
function itself.  These helpers work with either.
"""
import contextlib


class StudentError(Exception):
    """An exception a student's function raised that is not one of Python's builtin exceptions."""

    def __init__(self, type_name, message):
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name


def with_helpers(function, **helpers):
    """``function`` to be called with the given names bound to ``helpers`` in its namespace, then restored.

        with_helpers(train, predict=correct_predict, loss=correct_loss)(X, y, lr=0.1)

    So a test of ``train`` does not also test the student's ``predict``: one mistake costs one item.
    """
    bind = getattr(function, "__with_helpers__", None)
    if bind is not None:  # a proxy under the grader: the binding happens in the student's kernel
        return bind(helpers)

    def call(*args, **kwargs):
        with rebound(function.__globals__, helpers):
            return function(*args, **kwargs)

    return call


@contextlib.contextmanager
def rebound(namespace, values):
    """``namespace`` (a dict) with ``values`` bound for the block; what was there before comes back."""
    missing = object()
    saved = {name: namespace.get(name, missing) for name in values}
    namespace.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value

