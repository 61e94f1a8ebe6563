#!/usr/bin/python3
"""Writes the HDF5 fixtures of src/io/hdf5_object_header_test.cc with h5py
(Debian python3-h5py): the same attributes in the object headers each file
format version lays out differently. Run from this directory:
./make_attribute_headers.py.

- attrs_v1.h5 (libver 'earliest', as anndata writes): version 1 object
  headers with version 1 attribute messages; /many holds 40 attributes, more
  than its first header block, so most lie in continuation blocks.
- attrs_v2.h5 (libver 'latest'): version 2 headers ("OHDR") with version 3
  attribute messages; /many again, here beyond 8 attributes kept in dense
  storage (a fractal heap); /ordered tracks creation order (each message
  header 2 bytes longer); /compact holds 3 attributes, in the header.
"""
import h5py
import numpy as np


def attributes(group, count):
    """`count` attributes: variable-length strings (scalar and array), a
    fixed-length string and an integer array, in a fixed pattern."""
    for i in range(count):
        name = f"a{i:02d}"
        kind = i % 4
        if kind == 0:
            group.attrs[name] = f"value {i}"  # scalar variable-length string
        elif kind == 1:
            group.attrs[name] = np.array([f"x{i}", "", f"z{i}" * 3], dtype=h5py.string_dtype())
        elif kind == 2:
            group.attrs[name] = np.bytes_(f"fixed{i}")  # fixed-length string
        else:
            group.attrs[name] = np.arange(i, dtype=np.int64)


def write(path, libver, groups):
    with h5py.File(path, "w", libver=libver) as f:
        for name, count, track_order in groups:
            attributes(f.create_group(name, track_order=track_order), count)
        f.create_dataset("values", data=np.arange(4))
        f["values"].attrs["encoding-type"] = "array"


write("attrs_v1.h5", "earliest", [("compact", 3, False), ("many", 40, False)])
write("attrs_v2.h5", "latest", [("compact", 3, False), ("many", 12, False), ("ordered", 6, True)])
