"""tritonclient (HTTP with binary tensors, its default, and gRPC) calling a model whose batch and
stream features the server resolves: the client sends the request feature and the entity keys.

Reads {"http", "grpc", "model", "rows": [{distance_km, restaurant_id, zone}]} on stdin and prints
{"http": {"value", "prediction_id"}, "grpc": {...}}; the vitest suite asserts on it.
"""
import json
import sys

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient

spec = json.load(sys.stdin)
rows = spec["rows"]
n = len(rows)
distance = np.array([r["distance_km"] for r in rows], dtype=np.float32).reshape(n, 1)
restaurant = np.array([r["restaurant_id"].encode("utf-8") for r in rows], dtype=np.object_).reshape(n, 1)
zone = np.array([r["zone"].encode("utf-8") for r in rows], dtype=np.object_).reshape(n, 1)


def call(module, client):
    inputs = []
    for name, datatype, array in (
        ("distance_km", "FP32", distance),
        ("restaurant_id", "BYTES", restaurant),
        ("zone", "BYTES", zone),
    ):
        t = module.InferInput(name, list(array.shape), datatype)
        t.set_data_from_numpy(array)
        inputs.append(t)
    result = client.infer(spec["model"], inputs)
    return {
        "value": result.as_numpy("value").reshape(-1).tolist(),
        "prediction_id": [v.decode("utf-8") for v in result.as_numpy("prediction_id").reshape(-1)],
    }


print(
    json.dumps(
        {
            "http": call(httpclient, httpclient.InferenceServerClient(url=spec["http"])),
            "grpc": call(grpcclient, grpcclient.InferenceServerClient(url=spec["grpc"])),
        }
    )
)
