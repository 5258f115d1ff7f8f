"""Library statuses become exceptions: one class per status, the status value attached, the
library's explanation in the message."""

import numpy as np
import pytest

import fconv

CLASSES = {1: (fconv.InvalidArgumentError, ValueError),
           2: (fconv.UnsupportedError, NotImplementedError),
           3: (fconv.OutOfMemoryError, MemoryError),
           4: (fconv.NoDeviceError, None),
           5: (fconv.CudaError, None),
           6: (fconv.FFTError, None),
           7: (fconv.InternalError, None)}


def test_hierarchy():
    for status, (cls, builtin) in CLASSES.items():
        assert issubclass(cls, fconv.Error) and issubclass(cls, RuntimeError)
        if builtin is not None:
            assert issubclass(cls, builtin)
    assert len({c for c, _ in CLASSES.values()}) == 7


def test_status_strings_are_the_librarys():
    seen = set()
    for s in range(8):
        text = fconv.status_string(s)
        assert text and text not in seen
        seen.add(text)
    assert "unknown" in fconv.status_string(99)


def test_a_library_failure_carries_status_and_message():
    with pytest.raises(fconv.InvalidArgumentError) as e:
        fconv.Plan((5, 3), (3, 5), "float32", mode="valid")  # VALID with crossed shapes
    err = e.value
    assert err.status == 1
    msg = str(err)
    assert msg.startswith("fconv_plan_create: ")
    assert fconv.status_string(1) in msg
    # the library's detail (fconv_last_error): the public function and the fields that failed
    assert "(fconv_plan_create: desc->mode = VALID with desc->signal_shape and desc->kernel_shape" \
        " crossed" in msg, msg
    with pytest.raises(ValueError):  # callers catching ValueError (SciPy style) see it too
        fconv.Plan((5, 3), (3, 5), "float32", mode="valid")


def test_execute_failure_is_an_exception_and_out_stays_usable():
    # a PAD window shorter than the kernel is refused at creation, never at execute
    with pytest.raises(fconv.InvalidArgumentError, match=r"desc->pad_before \+ desc->pad_after"
                       r" = 1 \+ 1 leave a window of 6, shorter than the kernel \(9\)"):
        fconv.Plan((4,), (9,), "float64", mode="pad", pad=(1, 1))
    plan = fconv.Plan((4,), (2,), "float64")
    y = plan(np.ones(4), np.ones(2))
    np.testing.assert_array_equal(y, [1, 2, 2, 2, 1])


def test_version():
    major, minor, patch = fconv.version()
    assert fconv._core.HEADER_VERSION_NUMBER == major * 10000 + minor * 100 + patch
    assert fconv.library_version.startswith("%d.%d.%d" % (major, minor, patch))
    assert fconv.__version__ == "%d.%d.%d" % (major, minor, patch)
