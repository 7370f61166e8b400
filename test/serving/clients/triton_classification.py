#!/usr/bin/env python3
"""Triton's classification extension through the real tritonclient, unchanged: InferRequestedOutput(name,
class_count=k) over HTTP (JSON and binary outputs) and gRPC against a live `driftloop serve`.

Reads {"http": "host:port", "grpc": "host:port", "iris": [[4 floats], ...], "loans": [{x1, x2, c}, ...]} on
stdin and prints one JSON object: per case the shape and the strings returned (decoded), and the error cases'
status and message. Run with .driftloop/clients-venv/bin/python.
"""

import json
import sys

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

spec = json.load(sys.stdin)
iris = np.array(spec["iris"], dtype=np.float32)
loans = spec["loans"]
out = {"http": {}, "grpc": {}, "errors": {}}


def strings(result, name):
    array = result.as_numpy(name)
    # Binary outputs decode to bytes, JSON outputs to str.
    text = [[v.decode("utf-8") if isinstance(v, bytes) else v for v in row] for row in array.reshape(array.shape[0], -1)]
    return {"shape": list(array.shape), "data": text}


def error_of(call):
    try:
        call()
    except InferenceServerException as e:
        return {"status": str(e.status()), "message": e.message()}
    return None


def loans_inputs(module):
    n = len(loans)
    inputs = []
    for name, dtype, datatype in (("x1", np.float32, "FP32"), ("x2", np.float32, "FP32"), ("c", np.object_, "BYTES")):
        values = [r[name].encode("utf-8") if dtype is np.object_ else r[name] for r in loans]
        t = module.InferInput(name, [n, 1], datatype)
        t.set_data_from_numpy(np.array(values, dtype=dtype).reshape(n, 1))
        inputs.append(t)
    return inputs


# HTTP: JSON outputs (binary_data=False) and binary outputs (the client's default).
http = httpclient.InferenceServerClient(url=spec["http"])
out["server_metadata"] = http.get_server_metadata()
x = httpclient.InferInput("input", list(iris.shape), "FP32")
x.set_data_from_numpy(iris, binary_data=False)
result = http.infer("iris", [x], outputs=[
    httpclient.InferRequestedOutput("probabilities", binary_data=False, class_count=2),
    httpclient.InferRequestedOutput("prediction_id", binary_data=False)])
out["http"]["json_top2"] = strings(result, "probabilities")
out["http"]["json_prediction_id"] = strings(result, "prediction_id")

x = httpclient.InferInput("input", list(iris.shape), "FP32")
x.set_data_from_numpy(iris)
result = http.infer("iris", [x], outputs=[
    httpclient.InferRequestedOutput("probabilities", class_count=5),
    httpclient.InferRequestedOutput("score", class_count=1),
    httpclient.InferRequestedOutput("label")])
out["http"]["binary_top5"] = strings(result, "probabilities")
out["http"]["binary_score"] = strings(result, "score")
out["http"]["binary_label"] = strings(result, "label")

result = http.infer("loans", loans_inputs(httpclient), outputs=[
    httpclient.InferRequestedOutput("probabilities", class_count=1)])
out["http"]["loans_top1"] = strings(result, "probabilities")

out["errors"]["http_bytes_output"] = error_of(lambda: http.infer("iris", [x], outputs=[
    httpclient.InferRequestedOutput("label", class_count=2)]))
http.close()

# gRPC: parameters["classification"] as an int64 parameter.
grpc = grpcclient.InferenceServerClient(url=spec["grpc"])
out["grpc_server_metadata"] = grpc.get_server_metadata(as_json=True)
x = grpcclient.InferInput("input", list(iris.shape), "FP32")
x.set_data_from_numpy(iris)
result = grpc.infer("iris", [x], outputs=[
    grpcclient.InferRequestedOutput("probabilities", class_count=2),
    grpcclient.InferRequestedOutput("score")])
out["grpc"]["top2"] = strings(result, "probabilities")
out["grpc"]["score"] = result.as_numpy("score").tolist()
result = grpc.infer("loans", loans_inputs(grpcclient), outputs=[
    grpcclient.InferRequestedOutput("probabilities", class_count=2)])
out["grpc"]["loans_top2"] = strings(result, "probabilities")
out["errors"]["grpc_bytes_output"] = error_of(lambda: grpc.infer("iris", [x], outputs=[
    grpcclient.InferRequestedOutput("prediction_id", class_count=1)]))
grpc.close()

print(json.dumps(out))
