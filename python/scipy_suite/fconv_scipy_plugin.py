"""pytest plugin: run SciPy's own tests with fconv's functions in place of SciPy's.

Loaded by run.py (pytest -p fconv_scipy_plugin). At configure time, before SciPy's test
modules are imported, it replaces the attributes of the scipy.signal and scipy.ndimage modules
named in SUBSTITUTED by fconv's, so the tests' `from scipy.signal import convolve`,
`signal.convolve(...)` and `ndimage.correlate(...)` (and parametrize lists built at import)
all call fconv. SciPy's own internals keep calling SciPy (they use their private modules'
globals), so a test that compares fconv with another SciPy function still has an independent
reference.

Selection: a test is *applicable* when its own source, or a helper it calls (self._x or a
module-level function), uses a substituted name; the rest of each file tests other SciPy
functions and is deselected. Applicable tests listed in exclusions.txt (node-id pattern and
reason) are skipped with that reason; run.py reports every count and fails on stale patterns.
With --fconv-fast, tests SciPy marks slow are then left out (SciPy's default selection), after
the exclusions were matched against the full selection.
"""

import inspect
import os
import re

import pytest

SUBSTITUTED = {
    "scipy.signal": ["convolve", "correlate", "fftconvolve", "oaconvolve", "convolve2d",
                     "correlate2d", "choose_conv_method", "correlation_lags"],
    "scipy.ndimage": ["correlate", "convolve", "correlate1d", "convolve1d"],
}

HERE = os.path.dirname(os.path.abspath(__file__))
_NAMES = sorted({n for v in SUBSTITUTED.values() for n in v}, key=len, reverse=True)
# a bare name (imported into the test module) or signal.NAME / ndimage.NAME; never np.NAME
_USE = re.compile(r"(?:(?<![\w.])|(?<=\bsignal\.)|(?<=\bndimage\.))(%s)\b(?!\s*=)"
                  % "|".join(_NAMES))


def matches(test_id, pattern):
    """fnmatch-like with `*` as the only wildcard (test ids contain brackets)."""
    rx = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(rx, test_id) is not None


def load_exclusions(path=os.path.join(HERE, "exclusions.txt")):
    """[(pattern, reason)] from exclusions.txt: `node-id pattern | reason` per line."""
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            pat, _, reason = line.partition("|")
            out.append((pat.strip(), reason.strip()))
    return out


MATCHED = set()        # exclusion patterns that matched a selected test (read by run.py)
SLOW_LEFT_OUT = []     # selected tests not run because of --fconv-fast


def pytest_addoption(parser):
    parser.addoption("--fconv-fast", action="store_true",
                     help="leave out the tests SciPy marks slow")


def pytest_configure(config):
    import importlib

    import fconv.ndimage
    import fconv.signal
    ours = {"scipy.signal": fconv.signal, "scipy.ndimage": fconv.ndimage}
    # One thread: ctest runs several suites side by side on few cores; more threads only add
    # scheduling work there (results do not depend on the thread count; tests/ checks that).
    fconv.set_default_threads(1)
    for modname, names in SUBSTITUTED.items():
        mod = importlib.import_module(modname)
        for n in names:
            setattr(mod, n, getattr(ours[modname], n))
    config.fconv_exclusions = load_exclusions()
    config.fconv_deselected = 0
    config.fconv_selected = []


def _source(obj):
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return ""


_USES = {}  # (class, function) -> bool: parametrized tests share the answer


def _uses_fconv(item):
    fn = getattr(item, "function", None)
    if fn is None:
        return False
    key = (item.cls, getattr(fn, "__func__", fn))
    if key not in _USES:
        _USES[key] = _uses_fconv_uncached(item, fn)
    return _USES[key]


def _uses_fconv_uncached(item, fn):
    src = _source(fn)
    texts = [src]
    for name in set(re.findall(r"\bself\.(\w+)", src)):
        texts.append(_source(getattr(item.cls, name, None)) if item.cls else "")
    mod = item.module
    for name in set(re.findall(r"\b(_?\w+)\(", src)):
        obj = getattr(mod, name, None)
        if inspect.isfunction(obj) and obj.__module__ == mod.__name__:
            texts.append(_source(obj))
    return any(_USE.search(t) for t in texts)


def _short_id(item):
    # node ids relative to the SciPy package: signal/tests/test_x.py::Class::test[param]
    path = str(item.fspath)
    cut = path.rfind(os.sep + "scipy" + os.sep)
    rel = path[cut + len("/scipy/"):] if cut >= 0 else os.path.basename(path)
    return rel + "::" + item.nodeid.split("::", 1)[1]


def pytest_collection_modifyitems(session, config, items):
    keep, drop = [], []
    for item in items:
        (keep if _uses_fconv(item) else drop).append(item)
    config.fconv_deselected = len(drop)
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep
    for item in keep:
        sid = _short_id(item)
        item.user_properties.append(("fconv_id", sid))
        for pat, reason in config.fconv_exclusions:
            if matches(sid, pat):
                MATCHED.add(pat)
                item.add_marker(pytest.mark.skip(reason="fconv exclusion: " + reason))
                break
        config.fconv_selected.append(sid)
    if config.getoption("fconv_fast"):
        slow = [item for item in keep if item.get_closest_marker("slow")]
        SLOW_LEFT_OUT.extend(_short_id(item) for item in slow)
        if slow:
            config.hook.pytest_deselected(items=slow)
            items[:] = [item for item in keep if not item.get_closest_marker("slow")]
