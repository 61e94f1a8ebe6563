"""Turns what Python users hold (AnnData, numpy, scipy.sparse, pandas) into
the plain arguments of nbglm._core, without copying count arrays that the
C++ side can read in place (docs/python.md "Inputs")."""

import math

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import _core

try:  # AnnData is optional: numpy / scipy / pandas inputs work without it.
    import anndata as _anndata
except ImportError:  # pragma: no cover - depends on the machine
    _anndata = None


def _is_anndata(obj):
    return _anndata is not None and isinstance(obj, _anndata.AnnData)


def counts_arguments(counts, layer=None):
    """Returns (arguments for _core, obs DataFrame or None).

    `counts` is observations x features, as AnnData holds it: an AnnData
    (X, or layers[layer]), a numpy array, a scipy.sparse matrix or a pandas
    DataFrame (index = observations, columns = features).
    """
    obs = None
    obs_names = feature_names = None
    if _is_anndata(counts):
        if layer is not None:
            if layer not in counts.layers:
                raise ValueError(f"layer '{layer}': no such layer: layers of this AnnData: "
                                 + (", ".join(counts.layers.keys()) or "none"))
            x, what = counts.layers[layer], f"layers['{layer}']"
        else:
            x, what = counts.X, "X"
        if x is None:
            raise ValueError("X: missing: an AnnData with counts holds X (or give layer=)")
        obs = counts.obs
        obs_names = [str(name) for name in counts.obs_names]
        feature_names = [str(name) for name in counts.var_names]
    elif layer is not None:
        raise ValueError(f"layer '{layer}': layers exist only in AnnData inputs")
    elif isinstance(counts, pd.DataFrame):
        x, what = counts.to_numpy(), "counts"
        obs_names = [str(name) for name in counts.index]
        feature_names = [str(name) for name in counts.columns]
    else:
        x, what = counts, "counts"
    args = {"what": what}
    if hasattr(x, "to_memory"):  # an AnnData backed sparse dataset: read it (names kept from the AnnData)
        x = x.to_memory()
    if sp.issparse(x):
        if x.format not in ("csr", "csc"):
            x = x.tocsr()  # COO, LIL, …: one conversion (a copy)
        n_obs, n_features = x.shape
        args.update(layout="by_obs" if x.format == "csr" else "by_feature",
                    data=np.ascontiguousarray(x.data), indices=np.ascontiguousarray(x.indices),
                    indptr=np.ascontiguousarray(x.indptr))
    else:
        x = np.asarray(x)
        if x.ndim != 2:
            raise ValueError(f"{what}: {x.ndim}-D: counts are a 2-D observations x features array")
        n_obs, n_features = x.shape
        if x.flags.c_contiguous:
            args.update(layout="dense_obs_rows", data=x)
        elif x.flags.f_contiguous:
            args.update(layout="dense_feature_rows", data=x.T)  # C-contiguous features x observations
        else:
            args.update(layout="dense_obs_rows", data=np.ascontiguousarray(x))
    args.update(n_obs=int(n_obs), n_features=int(n_features),
                obs_names=obs_names or [], feature_names=feature_names or [])
    return args, obs


def _float_texts(values):
    """Floats as the C++ side writes them (FormatDouble: shortest round-trip
    digits, "1e+15", no trailing ".0", so that integral floats type as
    integers, as in a TSV; NaN is "NA")."""
    return _core.format_numbers(np.asarray(values, dtype=np.float64))


def _label(value):
    if isinstance(value, (float, np.floating)):
        return _float_texts([float(value)])[0]
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    return str(value)


def sheet_arguments(samples, what="obs"):
    """A pandas DataFrame (index = observation names) as the sheet argument
    of _core: columns as text, categoricals with their categories in order.
    Typing then follows docs/formats.md "HDF5 inputs" (obs of an .h5ad)."""
    if samples is None:
        return None
    if not isinstance(samples, pd.DataFrame):
        raise ValueError(f"samples: {type(samples).__name__}: a pandas DataFrame (or a TSV path) is expected")
    columns = []
    categories = {}
    for name in samples.columns:
        series = samples[name]
        if isinstance(series.dtype, pd.CategoricalDtype):
            levels = [_label(c) for c in series.cat.categories]
            text = ["NA" if code < 0 else levels[code] for code in series.cat.codes.to_numpy()]
            categories[str(name)] = levels
        elif pd.api.types.is_bool_dtype(series.dtype):
            text = ["NA" if pd.isna(v) else ("TRUE" if v else "FALSE") for v in series.to_numpy(dtype=object)]
        elif pd.api.types.is_integer_dtype(series.dtype):
            text = ["NA" if pd.isna(v) else str(int(v)) for v in series.to_numpy(dtype=object)]
        elif pd.api.types.is_float_dtype(series.dtype):
            text = _float_texts(series.to_numpy(dtype=float, na_value=np.nan))
        else:
            text = ["NA" if v is None or (isinstance(v, float) and math.isnan(v)) else _label(v)
                    for v in series.to_numpy(dtype=object)]
        columns.append((str(name), text))
    return {"what": what, "index_name": samples.index.name or "observation",
            "names": [str(name) for name in samples.index], "columns": columns, "categories": categories}


def model_arguments(loc, scale, loc_design, scale_design, loc_constraints, scale_constraints, loc_nested,
                    scale_nested, ref, subset):
    """The model options, named as the command line names them."""
    def as_list(value):
        if value is None:
            return []
        return [value] if isinstance(value, str) else list(value)

    if isinstance(ref, dict):
        ref = [f"{factor}={level}" for factor, level in ref.items()]
    if isinstance(subset, dict):
        subset = [f"{column}={value}" for column, value in subset.items()]
    return {"loc": loc, "scale": scale, "loc_design": loc_design, "scale_design": scale_design,
            "loc_constraints": loc_constraints, "scale_constraints": scale_constraints,
            "loc_nested": as_list(loc_nested), "scale_nested": as_list(scale_nested), "ref": as_list(ref),
            "subset": as_list(subset)}


def resolve_samples(samples, obs, args):
    """The sheet argument: `samples` (a DataFrame, or a TSV/CSV/.h5ad path the
    C++ side reads as --samples does), else the AnnData's obs, else a sheet of
    the observation names alone (enough for "~ 1")."""
    if isinstance(samples, str):
        return samples
    if samples is not None:
        return sheet_arguments(samples, what="samples")
    if obs is not None:
        return sheet_arguments(obs, what="obs")
    names = args["obs_names"] or [f"obs_{i}" for i in range(args["n_obs"])]
    return {"what": "observations", "index_name": "observation", "names": names, "columns": [], "categories": {}}
