#!/usr/bin/env python3
"""An external trainer for driftloop: scikit-learn + skl2onnx.

driftloop runs it as the policy's trainer command, for example
    {"type": "external", "command": ["python3", "examples/sklearn_trainer.py"], "timeoutSeconds": 600}
and appends --train, --holdout, --schema, --output and --metrics paths. It reads the CSVs (one column
per feature, then the label column the schema names; empty field = missing), fits
  numerical: SimpleImputer(mean) -> StandardScaler;  categorical: OneHotEncoder(handle_unknown='ignore')
  -> LogisticRegression (binary, multiclass) or Ridge (regression),
and exports one ONNX input per feature ([N,1] float or string, named as the feature) with zipmap off,
so the graph satisfies driftloop's contract (onnx/contract.ts): probabilities [N, C] in the order of
target.classes, or the regression value [N, 1]. Metrics on the holdout go to --metrics as JSON.

Needs: pip install scikit-learn skl2onnx onnx   (numpy only: no pandas)
"""

import argparse
import csv
import json
import math
import sys
import time

import numpy as np
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def log(message):
    print(f"[sklearn_trainer {time.strftime('%H:%M:%S')}] {message}", flush=True)


def read_csv(path, schema):
    """Returns X as an object array (floats for numerical columns, NaN = missing; strings for categorical) and labels."""
    features = schema["features"]
    rows, labels = [], []
    with open(path, newline="") as fh:
        for record in csv.DictReader(fh):
            row = []
            for f in features:
                v = record[f["name"]]
                row.append((float(v) if v != "" else math.nan) if f["type"] == "numerical" else v)
            rows.append(row)
            labels.append(record[schema["labelColumn"]])
    X = np.empty((len(rows), len(features)), dtype=object)
    for i, row in enumerate(rows):
        X[i, :] = row
    return X, labels


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name in ("train", "holdout", "schema", "output", "metrics"):
        p.add_argument(f"--{name}", required=True)
    p.add_argument("--C", type=float, default=1.0, help="inverse L2 strength of LogisticRegression")
    p.add_argument("--alpha", type=float, default=1.0, help="L2 strength of Ridge")
    args = p.parse_args()

    with open(args.schema) as fh:
        schema = json.load(fh)
    task, features = schema["task"], schema["features"]
    X, y_raw = read_csv(args.train, schema)
    Xh, yh_raw = read_csv(args.holdout, schema)
    log(f"read {len(y_raw)} training rows and {len(yh_raw)} holdout rows, {len(features)} features, task {task}")

    numerical = [j for j, f in enumerate(features) if f["type"] == "numerical"]
    categorical = [j for j, f in enumerate(features) if f["type"] == "categorical"]
    transformers = []
    if numerical:
        transformers.append(("num", Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler())]), numerical))
    if categorical:
        transformers.append(("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical))
    pre = ColumnTransformer(transformers)

    if task == "regression":
        y, yh = np.array(y_raw, dtype=float), np.array(yh_raw, dtype=float)
        model = Pipeline([("pre", pre), ("ridge", Ridge(alpha=args.alpha))])
    else:
        # Fit on class indices so predict_proba's columns follow target.classes.
        classes = schema["target"]["classes"]
        index = {c: k for k, c in enumerate(classes)}
        unknown = sorted(set(y_raw) - set(index))
        if unknown:
            sys.exit(f"labels {unknown} are not in target.classes {classes}")
        y, yh = np.array([index[c] for c in y_raw]), np.array([index.get(c, -1) for c in yh_raw])
        missing = [classes[k] for k in range(len(classes)) if k not in set(y.tolist())]
        if missing:
            sys.exit(f"the training data has no row of class(es) {missing}; every class needs examples")
        model = Pipeline([("pre", pre), ("clf", LogisticRegression(C=args.C, max_iter=2000))])

    started = time.time()
    model.fit(X, y)
    log(f"fitted in {time.time() - started:.2f} s")

    if task == "regression":
        pred = model.predict(Xh)
        metrics = {
            "rmse": float(np.sqrt(np.mean((pred - yh) ** 2))),
            "mae": float(np.mean(np.abs(pred - yh))),
        }
    else:
        metrics = {"accuracy": float(np.mean(model.predict(Xh) == yh))}
    log(f"holdout metrics {metrics}")

    initial_types = [
        (f["name"], FloatTensorType([None, 1]) if f["type"] == "numerical" else StringTensorType([None, 1]))
        for f in features
    ]
    options = {LogisticRegression: {"zipmap": False}} if task != "regression" else None
    onx = convert_sklearn(
        model, initial_types=initial_types, options=options, target_opset={"": 15, "ai.onnx.ml": 3}
    )
    with open(args.output, "wb") as fh:
        fh.write(onx.SerializeToString())
    with open(args.metrics, "w") as fh:
        json.dump(metrics, fh)
    log(f"wrote {args.output}")


if __name__ == "__main__":
    main()
