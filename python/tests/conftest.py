"""Shared fixtures of the Python suite: the command-line tool (to compare
with), the shared data sets, and kang_muscat as an AnnData."""
import os
import pathlib
import subprocess

import numpy as np
import pandas as pd
import pytest
import scipy.io

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA = pathlib.Path(os.environ.get("NBGLM_SHARED_DATA", REPO.parent / "shared" / "data"))
CLI = os.environ.get("NBGLM_CLI", str(REPO / "build" / "nbglm"))


def run_cli(*args):
    """Runs `nbglm ARGS`; returns (exit status, stderr)."""
    done = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    return done.returncode, done.stderr


def read_table(path):
    """A TSV the tool wrote, read back exactly (round-trip float parsing)."""
    return pd.read_csv(path, sep="\t", index_col=0, float_precision="round_trip")


@pytest.fixture(scope="session")
def kang():
    """kang_muscat (10x directory + cells.tsv) as an AnnData: cells x genes
    CSR float32, obs with categorical cluster_id, sample_id, group_id."""
    anndata = pytest.importorskip("anndata")
    directory = DATA / "kang_muscat"
    if not directory.exists():
        pytest.skip(f"{directory} is missing")
    matrix = scipy.io.mmread(str(directory / "matrix.mtx")).T.tocsr().astype(np.float32)
    genes = pd.read_csv(directory / "genes.tsv", sep="\t", header=None)[0].astype(str).tolist()
    barcodes = pd.read_csv(directory / "barcodes.tsv", sep="\t", header=None)[0].astype(str).tolist()
    cells = pd.read_csv(directory / "cells.tsv", sep="\t", index_col=0).loc[barcodes]
    for column in ["cluster_id", "sample_id", "group_id"]:
        cells[column] = pd.Categorical(cells[column])
    return anndata.AnnData(X=matrix, obs=cells, var=pd.DataFrame(index=genes), dtype=np.float32)


@pytest.fixture(scope="session")
def kang_cli_fit(tmp_path_factory):
    """`nbglm fit` of kang_muscat's 10x directory, the reference of the fit tests."""
    out = tmp_path_factory.mktemp("kang") / "fit"
    directory = DATA / "kang_muscat"
    status, err = run_cli("fit", "--quiet", "--counts", directory, "--samples", directory / "cells.tsv", "--loc",
                          "~ cluster_id + group_id", "--size-factors", "total", "--out", out)
    assert status == 0, err
    return out
