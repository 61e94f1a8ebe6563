"""nbglm: negative-binomial GLMs per feature, and calibrated differential
expression, over the nbglm C++ library (docs/python.md).

Counts are **observations x features**, as AnnData holds them: an
``anndata.AnnData`` (``X``, or a layer), a numpy array, a scipy.sparse matrix
(CSR or CSC, read in place) or a pandas DataFrame. With an AnnData, ``obs`` is
the sample sheet unless ``samples=`` is given. Results are pandas DataFrames
equal, value for value, to the files the ``nbglm`` command writes for the
same inputs.

    import anndata, nbglm
    adata = anndata.read_h5ad("kang.h5ad")
    fit = nbglm.fit(adata, loc="~ cluster_id + group_id", size_factors="total")
    fit.loc_coef                       # features x location parameters
    nbglm.test(fit, coef="group_idstim")
    pb = nbglm.pseudobulk(adata, by=["sample_id", "cluster_id"])
    de = nbglm.de(pb.counts, samples=pb.samples, loc="~ donor + group_id",
                  coef="group_idstim", subset={"cluster_id": "B cells"})
"""

import io
import json
import sys
from collections import namedtuple

import numpy as np
import pandas as pd

from . import _core
from ._inputs import counts_arguments, model_arguments, resolve_samples
from ._inputs import sheet_arguments as _sheet_arguments

__version__ = _core.version()  # the C++ library's (include/nbglm/version.h)
__all__ = ["fit", "test", "de", "pseudobulk", "check_design", "simulate", "convert", "FitResult", "Pseudobulk", "Simulation",
           "plot"]


def _progress_callback(progress, what):
    """tqdm when asked for and installed (Debian python3-tqdm), else none."""
    if not progress:
        return None, None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None, None
    bar = tqdm(total=0, desc=what, unit="features", file=sys.stderr)

    def update(done, total):
        if bar.total != total:
            bar.total = total
        bar.n = done
        bar.refresh()

    return update, bar


class FitResult:
    """The fit of one NB GLM per feature (``nbglm.fit``).

    Attributes (pandas, one row per feature, indexed by feature id):
      loc_coef, loc_se      location coefficients and standard errors (log mean)
      scale_coef, scale_se  scale coefficients and standard errors (log NB size r)
      stats                 loglik, status, iterations, location_trained, scale_trained
      size_factors          a Series per observation, or None
      report                the one-line summary the command line prints
    These equal the files of ``nbglm fit`` (loc_coef.tsv, …, feature_stats.tsv).
    """

    def __init__(self, handle, counts_arguments=None):
        self._handle = handle
        self._counts = counts_arguments  # for likelihood-ratio tests (refits on the same counts)
        a = handle.arrays()
        index = pd.Index(a["feature_names"], name="feature")

        def frame(values, names):
            return pd.DataFrame(values, index=index, columns=list(names))

        self.loc_coef = frame(a["loc_coef"], a["loc_names"])
        self.loc_se = frame(a["loc_se"], a["loc_names"])
        self.scale_coef = frame(a["scale_coef"], a["scale_names"])
        self.scale_se = frame(a["scale_se"], a["scale_names"])
        self.stats = pd.DataFrame({"loglik": a["loglik"], "status": a["status"],
                                   "iterations": np.asarray(a["iterations"], dtype=np.int64),
                                   "location_trained": np.asarray(a["location_trained"], dtype=np.int64),
                                   "scale_trained": np.asarray(a["scale_trained"], dtype=np.int64)}, index=index)
        sf = a["size_factors"]
        self.size_factors = (pd.Series(sf, index=pd.Index(a["obs_names"], name="observation"), name="size_factor")
                             if len(sf) else None)
        self.report = a["report"]

    def __repr__(self):
        return f"<nbglm.FitResult: {self.report}>"


def fit(counts, samples=None, loc=None, scale=None, ref=None, loc_constraints=None, scale_constraints=None,
        loc_nested=None, scale_nested=None, loc_design=None, scale_design=None, size_factors=None,
        algorithm="newton", scale_estimate="mle", threads=None, layer=None, memory_budget=None,
        max_iterations=200, function_tolerance=1e-12, gradient_tolerance=1e-8, progress=False, noise="nb"):
    """Fits one negative-binomial (or Poisson) GLM per feature, as ``nbglm fit`` does.

    counts: observations x features — an AnnData (X, or ``layer``), numpy
        array, scipy.sparse CSR/CSC matrix (read in place, never densified) or
        pandas DataFrame.
    samples: the sample sheet, a DataFrame indexed by observation name, or a
        TSV/.h5ad path; default: the AnnData's obs (categoricals keep their
        category order).
    loc, scale: R formulas of the location (log mean) and scale (log NB size)
        models, e.g. "~ cluster_id + group_id"; scale defaults to "~ 1".
    ref: reference levels, {"factor": "level"}.
    loc_constraints, scale_constraints: constraint tables (TSV paths);
        loc_nested / scale_nested: "F:G" nesting shorthands.
    loc_design, scale_design: design TSV paths instead of formulas.
    size_factors: None, "ratio", "poscounts", "total", a numeric column of
        the sheet, a TSV path, or one value per observation (array-like).
    algorithm: "newton", "irls" or "ceres"; scale_estimate: "mle" or "cox-reid".
    noise: "nb" (negative binomial) or "poisson" (no overdispersion: no scale
        model; the scale is reported at the limit, +inf).
    threads: threads over features (None: all cores); results do not depend on it.
    memory_budget: MiB for the counts, of which half is copied out of the input
        (feature-major) at a time; default: the size of the input's arrays
        (at least 64), so that the fit adds about half the input's memory.
    progress: a tqdm bar (if tqdm is installed).

    Returns a FitResult. Raises ValueError with the command line's message for
    a mistake in the inputs; Ctrl-C stops the fit (KeyboardInterrupt).
    """
    args, obs = counts_arguments(counts, layer)
    sheet = resolve_samples(samples, obs, args)
    model = model_arguments(loc, scale, loc_design, scale_design, loc_constraints, scale_constraints, loc_nested,
                            scale_nested, ref, None)
    if memory_budget is None:
        input_bytes = sum(args[key].nbytes for key in ("data", "indices", "indptr") if key in args)
        memory_budget = max(64, -(-input_bytes // 2**20))
    if size_factors is not None and not isinstance(size_factors, str):
        size_factors = np.ascontiguousarray(np.asarray(size_factors, dtype=np.float64))
    options = {"size_factors": size_factors, "algorithm": algorithm, "scale_estimate": scale_estimate, "noise": noise,
               "threads": 0 if threads is None else int(threads), "memory_budget": int(memory_budget),
               "max_iterations": int(max_iterations), "function_tolerance": float(function_tolerance),
               "gradient_tolerance": float(gradient_tolerance)}
    callback, bar = _progress_callback(progress, "fit")
    try:
        handle = _core.fit(args, sheet, model, options, callback)
    finally:
        if bar is not None:
            bar.close()
    return FitResult(handle, args)


def _test_frame(a):
    return pd.DataFrame({"estimate": a["estimate"], "se": a["se"], "statistic": a["statistic"],
                         "pvalue": a["pvalue"], "padj": a["padj"], "status": a["status"]},
                        index=pd.Index(a["feature_names"], name="feature"))


def test(fit_result, coef=None, contrast=None, reduced_loc=None, reduced_loc_design=None,
         reduced_loc_constraints=None, reduced_loc_nested=None, reduced_scale=None, reduced_scale_design=None,
         threads=None):
    """Tests of a FitResult, as ``nbglm test`` does on the fit directory.

    Wald tests:
      coef: a parameter name ("group_idstim"; "loc:NAME" / "scale:NAME" pick
          the predictor);
      contrast: {parameter: weight} over every parameter of one predictor.
    Likelihood-ratio test against a reduced model refitted on the same counts,
    size factors and algorithm (the fit must be scale_estimate="mle"):
      reduced_loc="~ …" or reduced_loc_design=path (with reduced_loc_constraints,
      reduced_loc_nested=["F:G"] or "none"), and/or reduced_scale="~ …" or
      reduced_scale_design=path or "intercept".

    Returns a DataFrame (estimate, se, statistic, pvalue, padj, status); for
    the LRT, estimate holds the log-likelihood difference and statistic 2x it.
    """
    if not isinstance(fit_result, FitResult):
        raise ValueError(f"fit_result: {type(fit_result).__name__}: a FitResult from nbglm.fit is expected")
    reduced = {"reduced_loc": reduced_loc, "reduced_loc_design": reduced_loc_design,
               "reduced_loc_constraints": reduced_loc_constraints,
               "reduced_loc_nested": [reduced_loc_nested] if isinstance(reduced_loc_nested, str) else reduced_loc_nested,
               "reduced_scale": reduced_scale, "reduced_scale_design": reduced_scale_design}
    modes = (coef is not None) + (contrast is not None) + any(v is not None for v in reduced.values())
    if modes != 1:
        raise ValueError(f"test: {modes} tests given: give exactly one: coef=NAME, contrast={{NAME: weight}}, "
                         "or a reduced model (reduced_loc=, reduced_scale=, …)")
    if coef is not None or contrast is not None:
        return _test_frame(_core.test(fit_result._handle, coef, contrast))
    return _test_frame(_core.likelihood_ratio(fit_result._handle, fit_result._counts, reduced,
                                              0 if threads is None else int(threads)))


_DE_COLUMNS = ["base_mean", "estimate", "log2_fold_change", "se", "statistic", "df1", "df2", "pvalue", "padj",
               "dispersion"]


def de(counts, samples=None, loc=None, coef=None, contrast=None, reduced_loc=None, reduced_loc_design=None,
       ref=None, loc_constraints=None, loc_nested=None, loc_design=None, scale=None, method="ql",
       dispersion="shrunk", filter="expr", size_factors="auto", subset=None, threads=None, layer=None):
    """Differential expression, as ``nbglm de`` (docs/de.md): expression
    filter, Cox–Reid dispersions shrunk towards a trend, quasi-likelihood F
    test — calibrated for few replicates. For single cells, pseudobulk first.

    counts, samples, loc, ref, loc_constraints, loc_nested, loc_design, layer:
        as for ``fit``.
    Exactly one hypothesis: coef="name", contrast={name: weight},
        reduced_loc="~ …" or reduced_loc_design=path.
    method: "ql", "wald" or "lrt"; dispersion: "shrunk" or "mle";
    filter: "expr" (edgeR's filterByExpr) or "none"; size_factors: "auto",
    "ratio", "poscounts", "total", a sheet column or a TSV path;
    subset: {column: value} — test within these sample-sheet rows.

    Returns a DataFrame indexed by feature (input order): base_mean, estimate,
    log2_fold_change, se, statistic, df1, df2, pvalue, padj, dispersion,
    status; ``.attrs["report"]`` holds the summary line.
    """
    args, obs = counts_arguments(counts, layer)
    sheet = resolve_samples(samples, obs, args)
    model = model_arguments(loc, scale, loc_design, None, loc_constraints, None, loc_nested, None, ref, subset)
    options = {"coef": coef, "contrast": contrast, "reduced_loc": reduced_loc,
               "reduced_loc_design": reduced_loc_design, "method": method, "dispersion": dispersion,
               "filter": filter, "size_factors": size_factors, "threads": 0 if threads is None else int(threads)}
    a = _core.de(args, sheet, model, options)
    frame = pd.DataFrame({name: a[name] for name in _DE_COLUMNS}, index=pd.Index(a["feature_names"], name="feature"))
    frame["status"] = a["status"]
    frame.attrs["report"] = a["report"]
    return frame


Pseudobulk = namedtuple("Pseudobulk", ["counts", "samples"])
Pseudobulk.__doc__ = """Counts summed per group (``nbglm.pseudobulk``).

counts: groups x features (a DataFrame; the transpose of the command line's
    counts.tsv, as nbglm's Python inputs are observations x features).
samples: one row per group — every sheet column constant within groups and
    n_cells — equal to the command line's samples.tsv read with pandas."""


def pseudobulk(counts, by, samples=None, layer=None):
    """Sums the counts of the cells of each combination of the ``by``
    columns (e.g. ["sample_id", "cluster_id"]), as ``nbglm pseudobulk``.

    counts: cells x features (AnnData, numpy, scipy.sparse, DataFrame);
    samples: one row per cell (default: the AnnData's obs).
    Returns Pseudobulk(counts, samples), ready for ``nbglm.de``.
    """
    args, obs = counts_arguments(counts, layer)
    sheet = resolve_samples(samples, obs, args)
    if isinstance(by, str):
        by = [by]
    a = _core.pseudobulk(args, sheet, list(by))
    sums = pd.DataFrame(a["counts"].T, index=pd.Index(a["group_names"], name="sample"),
                        columns=pd.Index(a["feature_names"], name="feature"))
    sheet_frame = pd.read_csv(io.StringIO(a["samples_tsv"]), sep="\t", index_col=0)
    return Pseudobulk(sums, sheet_frame)


def convert(counts, out, layer=None, memory_budget=4096):
    """Writes the counts as a feature-major .h5ad, as ``nbglm convert``: an
    AnnData file whose X is CSC (compressed by feature), read by nbglm without
    parsing and sliceable by feature (docs/formats.md "Feature-major .h5ad").

    counts: cells x features (AnnData, numpy, scipy.sparse, DataFrame), read
    in place; out: the file to write (complete or not at all); memory_budget:
    MiB of counts held at once while writing. Only the names are kept (obs and
    var without columns).
    """
    if memory_budget < 1:
        raise ValueError(f"memory_budget: {memory_budget}: must be >= 1 (MiB)")
    args, _ = counts_arguments(counts, layer)
    _core.convert(args, str(out), int(memory_budget) * (1 << 20) // 2)


def check_design(samples=None, loc=None, scale=None, ref=None, loc_constraints=None, scale_constraints=None,
                 loc_nested=None, scale_nested=None, loc_design=None, scale_design=None):
    """The rank check of ``nbglm check-design``: is the model identifiable
    under its constraints?

    samples: the sample sheet (DataFrame indexed by observation, or a TSV /
        .h5ad path) for formulas; the other arguments as for ``fit``.
    Returns {"loc": …, "scale": … or None, "report": text}: "loc"/"scale" are
    the objects of ``nbglm check-design --json`` (parameters, rank,
    deficiencies, unidentifiable combinations by name), "report" its text.
    """
    sheet = samples if isinstance(samples, str) else (None if samples is None else
                                                      _sheet_arguments(samples, what="samples"))
    model = model_arguments(loc, scale, loc_design, scale_design, loc_constraints, scale_constraints, loc_nested,
                            scale_nested, ref, None)
    a = _core.check_design(sheet, model)
    return {"loc": json.loads(a["loc"]), "scale": None if a["scale"] is None else json.loads(a["scale"]),
            "report": a["report"]}


Simulation = namedtuple("Simulation", ["counts", "true_loc_coef", "true_scale_coef"])
Simulation.__doc__ = """Simulated counts with their truth (``nbglm.simulate``).

counts: observations x features (DataFrame; the transpose of the command
    line's counts.mtx). true_loc_coef, true_scale_coef: features x parameters,
    equal to true_loc_coef.tsv and true_scale_coef.tsv."""


def _design_argument(design, what):
    if design is None or isinstance(design, str):
        return design
    if not isinstance(design, pd.DataFrame):
        raise ValueError(f"{what}: {type(design).__name__}: a DataFrame (observations x parameters) or a TSV path")
    return {"values": np.ascontiguousarray(design.to_numpy(dtype=np.float64)),
            "parameter_names": [str(c) for c in design.columns],
            "observation_names": [str(i) for i in design.index]}


def simulate(features, loc_design, scale_design=None, size_factors=None, seed=0, threads=1):
    """batchglm's simulator, as ``nbglm simulate``: true coefficients drawn
    for each feature, then negative-binomial counts.

    features: number of features; loc_design, scale_design: DataFrames
    (observations x parameters) or design TSV paths (scale default: intercept
    only); size_factors: one per observation, or a TSV path; seed: the output
    depends on it alone (not on threads).
    Returns Simulation(counts, true_loc_coef, true_scale_coef).
    """
    if size_factors is not None and not isinstance(size_factors, str):
        size_factors = np.ascontiguousarray(np.asarray(size_factors, dtype=np.float64))
    a = _core.simulate(int(features), _design_argument(loc_design, "loc_design"),
                       _design_argument(scale_design, "scale_design"), size_factors, int(seed), int(threads))
    index = pd.Index(a["feature_names"], name="feature")
    counts = pd.DataFrame(a["counts"].T, index=pd.Index(a["obs_names"], name="observation"),
                          columns=index)
    return Simulation(counts, pd.DataFrame(a["true_loc_coef"], index=index, columns=a["loc_names"]),
                      pd.DataFrame(a["true_scale_coef"], index=index, columns=a["scale_names"]))


from . import plot  # noqa: E402  (matplotlib is imported only when a plot is drawn)
