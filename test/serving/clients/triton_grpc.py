"""tritonclient.grpc as its documentation shows it, against a live `driftloop serve`.

Reads {"url", "model", "rows": [{x1, x2, c}]} on stdin and prints one JSON object with what every
call returned (values, metadata, error codes and messages); the vitest suite asserts on it.
"""
import json
import sys

import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException

spec = json.load(sys.stdin)
model = spec["model"]
rows = spec["rows"]
n = len(rows)
client = grpcclient.InferenceServerClient(url=spec["url"])
out = {}


def column(name, dtype):
    return np.array([r[name] for r in rows], dtype=dtype).reshape(n, 1)


def categories():
    return np.array([r["c"].encode("utf-8") for r in rows], dtype=np.object_).reshape(n, 1)


def tensor(name, datatype, array):
    t = grpcclient.InferInput(name, list(array.shape), datatype)
    t.set_data_from_numpy(array)
    return t


def decoded(result, name):
    array = result.as_numpy(name)
    if array.dtype == np.object_:
        return [v.decode("utf-8") for v in array.reshape(-1)]
    return array.tolist()


def error_of(call):
    try:
        call()
    except InferenceServerException as e:
        return {"status": e.status(), "message": e.message()}
    return None


out["live"] = client.is_server_live()
out["ready"] = client.is_server_ready()
out["model_ready"] = client.is_model_ready(model)
out["model_ready_v1"] = client.is_model_ready(model, "1")
out["model_ready_v9"] = client.is_model_ready(model, "9")
out["unknown_ready"] = client.is_model_ready("no_such_model")
out["server_metadata"] = client.get_server_metadata(as_json=True)
out["model_metadata"] = client.get_model_metadata(model, as_json=True)

# FP32 and BYTES inputs, all outputs (tritonclient sends raw_input_contents and reads raw_output_contents).
fp32 = [tensor("x1", "FP32", column("x1", np.float32)), tensor("x2", "FP32", column("x2", np.float32)),
        tensor("c", "BYTES", categories())]
result = client.infer(model, fp32, request_id="triton-1")
response = result.get_response(as_json=True)
out["infer"] = {
    "model_name": response["model_name"],
    "model_version": response["model_version"],
    "id": response["id"],
    "parameters": response.get("parameters", {}),
    "outputs": {o["name"]: {"datatype": o["datatype"], "shape": [int(d) for d in o["shape"]],
                            "data": decoded(result, o["name"])} for o in response["outputs"]},
}

# Other numeric datatypes for the numerical features, a pinned version and one requested output.
mixed = [tensor("x1", "FP64", column("x1", np.float64)), tensor("x2", "FP16", column("x2", np.float16)),
         tensor("c", "BYTES", categories())]
result = client.infer(model, mixed, model_version="1",
                      outputs=[grpcclient.InferRequestedOutput("score"),
                               grpcclient.InferRequestedOutput("prediction_id")])
out["infer_mixed"] = {"outputs": [o.name for o in result.get_response().outputs],
                      "score": decoded(result, "score"), "prediction_id": decoded(result, "prediction_id")}

# The error cases: each must come back as a gRPC status naming what to fix.
out["errors"] = {}
out["errors"]["unknown_model"] = error_of(lambda: client.infer("no_such_model", fp32))
out["errors"]["unknown_version"] = error_of(lambda: client.infer(model, fp32, model_version="9"))
out["errors"]["metadata_unknown_model"] = error_of(lambda: client.get_model_metadata("no_such_model"))
short = tensor("x1", "FP32", column("x1", np.float32))
short.set_shape([n + 1, 1])  # the raw bytes hold n values, the shape claims n + 1
out["errors"]["bad_shape"] = error_of(lambda: client.infer(model, [short, fp32[1], fp32[2]]))
as_number = tensor("c", "FP32", column("x2", np.float32))
out["errors"]["bad_datatype"] = error_of(lambda: client.infer(model, [fp32[0], fp32[1], as_number]))
not_text = tensor("c", "BYTES", np.array([b"\xff\xfe"] * n, dtype=np.object_).reshape(n, 1))
out["errors"]["bad_value"] = error_of(lambda: client.infer(model, [fp32[0], fp32[1], not_text]))
out["errors"]["missing_input"] = error_of(lambda: client.infer(model, fp32[:2]))
out["errors"]["unknown_output"] = error_of(
    lambda: client.infer(model, fp32, outputs=[grpcclient.InferRequestedOutput("logits")]))
out["errors"]["not_ready"] = error_of(lambda: client.infer(spec["shadow_only_model"], fp32))
big = tensor("x1", "FP32", np.zeros((1_500_000, 1), dtype=np.float32))  # 6 MB, over the 4 MiB limit
out["errors"]["too_large"] = error_of(lambda: client.infer(model, [big, fp32[1], fp32[2]]))
out["errors"]["unimplemented"] = error_of(lambda: client.get_model_config(model))

client.close()
print(json.dumps(out))
