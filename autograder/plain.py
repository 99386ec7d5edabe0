"""Plain data across the boundary between a student's kernel and the trusted checker.

Only these cross, as JSON text: ``None``, ``bool``, ``int``, ``float`` (``nan``/``inf`` included), ``str``,
lists, tuples, dicts with string keys, and numpy arrays of numbers or booleans (sent as raw bytes, received
as an exact ``np.ndarray``).  Numpy scalars travel as Python numbers.  A callable handed to a student's
function travels as a numbered reference that is called back in the checker.

:func:`encode` runs on both sides (in the student's kernel it may have been rewritten by the student: the
checker trusts nothing it produces); :func:`decode` runs in the checker and is strict: anything that is not
exactly one of the shapes above raises :class:`NotPlain`, with words for a student.
"""
import base64
import json
import math
import types

import numpy as np

DTYPES = {"b1", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8", "c8", "c16"}
MAX_DEPTH = 32
MAX_BYTES = 64 << 20  # one message; a larger answer is not a derivative a test asks for


class NotPlain(TypeError):
    """A value that cannot cross (a student's object, a rigged array, a malformed message)."""


def describe(value):
    """'a MyArray (a subclass of numpy.ndarray)', 'a Tensor', 'a generator', for messages."""
    kind = type(value)
    name = getattr(kind, "__qualname__", "object")
    if isinstance(value, np.ndarray) and kind is not np.ndarray:
        return f"a {name} (a subclass of numpy.ndarray)"
    return f"a {name}"


def encode(value, callables=None, _depth=0):
    """``value`` as JSON-ready data; callables are numbered into ``callables`` (a list) when given."""
    if _depth > MAX_DEPTH:
        raise NotPlain("nested too deeply")
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return value if math.isfinite(value) else {"$": "float", "v": repr(value)}
    if isinstance(value, np.generic) and kind.__module__ == "numpy":
        if kind is np.bool_:
            return bool(value)
        if np.issubdtype(kind, np.integer):
            return int(value)
        if np.issubdtype(kind, np.floating):
            return encode(float(value))
        if np.issubdtype(kind, np.complexfloating):
            return encode(np.asarray(value), callables, _depth)
    if kind is np.ndarray:
        dtype = value.dtype
        code = f"{dtype.kind}{dtype.itemsize}"
        if code not in DTYPES:
            raise NotPlain(f"a numpy array of dtype {dtype}")
        data = np.ascontiguousarray(value).astype(dtype.newbyteorder("<"), copy=False).tobytes()
        return {"$": "nd", "dtype": code, "shape": list(value.shape), "data": base64.b64encode(data).decode(),
                "ro": not value.flags.writeable}
    if kind in (list, tuple):
        items = [encode(v, callables, _depth + 1) for v in value]
        return items if kind is list else {"$": "tuple", "items": items}
    if kind is dict:
        if not all(type(k) is str for k in value):
            raise NotPlain("a dict whose keys are not all strings")
        return {"$": "dict", "items": {k: encode(v, callables, _depth + 1) for k, v in value.items()}}
    if callables is not None and callable(value):
        callables.append(value)
        return {"$": "callable", "id": len(callables) - 1}
    back = getattr(value, "__checker_id__", None) if isinstance(value, types.FunctionType) else None
    if type(back) is int:  # a checker's callable handed back to it (the student side's stub of it)
        return {"$": "callable", "id": back}
    raise NotPlain(describe(value))


def dumps(value, callables=None):
    return json.dumps(encode(value, callables), allow_nan=False, separators=(",", ":"))


def decode(data, make_callable=None, _depth=0):
    """The value ``data`` (parsed JSON) stands for; strict about every shape and size."""
    if _depth > MAX_DEPTH:
        raise NotPlain("nested too deeply")
    kind = type(data)
    if data is None or kind in (bool, int, float, str):
        return data
    if kind is list:
        return [decode(v, make_callable, _depth + 1) for v in data]
    if kind is not dict:
        raise NotPlain(f"malformed data ({kind.__name__})")
    tag = data.get("$")
    if tag == "float" and set(data) == {"$", "v"} and data["v"] in ("nan", "inf", "-inf"):
        return float(data["v"])
    if tag == "tuple" and set(data) == {"$", "items"} and type(data["items"]) is list:
        return tuple(decode(v, make_callable, _depth + 1) for v in data["items"])
    if tag == "dict" and set(data) == {"$", "items"} and type(data["items"]) is dict:
        return {str(k): decode(v, make_callable, _depth + 1) for k, v in data["items"].items()}
    if tag == "nd" and set(data) == {"$", "dtype", "shape", "data", "ro"}:
        return _array(data)
    if tag == "callable" and make_callable is not None and set(data) == {"$", "id"} and type(data["id"]) is int:
        return make_callable(data["id"])
    raise NotPlain("malformed data")


def _array(data):
    code, shape, text = data["dtype"], data["shape"], data["data"]
    if code not in DTYPES or type(shape) is not list or type(text) is not str or type(data["ro"]) is not bool:
        raise NotPlain("a malformed array")
    if not all(type(n) is int and 0 <= n for n in shape) or len(shape) > 32:
        raise NotPlain("an array with a malformed shape")
    dtype = np.dtype("<" + code)
    raw = base64.b64decode(text, validate=True)
    if len(raw) != math.prod(shape) * dtype.itemsize:
        raise NotPlain("an array whose data does not match its shape")
    array = np.frombuffer(raw, dtype=dtype).astype(dtype.newbyteorder("="), copy=True).reshape(shape)
    if data["ro"]:
        array.setflags(write=False)
    return array


def loads(text, make_callable=None):
    if not isinstance(text, str) or len(text) > MAX_BYTES:
        raise NotPlain("a message larger than the grader accepts")
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise NotPlain(f"malformed data ({exc})") from None
    return decode(data, make_callable)


def _no_constant(name):
    raise ValueError(f"bare {name}")
