"""benchcase.py -- the case grammar, geometry and a scalar oracle, in Python.

The same grammar as bench/bench_core.h (fconv_bench), so peers.py times the very problems
fconv_bench measured and report.py can read the CSVs:

  RANKd:DTYPE:SHAPE:kKSHAPE[@KIND]:MODE:METHOD:BACKEND[:bN][:kbN][:sN[xN..]][:corr][:BOUNDARY]
      [:CALL][:dev]

KIND (rand, decay, disk, gauss, box) is the kernel's content, CALL (exec, reuse, oneshot) how
fconv_bench calls fconv; see bench_core.h. A "problem" is a case without METHOD, BACKEND, CALL
and dev (5 positional fields, then options); the kernel kind belongs to the problem.
Only the standard library is needed here (numpy only inside the oracle and make_kernel).
"""

import math
import re

DTYPES = ("f32", "f64", "c64", "c128")
MODES = ("full", "same", "valid")
METHODS = ("auto", "direct", "fft", "os")
BACKENDS = ("auto", "cpu", "cuda")
BOUNDARIES = ("zero", "wrap", "symmetric", "mirror", "replicate")
KERNEL_KINDS = ("rand", "decay", "disk", "gauss", "box")
CALLS = ("exec", "reuse", "oneshot")
ESIZE = {"f32": 4, "f64": 8, "c64": 8, "c128": 16}
EXTENT_MAX = 1 << 40


class CaseError(ValueError):
    pass


def _extent(tok):
    m = re.fullmatch(r"2\^(\d+)", tok)
    if m:
        e = int(m.group(1))
        if e > 40:
            raise CaseError("extent %r too large" % tok)
        return 1 << e
    if not re.fullmatch(r"\d+", tok):
        raise CaseError("bad extent %r" % tok)
    v = int(tok)
    if v == 0 or v > EXTENT_MAX:
        raise CaseError("extent %r out of range" % tok)
    return v


def _shape(tok, rank):
    parts = tok.split("x")
    vals = [_extent(p) for p in parts]
    if len(vals) == 1:
        vals = vals * rank
    if len(vals) != rank:
        raise CaseError("shape %r needs %d extents" % (tok, rank))
    return tuple(vals)


class Case:
    """One problem (and optionally method/backend)."""

    def __init__(self):
        self.rank = 1
        self.dtype = "f32"
        self.n = (1,)
        self.k = (1,)
        self.mode = "full"
        self.method = None
        self.backend = None
        self.batch = 1
        self.kernel_batch = 1
        self.stride = (1,)
        self.op = "conv"
        self.boundary = "zero"
        self.dev = False
        self.kernel_kind = "rand"
        self.call = None

    # ---- strings ----------------------------------------------------------------------------
    def _kernel(self):
        return "x".join(map(str, self.k)) + ("" if self.kernel_kind == "rand" else
                                               "@" + self.kernel_kind)

    def problem(self):
        s = "%dd:%s:%s:k%s:%s" % (self.rank, self.dtype, "x".join(map(str, self.n)),
                                  self._kernel(), self.mode)
        return s + self._options()

    def case(self):
        s = "%dd:%s:%s:k%s:%s:%s:%s" % (self.rank, self.dtype, "x".join(map(str, self.n)),
                                        self._kernel(), self.mode,
                                        self.method or "auto", self.backend or "auto")
        call = ":" + self.call if self.call in ("reuse", "oneshot") else ""
        return s + self._options() + call + (":dev" if self.dev else "")

    def _options(self):
        s = ""
        if self.batch != 1:
            s += ":b%d" % self.batch
        if self.kernel_batch != 1:
            s += ":kb%d" % self.kernel_batch
        if any(v != 1 for v in self.stride):
            if all(v == self.stride[0] for v in self.stride):
                s += ":s%d" % self.stride[0]
            else:
                s += ":s" + "x".join(map(str, self.stride))
        if self.op == "corr":
            s += ":corr"
        if self.boundary != "zero":
            s += ":" + self.boundary
        return s

    # ---- geometry (rule 2-7 of fconv.h) -----------------------------------------------------
    @property
    def is_complex(self):
        return self.dtype in ("c64", "c128")

    @property
    def swapped(self):
        return self.mode == "valid" and not all(k <= n for n, k in zip(self.n, self.k))

    def pads(self):
        """Per axis (p0, p1) of the operand that is extended (after a VALID swap)."""
        ks = self.n if self.swapped else self.k
        out = []
        for k in ks:
            if self.mode == "full":
                out.append((k - 1, k - 1))
            elif self.mode == "same":
                out.append((k // 2, (k - 1) // 2))
            else:
                out.append((0, 0))
        return out

    def out_shape(self):
        big, small = (self.k, self.n) if self.swapped else (self.n, self.k)
        res = []
        for nn, kk, (p0, p1), s in zip(big, small, self.pads(), self.stride):
            length = nn + p0 + p1 - kk + 1
            res.append((length - 1) // s + 1)
        return tuple(res)

    @property
    def count(self):
        return max(self.batch, self.kernel_batch)

    @property
    def taps(self):
        return math.prod(self.n if self.swapped else self.k)

    @property
    def outputs(self):
        return self.count * math.prod(self.out_shape())

    def bytes_moved(self):
        return ESIZE[self.dtype] * (self.batch * math.prod(self.n) +
                                    self.kernel_batch * math.prod(self.k) + self.outputs)

    def flops(self):
        return (8.0 if self.is_complex else 2.0) * self.outputs * self.taps

    def log2_len(self):
        return sum(math.log2(n + k - 1) for n, k in zip(self.n, self.k))

    def tolerance(self):
        eps = 1.1920928955078125e-07 if self.dtype in ("f32", "c64") else 2.220446049250313e-16
        return 8.0 * eps * (self.log2_len() + math.sqrt(self.taps) + 1.0)

    def __repr__(self):
        return "Case(%s)" % self.case()


def parse(s, allow_star=False, problem_only=False):
    """Parse a case (7 positional fields) or, with problem_only, a problem (5 fields)."""
    if not isinstance(s, str) or not s or len(s) >= 256:
        raise CaseError("empty or too long case")
    t = s.split(":")
    npos = 5 if problem_only else 7
    if len(t) < npos or len(t) > 16:
        raise CaseError("%r: needs %d positional fields" % (s, npos))
    c = Case()
    if not re.fullmatch(r"[123]d", t[0]):
        raise CaseError("%r: rank must be 1d, 2d or 3d" % s)
    c.rank = int(t[0][0])
    if t[1] not in DTYPES:
        raise CaseError("%r: bad dtype" % s)
    c.dtype = t[1]
    c.n = _shape(t[2], c.rank)
    if not t[3].startswith("k"):
        raise CaseError("%r: kernel shape must start with k" % s)
    kshape, _, kind = t[3][1:].partition("@")
    if "@" in t[3] and kind not in KERNEL_KINDS:
        raise CaseError("%r: kernel kind %r must be one of %s" % (s, kind, ", ".join(KERNEL_KINDS)))
    c.kernel_kind = kind or "rand"
    c.k = _shape(kshape, c.rank)
    if t[4] not in MODES:
        raise CaseError("%r: bad mode" % s)
    c.mode = t[4]
    if not problem_only:
        if t[5] not in METHODS and not (allow_star and t[5] == "*"):
            raise CaseError("%r: bad method" % s)
        if t[6] not in BACKENDS and not (allow_star and t[6] == "*"):
            raise CaseError("%r: bad backend" % s)
        c.method, c.backend = t[5], t[6]
    c.stride = (1,) * c.rank
    seen = set()
    for o in t[npos:]:
        if o.startswith("kb"):
            key, c.kernel_batch = "kb", _extent(o[2:])
        elif re.fullmatch(r"b\d.*", o):
            key, c.batch = "b", _extent(o[1:])
        elif re.fullmatch(r"s\d.*", o):
            key, c.stride = "s", _shape(o[1:], c.rank)
        elif o in ("corr", "conv"):
            key, c.op = "op", o
        elif o == "dev":
            key, c.dev = "dev", True
        elif o in CALLS and not problem_only:
            key, c.call = "call", o
        elif o in BOUNDARIES:
            key, c.boundary = "boundary", o
        else:
            raise CaseError("%r: unknown option %r" % (s, o))
        if key in seen:
            raise CaseError("%r: option %r given twice" % (s, o))
        seen.add(key)
    if c.kernel_batch not in (1, c.batch) and c.batch != 1:
        raise CaseError("%r: bad kernel batch" % s)
    if c.mode == "valid":
        le = all(k <= n for n, k in zip(c.n, c.k))
        ge = all(k >= n for n, k in zip(c.n, c.k))
        if not (le or ge):
            raise CaseError("%r: VALID needs one operand to contain the other" % s)
    return c


def parse_problem(s):
    """A problem string (5 fields) or a full case string: returns the Case."""
    try:
        return parse(s, problem_only=True)
    except CaseError:
        return parse(s)


# ---- kernel content (the grammar's @KIND; the same definitions as bench_fill_kernel) ---------

def make_kernel(c, rng, real):
    """The case's kernel_batch kernels, shape (kernel_batch, *k), dtype real or complex of real.
    rand: uniform [-1, 1) noise; decay: the noise times 10^(-3 r), r the normalised distance from
    the first tap (-60 dB at the far end: a reverb impulse response); disk: ones inside the
    ellipse inscribed in the kernel box; gauss: exp(-d^2/2), sigma = (K-1)/8 per axis from the
    centre, sum 1; box: 1/taps. The deterministic kinds are real and equal across the batch."""
    import numpy as np
    shape = (c.kernel_batch,) + tuple(c.k)
    kind = c.kernel_kind

    def noise():
        a = rng.uniform(-1.0, 1.0, size=shape).astype(real)
        if c.is_complex:
            a = a + 1j * rng.uniform(-1.0, 1.0, size=shape).astype(real)
        return a
    if kind == "rand":
        return np.ascontiguousarray(noise())
    grids = np.meshgrid(*[np.arange(k, dtype=np.float64) for k in c.k], indexing="ij")
    r2 = d2 = e2 = 0.0
    for x, k in zip(grids, c.k):
        span = k - 1 if k > 1 else 1.0
        centre = (k - 1) / 2.0
        sigma = (k - 1) / 8.0 if k > 1 else 1.0
        r2 = r2 + (x / span) ** 2
        d2 = d2 + ((x - centre) / (k / 2.0)) ** 2
        e2 = e2 + ((x - centre) / sigma) ** 2
    if kind == "decay":
        return np.ascontiguousarray(noise() * (10.0 ** (-3.0 * np.sqrt(r2 / c.rank))).astype(real))
    if kind == "disk":
        v = (d2 <= 1.0).astype(np.float64)
    elif kind == "gauss":
        v = np.exp(-0.5 * e2)
        v = v / v.sum()
    else:  # box
        v = np.full(tuple(c.k), 1.0 / math.prod(c.k))
    v = np.broadcast_to(v.astype(real), shape)
    if c.is_complex:
        v = v.astype(np.complex64 if real == np.float32 else np.complex128)
    return np.ascontiguousarray(v)


# ---- the scalar oracle ----------------------------------------------------------------------

def ext_index(i, n, boundary):
    """Index map of the extended signal (numpy arrays of positions i); -1 for a zero."""
    import numpy as np
    i = np.asarray(i)
    inside = (i >= 0) & (i < n)
    if boundary == "zero":
        r = np.where(inside, i, -1)
    elif boundary == "wrap":
        r = np.mod(i, n)
    elif boundary == "symmetric":
        r = np.mod(i, 2 * n)
        r = np.where(r < n, r, 2 * n - 1 - r)
    elif boundary == "mirror":
        if n == 1:
            r = np.zeros_like(i)
        else:
            r = np.mod(i, 2 * n - 2)
            r = np.where(r < n, r, 2 * n - 2 - r)
    else:  # replicate
        r = np.clip(i, 0, n - 1)
    return np.where(inside, i, r)


def oracle_point(c, x, h, item, t):
    """Output element t (user rank) of item `item`, in complex128. x: (batch, *n), h: (kb, *k)."""
    import numpy as np
    xs = x[0 if c.batch == 1 else item].astype(np.complex128)
    hs = h[0 if c.kernel_batch == 1 else item].astype(np.complex128)
    if c.swapped:
        a = np.conj(hs[(slice(None, None, -1),) * c.rank]) if c.op == "corr" else hs
        w = xs[(slice(None, None, -1),) * c.rank]
        bnd = "zero"
    else:
        a = xs
        w = np.conj(hs) if c.op == "corr" else hs[(slice(None, None, -1),) * c.rank]
        bnd = c.boundary
    pads = c.pads()
    idx, mask = [], np.ones(w.shape, dtype=bool)
    for ax in range(c.rank):
        pos = t[ax] * c.stride[ax] + np.arange(w.shape[ax]) - pads[ax][0]
        m = ext_index(pos, a.shape[ax], bnd)
        shape = [1] * c.rank
        shape[ax] = w.shape[ax]
        mask = mask & (m >= 0).reshape(shape)
        idx.append(np.maximum(m, 0))
    win = a[np.ix_(*idx)]
    return complex(np.sum(np.where(mask, win, 0) * w))
