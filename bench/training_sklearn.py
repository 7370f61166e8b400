"""scikit-learn's fit time on the data bench/training.ts wrote (run by it, in .driftloop/venv).

argv: <features.f64> <target.f64> <rows> <features> <case> <repeats>. The features file is float64
little-endian, row-major; the target is float64 (0/1 for the binary cases). Cases, as driftloop's:
  logistic_regression  LogisticRegression(C=1, lbfgs) on standardized features (driftloop standardizes too)
  ridge                Ridge(alpha=1)
  gbdt_binary          HistGradientBoostingClassifier(100 trees, depth 6, 64 leaves, no early stopping)
  gbdt_regression      HistGradientBoostingRegressor(the same)
Only fit() is timed (standardizing for the logistic case included). Prints one JSON line:
  {"case": ..., "wall_s": [...], "cpu_s": [...] (process CPU time, all threads), "threads": N}
"""

import json
import os
import sys
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")

from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402


def estimator(case: str):
    trees = dict(max_iter=100, max_depth=6, max_leaf_nodes=64, early_stopping=False, learning_rate=0.1)
    if case == "logistic_regression":
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=500))
    if case == "ridge":
        return Ridge(alpha=1.0)
    if case == "gbdt_binary":
        return HistGradientBoostingClassifier(**trees)
    if case == "gbdt_regression":
        return HistGradientBoostingRegressor(**trees)
    raise SystemExit(f"unknown case {case}: logistic_regression, ridge, gbdt_binary or gbdt_regression")


def main() -> None:
    features_path, target_path, rows, width, case, repeats = sys.argv[1:7]
    rows, width, repeats = int(rows), int(width), int(repeats)
    x = np.fromfile(features_path, dtype="<f8").reshape(rows, width)
    y = np.fromfile(target_path, dtype="<f8")
    if case in ("logistic_regression", "gbdt_binary"):
        y = y.astype(np.int64)
    walls, cpus = [], []
    for _ in range(repeats):
        model = estimator(case)
        wall0, cpu0 = time.perf_counter(), time.process_time()
        model.fit(x, y)
        cpus.append(time.process_time() - cpu0)
        walls.append(time.perf_counter() - wall0)
    threads = os.environ.get("OMP_NUM_THREADS", "all cores")
    print(json.dumps({"case": case, "wall_s": walls, "cpu_s": cpus, "threads": threads}))


if __name__ == "__main__":
    main()
