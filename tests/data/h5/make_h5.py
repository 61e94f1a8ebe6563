#!/usr/bin/python3
"""Writes the HDF5 fixtures of src/io/hdf5_counts_test.cc with the real
writers: anndata (Debian python3-anndata 0.8) for .h5ad, h5py in Cell Ranger's
layout for 10x .h5. Run from this directory: ./make_h5.py. The same counts and
sample sheet are written as counts.tsv / samples.tsv, what every file must read
as.
"""
import anndata
import h5py
import numpy as np
import pandas as pd
import scipy.sparse as sp

rng = np.random.default_rng(7)
n_obs, n_var = 6, 7
counts = rng.poisson(3.0, size=(n_obs, n_var)).astype(np.int64)  # obs x var, as AnnData holds it
counts[:, 2] = 0                  # an all-zero feature
counts[1, :] = 0                  # an all-zero observation
counts[0, 4] = 16777216           # 2^24: exact in float32, the widest X dtype
obs_names = [f"cell{i}" for i in range(n_obs)]
var_names = [f"gene{j}" for j in range(n_var)]

obs = pd.DataFrame(
    {
        # categories in a non-alphabetical order, one of them unused
        "condition": pd.Categorical(["untreated", "treated"] * 3, categories=["untreated", "treated", "unused"]),
        # numbers as categories: a factor, not a number
        "donor": pd.Categorical([101, 101, 102, 102, 103, 103]),
        "depth": np.array([1.5, 0.25, 3.0, 1e-3, 2.0, 7.0]),
        "n": np.array([1, 2, 3, 4, 5, 6], dtype=np.int64),
        "flag": np.array([True, False, True, True, False, False]),
    },
    index=pd.Index(obs_names),
)
var = pd.DataFrame(index=pd.Index(var_names))


def write_h5ad(path, x, layers=None):
    adata = anndata.AnnData(X=x, obs=obs.copy(), var=var.copy(), layers=layers or {}, dtype=x.dtype)
    adata.write_h5ad(path)


write_h5ad("x_csr.h5ad", sp.csr_matrix(counts.astype(np.float32)))
write_h5ad("x_csc.h5ad", sp.csc_matrix(counts))
write_h5ad("x_dense.h5ad", counts.astype(np.float64))
normalised = np.log1p(counts / counts.sum(axis=1, keepdims=True).clip(1) * 1e4)
write_h5ad("layer.h5ad", normalised, layers={"counts": sp.csr_matrix(counts.astype(np.int32))})

# Cell Ranger >= 3: /matrix, features x barcodes CSC = compressed by barcode.
by_barcode = sp.csc_matrix(counts.T.astype(np.int32))
with h5py.File("tenx_v3.h5", "w") as f:
    m = f.create_group("matrix")
    m.create_dataset("barcodes", data=np.array(obs_names, dtype="S"))
    m.create_dataset("data", data=by_barcode.data)
    m.create_dataset("indices", data=by_barcode.indices.astype(np.int64))
    m.create_dataset("indptr", data=by_barcode.indptr.astype(np.int64))
    m.create_dataset("shape", data=np.array([n_var, n_obs], dtype=np.int32))
    feats = m.create_group("features")
    feats.create_dataset("id", data=np.array(var_names, dtype="S"))
    feats.create_dataset("name", data=np.array([v.upper() for v in var_names], dtype="S"))
    feats.create_dataset("feature_type", data=np.array(["Gene Expression"] * n_var, dtype="S"))
# Cell Ranger 2: one genome group.
with h5py.File("tenx_v2.h5", "w") as f:
    g = f.create_group("GRCh38")
    g.create_dataset("barcodes", data=np.array(obs_names, dtype="S"))
    g.create_dataset("genes", data=np.array(var_names, dtype="S"))
    g.create_dataset("gene_names", data=np.array([v.upper() for v in var_names], dtype="S"))
    g.create_dataset("data", data=by_barcode.data)
    g.create_dataset("indices", data=by_barcode.indices)
    g.create_dataset("indptr", data=by_barcode.indptr)
    g.create_dataset("shape", data=np.array([n_var, n_obs], dtype=np.int32))

with open("counts.tsv", "w") as out:
    out.write("feature\t" + "\t".join(obs_names) + "\n")
    for j, name in enumerate(var_names):
        out.write(name + "\t" + "\t".join(str(v) for v in counts[:, j]) + "\n")
obs.to_csv("samples.tsv", sep="\t", index_label="observation")
