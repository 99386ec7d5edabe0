"""The trusted checker: where test cells run when a notebook is graded or validated.

One checker process per notebook, forked from a warm parent (``multiprocessing``'s forkserver, with numpy
and matcalc imported).  It runs the notebook's given (locked, non-graded) cells and its test cells; student
code never runs in it.  A name the student defined is a :class:`Proxy` here: calling it asks the grader to
run the student's function in the student's kernel on copies of the arguments (:mod:`autograder.bridge`),
and the answer comes back as plain data (:mod:`autograder.plain`).  A test cell passes when it runs to its
end without an exception; that verdict, not anything the student's kernel shows, is what gets scored.

    grader process (SplitExecute) ──pipe──▶ checker: ("given", source) ("test", source, …) ("stop",)
                     ◀── ("call", request) ("fetch", name) ── a proxy needs the student's kernel
                     ──▶ ("outcome", json) ("callback_result", json) … ("ran", verdict)
"""
import ast
import builtins
import contextlib
import contextvars
import dis
import io
import json
import multiprocessing
import os
import sys
import traceback
import types

from . import plain

_CONTEXT = None
CHECKED = contextvars.ContextVar("checked", default=None)  # the function a matcalc check is differentiating
STUDENT_SOURCE = "the student's kernel"


def context():
    """The forkserver context every checker is forked from (started once per grading process)."""
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = multiprocessing.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(["numpy", "matcalc", "autograder.checker"])
    return _CONTEXT


# -- inside the checker process ---------------------------------------------------------------------

class Proxy:
    """A student's function, seen from the checker."""

    def __init__(self, checker, name):
        self._checker, self.__name__, self.__qualname__ = checker, name, name

    def __call__(self, *args, **kwargs):
        return self._checker.call(self.__name__, args, kwargs)

    def __with_helpers__(self, helpers):
        return lambda *args, **kwargs: self._checker.call(self.__name__, args, kwargs, helpers)

    def __repr__(self):
        return f"<your function {self.__name__}>"


class Unavailable:
    """A student's variable that could not cross (not plain data): any use of it raises, saying why."""

    def __init__(self, name, why):
        self._words = f"your variable {name} cannot be read by the grader: {why}"

    def _fail(self, *args, **kwargs):
        raise TypeError(self._words)

    __call__ = __getattr__ = __getitem__ = __iter__ = __len__ = __bool__ = __array__ = __float__ = _fail
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __matmul__ = _fail
    __eq__ = __lt__ = __gt__ = __le__ = __ge__ = __neg__ = __pow__ = _fail

    def __repr__(self):
        return f"<{self._words}>"


class Checker:
    def __init__(self, conn):
        self.conn = conn
        self.ns = {"__name__": "__main__", "__builtins__": builtins}
        self.trusted = set()       # names bound by given code or tests: never replaced by the student's
        self.student = {}          # name -> the Proxy or fetched value bound for the student
        self.notes = []
        _watch_checks()

    # the loop
    def serve(self):
        while True:
            try:
                message = self.conn.recv()
            except EOFError:
                return
            kind = message[0]
            if kind == "stop":
                return
            if kind == "given":
                self.conn.send(("ran", self.run(message[1], message[2], set(), {})))
            elif kind == "test":
                _, source, label, hidden, names = message
                self.conn.send(("ran", self.run(source, label, set(hidden), names)))

    def run(self, source, label, hidden, names):
        """Run a cell; return ``{"ok", "ename", "evalue", "traceback", "stdout"}``."""
        out = io.StringIO()
        verdict = {"ok": True, "stdout": ""}
        try:
            code = compile(_without_magics(source), f"<cell {label}>", "exec")
            self._bind(names, _names_in(source) | self._names_used_by_trusted())
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                exec(code, self.ns)
        except Exception as exc:  # noqa: BLE001 - a failing test is an ordinary outcome
            verdict = {"ok": False, "ename": type(exc).__name__, "evalue": str(exc),
                       "traceback": _traceback(exc, label, source, hidden)}
        finally:
            self._remember_trusted()
        verdict["stdout"] = out.getvalue()[-20000:]
        return verdict

    def _bind(self, names, wanted):
        for name in list(self.student):
            if name not in names and self.ns.get(name) is self.student[name]:
                del self.ns[name], self.student[name]
        for name, kind in names.items():
            if name in self.trusted or name.startswith("_") or hasattr(builtins, name) or kind == "module":
                continue
            if kind == "callable":
                value = self.student.get(name)
                value = value if isinstance(value, Proxy) else Proxy(self, name)
            elif name in wanted:
                try:
                    value = self._fetch(name)
                except Exception as exc:  # noqa: BLE001 - only a test that uses it fails, when it does
                    value = Unavailable(name, exc)
            else:
                continue
            self.ns[name] = self.student[name] = value

    def _remember_trusted(self):
        for name, value in self.ns.items():
            if name not in self.student or self.student[name] is not value:
                self.trusted.add(name)
                self.student.pop(name, None)

    def _names_used_by_trusted(self):
        used = set()
        for name in self.trusted:
            value = self.ns.get(name)
            if isinstance(value, types.FunctionType):
                used |= _code_names(value.__code__)
        return used

    # requests to the student's kernel
    def _fetch(self, name):
        self.conn.send(("fetch", name))
        return self._outcome(name, f"your variable {name}")

    def call(self, name, args, kwargs, helpers=None):
        callables = []
        try:
            request = {"name": name, "args": plain.encode(list(args), callables),
                       "kwargs": plain.encode(dict(kwargs), callables),
                       "helpers": {k: plain.encode(v, callables)["id"] for k, v in (helpers or {}).items()},
                       "block": self._blocked()}
        except (plain.NotPlain, TypeError, KeyError) as exc:
            raise TypeError(f"the test cannot send this argument to {name}: {exc} (a problem in the test, "
                            "not in your code: tell your instructor)") from None
        self.conn.send(("call", json.dumps(request, allow_nan=False)))
        return self._outcome(name, f"{name}(…)", callables)

    def _outcome(self, name, what, callables=()):
        while True:
            message = self.conn.recv()
            if message[0] == "callback":
                self.conn.send(("callback_result", _run_callback(callables, message[1])))
                continue
            if message[0] == "failed":  # the grader could not get an answer: timeout, dead kernel
                raise TimeoutError(message[1]) if message[2] == "timeout" else RuntimeError(message[1])
            return _decode_outcome(message[1], name, what)

    def _blocked(self):
        """Given functions the student's function may not call now: the one being differentiated."""
        checked = CHECKED.get()
        if checked is None:
            return []
        names = {getattr(checked, "__name__", "")} | _code_names(getattr(checked, "__code__", None))
        return sorted(n for n in names if n in self.trusted and callable(self.ns.get(n))
                      and not isinstance(self.ns.get(n), types.ModuleType))


def serve(conn, cwd):
    """The checker process's entry point."""
    import signal

    from .sandbox import PR_SET_PDEATHSIG, prctl
    try:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass
    os.chdir(cwd)
    os.environ["MPLBACKEND"] = "Agg"
    sys.stdin = open(os.devnull)
    Checker(conn).serve()


def _watch_checks():
    """matcalc's checks record the function they differentiate, so a proxied call can block it."""
    import matcalc
    from matcalc import checks

    def recording(check):
        def wrapper(derivative, f, *args, **kwargs):
            token = CHECKED.set(f)
            try:
                return check(derivative, f, *args, **kwargs)
            finally:
                CHECKED.reset(token)

        wrapper.__name__, wrapper.__doc__, wrapper.__wrapped__ = check.__name__, check.__doc__, check
        return wrapper

    for name in ("check_gradient", "check_jacobian", "check_hessian"):
        wrapped = recording(getattr(checks, name))
        setattr(checks, name, wrapped)
        setattr(matcalc, name, wrapped)


def _run_callback(callables, request):
    try:
        message = json.loads(request)
        function = callables[message["callback"]]
        args = plain.decode(message["args"], callables.__getitem__)
        kwargs = plain.decode(message["kwargs"], callables.__getitem__)
        if type(args) is not list or type(kwargs) is not dict:
            raise plain.NotPlain("malformed arguments")
        return json.dumps({"result": plain.encode(function(*args, **kwargs))}, allow_nan=False)
    except Exception as exc:  # noqa: BLE001 - the student's code sees the exception
        return json.dumps({"raised": {"type": type(exc).__name__, "message": str(exc)}})


def _decode_outcome(text, name, what):
    try:
        outcome = json.loads(text) if isinstance(text, str) and len(text) <= plain.MAX_BYTES else None
    except ValueError:
        outcome = None
    if type(outcome) is not dict or len(outcome) != 1:
        raise RuntimeError(f"{what}: the grader received no valid answer from {STUDENT_SOURCE}")
    (kind, value), = outcome.items()
    if kind == "result":
        try:
            return plain.decode(value)
        except plain.NotPlain as exc:
            raise TypeError(f"{what} returned {exc}; expected a number, a numpy array, or a "
                            "tuple, list or dict of those") from None
    if kind == "unplain" and type(value) is str:
        raise TypeError(f"{what} returned {value[:200]}; expected a number, a numpy array, or a tuple, list "
                        "or dict of those")
    if kind == "violation" and type(value) is list:
        called = ", ".join(str(v)[:80] for v in value[:5])
        raise AssertionError(f"{what} called {called} while being graded: graded derivatives must be derived "
                             "analytically, without matcalc's numerical routines and without "
                             "evaluating the function being differentiated")
    if kind == "raised" and type(value) is dict:
        return _raise_student(value, what)
    raise RuntimeError(f"{what}: the grader received no valid answer from {STUDENT_SOURCE}")


def _raise_student(raised, what):
    from matcalc import StudentError
    kind, message, student_tb = (str(raised.get(k, ""))[:4000] for k in ("type", "message", "traceback"))
    cls = getattr(builtins, kind, None) if kind.isidentifier() else None
    exc = None
    if isinstance(cls, type) and issubclass(cls, Exception) and cls.__module__ == "builtins":
        try:
            exc = cls(message)
        except Exception:  # noqa: BLE001 - exceptions with other constructors
            exc = None
    if exc is None:
        exc = StudentError(kind or "Exception", message)
    exc.__student_traceback__ = student_tb
    raise exc


def _without_magics(source):
    """IPython's ``%magic`` and ``!shell`` lines become ``pass`` (same line numbers): the checker is plain Python."""
    lines = []
    for line in source.split("\n"):
        body = line.lstrip()
        lines.append(line[:len(line) - len(body)] + "pass" if body.startswith(("%", "!")) else line)
    return "\n".join(lines)


def _names_in(source):
    try:
        tree = ast.parse(_without_magics(source))
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _code_names(code):
    """The global names a code object (and the functions nested in it) looks up."""
    if code is None:
        return set()
    names = {i.argval for i in dis.get_instructions(code) if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _traceback(exc, label, source, hidden):
    """The test cell's lines that led to the failure (hidden ones are not shown), then the message."""
    lines = source.split("\n")
    shown = ["Traceback (most recent call last):"]
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename != f"<cell {label}>":
            continue
        if frame.lineno in hidden:
            shown.append("  in the hidden tests")
        elif 0 < frame.lineno <= len(lines):
            shown.append(f"  test cell, line {frame.lineno}: {lines[frame.lineno - 1].strip()}")
    student = getattr(exc, "__student_traceback__", "")
    if student:
        shown.append("  in your code:\n" + "\n".join("    " + line for line in student.strip().splitlines()[-6:]))
    shown.append(f"\x1b[0;31m{type(exc).__name__}\x1b[0m: {exc}")
    return shown
