"""Submissions by a student who tries to get points without the right answer, on any assignment.

Each attack replaces one graded solution cell (its function is found by name in the master notebook) with
code that answers wrongly and tries to make the test pass anyway.  The classes (issue #10):

* forged results: the function publishes a value through the display hook / display publisher, then fails;
* values that lie: an ndarray subclass or an object whose comparisons, arithmetic and ``__array__`` agree
  with anything;
* names the tests look up: builtins shadowed, the test cells' own helpers and modules rebound, matcalc's
  checks and numpy's comparisons patched, a patch that re-applies itself before every cell;
* "derived analytically" evaded: matcalc's numerical routines called directly, from a thread, on a copy of
  the differentiated function's code, or reached through the caller's frame;
* leaks: a later cell prints ``In``/history and searches memory for hidden tests; HTML and JavaScript
  outputs that would run in the feedback page.
"""
import ast
import re

import nbformat

SOLUTION_REGION = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n", re.M)


def graded_functions(source_nb):
    """{solution cell grade_id: the name of the function it defines} for code solution cells."""
    found = {}
    for cell in source_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution") and not meta.get("grade"):
            tree = ast.parse(SOLUTION_REGION.sub("", cell.source))
            names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
            if names:
                found[meta["grade_id"]] = names[0]
    return found


def checked_function(source_nb, functions):
    """(solution cell, function) of the first graded function a test checks with matcalc, else the first."""
    tests = [c.source for c in source_nb.cells
             if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")]
    for cell, name in functions.items():
        if any(re.search(rf"check_\w+\(\s*{name}\b", t) for t in tests):
            return cell, name
    return next(iter(functions.items()))


def names_in_tests(released_nb):
    """Every name a released test cell defines or uses at module level (the attack rebinds them all)."""
    names = set()
    for cell in released_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
            names |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    return sorted(n for n in names if n.isidentifier() and not n.startswith("__"))


FORGE = '''
def {name}(*args, **kwargs):
    ip = get_ipython()
    ip.display_pub.publish({{"text/plain": "1.0"}})
    ip.displayhook(1.0)
    from IPython.display import display
    display(1.0)
    raise ValueError("the answer was published above")
'''

LIAR_ARRAY = '''
import numpy as _np
class Liar(_np.ndarray):
    def __eq__(self, other): return _np.ones(_np.shape(other), bool)
    __ne__ = lambda self, other: _np.zeros(_np.shape(other), bool)
    def __sub__(self, other): return _np.zeros(_np.shape(other))
    __rsub__ = __add__ = __radd__ = __sub__
    def __abs__(self): return self
    def __array__(self, *a, **k): return _np.zeros(1)
def {name}(*args, **kwargs):
    return _np.zeros(3).view(Liar)
'''

LIAR_OBJECT = '''
class Anything:
    shape = property(lambda self: ())
    def __eq__(self, other): return True
    def __array__(self, *a, **k):
        import numpy
        return numpy.zeros(1)
    def __float__(self): return 0.0
    def __getattr__(self, name): return lambda *a, **k: self
def {name}(*args, **kwargs):
    return Anything()
'''

SHADOW = '''
import builtins, numpy, matcalc
abs = lambda x: 0 * numpy.asarray(x)
max = lambda *a, **k: 0.0
len = lambda x: 0
numpy.allclose = lambda *a, **k: True
numpy.testing.assert_allclose = lambda *a, **k: None
numpy.linalg.norm = lambda *a, **k: 0.0
matcalc.check_gradient = matcalc.check_jacobian = matcalc.check_hessian = lambda *a, **k: None
matcalc.rel_error = lambda *a, **k: 0.0
builtins.AssertionError = type("AssertionError", (Exception,), {{}})
{rebind}
def _reapply(*a, **k):
    numpy.allclose = lambda *a, **k: True
    matcalc.check_gradient = lambda *a, **k: None
get_ipython().events.register("pre_run_cell", _reapply)
def {name}(*args, **kwargs):
    return numpy.zeros(3)
'''

NUMERICAL = '''
import matcalc as _m
def {name}(x, *args, **kwargs):
    return _m.numerical_gradient(lambda v: 0.0, x)
'''

THREAD = '''
import threading, sys, matcalc as _m
def {name}(x, *args, **kwargs):
    box = []
    def work():
        sys.setprofile(None)
        box.append(_m.numerical_gradient(lambda v: float(v.sum()), x))
    t = threading.Thread(target=work)
    t.start(); t.join()
    return box[0]
'''

FRAME = '''
import sys
def {name}(*args, **kwargs):
    frame = sys._getframe(1)
    while frame is not None:
        for key in ("f", "expected", "right", "answer", "grad", "G"):
            if key in frame.f_locals:
                return frame.f_locals[key]
        frame = frame.f_back
    raise LookupError("nothing to copy")
'''

LEAK = '''
import gc
print("HISTORY", In)
found = [o for o in gc.get_objects() if isinstance(o, str) and "HIDDEN TESTS" in o]
print("FOUND", found)
from IPython.display import HTML, Javascript, display
display(HTML("<script>document.title='pwned-html'</script><b id=pwned>x</b>"))
display(Javascript("document.title='pwned-js'"))
'''

LEAK_MARKDOWN = "My answer <script>document.title='pwned-md'</script> [link](javascript:alert(1))"


def attack(kind, name, released_nb=None):
    """The source of a solution cell that attacks ``name``'s test with ``kind``."""
    template = {"forge": FORGE, "liar_array": LIAR_ARRAY, "liar_object": LIAR_OBJECT, "shadow": SHADOW,
                "numerical": NUMERICAL, "thread": THREAD, "frame": FRAME}[kind]
    rebind = ""
    if kind == "shadow" and released_nb is not None:
        rebind = "\n".join(f"{n} = lambda *a, **k: None" for n in names_in_tests(released_nb)
                           if n not in ("np", "mc", "numpy", "matcalc", name) and n.isidentifier())
    return template.format(name=name, rebind=rebind)


KINDS = ("forge", "liar_array", "liar_object", "shadow", "numerical", "thread", "frame")


def leaking(nb):
    """``nb`` with a last cell that prints history and memory and shows HTML/JS, and an HTML written answer."""
    nb.cells.append(nbformat.v4.new_code_cell(LEAK))
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("solution"):
            cell.source = LEAK_MARKDOWN
    return nb
