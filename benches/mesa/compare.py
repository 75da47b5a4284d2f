"""Do ccgsim and the Mesa implementation agree? (benches/mesa/bench.sh)

    python compare.py CCGSIM_TIMESERIES MESA_TIMESERIES LABEL [--markdown FILE]

For each key observable at a few months, the mean over replicates of each
implementation, its 95% interval (mean +- 1.96 standard errors), and the 95%
interval of the difference (+- 1.96 sqrt(se1^2 + se2^2)). A cell FAILS when that
interval excludes 0: the two means disagree at the 5% level. With many cells a
few fails are expected by chance (5% each), so the verdict also reports the
Bonferroni test (all cells at a family-wise 5%); a Bonferroni fail means the ODD
or one implementation is wrong. Exit 0 if the Bonferroni test passes, else 1.
"""

import argparse
import math
import sys
from statistics import NormalDist

import pandas as pd

OBSERVABLES = [
    "engaged_share", "highly_engaged_share", "ownership_members", "ownership_leaders",
    "ownership_agree", "credibility", "performance", "leaders_lacking_support",
    "leaders_highly_engaged", "leader_burnout", "workload", "finance", "penalty",
    "leaders", "leader_stepdowns", "leader_vacancies", "influence_members", "ccg_balance",
    "quality_premium", "in_failure", "intervention",
]
MONTHS = [6, 18, 36, 60]


def stats(series: pd.Series) -> tuple[float, float, int]:
    s = series.dropna()
    n = len(s)
    sd = s.std(ddof=1) if n > 1 else 0.0
    return s.mean(), sd / math.sqrt(n) if n else float("nan"), n


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("ccgsim")
    ap.add_argument("mesa")
    ap.add_argument("label")
    ap.add_argument("--markdown")
    args = ap.parse_args()
    a = pd.read_csv(args.ccgsim)
    b = pd.read_csv(args.mesa)
    months = [m for m in MONTHS if m <= a["month"].max() and m <= b["month"].max()]
    cells = []
    for obs in OBSERVABLES:
        for m in months:
            ma, sa, na = stats(a.loc[a["month"] == m, obs])
            mb, sb, nb = stats(b.loc[b["month"] == m, obs])
            se = math.sqrt(sa * sa + sb * sb)
            z = (ma - mb) / se if se > 0 else (0.0 if ma == mb else math.inf)
            cells.append((obs, m, ma, sa, na, mb, sb, nb, z))
    k = len(cells)
    z95 = NormalDist().inv_cdf(0.975)
    zbon = NormalDist().inv_cdf(1 - 0.025 / k)
    lines = [f"| observable | month | ccgsim mean [95%] | Mesa mean [95%] | z | verdict |",
             "|---|---|---|---|---|---|"]
    fails, bonf = [], []
    for obs, m, ma, sa, na, mb, sb, nb, z in cells:
        verdict = "agree"
        if abs(z) > zbon:
            verdict = "**FAIL (Bonferroni)**"
            bonf.append((obs, m, z))
        elif abs(z) > z95:
            verdict = "differs at 5%"
            fails.append((obs, m, z))
        lines.append(f"| {obs} | {m} | {ma:.4f} [{ma - z95 * sa:.4f}, {ma + z95 * sa:.4f}] "
                     f"| {mb:.4f} [{mb - z95 * sb:.4f}, {mb + z95 * sb:.4f}] | {z:+.2f} | {verdict} |")
    reps = f"{a['replicate'].nunique()} ccgsim / {b['replicate'].nunique()} Mesa replicates"
    head = (f"{args.label}: {k} cells ({reps}); {len(fails) + len(bonf)} differ at 5% "
            f"(expected by chance about {0.05 * k:.1f}), {len(bonf)} fail at family-wise 5% "
            f"(|z| > {zbon:.2f})")
    print("## " + head)
    print("\n".join(lines))
    for obs, m, z in bonf:
        print(f"!!! DISAGREEMENT ({args.label}): {obs} at month {m}, z = {z:+.2f} "
              "-- the ODD or one implementation is wrong", file=sys.stderr)
    for obs, m, z in fails:
        print(f"warning ({args.label}): {obs} at month {m} differs at 5%, z = {z:+.2f}",
              file=sys.stderr)
    if args.markdown:
        with open(args.markdown, "a", encoding="utf-8") as fh:
            fh.write(f"**{head}**\n\n" + "\n".join(lines) + "\n\n")
    return 1 if bonf else 0


if __name__ == "__main__":
    sys.exit(main())
