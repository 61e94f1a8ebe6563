"""nbglm.de and nbglm.pseudobulk equal `nbglm de` / `nbglm pseudobulk`
value for value; the .h5ad and 10x .h5 inputs of the command line fit as the
10x directory does, byte for byte; plots are drawn."""
import filecmp

import h5py
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import nbglm
from conftest import DATA, read_table, run_cli


def test_de_equals_the_command_line(tmp_path):
    pasilla = DATA / "pasilla"
    status, err = run_cli("de", "--quiet", "--counts", pasilla / "counts.tsv", "--samples", pasilla / "samples.tsv",
                          "--loc", "~ type + condition", "--ref", "condition=untreated", "--coef",
                          "conditiontreated", "--out", tmp_path / "de.tsv")
    assert status == 0, err
    expected = read_table(tmp_path / "de.tsv")
    counts = pd.read_csv(pasilla / "counts.tsv", sep="\t", index_col=0).T  # samples x genes
    samples = pd.read_csv(pasilla / "samples.tsv", sep="\t", index_col=0)
    result = nbglm.de(counts, samples=samples, loc="~ type + condition", ref={"condition": "untreated"},
                      coef="conditiontreated")
    pd.testing.assert_frame_equal(result, expected, check_exact=True, check_names=False)
    assert "1518 at padj < 0.1" in result.attrs["report"]
    by_path = nbglm.de(counts, samples=str(pasilla / "samples.tsv"), loc="~ type + condition",
                       ref={"condition": "untreated"}, coef="conditiontreated")
    pd.testing.assert_frame_equal(by_path, expected, check_exact=True, check_names=False)


def test_pseudobulk_then_de_equal_the_command_line(kang, tmp_path):
    directory = DATA / "kang_muscat"
    status, err = run_cli("pseudobulk", "--quiet", "--counts", directory, "--samples", directory / "cells.tsv",
                          "--by", "sample_id,cluster_id", "--out", tmp_path / "pb")
    assert status == 0, err
    pb = nbglm.pseudobulk(kang, by=["sample_id", "cluster_id"])
    pd.testing.assert_frame_equal(pb.counts.T.astype(np.int64), read_table(tmp_path / "pb" / "counts.tsv"),
                                  check_names=False)
    pd.testing.assert_frame_equal(pb.samples, read_table(tmp_path / "pb" / "samples.tsv"), check_exact=True)
    status, err = run_cli("de", "--quiet", "--counts", tmp_path / "pb" / "counts.tsv", "--samples",
                          tmp_path / "pb" / "samples.tsv", "--subset", "cluster_id=B cells", "--loc",
                          "~ donor + group_id", "--coef", "group_idstim", "--out", tmp_path / "b.tsv")
    assert status == 0, err
    result = nbglm.de(pb.counts, samples=pb.samples, subset={"cluster_id": "B cells"}, loc="~ donor + group_id",
                      coef="group_idstim")
    pd.testing.assert_frame_equal(result, read_table(tmp_path / "b.tsv"), check_exact=True, check_names=False)


def write_10x_h5(path, adata):
    by_barcode = sp.csc_matrix(adata.X.T.astype(np.int32))
    with h5py.File(path, "w") as f:
        m = f.create_group("matrix")
        m.create_dataset("barcodes", data=np.array(adata.obs_names, dtype="S"))
        m.create_dataset("data", data=by_barcode.data)
        m.create_dataset("indices", data=by_barcode.indices)
        m.create_dataset("indptr", data=by_barcode.indptr)
        m.create_dataset("shape", data=np.array(by_barcode.shape, dtype=np.int32))
        m.create_group("features").create_dataset("id", data=np.array(adata.var_names, dtype="S"))


def test_hdf5_inputs_fit_as_the_10x_directory_byte_for_byte(kang, kang_cli_fit, tmp_path):
    import anndata
    inputs = {}
    for layout, x in {"csr": kang.X, "csc": kang.X.tocsc(), "dense": kang.X.toarray()}.items():
        path = tmp_path / f"kang_{layout}.h5ad"
        anndata.AnnData(X=x, obs=kang.obs, var=kang.var, dtype=x.dtype).write_h5ad(path)
        inputs[layout] = ["--counts", path]
    write_10x_h5(tmp_path / "kang.h5", kang)
    inputs["10x_h5"] = ["--counts", tmp_path / "kang.h5", "--samples", DATA / "kang_muscat" / "cells.tsv"]
    for name, arguments in inputs.items():
        out = tmp_path / f"fit_{name}"
        status, err = run_cli("fit", "--quiet", *arguments, "--loc", "~ cluster_id + group_id", "--size-factors",
                              "total", "--memory-budget", "3", "--out", out)
        assert status == 0, err
        for file in sorted(p.name for p in kang_cli_fit.iterdir()):
            if file != "summary.json":
                assert filecmp.cmp(kang_cli_fit / file, out / file, shallow=False), f"{name}: {file} differs"


def test_plots_are_drawn(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    rng = np.random.default_rng(3)
    table = pd.DataFrame({"base_mean": rng.gamma(2.0, 50.0, 300), "log2_fold_change": rng.normal(0, 1, 300),
                          "pvalue": rng.uniform(0, 1, 300), "dispersion": rng.gamma(2.0, 0.05, 300)})
    table["padj"] = np.minimum(1.0, table["pvalue"] * 3)
    for plot in (nbglm.plot.volcano, nbglm.plot.ma, nbglm.plot.dispersion):
        axes = plot(table)
        path = tmp_path / f"{plot.__name__}.png"
        axes.figure.savefig(path)
        assert path.stat().st_size > 1000


def test_the_command_line_draws_the_plots(tmp_path):
    pasilla = DATA / "pasilla"
    status, err = run_cli("de", "--quiet", "--counts", pasilla / "counts.tsv", "--samples", pasilla / "samples.tsv",
                          "--loc", "~ type + condition", "--coef", "conditionuntreated", "--out", tmp_path / "de.tsv",
                          "--plots", tmp_path / "plots")
    assert status == 0, err
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == ["dispersion.png", "ma.png", "volcano.png"]
    assert all((tmp_path / "plots" / name).stat().st_size > 5000 for name in ["dispersion.png", "ma.png", "volcano.png"])
