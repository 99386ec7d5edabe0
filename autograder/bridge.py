"""The student kernel's end of a call from the trusted checker (runs in the student's interpreter).

The grader executes ``bridge.names()`` or ``bridge.call('<request>')`` silently in the student's kernel;
everything goes back over the kernel's stdin channel (``input()``), as plain data (:mod:`autograder.plain`).
A callable the checker passed in becomes a stub here that asks the checker to run it.  Nothing here is
trusted: a student can rewrite this module, and then only sends the checker different plain data.
"""
import builtins
import json
import traceback
import types

from . import plain

MARK = "\x1eautograder:"  # the prompt of an input request that carries a message for the grader
HIDDEN = {"In", "Out", "get_ipython", "exit", "quit", "open"}


def _send(message):
    return builtins.input(MARK + json.dumps(message, allow_nan=False, separators=(",", ":")))


def _namespace():
    return get_ipython().user_ns  # noqa: F821 - IPython's builtin in a kernel


def names():
    """Report the student's names: callables, modules and data (the checker proxies the first)."""
    kinds = {}
    for name, value in list(_namespace().items()):
        if name.startswith("_") or name in HIDDEN or name in vars(builtins):
            continue
        kinds[name] = ("module" if isinstance(value, types.ModuleType)
                       else "callable" if callable(value) else "data")
    _send({"names": kinds})


def fetch(name):
    """Send the value of a data name."""
    try:
        _send({"result": plain.encode(_namespace()[name])})
    except plain.NotPlain as exc:
        _send({"unplain": str(exc)})
    except KeyError:
        _send({"raised": {"type": "NameError", "message": f"name '{name}' is not defined", "traceback": ""}})


def _stub(number, label):
    def callback(*args, **kwargs):
        reply = json.loads(_send({"callback": number, "args": plain.encode(list(args)),
                                  "kwargs": plain.encode(dict(kwargs))}))
        if "raised" in reply:
            kind = getattr(builtins, reply["raised"]["type"], None)
            if not (isinstance(kind, type) and issubclass(kind, Exception)):
                kind = RuntimeError
            raise kind(reply["raised"]["message"])
        return plain.decode(reply["result"])

    callback.__name__ = callback.__qualname__ = label
    callback.__checker_id__ = number  # handed back to the checker, it is the checker's own callable again
    return callback


def _blocker(name, record):
    def blocked(*args, **kwargs):
        record.append(name)
        raise RuntimeError(f"{name} is not available while your function is being graded")

    blocked.__name__ = name
    return blocked


def call(request):
    """Run the student's function ``request['name']`` on decoded copies of the arguments; send the outcome."""
    request = json.loads(request)
    namespace = _namespace()
    name = request["name"]
    stubs = {}

    def make_stub(number):
        return stubs.setdefault(number, _stub(number, f"callback_{number}"))

    try:
        function = namespace[name]
    except KeyError:
        _send({"raised": {"type": "NameError", "message": f"name '{name}' is not defined", "traceback": ""}})
        return
    args = plain.decode(request["args"], make_stub)
    kwargs = plain.decode(request["kwargs"], make_stub)
    helpers = {k: make_stub(v) for k, v in request.get("helpers", {}).items()}
    target = getattr(function, "__globals__", namespace)
    called = []
    swapped = dict(helpers)
    swapped.update({n: _blocker(n, called) for n in request.get("block", []) if n in target and n not in helpers})
    from matcalc import _watch
    from matcalc.grading import rebound
    used = []
    try:
        with rebound(target, swapped), _watch.watching() as used:
            value = function(*args, **kwargs)
        outcome = {"result": plain.encode(value)}
    except plain.NotPlain as exc:
        outcome = {"unplain": str(exc)}
    except BaseException as exc:  # noqa: BLE001 - the checker decides what it means
        try:
            message = str(exc)
        except BaseException:  # noqa: BLE001
            message = "(an exception whose message could not be shown)"
        outcome = {"raised": {"type": type(exc).__name__, "message": message[:4000],
                              "traceback": "".join(traceback.format_exception(exc)[-6:])[-4000:]}}
    if used or called:
        outcome = {"violation": sorted(set(used) | set(called))}
    _send(outcome)
