"""Times the peers on the data bench/stats.ts wrote, in .driftloop/bench-venv (run by bench/stats.ts).

Reads a JSON manifest on argv[1]: {"features": F, "reference": {"path", "rows"}, "sizes": [{"path", "rows",
"nannymlRuns", "evidentlyRuns"}]}; each file is float64 little-endian, column-major (feature after feature).
Prints one JSON line per measurement to stdout:
  {"peer": "nannyml" | "nannyml_ks_wasserstein" | "evidently", "rows": N, "times_ms": [...] (wall),
   "cpu_ms": [...] (process CPU time, all threads), "drifted": [...]}
NannyML: UnivariateDriftCalculator fitted on the reference (not timed), then calculate() on the current rows
as one chunk, with its default method (Jensen-Shannon) and with the tests driftloop runs (KS + Wasserstein).
Evidently: Report([DataDriftPreset()]).run(current, reference) with its defaults (timed whole: Evidently
recomputes from the raw reference on every run).
"""

import json
import sys
import time
import warnings

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")


def frame(path: str, rows: int, features: int) -> pd.DataFrame:
    values = np.fromfile(path, dtype="<f8").reshape(features, rows)
    return pd.DataFrame({f"x{j}": values[j] for j in range(features)})


def emit(peer: str, rows: int, times: list, cpu: list, drifted: list) -> None:
    line = {"peer": peer, "rows": rows, "times_ms": times, "cpu_ms": cpu, "drifted": drifted}
    print(json.dumps(line), flush=True)


def time_nannyml(reference: pd.DataFrame, current: pd.DataFrame, runs: int, methods: list, peer: str) -> None:
    import nannyml as nml

    columns = list(reference.columns)
    calculator = nml.UnivariateDriftCalculator(
        column_names=columns, chunk_number=1, continuous_methods=methods
    )
    calculator.fit(reference)
    times = []
    cpu = []
    drifted = []
    for _ in range(runs):
        started = time.perf_counter()
        cpu_started = time.process_time()
        result = calculator.calculate(current)
        cpu.append((time.process_time() - cpu_started) * 1000)
        times.append((time.perf_counter() - started) * 1000)
    table = result.to_df()
    for column in columns:
        for method in methods:
            if bool(table[(column, method, "alert")].iloc[-1]):
                drifted.append(column)
                break
    emit(peer, len(current), times, cpu, sorted(set(drifted)))


def time_evidently(reference: pd.DataFrame, current: pd.DataFrame, runs: int) -> None:
    from evidently import Report
    from evidently.presets import DataDriftPreset

    times = []
    cpu = []
    snapshot = None
    for _ in range(runs):
        report = Report([DataDriftPreset()])
        started = time.perf_counter()
        cpu_started = time.process_time()
        snapshot = report.run(current_data=current, reference_data=reference)
        cpu.append((time.process_time() - cpu_started) * 1000)
        times.append((time.perf_counter() - started) * 1000)
    drifted = []
    for metric in snapshot.dict()["metrics"]:
        name = metric.get("metric_name", "")
        if name.startswith("ValueDrift(") and isinstance(metric.get("value"), (int, float)):
            config = metric.get("config", {})
            column = config.get("column")
            threshold = config.get("threshold")
            method = str(config.get("method", ""))
            value = metric["value"]
            if column is None or threshold is None:
                continue
            # p-value methods drift below the threshold, distances above it.
            is_pvalue = "p_value" in method or "test" in method.lower()
            if (value < threshold) if is_pvalue else (value >= threshold):
                drifted.append(column)
    emit("evidently", len(current), times, cpu, sorted(drifted))


def main() -> None:
    manifest = json.load(open(sys.argv[1]))
    features = manifest["features"]
    reference = frame(manifest["reference"]["path"], manifest["reference"]["rows"], features)
    for size in manifest["sizes"]:
        current = frame(size["path"], size["rows"], features)
        if size["nannymlRuns"] > 0:
            time_nannyml(reference, current, size["nannymlRuns"], ["jensen_shannon"], "nannyml")
            time_nannyml(
                reference, current, size["nannymlRuns"], ["kolmogorov_smirnov", "wasserstein"], "nannyml_ks_wasserstein"
            )
        if size["evidentlyRuns"] > 0:
            time_evidently(reference, current, size["evidentlyRuns"])
        del current


if __name__ == "__main__":
    main()
