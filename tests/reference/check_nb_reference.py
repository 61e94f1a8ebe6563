#!/usr/bin/env python3
"""Independent check of tests/data/reference/*_reference.tsv in 40-digit arithmetic (mpmath).

For every feature it re-reads counts, design and size factors, evaluates at the stored
parameters the NB log-likelihood (docs/model.md eq (4)) and its gradient in (a, log_r)
(eqs (5), (6)) with mpmath lgamma/digamma, and reports
  - |stored loglik - mp loglik|       (accuracy of the stored loglik)
  - max |mp gradient|                 (how close the stored point is to a stationary point)
For log_r = Inf (Poisson limit) the Poisson log-likelihood and score are used.

Run from the repository root:  python3 tests/reference/check_nb_reference.py
Needs python3-mpmath (Debian). Takes a few minutes.
"""
import csv
import math
import os
import sys

import mpmath as mp

mp.mp.dps = 40
REF = os.path.join("tests", "data", "reference")


def read_tsv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    return rows[0], rows[1:]


def check(prefix):
    hc, counts = read_tsv(os.path.join(REF, prefix + "_counts.tsv"))
    hd, design = read_tsv(os.path.join(REF, prefix + "_loc_design.tsv"))
    _, sfr = read_tsv(os.path.join(REF, prefix + "_size_factors.tsv"))
    hr, ref = read_tsv(os.path.join(REF, prefix + "_reference.tsv"))
    obs = hc[1:]
    assert [r[0] for r in design] == obs and [r[0] for r in sfr] == obs
    pn = hd[1:]
    assert hr[1:1 + len(pn)] == pn and hr[1 + len(pn)] == "log_r"
    X = [[mp.mpf(v) for v in r[1:]] for r in design]
    off = [mp.log(mp.mpf(r[1])) for r in sfr]
    i_ll, i_st = hr.index("loglik"), hr.index("status")
    worst = {}
    for crow, rrow in zip(counts, ref):
        assert crow[0] == rrow[0]
        y = [int(v) for v in crow[1:]]
        a = [mp.mpf(v) for v in rrow[1:1 + len(pn)]]
        lr_s = rrow[1 + len(pn)]
        status = rrow[i_st]
        ll_stored = float(rrow[i_ll])
        poisson = lr_s in ("Inf", "inf")
        if not poisson:
            zeta = mp.mpf(lr_s)
            r = mp.e ** zeta
        ll = mp.mpf(0)
        g = [mp.mpf(0)] * (len(pn) + (0 if poisson else 1))
        for yi, xi, oi in zip(y, X, off):
            eta = oi + mp.fsum(xj * aj for xj, aj in zip(xi, a))
            mu = mp.e ** eta
            if poisson:
                ll += yi * eta - mu - mp.loggamma(yi + 1)
                de = yi - mu
                for j in range(len(pn)):
                    g[j] += xi[j] * de
            else:
                ll += (mp.loggamma(yi + r) - mp.loggamma(r) - mp.loggamma(yi + 1)
                       + r * zeta + yi * eta - (yi + r) * mp.log(r + mu))
                de = r * (yi - mu) / (r + mu)
                for j in range(len(pn)):
                    g[j] += xi[j] * de
                g[-1] += r * (mp.digamma(yi + r) - mp.digamma(r) + zeta + 1
                              - mp.log(r + mu) - (yi + r) / (r + mu))
        dll = abs(float(ll) - ll_stored)
        gmax = max(abs(float(v)) for v in g)
        key = status
        w = worst.setdefault(key, [0, 0.0, 0.0, 0.0])
        w[0] += 1
        w[1] = max(w[1], dll)
        w[2] = max(w[2], dll / max(1.0, abs(ll_stored)))
        w[3] = max(w[3], gmax)
    for k, (n, dll, rel, gmax) in sorted(worst.items()):
        print(f"[{prefix}] status={k:<16} n={n:<4} max|loglik-mp| {dll:.3g} "
              f"(rel {rel:.3g})  max|grad| (mp) {gmax:.3g}")
    return worst


if __name__ == "__main__":
    ok = True
    for prefix in sys.argv[1:] or ["pasilla", "singlecell"]:
        w = check(prefix)
        if "ok" in w and (w["ok"][2] > 1e-12 or w["ok"][3] > 1e-8):
            ok = False
    sys.exit(0 if ok else 1)
