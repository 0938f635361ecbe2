"""A labelled table the project has never seen: odd column names, text columns, gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd


def synthetic_fraud_table(rows: int = 3000, seed: int = 5) -> pd.DataFrame:
    """~5% positives: half blatant outliers, half a quiet cluster only labels reveal.

    Some honest rows are outliers too (big spenders), so an unsupervised detector alone
    confuses them with fraud; a model that sees labels learns the difference.
    """
    rng = np.random.default_rng(seed)
    spend = rng.lognormal(4.0, 0.6, rows)
    tenure = rng.gamma(3.0, 200.0, rows)
    clicks = rng.poisson(12, rows).astype(float)
    region = rng.choice(["north", "south", "east", "west"], rows)
    label = np.zeros(rows, dtype=int)
    positives = rng.choice(rows, int(rows * 0.05), replace=False)
    blatant, quiet = np.array_split(positives, 2)
    spend[blatant] *= rng.uniform(8, 20, len(blatant))
    clicks[blatant] += rng.poisson(60, len(blatant))
    # The quiet cluster: short tenure and a particular click count, otherwise ordinary.
    tenure[quiet] = rng.uniform(5, 30, len(quiet))
    clicks[quiet] = rng.choice([3.0, 4.0], len(quiet))
    label[positives] = 1
    honest_outliers = rng.choice(np.setdiff1d(np.arange(rows), positives), rows // 25)
    spend[honest_outliers] *= rng.uniform(8, 20, len(honest_outliers))
    frame = pd.DataFrame(
        {
            "Customer Ref": [f"c{i:05d}" for i in range(rows)],
            "Spend (30d)": spend.round(2),
            "tenure-days": tenure.round(1),
            "n_clicks/wk": clicks,
            "Region": region,
            "free text": [f"note {i}" for i in range(rows)],
            "IsBad?": label,
        }
    )
    gaps = rng.random((rows, 2)) < 0.03
    frame.loc[gaps[:, 0], "Spend (30d)"] = np.nan
    frame.loc[gaps[:, 1], "tenure-days"] = np.nan
    return frame
