"""The tamper guard inside a student's kernel (imported by the grader before any student cell runs).

nbgrader runs the tests in the student's own kernel, so student code can replace what the tests rely
on.  At kernel start, before any student code, :func:`install` records the genuine objects: every
attribute of ``matcalc`` and its submodules (functions with their code), ``numpy``, ``numpy.testing``,
``numpy.linalg``, ``math``, ``builtins`` (``AssertionError`` ...), and the IPython/ipykernel machinery that
decides whether a cell failed (input and AST transformers, ``run_cell``, traceback display, the message
sender).  It also adds an audit hook (which cannot be removed) that refuses and records opening the
course's protected files (solutions, gradebook, other submissions) and notes searches for the grader's
objects (``gc.get_referrers`` ...) and ``ctypes``.

Before and after each graded test cell the grader asks :func:`check` -- through a silent request that
never enters the student's history -- what changed.  The answer is signed with a key that only the
grader and this module know, so a replaced ``check`` cannot answer for it.  Names bound by the locked
(instructor) cells -- ``np``, ``mc``, helper functions such as ``f`` -- are recorded after each locked cell
(:func:`after_locked`); a test that uses one of them fails if student code rebound it.

This is a tripwire, not a wall: code in the same process can in principle undo anything here.  What it
catches is every route the course has seen (monkeypatching checks, ``np.allclose`` or ``AssertionError``,
rewriting cells before they run, hiding failures), and each is named in the results.
"""
import hashlib
import hmac
import json
import os
import sys
import threading

PROTECTED_MODULES = ("matcalc", "numpy", "numpy.testing", "numpy.linalg", "math", "builtins")
VOLATILE_BUILTINS = {"_", "__", "___", "exit", "quit", "get_ipython", "display", "__IPYTHON__", "copyright",
                     "credits", "license", "help", "__builtins__", "dreload", "__debug__"}
SHELL_METHODS = ("run_cell", "run_cell_async", "_run_cell", "run_ast_nodes", "run_code", "transform_cell",
                 "transform_ast", "showtraceback", "_showtraceback", "showsyntaxerror", "user_expressions",
                 "should_run_async", "get_exception_only", "_get_exc_info")
KERNEL_METHODS = ("do_execute", "execute_request", "send_response")
LIBRARY_PREFIXES = ("IPython", "ipykernel", "matplotlib", "matplotlib_inline", "jupyter_client", "traitlets",
                    "ipywidgets", "comm")
FATAL_EVENTS = {
    "gc.get_objects": "searched the grader's objects in memory (gc.get_objects)",
    "gc.get_referrers": "searched the grader's objects in memory (gc.get_referrers)",
    "gc.get_referents": "searched the grader's objects in memory (gc.get_referents)",
    "ctypes.dlopen": "used ctypes, which can rewrite the grader's checks in memory",
    "ctypes.dlsym": "used ctypes, which can rewrite the grader's checks in memory",
    "ctypes.cdata": "used ctypes, which can rewrite the grader's checks in memory",
}

_guard = None


def _qualname(obj):
    return getattr(obj, "__qualname__", None) or repr(obj)


def _function_state(value):
    code = getattr(value, "__code__", None)
    if code is None:
        return None
    return (code, getattr(value, "__defaults__", None), getattr(value, "__kwdefaults__", None))


class _Guard:
    def __init__(self, secret, forbidden, allowed):
        self._mac = hmac.new(secret, digestmod=hashlib.sha256)  # keeps no copy of the key itself
        self.forbidden = tuple(p.rstrip(os.sep) for p in forbidden)
        self.allowed = tuple(p.rstrip(os.sep) for p in allowed)
        self.events = []  # (kind, words), in order, never cleared
        self._busy = threading.local()
        self.protected_names = {}  # name -> (object, cell label)
        self._before = None
        import IPython
        self.shell = IPython.get_ipython()
        self.user_ns = self.shell.user_ns if self.shell is not None else {}
        self.modules = {}
        for name in PROTECTED_MODULES:
            try:
                __import__(name)
            except ImportError:
                continue
        _import_all("matcalc")
        for name, module in list(sys.modules.items()):
            if module is not None and (name in PROTECTED_MODULES or name.startswith("matcalc.")):
                self.modules[name] = (module, self._module_state(name, module))
        self.hooks = self._hook_state()

    # -- what is recorded ------------------------------------------------------------------------
    def _module_state(self, name, module):
        state = {}
        deep = name == "matcalc" or name.startswith("matcalc.")
        for attr, value in list(vars(module).items()):
            if name == "builtins" and attr in VOLATILE_BUILTINS:
                continue
            state[attr] = (value, _function_state(value))
            if deep and isinstance(value, type) and getattr(value, "__module__", "").startswith("matcalc"):
                for cattr, cvalue in list(vars(value).items()):
                    state[f"{attr}.{cattr}"] = (cvalue, _function_state(getattr(cvalue, "__func__", cvalue)))
        return state

    def _hook_state(self):
        """What decides whether a cell failed: ("obj", x) identities, ("method", f, overridden), ("list", xs)."""
        shell = self.shell
        state = {"sys.displayhook": ("obj", sys.displayhook), "sys.excepthook": ("obj", sys.excepthook),
                 "sys.modules": ("obj", sys.modules)}
        if shell is None:
            return state

        def method(owner, name):
            return ("method", getattr(type(owner), name, None), name in vars(owner))

        for name in SHELL_METHODS:
            state[f"IPython shell.{name}"] = method(shell, name)
        kernel = getattr(shell, "kernel", None)
        if kernel is not None:
            for name in KERNEL_METHODS:
                state[f"kernel.{name}"] = method(kernel, name)
            session = getattr(kernel, "session", None)
            if session is not None:
                for name in ("send", "serialize", "sign"):
                    state[f"kernel session.{name}"] = method(session, name)
        for name in ("user_ns", "InteractiveTB", "SyntaxTB", "CustomTB", "custom_exceptions", "displayhook",
                     "display_pub", "input_transformer_manager", "compile"):
            state[f"IPython shell.{name}"] = ("obj", getattr(shell, name, None))
        for name in ("input_transformers_cleanup", "input_transformers_post", "ast_transformers"):
            state[f"IPython {name.replace('_', ' ')}"] = ("list", list(getattr(shell, name, []) or []))
        manager = getattr(shell, "input_transformer_manager", None)
        for name in ("cleanup_transforms", "line_transforms", "token_transformers"):
            state[f"IPython input {name.replace('_', ' ')}"] = ("list", list(getattr(manager, name, []) or []))
        return state

    # -- what changed ------------------------------------------------------------------------------
    def problems(self, names=()):
        found = []
        for name, (module, state) in self.modules.items():
            if sys.modules.get(name) is not module:
                found.append(f"the module {name} was replaced in sys.modules")
                continue
            current = vars(module)
            for attr, (value, fstate) in state.items():
                if "." in attr:
                    cls_name, cattr = attr.split(".", 1)
                    cls = current.get(cls_name)
                    now = vars(cls).get(cattr, _MISSING) if isinstance(cls, type) else _MISSING
                else:
                    now = current.get(attr, _MISSING)
                if now is not value:
                    what = "removed" if now is _MISSING else "replaced"
                    found.append(f"{name}.{attr} was {what}")
                elif fstate is not None and _function_state(getattr(now, "__func__", now)) != fstate:
                    found.append(f"the code of {name}.{attr} was changed")
        found += self._hook_problems()
        if sys.gettrace() is not None:
            found.append("a trace function (sys.settrace) is active while tests run")
        if sys.getprofile() is not None:
            found.append("a profile function (sys.setprofile) is active while tests run")
        for name in names:
            if name in self.protected_names:
                value, label = self.protected_names[name]
                if self.user_ns.get(name, _MISSING) is not value:
                    found.append(f"`{name}`, defined by the locked cell {label} and used by this test, was redefined")
        return found

    def _hook_problems(self):
        found = []
        now = self._hook_state()
        for key, before in self.hooks.items():
            after = now.get(key, ("obj", _MISSING))
            if before[0] == "list":
                added = [x for x in after[1] if not any(x is y for y in before[1])]
                removed = [y for y in before[1] if not any(x is y for x in after[1])]
                if removed or any(not _is_library(x) for x in added):
                    found.append(f"{key} were changed (code could be rewritten before it runs)")
            elif before[0] == "method":
                if after[1] is not before[1] or after[2] != before[2]:
                    found.append(f"{key} was replaced")
            elif after[1] is not before[1] and after[1] != before[1]:
                found.append(f"{key} was replaced")
        shell = self.shell
        if shell is not None:
            for event, callbacks in getattr(shell.events, "callbacks", {}).items():
                for callback in callbacks:
                    if not _is_library(callback):
                        found.append(f"an IPython '{event}' event callback was registered ({_qualname(callback)})")
        return found

    # -- the audit hook ----------------------------------------------------------------------------
    def audit(self, event, args):
        if getattr(self._busy, "on", False):
            return
        self._busy.on = True
        try:
            if event in ("open", "os.listdir", "os.scandir", "os.chdir", "shutil.copyfile", "shutil.copytree",
                         "os.rename", "os.remove", "os.symlink", "os.link", "os.truncate"):
                path = args[0] if args else None
                if isinstance(path, (str, bytes, os.PathLike)) and self._forbidden(path):
                    words = f"tried to access {os.fsdecode(path)} ({event})"
                    self._note("fatal", words)
                    raise PermissionError(13, "Permission denied (the grader protects this file)", os.fsdecode(path))
            elif event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn"):
                text = " ".join(_strings(args))
                if any(p in text for p in self.forbidden):
                    self._note("fatal", f"started a program that reaches protected course files ({text[:200]})")
            elif event in FATAL_EVENTS:
                self._note("fatal", FATAL_EVENTS[event])
        finally:
            self._busy.on = False

    def _forbidden(self, path):
        try:
            path = os.path.realpath(os.fsdecode(path))
        except (OSError, ValueError):
            return False
        if any(path == a or path.startswith(a + os.sep) for a in self.allowed):
            return False
        return any(path == f or path.startswith(f + os.sep) for f in self.forbidden)

    def _note(self, kind, words):
        if (kind, words) not in self.events:
            self.events.append((kind, words))

    # -- answers to the grader ---------------------------------------------------------------------
    def answer(self, nonce, payload):
        body = json.dumps(payload, sort_keys=True)
        mac = self._mac.copy()
        mac.update((nonce + body).encode())
        return f"{nonce}:{mac.hexdigest()}:{body}"


class _Missing:
    def __repr__(self):
        return "<missing>"


_MISSING = _Missing()


def _strings(value):
    if isinstance(value, (str, bytes)):
        yield os.fsdecode(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _import_all(package):
    """Import every submodule of ``package`` so that all of them are recorded."""
    import importlib
    import pkgutil
    try:
        root = importlib.import_module(package)
    except ImportError:
        return
    for info in pkgutil.walk_packages(getattr(root, "__path__", []), package + "."):
        try:
            importlib.import_module(info.name)
        except Exception:  # noqa: BLE001 - a broken optional submodule is simply not protected
            pass


def _is_library(obj):
    module = getattr(obj, "__module__", None) or getattr(type(obj), "__module__", "") or ""
    return module.split(".")[0] in LIBRARY_PREFIXES


def install(secret, forbidden=(), allowed=()):
    """Record the genuine objects and start the audit hook (called once, before any student code)."""
    global _guard
    if _guard is not None:
        raise RuntimeError("the guard is installed already")
    _guard = _Guard(secret.encode(), forbidden, allowed)
    this = sys.modules[__name__]
    _guard.modules[__name__] = (this, _guard._module_state(__name__, this))
    sys.addaudithook(_guard.audit)
    return "installed"


def check(nonce, names=()):
    """Signed report of what changed since install: ``nonce:mac:json``."""
    g = _guard
    return g.answer(nonce, {"problems": g.problems(names), "events": g.events})


def before_locked():
    """Remember the identities in the user namespace before a locked cell runs."""
    g = _guard
    g._before = {k: id(v) for k, v in g.user_ns.items()}
    return "ok"


def after_locked(label):
    """Names the locked cell bound or rebound are now protected for the tests that use them."""
    g = _guard
    before = g._before or {}
    for name, value in list(g.user_ns.items()):
        if not name.startswith("_") and before.get(name) != id(value):
            g.protected_names[name] = (value, label)
    return "ok"
