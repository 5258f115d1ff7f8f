"""fconv.Stream: streaming (block by block) multi-channel convolution, fconv_stream_*."""

import numpy as np

from . import _core, _engine
from ._plan import _lookup, backend_code

_PARTITIONING = {"auto": 0, "uniform": 1, "nonuniform": 2}


def _grid(responses):
    """responses as (outputs, inputs, flat list of 1-D arrays, row-major)."""
    if isinstance(responses, np.ndarray) or np.isscalar(responses) or (
            len(responses) and np.isscalar(responses[0])):
        a = np.asarray(responses)
        if a.ndim == 1:
            return 1, 1, [a]
        if a.ndim == 3:
            return a.shape[0], a.shape[1], [a[o, i] for o in range(a.shape[0])
                                            for i in range(a.shape[1])]
        raise ValueError("responses must be a 1-D array (one path), an (outputs, inputs, "
                         "length) array, or outputs rows of inputs 1-D arrays; got an array of "
                         "%d dimensions" % a.ndim)
    if len(responses) == 0:
        raise ValueError("responses: at least one response is needed")
    rows = []
    for r in responses:
        if isinstance(r, np.ndarray) or np.isscalar(r) or (len(r) and np.isscalar(r[0])):
            raise ValueError("responses: each row must be a sequence of 1-D arrays (one per "
                             "input), e.g. [[h00, h01], [h10, h11]]")
        rows.append([np.asarray(h) for h in r])
    outputs, inputs = len(rows), len(rows[0])
    if inputs == 0 or any(len(r) != inputs for r in rows):
        raise ValueError("responses: every output row needs one response per input (%d)"
                         % inputs)
    flat = [h for r in rows for h in r]
    if any(h.ndim != 1 for h in flat):
        raise ValueError("responses: each response must be a 1-D array")
    return outputs, inputs, flat


class Stream(_core.Stream):
    """Streaming convolution: endless multi-channel signals filtered block by block with no
    latency beyond the block (convolution reverb, long FIR filters), fconv_stream_*.

    Stream(responses, block, dtype=None, *, max_response_length=0, partitioning='auto',
           max_partition=0, backend='auto', measure=False, even_load=False, worker=False)

    responses: one 1-D array (one input, one output), an (outputs, inputs, length) array, or
        `outputs` rows of `inputs` 1-D arrays of any lengths (row o, column i: the response from
        input i to output o). Output o is the sum over inputs i of response[o][i] convolved
        with input i.
    block: samples per channel per block (B).  dtype: float32, float64, complex64 or
        complex128 (default: the responses' dtype as fconv computes it).
    max_response_length: capacity for set_responses (0: the longest given).
    partitioning: 'auto', 'uniform' or 'nonuniform'; max_partition: largest partition in
        samples (0: the cost model's).  backend: 'auto', 'cpu', 'cuda'.  measure: FFTW_MEASURE
        plans.  even_load: FCONV_STREAM_FLAG_EVEN_LOAD.  worker: FCONV_STREAM_FLAG_WORKER, the
        large partitions' work done ahead by stream.work() called from a thread of yours.

    stream.process(x, out=None) -> y: x holds inputs x (n * B) samples ((inputs, n*B), or 1-D
    for one input), y outputs x (n * B) ((outputs, n*B), or 1-D for a 1-D x and one output):
    n blocks in a row, the GIL released. The concatenated outputs are the leading samples of
    the full convolution of the concatenated inputs. stream.reset() forgets the input;
    stream.set_responses(responses, crossfade=0) swaps the responses between blocks (crossfade:
    samples of linear fade); stream.info is fconv_stream_get_info as a dict; close() / with.
    One thread at a time may call process/reset/set_responses (they serialise on a lock);
    work() may run on another thread meanwhile.
    """

    def __init__(self, responses, block, dtype=None, *, max_response_length=0,
                 partitioning="auto", max_partition=0, backend="auto", measure=False,
                 even_load=False, worker=False):
        outputs, inputs, flat = _grid(responses)
        if dtype is None:
            dtype = _engine.compute_dtype(np.result_type(*flat) if flat else np.float64)
        try:
            code = _engine.dtype_code(dtype)
        except (KeyError, TypeError):
            raise ValueError("dtype must be float32, float64, complex64 or complex128, got %r"
                             % (dtype,)) from None
        flags = ((_core.FLAG_MEASURE if measure else 0)
                 | (_core.STREAM_FLAG_EVEN_LOAD if even_load else 0)
                 | (_core.STREAM_FLAG_WORKER if worker else 0))
        super().__init__(int(block), inputs, outputs, code, flat, int(max_response_length),
                         _lookup(_PARTITIONING, partitioning, "partitioning"),
                         int(max_partition), backend_code(backend), flags)

    @property
    def block(self):
        return self._shape[0]

    @property
    def inputs(self):
        return self._shape[1]

    @property
    def outputs(self):
        return self._shape[2]

    @property
    def dtype(self):
        return _engine.DTYPES[self._shape[3]]

    def process(self, x, out=None):
        x = np.asarray(x)
        flat_in = x.ndim == 1
        if flat_in:
            if self.inputs != 1:
                raise ValueError("a 1-D signal needs a one-input stream (this one has %d inputs)"
                                 % self.inputs)
            x = x[np.newaxis]
        if x.ndim != 2 or x.shape[0] != self.inputs:
            raise ValueError("x must have shape (inputs=%d, n * block), got %s"
                             % (self.inputs, x.shape))
        x = np.ascontiguousarray(x, dtype=self.dtype)
        flat_out = flat_in and self.outputs == 1
        shape = (x.shape[1],) if flat_out else (self.outputs, x.shape[1])
        if out is None:
            out = np.empty(shape, self.dtype)
        elif not isinstance(out, np.ndarray) or out.shape != shape:
            raise ValueError("out must be an array of shape %s" % (shape,))
        super().process(x, out)
        return out

    def set_responses(self, responses, crossfade=0):
        outputs, inputs, flat = _grid(responses)
        if (outputs, inputs) != (self.outputs, self.inputs):
            raise ValueError("set_responses needs %d x %d responses (outputs x inputs), got "
                             "%d x %d" % (self.outputs, self.inputs, outputs, inputs))
        super().set_responses(flat, int(crossfade))

    def __repr__(self):
        if self.closed:
            return "<fconv.Stream (closed)>"
        i = self.info
        return ("<fconv.Stream %s block %d, %d -> %d channels, %d partitions in %d levels on "
                "%s>" % (self.dtype, self.block, self.inputs, self.outputs, i["partitions"],
                         i["levels"], i["backend"]))
