#!/usr/bin/python3
"""Single-cell DE the calibrated way, from an AnnData file: pseudobulk per
sample x cluster, then a quasi-likelihood test of stimulation within each
cluster (docs/python.md, docs/de.md "Pseudobulk").

    examples/python/kang_pseudobulk_de.py KANG.h5ad OUT_DIR

KANG.h5ad: kang_muscat (../shared/data/kang_muscat) as an AnnData, cells x
genes with obs sample_id, cluster_id, group_id, donor — e.g. written by
`examples/python/kang_pseudobulk_de.py --write-h5ad KANG.h5ad`. Writes
OUT_DIR/de_<cluster>.tsv and OUT_DIR/volcano_<cluster>.png.
"""
import pathlib
import sys

import anndata
import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy.io  # noqa: E402

import nbglm  # noqa: E402

SHARED = pathlib.Path(__file__).resolve().parents[3] / "shared" / "data" / "kang_muscat"


def write_h5ad(path):
    """kang_muscat's 10x directory and cell sheet as an .h5ad (CSR counts)."""
    x = scipy.io.mmread(str(SHARED / "matrix.mtx")).T.tocsr().astype(np.float32)
    genes = pd.read_csv(SHARED / "genes.tsv", sep="\t", header=None)[0].astype(str).tolist()
    barcodes = pd.read_csv(SHARED / "barcodes.tsv", sep="\t", header=None)[0].astype(str).tolist()
    cells = pd.read_csv(SHARED / "cells.tsv", sep="\t", index_col=0).loc[barcodes]
    for column in ["cluster_id", "sample_id", "group_id"]:
        cells[column] = pd.Categorical(cells[column])
    anndata.AnnData(X=x, obs=cells, var=pd.DataFrame(index=genes), dtype=np.float32).write_h5ad(path)


def main(h5ad, out):
    out.mkdir(parents=True, exist_ok=True)
    adata = anndata.read_h5ad(h5ad)
    print(f"{h5ad}: {adata.n_obs} cells x {adata.n_vars} genes")
    pb = nbglm.pseudobulk(adata, by=["sample_id", "cluster_id"])
    print(f"pseudobulk: {pb.counts.shape[0]} samples x clusters")
    for cluster in pb.samples["cluster_id"].unique():
        table = nbglm.de(pb.counts, samples=pb.samples, subset={"cluster_id": cluster}, loc="~ donor + group_id",
                         coef="group_idstim")
        name = cluster.replace(" ", "_").replace("+", "")
        table.to_csv(out / f"de_{name}.tsv", sep="\t")
        axes = nbglm.plot.volcano(table, title=f"{cluster}: stimulated vs control")
        axes.figure.savefig(out / f"volcano_{name}.png", bbox_inches="tight")
        axes.figure.clf()
        top = table.sort_values("pvalue").head(3).index.tolist()
        print(f"{cluster:18s} {int((table['padj'] < 0.1).sum()):4d} genes at padj < 0.1 "
              f"(of {int(table['pvalue'].notna().sum())} tested); top: {', '.join(top)}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--write-h5ad":
        write_h5ad(sys.argv[2])
    elif len(sys.argv) == 3:
        main(sys.argv[1], pathlib.Path(sys.argv[2]))
    else:
        sys.exit(__doc__)
