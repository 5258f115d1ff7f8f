#!/usr/bin/env python3
"""Static figures of the CUDA direct kernels, without a GPU (docs/cuda-kernels.md).

  python3 scripts/cuda-kernel-stats.py [--root DIR] [--arch sm_90] [--filter REGEX]
                                      [--source src/cuda/fft_path.cu]

compiles DIR/src/cuda/direct_path.cu (default: this checkout; --source picks another file, e.g.
the FFT paths' kernels) for one architecture with
`nvcc -cubin -Xptxas -v` (registers, spill stores/loads, stack frame per kernel) and `nvcc -ptx`
(PTX instructions), and prints one row per kernel instance:

  regs, spill bytes (stores/loads), stack, PTX instructions in the kernel, FMAs in its hot code,
  and instr/FMA: the PTX instructions of the hot code per multiply-add. Hot code = the smallest
  loop that contains a multiply-add (the generic kernel's runtime tap loop), or, for the
  specialised kernels (fconv_direct_reg: taps fully unrolled, no loop around its
  multiply-adds), every basic block that contains one. ld.param (taps passed as launch parameters) is counted separately: ptxas folds
  those into the FFMA's constant-bank operand, so they are not SASS instructions.

Real types only count fma.rn; complex multiply-adds are four fma each (counted as such).
Kernels without multiply-adds (the FFT paths' gather / multiply / extract): hot code = the
smallest loop that stores to global memory (the per-element loop). Every row also counts the
64-bit integer divisions and remainders (div/rem .s64/.u64: a ~70-instruction software routine
each on the GPU) in the whole kernel and in its hot code.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stdout)
        sys.exit("failed: " + " ".join(cmd))
    return r.stdout


def demangle(names):
    if not names:
        return {}
    out = subprocess.run(["c++filt"], input="\n".join(names), stdout=subprocess.PIPE, text=True).stdout
    return dict(zip(names, out.splitlines()))


def short(dem):
    dem = re.sub(r"\(.*\)$", "", dem)
    dem = dem.replace("fconv_tile_", "tile_").replace("(anonymous namespace)::", "")
    return dem


def ptx_stats(ptx):
    """Per .entry: total instructions, hot-code instructions, fma in hot code, ld.param."""
    stats = {}
    for m in re.finditer(r"\.entry\s+(\S+)\s*\((.*?)\n\}", ptx, re.S):
        name, body = m.group(1), m.group(2)
        lines = [l.strip() for l in body.splitlines()]
        blocks, cur, label = [], [], None
        order = []
        for l in lines:
            if not l or l.startswith("//") or l.startswith(".") or l in ("{", "}") or l.startswith(")"):
                continue
            lm = re.match(r"^(\$L__\w+):", l)
            if lm:
                blocks.append((label, cur))
                label, cur = lm.group(1), []
                continue
            if l.endswith(";"):
                cur.append(l)
        blocks.append((label, cur))
        index = {b[0]: i for i, b in enumerate(blocks) if b[0]}
        total = sum(len(b[1]) for b in blocks)
        is_fma = lambda ins: re.search(r"\bfma\.rn\.f(32|64)\b", ins) is not None
        # loops: a branch in block j to a label of block i <= j
        loops = []
        for j, (_, ins) in enumerate(blocks):
            for x in ins:
                bm = re.search(r"\bbra(\.uni)?\s+(\$L__\w+);", x)
                if bm and bm.group(2) in index and index[bm.group(2)] <= j:
                    loops.append((index[bm.group(2)], j))
        fblocks = [b for b in blocks if any(is_fma(x) for x in b[1])]
        is_st = lambda ins: ins.startswith("st.global")
        marker = is_fma if fblocks else is_st
        hot = None
        if "fconv_direct_reg" not in name:
            for (i, j) in sorted(loops, key=lambda p: p[1] - p[0]):
                if any(marker(x) for b in blocks[i:j + 1] for x in b[1]):
                    hot = blocks[i:j + 1]
                    break
        if hot is None:  # taps fully unrolled: every block holding a multiply-add
            hot = fblocks
        ins = [x for b in hot for x in b[1]]
        fma = sum(1 for x in ins if is_fma(x))
        ldp = sum(1 for x in ins if x.startswith("ld.param"))
        is_div64 = lambda x: re.match(r"(div|rem)\.(s|u)64\b", x) is not None
        div_all = sum(1 for b in blocks for x in b[1] if is_div64(x))
        div_hot = sum(1 for x in ins if is_div64(x))
        stats[name] = dict(total=total, hot=len(ins), fma=fma, ldparam=ldp, div=div_all,
                           divhot=div_hot)
    return stats


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    ap.add_argument("--arch", default="sm_90")
    ap.add_argument("--filter", default="")
    ap.add_argument("--source", default="src/cuda/direct_path.cu")
    ap.add_argument("--nvcc", default=os.environ.get("NVCC", "/usr/local/cuda/bin/nvcc"))
    a = ap.parse_args()
    root = os.path.abspath(a.root)
    src = os.path.join(root, a.source)
    base = [a.nvcc, "-std=c++17", "-O3", "-arch=" + a.arch, "-I" + os.path.join(root, "include"),
            "-I" + os.path.join(root, "src"), "-DFCONV_HAVE_CUDA"]
    with tempfile.TemporaryDirectory() as tmp:
        vout = run(base + ["-cubin", "-Xptxas", "-v", src, "-o", os.path.join(tmp, "k.cubin")])
        ptx = run(base + ["-ptx", src, "-o", "-"])
    res, fn = {}, None
    for l in vout.splitlines():
        m = re.search(r"Compiling entry function '(\S+)'", l) or re.search(r"Function properties for (\S+)", l)
        if m:
            fn = m.group(1)
            res.setdefault(fn, {})
        if fn is None:
            continue
        m = re.search(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads", l)
        if m:
            res[fn].update(stack=int(m.group(1)), sst=int(m.group(2)), sld=int(m.group(3)))
        m = re.search(r"Used (\d+) registers", l)
        if m:
            res[fn]["regs"] = int(m.group(1))
    ps = ptx_stats(ptx)
    names = sorted(n for n in res if n in ps)
    dem = demangle(names)
    print("| kernel | regs | spill st/ld (B) | stack (B) | PTX instr | hot instr | FMA in hot | ld.param in hot | instr/FMA (SASS est.) | div/rem 64 (all / hot) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in names:
        d = short(dem.get(n, n))
        if a.filter and not re.search(a.filter, d):
            continue
        r, p = res[n], ps[n]
        ratio = (p["hot"] - p["ldparam"]) / p["fma"] if p["fma"] else float("nan")
        print("| %s | %s | %s/%s | %s | %d | %d | %d | %d | %.2f | %d / %d |" % (
            d, r.get("regs", "?"), r.get("sst", "?"), r.get("sld", "?"), r.get("stack", "?"),
            p["total"], p["hot"], p["fma"], p["ldparam"], ratio, p["div"], p["divhot"]))


if __name__ == "__main__":
    main()
