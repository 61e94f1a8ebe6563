#!/usr/bin/python3
"""How the fit scales with the number of cells (docs/performance.md "Scaling
to a million cells"): droplet-like sets of G genes x N cells, N up to 10^6,
fitted `~ 1` with total size factors; wall time, the fit's own time and peak
memory against the non-zeros, a table on stdout and a PNG.

    bench/scaling/run_scaling.py [--genes 2000] [--cells 10000,30000,100000,300000,1000000]
                                 [--threads 2] [--work DIR] [--png FILE]

Each set (made once, seeded, cached in --work) is an .h5ad with CSR X (cells x
genes, float32), as scanpy writes it: gene means log-normal, cell depths
log-normal, NB counts with size 2 (~4% non-zero, as the 33,694 x 4,340 set of
bench/python). Measured per set, in a fresh process: `nbglm fit --counts
set.h5ad --loc "~ 1" --size-factors total --threads T` (wall and peak resident
memory from /usr/bin/time, fit seconds from summary.json). "Counts in memory"
is what nbglm holds of them, CSR by feature: 12 bytes per non-zero (a double
and an int32) plus 8 per feature. The exponent is the least-squares slope of
log time on log non-zeros.
"""
import argparse
import json
import math
import os
import pathlib
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[2]


def make_set(path, genes, cells, seed):
    import anndata
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp
    rng = np.random.default_rng(seed)
    means = np.exp(rng.normal(-4.4, 1.6, genes))
    depth = np.exp(rng.normal(0.0, 0.5, cells))
    blocks = []
    step = max(1, 20_000_000 // cells)  # genes per block: ~20 M draws at a time
    for start in range(0, genes, step):
        mu = means[start:start + step, None] * depth[None, :]
        y = rng.negative_binomial(2.0, 2.0 / (2.0 + mu)).astype(np.float32)
        blocks.append(sp.csr_matrix(y))
    x = sp.vstack(blocks).T.tocsr()  # cells x genes
    adata = anndata.AnnData(X=x, obs=pd.DataFrame(index=[f"c{i}" for i in range(cells)]),
                            var=pd.DataFrame(index=[f"g{j}" for j in range(genes)]), dtype=np.float32)
    adata.write_h5ad(path)
    return int(x.nnz)


def fit(cli, data, threads, out):
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", timing.name, cli, "fit", "--quiet", "--counts",
                        str(data), "--loc", "~ 1", "--size-factors", "total", "--threads", str(threads), "--out",
                        str(out)], check=True)
        wall, peak_kb = timing.read().split()
    summary = json.load(open(out / "summary.json"))
    return float(wall), float(summary["wall_seconds"]), int(peak_kb) * 1024, summary


def slope(xs, ys):
    lx = [math.log(x) for x in xs]
    ly = [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--genes", type=int, default=2000)
    parser.add_argument("--cells", default="10000,30000,100000,300000,1000000")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--work", default="/tmp/nbglm-scaling")
    parser.add_argument("--png", default=None)
    a = parser.parse_args()
    work = pathlib.Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    cli = os.environ.get("NBGLM_CLI", str(REPO / "build" / "nbglm"))
    rows = []
    for cells in [int(c) for c in a.cells.split(",")]:
        data = work / f"sc_{a.genes}x{cells}.h5ad"
        meta = work / f"sc_{a.genes}x{cells}.json"
        if not data.exists() or not meta.exists():
            nnz = make_set(data, a.genes, cells, seed=20261208 + cells)
            json.dump({"nnz": nnz}, open(meta, "w"))
        nnz = json.load(open(meta))["nnz"]
        wall, fit_s, peak, summary = fit(cli, data, a.threads, work / f"fit_{cells}")
        held = 12 * nnz + 8 * a.genes
        rows.append({"cells": cells, "nnz": nnz, "wall": wall, "fit": fit_s, "peak": peak, "held": held,
                     "statuses": summary.get("status_counts", {})})
        print(f"  {cells} cells: {nnz} non-zeros, wall {wall:.2f} s, fit {fit_s:.2f} s, "
              f"peak {peak / 2**20:.0f} MiB", file=sys.stderr)
    print(f"| cells | non-zeros | density | wall s | fit s | counts in memory MiB | peak RSS MiB | peak ÷ counts |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['cells']:,} | {r['nnz']:,} | {100 * r['nnz'] / (r['cells'] * a.genes):.2f}% | {r['wall']:.2f} | "
              f"{r['fit']:.2f} | {r['held'] / 2**20:.0f} | {r['peak'] / 2**20:.0f} | {r['peak'] / r['held']:.2f} |")
    big = [r for r in rows if r["cells"] >= 100000]
    for label, subset in (("all sets", rows), ("sets of >= 100,000 cells", big)):
        if len(subset) >= 2:
            print(f"\nexponent ({label}): wall {slope([r['nnz'] for r in subset], [r['wall'] for r in subset]):.3f}, "
                  f"fit {slope([r['nnz'] for r in subset], [r['fit'] for r in subset]):.3f}", end="")
    print(f"\n\n{a.genes} genes, `~ 1`, total size factors, {a.threads} threads; nbglm `{cli}`.")
    if a.png:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4), dpi=120)
        nnz = [r["nnz"] for r in rows]
        left.loglog(nnz, [r["wall"] for r in rows], "o-", label="whole process")
        left.loglog(nnz, [r["fit"] for r in rows], "s-", label="fit (summary.json)")
        reference = rows[-1]
        left.loglog(nnz, [reference["wall"] * n / reference["nnz"] for n in nnz], ":", color="grey",
                    label="linear in non-zeros")
        for r in rows:
            left.annotate(f"{r['cells']:,} cells", (r["nnz"], r["wall"]), textcoords="offset points", xytext=(4, -10),
                          fontsize=7)
        left.set_xlabel("non-zero counts")
        left.set_ylabel(f"seconds ({a.threads} threads)")
        left.legend(fontsize=8)
        left.set_title(f"nbglm fit, {a.genes} genes, ~ 1")
        right.semilogx(nnz, [r["peak"] / r["held"] for r in rows], "o-")
        right.axhline(1.5, color="grey", linestyle=":")
        right.set_xlabel("non-zero counts")
        right.set_ylabel("peak RSS / counts in memory")
        right.set_ylim(0, max(2.0, max(r["peak"] / r["held"] for r in rows) * 1.1))
        right.set_title("memory")
        figure.tight_layout()
        figure.savefig(a.png)
        print(f"wrote {a.png}")


if __name__ == "__main__":
    sys.exit(main())
