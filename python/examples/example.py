# fconv from Python: SciPy's names on fconv's engine, and a Plan reused for many signals.
import numpy as np
import scipy.ndimage
import fconv
from fconv import ndimage, signal

rng = np.random.default_rng(0)
img = rng.standard_normal((512, 512)).astype(np.float32)
box = np.full((5, 5), 1 / 25, dtype=np.float32)

# Drop-in replacements: same arguments and results as scipy.signal / scipy.ndimage.
y = signal.convolve(img, box, mode="same")
z = ndimage.convolve(img, box, mode="mirror")

# fconv's own layer: plan once (8 images per call), set the kernel once, call many times.
plan = fconv.Plan(img.shape, box.shape, np.float32, batch=8, mode="same", boundary="mirror")
plan.set_kernel(box)
out = plan(np.stack([img] * 8))  # shape (8, 512, 512); the GIL is released meanwhile
print(out.shape, plan.info["method"], "on", plan.info["backend"])
assert np.allclose(out[3], z, atol=1e-5)

ref = scipy.ndimage.convolve(img, box, mode="mirror")
print("max difference from SciPy: %.2g" % np.abs(z - ref).max())
