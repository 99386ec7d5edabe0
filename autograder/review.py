"""Solution code an instructor should look at: numerical differentiation and reaching into the grader.

Nothing here changes a score -- a student may legitimately write ``f(x + h)`` in a scratch check -- but
graded derivatives must be derived, so the results and the report list what looks like a way around that.
"""
import ast

SMALL = 1e-2           # a constant this small, added to an argument, is a finite-difference step
STEP_NAMES = {"h", "eps", "epsilon", "delta", "dx", "step", "tiny"}
INTERNALS = {"sys._getframe": "reads the caller's frame", "sys.setprofile": "changes the profiler",
             "sys.settrace": "changes the tracer", "inspect": "inspects frames or sources",
             "gc": "walks the garbage collector", "ctypes": "uses ctypes", "importlib": "imports by path",
             "threading": "starts threads", "autograder": "reaches into the grader",
             "get_ipython": "reaches into the kernel", "builtins": "changes builtins",
             "__code__": "copies a function's code", "FunctionType": "builds functions from code",
             "exec": "runs generated code", "eval": "runs generated code",
             "numerical_": "calls a numerical derivative"}


def flags(source):
    """Short descriptions of what in ``source`` looks like numerical differentiation or grader tampering."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub) and _is_shifted_call(node.left) \
                and (_is_shifted_call(node.right) or isinstance(node.right, ast.Call)):
            found.append("finite differences (f(x + h) − f(…))")
        elif isinstance(node, ast.Constant) and isinstance(node.value, complex):
            found.append("a complex step (1j)")
        else:
            name = _dotted(node)
            for key, words in INTERNALS.items():
                if name and (name == key or name.endswith("." + key) or name.startswith(key + ".")
                             or (key.endswith("_") and key in name)):
                    found.append(f"{words} ({name})")
    return list(dict.fromkeys(found))


def _is_shifted_call(node):
    if not isinstance(node, ast.Call):
        return False
    for arg in node.args:
        for sub in ast.walk(arg):
            if isinstance(sub, ast.BinOp) and isinstance(sub.op, (ast.Add, ast.Sub)):
                for side in (sub.left, sub.right):
                    if isinstance(side, ast.Name) and side.id.lower() in STEP_NAMES:
                        return True
                    if isinstance(side, ast.Constant) and isinstance(side.value, float) and 0 < abs(side.value) < SMALL:
                        return True
    return False


def _dotted(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    if isinstance(node, ast.alias):
        return node.name
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return getattr(node, "module", None) or ""
    return ""
