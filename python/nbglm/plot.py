"""Plots of nbglm results with matplotlib (Debian python3-matplotlib),
imported only when a plot is drawn (docs/python.md "Plots")."""

import numpy as np


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt
        _, ax = plt.subplots(figsize=(5, 4), dpi=120)
    return ax


def volcano(de, padj=0.1, ax=None, title=None):
    """log2 fold change against -log10 p-value of an ``nbglm.de`` table;
    features at padj < ``padj`` in red. Returns the matplotlib Axes."""
    ax = _axes(ax)
    tested = de["pvalue"].notna() & de["log2_fold_change"].notna()
    x = de.loc[tested, "log2_fold_change"].to_numpy()
    y = -np.log10(np.maximum(de.loc[tested, "pvalue"].to_numpy(), np.finfo(float).tiny))
    hit = (de.loc[tested, "padj"] < padj).to_numpy()
    ax.scatter(x[~hit], y[~hit], s=4, c="0.6", linewidths=0, label=f"padj >= {padj:g}")
    ax.scatter(x[hit], y[hit], s=5, c="tab:red", linewidths=0, label=f"padj < {padj:g} ({hit.sum()})")
    ax.axvline(0.0, color="0.3", lw=0.5)
    ax.set_xlabel("log2 fold change")
    ax.set_ylabel("-log10 p-value")
    ax.legend(frameon=False, fontsize="small", markerscale=3)
    ax.set_title(title or "volcano")
    return ax


def ma(de, padj=0.1, ax=None, title=None):
    """Mean (base_mean, log scale) against log2 fold change of an
    ``nbglm.de`` table; features at padj < ``padj`` in red."""
    ax = _axes(ax)
    tested = de["base_mean"].gt(0) & de["log2_fold_change"].notna()
    x = de.loc[tested, "base_mean"].to_numpy()
    y = de.loc[tested, "log2_fold_change"].to_numpy()
    hit = (de.loc[tested, "padj"] < padj).to_numpy()
    ax.scatter(x[~hit], y[~hit], s=4, c="0.6", linewidths=0)
    ax.scatter(x[hit], y[hit], s=5, c="tab:red", linewidths=0, label=f"padj < {padj:g} ({hit.sum()})")
    ax.set_xscale("log")
    ax.axhline(0.0, color="0.3", lw=0.5)
    ax.set_xlabel("mean of normalised counts")
    ax.set_ylabel("log2 fold change")
    ax.legend(frameon=False, fontsize="small", markerscale=3)
    ax.set_title(title or "MA plot")
    return ax


def dispersion(result, ax=None, title=None):
    """Mean against NB dispersion (1/r). For an ``nbglm.de`` table: the
    dispersions the test used (shrunken towards the trend with the default
    dispersion="shrunk"), tested features only. For a FitResult with an
    intercept-only scale model: the per-feature maximum-likelihood
    dispersions exp(-scale intercept) against exp(location intercept)."""
    ax = _axes(ax)
    if hasattr(result, "scale_coef"):
        if list(result.scale_coef.columns) != ["(Intercept)"]:
            raise ValueError("dispersion plot: the fit's scale model has covariates (one dispersion per "
                             "feature is needed)")
        converged = result.stats["status"].eq("converged")
        mean = np.exp(result.loc_coef.iloc[:, 0][converged].to_numpy())
        phi = np.exp(-result.scale_coef["(Intercept)"][converged].to_numpy())
        label = "maximum likelihood"
    else:
        tested = result["pvalue"].notna() & result["dispersion"].gt(0)
        mean = result.loc[tested, "base_mean"].to_numpy()
        phi = result.loc[tested, "dispersion"].to_numpy()
        label = "used by the test (ql: the mean-dispersion trend)"
    ax.scatter(mean, phi, s=4, c="tab:blue", linewidths=0, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("mean")
    ax.set_ylabel("dispersion (1/r)")
    ax.legend(frameon=False, fontsize="small", markerscale=3)
    ax.set_title(title or "dispersion")
    return ax


def main(argv=None):
    """python3 -m nbglm plot DE.tsv DIR [--padj P] [--title T]: the volcano,
    MA and dispersion plots of an `nbglm de` table as DIR/volcano.png,
    DIR/ma.png, DIR/dispersion.png (what `nbglm de --plots DIR` runs)."""
    import argparse
    import pathlib

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    parser = argparse.ArgumentParser(prog="python3 -m nbglm plot", description=main.__doc__)
    parser.add_argument("table")
    parser.add_argument("out")
    parser.add_argument("--padj", type=float, default=0.1)
    parser.add_argument("--title", default=None)
    args = parser.parse_args(argv)
    table = pd.read_csv(args.table, sep="\t", index_col=0, float_precision="round_trip")
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, draw in (("volcano", volcano), ("ma", ma), ("dispersion", dispersion)):
        figure, axes = plt.subplots(figsize=(5, 4), dpi=120)
        kwargs = {"ax": axes, "title": f"{args.title}: {name}" if args.title else None}
        if name != "dispersion":
            kwargs["padj"] = args.padj
        draw(table, **kwargs)
        figure.savefig(out / f"{name}.png", bbox_inches="tight")
        plt.close(figure)
    return 0

