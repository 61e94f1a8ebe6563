"""nbglm.fit and nbglm.test equal `nbglm fit` / `nbglm test` value for value,
whatever the input layout; inputs are read in place; errors are the CLI's."""
import json
import os
import signal
import subprocess
import threading

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import nbglm
from conftest import CLI, DATA, read_table, run_cli

FILES = {"loc_coef": "loc_coef.tsv", "loc_se": "loc_se.tsv", "scale_coef": "scale_coef.tsv",
         "scale_se": "scale_se.tsv", "stats": "feature_stats.tsv"}


def layouts(adata):
    dense = adata.X.toarray()
    return {"csr": adata.X, "csc": adata.X.tocsc(), "dense": dense, "fortran": np.asfortranarray(dense),
            "int64_csr": sp.csr_matrix(adata.X.astype(np.int64))}


@pytest.mark.parametrize("layout", ["csr", "csc", "dense", "fortran", "int64_csr"])
def test_fit_equals_the_command_line(kang, kang_cli_fit, layout):
    import anndata
    x = layouts(kang)[layout]
    adata = anndata.AnnData(X=x, obs=kang.obs, var=kang.var, dtype=x.dtype)
    fit = nbglm.fit(adata, loc="~ cluster_id + group_id", size_factors="total")
    for attribute, file in FILES.items():
        pd.testing.assert_frame_equal(getattr(fit, attribute), read_table(kang_cli_fit / file), check_exact=True,
                                      check_names=False)
    sf = read_table(kang_cli_fit / "size_factors.tsv")["size_factor"]
    np.testing.assert_array_equal(fit.size_factors.to_numpy(), sf.to_numpy())
    assert "converged" in fit.report


def test_numpy_and_dataframe_inputs_with_a_sheet(kang, kang_cli_fit):
    dense = pd.DataFrame(kang.X.toarray(), index=kang.obs_names, columns=kang.var_names)
    fit = nbglm.fit(dense, samples=kang.obs, loc="~ cluster_id + group_id", size_factors="total")
    pd.testing.assert_frame_equal(fit.loc_coef, read_table(kang_cli_fit / "loc_coef.tsv"), check_exact=True,
                                  check_names=False)
    # A bare array has no names: observations match the sheet by position.
    bare = nbglm.fit(kang.X, samples=str(DATA / "kang_muscat" / "cells.tsv"), loc="~ cluster_id + group_id",
                     size_factors="total")
    np.testing.assert_array_equal(bare.loc_coef.to_numpy(), fit.loc_coef.to_numpy())


def test_backed_anndata_is_read_with_its_names(tmp_path, kang, kang_cli_fit):
    import anndata
    kang.write_h5ad(tmp_path / "kang.h5ad")
    backed = anndata.read_h5ad(tmp_path / "kang.h5ad", backed="r")
    fit = nbglm.fit(backed, loc="~ cluster_id + group_id", size_factors="total")
    pd.testing.assert_frame_equal(fit.loc_coef, read_table(kang_cli_fit / "loc_coef.tsv"), check_exact=True,
                                  check_names=False)


def test_wald_tests_equal_the_command_line(kang, kang_cli_fit, tmp_path):
    fit = nbglm.fit(kang, loc="~ cluster_id + group_id", size_factors="total")
    status, err = run_cli("test", "--quiet", "--fit", kang_cli_fit, "--coef", "group_idstim", "--out", tmp_path / "t.tsv")
    assert status == 0, err
    pd.testing.assert_frame_equal(nbglm.test(fit, coef="group_idstim"), read_table(tmp_path / "t.tsv"),
                                  check_exact=True, check_names=False)
    names = list(fit.loc_coef.columns)
    weights = {name: 0.0 for name in names}
    weights["cluster_idCD4 T cells"], weights["cluster_idCD8 T cells"] = 1.0, -1.0
    pd.DataFrame([weights]).to_csv(tmp_path / "c.tsv", sep="\t", index=False)
    status, err = run_cli("test", "--quiet", "--fit", kang_cli_fit, "--contrast", tmp_path / "c.tsv", "--out",
                          tmp_path / "c_out.tsv")
    assert status == 0, err
    pd.testing.assert_frame_equal(nbglm.test(fit, contrast=weights), read_table(tmp_path / "c_out.tsv"),
                                  check_exact=True, check_names=False)


def test_likelihood_ratio_tests_equal_the_command_line(kang, kang_cli_fit, tmp_path):
    fit = nbglm.fit(kang, loc="~ cluster_id + group_id", size_factors="total")
    status, err = run_cli("test", "--quiet", "--fit", kang_cli_fit, "--reduced-loc", "~ cluster_id", "--out",
                          tmp_path / "lrt.tsv")
    assert status == 0, err
    pd.testing.assert_frame_equal(nbglm.test(fit, reduced_loc="~ cluster_id"), read_table(tmp_path / "lrt.tsv"),
                                  check_exact=True, check_names=False)
    cox_reid = nbglm.fit(kang, loc="~ cluster_id + group_id", size_factors="total", scale_estimate="cox-reid")
    with pytest.raises(ValueError, match="needs maximum-likelihood fits"):
        nbglm.test(cox_reid, reduced_loc="~ cluster_id")


def test_poisson_fit_and_its_likelihood_ratio_test_equal_the_command_line(kang, tmp_path):
    directory = DATA / "kang_muscat"
    status, err = run_cli("fit", "--quiet", "--counts", directory, "--samples", directory / "cells.tsv", "--loc",
                          "~ cluster_id + group_id", "--size-factors", "total", "--noise", "poisson", "--out",
                          tmp_path / "fit")
    assert status == 0, err
    fit = nbglm.fit(kang, loc="~ cluster_id + group_id", size_factors="total", noise="poisson")
    for attribute, file in FILES.items():
        pd.testing.assert_frame_equal(getattr(fit, attribute), read_table(tmp_path / "fit" / file), check_exact=True,
                                      check_names=False)
    assert np.isinf(fit.scale_coef.to_numpy()[fit.stats["status"].to_numpy() != "all_zero"]).all()
    status, err = run_cli("test", "--quiet", "--fit", tmp_path / "fit", "--reduced-loc", "~ cluster_id", "--out",
                          tmp_path / "lrt.tsv")
    assert status == 0, err
    pd.testing.assert_frame_equal(nbglm.test(fit, reduced_loc="~ cluster_id"), read_table(tmp_path / "lrt.tsv"),
                                  check_exact=True, check_names=False)
    with pytest.raises(ValueError, match="has no overdispersion to model"):
        nbglm.fit(kang, loc="~ group_id", scale="~ group_id", noise="poisson")


def test_mistakes_raise_the_command_lines_message(kang, kang_cli_fit, tmp_path):
    fit = nbglm.fit(kang, loc="~ cluster_id + group_id", size_factors="total")
    status, err = run_cli("test", "--quiet", "--fit", kang_cli_fit, "--coef", "nope", "--out", tmp_path / "t.tsv")
    assert status == 2
    with pytest.raises(ValueError) as raised:
        nbglm.test(fit, coef="nope")
    assert "nbglm: error: " + str(raised.value) + "\n" == err
    with pytest.raises(ValueError, match="unknown column|not a column"):
        nbglm.fit(kang, loc="~ no_such_column")
    bad = sp.csr_matrix(kang.X.copy())
    bad.data[5] = 0.5
    with pytest.raises(ValueError, match=r"^X\.data\[5\]: 0\.5: counts must be non-negative integers$"):
        import anndata
        nbglm.fit(anndata.AnnData(X=bad, obs=kang.obs, var=kang.var, dtype=bad.dtype), loc="~ group_id")
    with pytest.raises(ValueError, match="layer 'raw': no such layer"):
        nbglm.fit(kang, loc="~ group_id", layer="raw")


def test_ctrl_c_stops_a_fit():
    rng = np.random.default_rng(1)
    counts = rng.poisson(5.0, size=(200, 40000)).astype(np.int32)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            nbglm.fit(counts, loc_design=None, samples=pd.DataFrame({"g": ["a", "b"] * 100},
                                                                     index=[f"obs_{i}" for i in range(200)]),
                      loc="~ g", threads=1, algorithm="ceres")
    finally:
        timer.cancel()
    # The interpreter's own handler is back.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_stops_a_de_run():
    rng = np.random.default_rng(2)
    counts = rng.poisson(5.0, size=(200, 40000)).astype(np.int32)
    samples = pd.DataFrame({"g": ["a", "b"] * 100}, index=[f"obs_{i}" for i in range(200)])
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            nbglm.de(counts, samples=samples, loc="~ g", coef="gb", threads=1)
    finally:
        timer.cancel()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_help_documents_the_orientation():
    assert "observations x features" in nbglm.fit.__doc__
    assert "observations x features" in nbglm.__doc__


def test_check_design_and_simulate_equal_the_command_line(tmp_path):
    import scipy.io
    samples = pd.DataFrame({"condition": ["a", "a", "b", "b"], "batch": ["x", "y", "x", "y"]},
                           index=["s1", "s2", "s3", "s4"])
    samples.to_csv(tmp_path / "s.tsv", sep="\t", index_label="sample")
    report = nbglm.check_design(samples, loc="~ condition + batch")
    assert report["loc"]["rank"] == 3 and report["scale"] is None
    confounded = nbglm.check_design(samples, loc="~ condition + condition:batch + batch")
    status, _ = run_cli("check-design", "--samples", tmp_path / "s.tsv", "--loc", "~ condition + condition:batch + batch")
    assert status == 0
    done = subprocess.run([CLI, "check-design", "--json", "--samples", str(tmp_path / "s.tsv"), "--loc",
                           "~ condition + condition:batch + batch"], capture_output=True, text=True)
    assert json.loads(done.stdout)["loc"] == confounded["loc"]
    design = pd.DataFrame({"(Intercept)": 1.0, "conditionb": [0.0, 0.0, 1.0, 1.0]}, index=samples.index)
    design.to_csv(tmp_path / "d.tsv", sep="\t", index_label="observation")
    status, err = run_cli("simulate", "--features", 50, "--loc-design", tmp_path / "d.tsv", "--seed", 7, "--out",
                          tmp_path / "sim")
    assert status == 0, err
    sim = nbglm.simulate(50, design, seed=7)
    cli_counts = scipy.io.mmread(str(tmp_path / "sim" / "counts.mtx")).toarray()
    np.testing.assert_array_equal(sim.counts.to_numpy().T, cli_counts)
    pd.testing.assert_frame_equal(sim.true_loc_coef, read_table(tmp_path / "sim" / "true_loc_coef.tsv"),
                                  check_exact=True, check_names=False)
    pd.testing.assert_frame_equal(sim.true_scale_coef, read_table(tmp_path / "sim" / "true_scale_coef.tsv"),
                                  check_exact=True, check_names=False)


def test_version_is_the_libraries_and_the_tools():
    out = subprocess.run([CLI, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    assert out == f"nbglm {nbglm.__version__}"
    assert len([int(part) for part in nbglm.__version__.split(".")]) == 3  # MAJOR.MINOR.PATCH


def test_converted_file_is_an_anndata_with_the_same_counts(kang, tmp_path):
    """`nbglm convert` writes a standard .h5ad (X as CSC) that anndata reads back equal."""
    import anndata
    out = tmp_path / "kang.h5ad"
    run_cli("convert", "--counts", str(DATA / "kang_muscat"), "--memory-budget", "1", "--out", str(out))
    back = anndata.read_h5ad(out)
    assert back.shape == kang.shape
    assert sp.isspmatrix_csc(back.X)
    assert list(back.obs_names) == list(kang.obs_names)
    assert list(back.var_names) == list(kang.var_names)
    assert (back.X != sp.csr_matrix(kang.X)).nnz == 0


def test_python_convert_equals_the_command_lines(kang, tmp_path):
    """nbglm.convert on the AnnData in memory writes the counts the CLI writes from the 10x directory."""
    import anndata
    nbglm.convert(kang, tmp_path / "py.h5ad", memory_budget=1)
    run_cli("convert", "--counts", str(DATA / "kang_muscat"), "--out", str(tmp_path / "cli.h5ad"))
    a, b = anndata.read_h5ad(tmp_path / "py.h5ad"), anndata.read_h5ad(tmp_path / "cli.h5ad")
    assert list(a.obs_names) == list(b.obs_names) and list(a.var_names) == list(b.var_names)
    assert (a.X != b.X).nnz == 0
    with pytest.raises(ValueError, match="memory_budget: 0"):
        nbglm.convert(kang, tmp_path / "x.h5ad", memory_budget=0)


def test_numeric_labels_are_the_command_lines(tmp_path):
    """Float categories become the same text (hence the same parameter
    names) from a DataFrame as from the .h5ad obs the CLI reads."""
    import anndata
    dose = pd.Categorical([1e15, 0.5, 1e-7, 0.5, 1e15, 1e-7, 0.5, 1e15], categories=[1e-7, 0.5, 1e15])
    obs = pd.DataFrame({"dose": dose, "depth": [1.5, 2.5, 0.25, 3.0, 0.1, 7.0, 4.0, 2.0]},
                       index=[f"c{i}" for i in range(8)])
    counts = np.random.default_rng(3).poisson(20.0, size=(8, 3)).astype(np.float32)
    adata = anndata.AnnData(X=counts, obs=obs, var=pd.DataFrame(index=["g1", "g2", "g3"]))
    path = tmp_path / "small.h5ad"
    adata.write_h5ad(path)
    status, err = run_cli("fit", "--counts", path, "--loc", "~ dose + depth", "--out", tmp_path / "fit")
    assert status == 0, err
    cli = read_table(tmp_path / "fit" / "loc_coef.tsv")
    python = nbglm.fit(adata, loc="~ dose + depth", threads=1).loc_coef
    assert list(python.columns) == list(cli.columns) == ["(Intercept)", "dose0.5", "dose1e+15", "depth"]
    pd.testing.assert_frame_equal(python, cli, check_exact=True, check_names=False)
