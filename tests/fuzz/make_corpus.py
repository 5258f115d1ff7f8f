#!/usr/bin/env python3
"""Writes the fuzzer's seed corpus (tests/fuzz/corpus): one input per interesting descriptor, in
fuzz_plan.c's byte layout, so the fuzzer starts from plans that are accepted (every rank, dtype,
mode, boundary, method, batch layout, stride, pad) and from hostile ones (zero and overflowing
extents, pads, batches; out-of-range enums and flags). Run it after changing the layout."""
import os
import random

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def small(v, small_max):  # hostile(): classes 1-4 give 1 + (b & 31) % small_max
    assert 1 <= v <= small_max
    return [0x20 | (v - 1)]


def seed(rank=1, n=(8, 1, 1), k=(3, 1, 1), dtype=0, mode=0, op=0, boundary=0, method=0,
         backend=1, flags=0, threads=1, batch=1, kbatch=1, stride=(1, 1, 1), pad=((0, 0),) * 3,
         set_kernel=0, raw=None):
    b = [rank - 1]
    for a in range(3):
        b += raw.get(("n", a), small(n[a], 24)) if raw else small(n[a], 24)
        b += raw.get(("k", a), small(k[a], 8)) if raw else small(k[a], 8)
    b += [dtype, mode, op, boundary, method, backend, flags, threads]
    b += [0, batch - 1, 0, kbatch - 1]
    for a in range(3):
        b += [0, stride[a] - 1]
        b += [0x20 | pad[a][0], 0x20 | pad[a][1]]
    b += [set_kernel]
    rng = random.Random(len(b) * 7 + sum(b))
    b += [rng.randrange(256) for _ in range(512)]
    return bytes(b)


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {}
    for dt in range(4):
        for mode in range(3):
            seeds["r1_dt%d_mode%d" % (dt, mode)] = seed(dtype=dt, mode=mode, method=1 + mode)
    seeds["r2_same_mirror_fft"] = seed(2, (8, 7, 1), (3, 2, 1), mode=1, boundary=3, method=2)
    seeds["r2_full_wrap_os_corr"] = seed(2, (12, 9, 1), (4, 3, 1), op=1, boundary=1, method=3)
    seeds["r3_same_symmetric"] = seed(3, (5, 6, 4), (3, 2, 3), mode=1, boundary=2, dtype=1)
    seeds["r3_valid_swap_corr_c128"] = seed(3, (2, 2, 3), (4, 5, 6), mode=2, op=1, dtype=3)
    seeds["r2_pad_replicate"] = seed(2, (6, 5, 1), (3, 3, 1), mode=3, boundary=4,
                                     pad=((2, 5), (0, 4), (0, 0)))
    seeds["r1_pad_mirror_long"] = seed(1, (3, 1, 1), (5, 1, 1), mode=3, boundary=3,
                                       pad=((5, 5), (0, 0), (0, 0)), method=2)
    seeds["r1_batch_kernel_batch"] = seed(batch=3, kbatch=3, method=2, set_kernel=1)
    seeds["r2_filter_bank"] = seed(2, (9, 9, 1), (3, 3, 1), batch=1, kbatch=3, method=3)
    seeds["r2_stride_auto"] = seed(2, (16, 11, 1), (5, 3, 1), stride=(2, 3, 1), method=0,
                                   backend=0, threads=2, set_kernel=1)
    seeds["r1_measure_noseparable"] = seed(2, (10, 10, 1), (3, 3, 1), flags=5, method=0)
    seeds["r1_auto_c64_set_kernel"] = seed(1, (24, 1, 1), (7, 1, 1), dtype=2, set_kernel=1,
                                           backend=0, method=0)
    # hostile: zero extent, SIZE_MAX extent, 2^62 x 2^62, huge pads, bad enums and flags
    seeds["bad_zero_extent"] = seed(raw={("n", 0): [0x00]})
    seeds["bad_size_max_extent"] = seed(2, raw={("n", 0): [0xC0], ("n", 1): [0xC3]})
    seeds["bad_overflow_kernel"] = seed(2, raw={("k", 0): [0xC3], ("k", 1): [0xC3]})
    s = bytearray(seed(mode=3))
    s[7 + 8 + 4 + 2] = 0xC0  # axis 0 pad_before = SIZE_MAX (- 1)
    seeds["bad_pad_size_max"] = bytes(s)
    s = bytearray(seed())
    s[7] = 250  # dtype out of range
    seeds["bad_dtype"] = bytes(s)
    s = bytearray(seed())
    s[13] = 255  # flags: unknown bits
    seeds["bad_flags"] = bytes(s)
    seeds["bad_rank"] = bytes([250]) + seed()[1:]
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("%d seeds in %s" % (len(seeds), OUT))


if __name__ == "__main__":
    main()
