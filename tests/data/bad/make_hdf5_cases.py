#!/usr/bin/python3
"""Writes the malformed HDF5 inputs of the bad-input corpus (cases.tsv rows
named h5_* and tenx_h5_*), with h5py (Debian python3-h5py) and anndata 0.8.
Each file breaks one rule of docs/formats.md "HDF5 inputs"; the observations
are a, b, c, d as in ok_design.tsv. Run from this directory.
"""
import anndata
import h5py
import numpy as np
import pandas as pd
import scipy.sparse as sp

OBS = ["a", "b", "c", "d"]
VAR = ["g1", "g2", "g3"]
COUNTS = np.array([[1, 0, 2], [0, 3, 0], [4, 0, 0], [0, 5, 6]], dtype=np.int64)  # obs x var


def dataframe(group, names, columns=None):
    group.attrs["encoding-type"] = "dataframe"
    group.attrs["encoding-version"] = "0.2.0"
    group.attrs["_index"] = "_index"
    group.attrs["column-order"] = np.array(list(columns or []), dtype=object) if columns else np.array([], dtype=float)
    group.create_dataset("_index", data=np.array(names, dtype=object), dtype=h5py.string_dtype())


def sparse(group, matrix, encoding):
    group.attrs["encoding-type"] = encoding
    group.attrs["encoding-version"] = "0.1.0"
    group.attrs["shape"] = np.array(matrix.shape)
    group.create_dataset("data", data=matrix.data)
    group.create_dataset("indices", data=matrix.indices)
    group.create_dataset("indptr", data=matrix.indptr)


def h5ad(path, x=None, obs=OBS, var=VAR, edit=None, encoding="csr_matrix"):
    """An AnnData layout written by hand; `edit(file)` then breaks it."""
    with h5py.File(path, "w") as f:
        dataframe(f.create_group("obs"), obs)
        dataframe(f.create_group("var"), var)
        if x is None:
            x = COUNTS
        if encoding == "dense":
            f.create_dataset("X", data=x)
        else:
            sparse(f.create_group("X"), sp.csr_matrix(x) if encoding == "csr_matrix" else sp.csc_matrix(x), encoding)
        if edit:
            edit(f)


def replace(f, name, data):
    del f[name]
    f.create_dataset(name, data=data)


with open("h5_not_hdf5.h5ad", "w") as out:
    out.write("feature\ta\tb\n")
# A real anndata file cut in half.
anndata.AnnData(X=sp.csr_matrix(COUNTS.astype(np.float32)), obs=pd.DataFrame(index=OBS), var=pd.DataFrame(index=VAR),
                dtype=np.float32).write_h5ad("h5_full.tmp")
with open("h5_full.tmp", "rb") as full, open("h5_truncated.h5ad", "wb") as out:
    data = full.read()
    out.write(data[: len(data) // 2])
import os
os.remove("h5_full.tmp")

h5ad("h5_no_x.h5ad", edit=lambda f: f.__delitem__("X"))
h5ad("h5_indptr_length.h5ad", edit=lambda f: replace(f, "X/indptr", np.array([0, 2, 3, 4])))
h5ad("h5_indptr_decreasing.h5ad", edit=lambda f: replace(f, "X/indptr", np.array([0, 2, 1, 4, 6])))
h5ad("h5_indptr_start.h5ad", edit=lambda f: replace(f, "X/indptr", np.array([1, 2, 3, 4, 6])))
h5ad("h5_indptr_end.h5ad", edit=lambda f: replace(f, "X/indptr", np.array([0, 2, 3, 4, 5])))
h5ad("h5_index_out_of_range.h5ad", edit=lambda f: replace(f, "X/indices", np.array([0, 2, 1, 0, 1, 3])))
h5ad("h5_negative_count.h5ad", x=COUNTS * np.array([1, -1, 1]))
h5ad("h5_non_integer.h5ad", x=COUNTS * 0.5)
h5ad("h5_nan_count.h5ad", edit=lambda f: replace(f, "X/data", np.array([1.0, 2.0, np.nan, 4.0, 5.0, 6.0])))
h5ad("h5_count_too_large.h5ad", edit=lambda f: replace(f, "X/data", np.array([1.0, 2.0, 3e9, 4.0, 5.0, 6.0])))
h5ad("h5_shape_mismatch.h5ad", edit=lambda f: f["X"].attrs.__setitem__("shape", np.array([4, 5])))
h5ad("h5_dense_wrong_shape.h5ad", x=COUNTS.T.copy(), encoding="dense")
h5ad("h5_x_3d.h5ad", x=np.zeros((4, 3, 2)), encoding="dense")
h5ad("h5_string_data.h5ad", edit=lambda f: replace(f, "X/data", np.array([b"1", b"2", b"3", b"4", b"5", b"6"])))
h5ad("h5_data_indices_length.h5ad", edit=lambda f: replace(f, "X/indices", np.array([0, 2, 1, 0, 1])))
# cell a holds gene g1 twice
h5ad("h5_duplicate_entry.h5ad", edit=lambda f: replace(f, "X/indices", np.array([0, 0, 1, 0, 1, 2])))
h5ad("h5_duplicate_obs_names.h5ad", obs=["a", "b", "b", "d"])
h5ad("h5_unknown_encoding.h5ad", edit=lambda f: f["X"].attrs.__setitem__("encoding-type", "coo_matrix"))
h5ad("h5_no_obs_index.h5ad", edit=lambda f: f["obs"].__delitem__("_index"))
h5ad("h5_dense_obs_rows.h5ad", obs=["a", "b", "c", "d", "e"], encoding="dense")


def bad_category(f):
    dataframe_group = f["obs"]
    dataframe_group.attrs["column-order"] = np.array(["treated"], dtype=object)
    g = dataframe_group.create_group("treated")
    g.attrs["encoding-type"] = "categorical"
    g.attrs["encoding-version"] = "0.2.0"
    g.attrs["ordered"] = False
    g.create_dataset("categories", data=np.array(["no", "yes"], dtype=object), dtype=h5py.string_dtype())
    g.create_dataset("codes", data=np.array([0, 0, 1, 5], dtype=np.int8))


h5ad("h5_bad_category_code.h5ad", edit=bad_category)


def tenx(path, edit=None):
    by_barcode = sp.csc_matrix(COUNTS.T.astype(np.int32))
    with h5py.File(path, "w") as f:
        m = f.create_group("matrix")
        m.create_dataset("barcodes", data=np.array(OBS, dtype="S"))
        m.create_dataset("data", data=by_barcode.data)
        m.create_dataset("indices", data=by_barcode.indices.astype(np.int64))
        m.create_dataset("indptr", data=by_barcode.indptr.astype(np.int64))
        m.create_dataset("shape", data=np.array([len(VAR), len(OBS)], dtype=np.int32))
        m.create_group("features").create_dataset("id", data=np.array(VAR, dtype="S"))
        if edit:
            edit(f)


tenx("tenx_h5_missing_barcodes.h5", edit=lambda f: f["matrix"].__delitem__("barcodes"))
tenx("tenx_h5_feature_count.h5", edit=lambda f: replace(f, "matrix/features/id", np.array([b"g1", b"g2"])))
tenx("tenx_h5_no_matrix.h5", edit=lambda f: (f.__delitem__("matrix"), f.create_group("analysis")))


def declare_attribute_length(path, name, length):
    """Rewrites, in the file's bytes, the declared length of the string of
    every scalar variable-length string attribute `name` (version 1 attribute
    message, as h5py writes by default: the NUL-terminated name padded to 8
    bytes, a 20-byte datatype padded to 24, an 8-byte scalar dataspace, then
    the heap reference: a 4-byte length, an 8-byte address, a 4-byte index)."""
    data = bytearray(open(path, "rb").read())
    pattern = name.encode() + b"\0" * (8 - len(name) % 8) + b"\x19\x01\x01\x00\x10\x00\x00\x00"
    at = data.find(pattern)
    assert at >= 0
    while at >= 0:
        data[at + 40 : at + 44] = length.to_bytes(4, "little")
        at = data.find(pattern, at + 1)
    open(path, "wb").write(data)


# The declared length libhdf5 1.10 would allocate before reading (docs/reliability.md).
h5ad("h5_attribute_reference_length.h5ad")
declare_attribute_length("h5_attribute_reference_length.h5ad", "_index", 0xFFFFFFFF)
