#!/usr/bin/python3
"""Python module vs command line on one single-cell set (docs/python.md
"Speed and memory"): the same ~ 1 fit with total size factors, 1 thread.

    bench/python/python_vs_cli.py [--genes 33694] [--cells 4340] [--work DIR]

Makes (once, seeded) a droplet-like count set of genes x cells at ~3.7%
non-zero as an .h5ad with CSR X (cells x genes, float32, as scanpy writes it),
then measures in fresh processes:
  - cli:    `nbglm fit --counts set.h5ad --loc "~ 1" --size-factors total --threads 1`
            (wall of the whole process, and the fit's own seconds from summary.json);
  - python: anndata.read_h5ad, then nbglm.fit(adata, loc="~ 1", size_factors="total",
            threads=1): the call's wall, and the peak resident memory during the call
            above what the process held after loading the data (VmHWM after a reset).
The two fits' coefficients are compared for equality.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[2]


def make_set(path, genes, cells, seed=20261207):
    import anndata
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp
    rng = np.random.default_rng(seed)
    # Gene means log-normal, cell depths log-normal, NB with size 2: ~3.7% non-zero.
    means = np.exp(rng.normal(-4.4, 1.6, genes))
    depth = np.exp(rng.normal(0.0, 0.5, cells))
    blocks = []
    for start in range(0, genes, 2000):
        mu = means[start:start + 2000, None] * depth[None, :]
        y = rng.negative_binomial(2.0, 2.0 / (2.0 + mu)).astype(np.float32)
        blocks.append(sp.csr_matrix(y))
    x = sp.vstack(blocks).T.tocsr()  # cells x genes
    adata = anndata.AnnData(X=x, obs=pd.DataFrame(index=[f"cell{i}" for i in range(cells)]),
                            var=pd.DataFrame(index=[f"gene{j}" for j in range(genes)]), dtype=np.float32)
    adata.write_h5ad(path)
    return x.nnz / (genes * cells)


def _status(key):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(key)) * 1024


def python_child(path, out):
    """Runs in a fresh interpreter: load, then time the fit and its memory.
    The peak is the kernel's high-water mark (VmHWM), reset after loading
    (/proc/self/clear_refs), so it is the fit's own peak above the loaded
    process."""
    import anndata
    import nbglm
    adata = anndata.read_h5ad(path)
    x = adata.X
    input_bytes = x.data.nbytes + x.indices.nbytes + x.indptr.nbytes
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    rss_loaded = _status("VmRSS")
    start = time.perf_counter()
    fit = nbglm.fit(adata, loc="~ 1", size_factors="total", threads=1)
    wall = time.perf_counter() - start
    peak = _status("VmHWM")
    fit.loc_coef.to_csv(out + ".loc_coef.tsv", sep="\t")
    json.dump({"wall": wall, "input_bytes": input_bytes, "rss_loaded": rss_loaded, "peak": peak,
               "report": fit.report}, open(out, "w"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--genes", type=int, default=33694)
    parser.add_argument("--cells", type=int, default=4340)
    parser.add_argument("--work", default="/tmp/nbglm-python-bench")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=2)
    a = parser.parse_args()
    if a.child:
        return python_child(*a.child)
    work = pathlib.Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"sc_{a.genes}x{a.cells}.h5ad"
    if not data.exists():
        density = make_set(data, a.genes, a.cells)
        print(f"made {data}: {a.genes} x {a.cells}, {100 * density:.2f}% non-zero")
    cli = os.environ.get("NBGLM_CLI", str(REPO / "build" / "nbglm"))
    env = dict(os.environ, PYTHONPATH=str(REPO / "build" / "python"))
    rows = []
    for run in range(a.runs):
        out = work / f"cli_fit_{run}"
        start = time.perf_counter()
        subprocess.run([cli, "fit", "--quiet", "--counts", str(data), "--loc", "~ 1", "--size-factors", "total",
                        "--threads", "1", "--out", str(out)], check=True)
        cli_wall = time.perf_counter() - start
        cli_fit = json.load(open(out / "summary.json"))["wall_seconds"]
        result = work / f"python_{run}.json"
        subprocess.run(["/usr/bin/python3", __file__, "--child", str(data), str(result)], check=True, env=env)
        py = json.load(open(result))
        rows.append((cli_wall, cli_fit, py))
    import pandas as pd
    same = pd.read_csv(work / "cli_fit_0" / "loc_coef.tsv", sep="\t", index_col=0, float_precision="round_trip").equals(
        pd.read_csv(str(work / "python_0.json") + ".loc_coef.tsv", sep="\t", index_col=0, float_precision="round_trip"))
    print("| run | CLI process wall s | CLI fit s (summary.json) | Python nbglm.fit wall s | Python / CLI fit | "
          "input CSR MB | Python peak RSS above loaded MB | ratio to input |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for run, (cli_wall, cli_fit, py) in enumerate(rows):
        above = py["peak"] - py["rss_loaded"]
        print(f"| {run + 1} | {cli_wall:.2f} | {cli_fit:.2f} | {py['wall']:.2f} | {py['wall'] / cli_fit:.2f} | "
              f"{py['input_bytes'] / 2**20:.1f} | {above / 2**20:.1f} | {above / py['input_bytes']:.2f} |")
    print(f"coefficients equal: {same}; {rows[0][2]['report']}")


if __name__ == "__main__":
    sys.exit(main())
