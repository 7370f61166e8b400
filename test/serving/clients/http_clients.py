#!/usr/bin/env python3
"""Drives a live `driftloop serve` with the real HTTP clients users run, unchanged, and prints what they got.

  tritonclient.http (2.73) InferenceServerClient: health, server and model metadata (with and without a
    version), model readiness (with a version), infer with binary tensors on and off, gzip and deflate
    request and response compression, every input datatype over the binary extension, both input layouts
    ([N, F] and one tensor per feature), BYTES inputs, a pinned version, and an error.
  kserve (0.21) InferenceRESTClient, protocol v2: health, model readiness, infer (JSON and binary), an error.

Usage: http_clients.py --url http://127.0.0.1:PORT --fixture rows.json
The fixture holds {"iris": [[4 floats], ...], "loans": [{"x1", "x2", "c"}, ...]}. The output (stdout, one
JSON object) holds every answer together with the exact values sent, so the caller can score the same values
with onnxruntime and compare. Run with .driftloop/clients-venv/bin/python.
"""

import argparse
import asyncio
import json
import sys

import numpy as np
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

CLASSIFIER_OUTPUTS = ["label", "probabilities", "score", "prediction_id"]


def plain(array):
    """numpy → JSON: BYTES as str, numbers as float/int lists."""
    if array.dtype == np.object_:
        return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in array.reshape(-1)]
    return array.reshape(-1).tolist()


def triton_outputs(result, names=CLASSIFIER_OUTPUTS):
    return {n: plain(result.as_numpy(n)) for n in names if result.as_numpy(n) is not None}


def triton_calls(url, iris, loans):
    client = triton.InferenceServerClient(url=url.replace("http://", ""))
    out = {
        "is_server_live": client.is_server_live(),
        "is_server_ready": client.is_server_ready(),
        "server_metadata": client.get_server_metadata(),
        "model_metadata": client.get_model_metadata("iris"),
        "model_metadata_v1": client.get_model_metadata("iris", model_version="1"),
        "loans_metadata": client.get_model_metadata("loans"),
        "is_model_ready": client.is_model_ready("iris"),
        "is_model_ready_v1": client.is_model_ready("iris", model_version="1"),
        "is_model_ready_v9": client.is_model_ready("iris", model_version="9"),
        "is_model_ready_unknown": client.is_model_ready("no-such-model"),
        "infer": [],
    }
    x = np.array(iris, dtype=np.float32)

    def run(case, model, inputs, sent, outputs=None, version="", **kwargs):
        result = client.infer(model, inputs, model_version=version, outputs=outputs, request_id=case, **kwargs)
        response = result.get_response()
        out["infer"].append(
            {
                "case": case,
                "model": model,
                "sent": sent,
                "id": response.get("id"),
                "model_version": response.get("model_version"),
                "binary_outputs": [
                    o["name"] for o in response["outputs"] if "binary_data_size" in (o.get("parameters") or {})
                ],
                "outputs": triton_outputs(result),
            }
        )

    # The [N, F] layout, binary and JSON, each with no / gzip / deflate compression both ways.
    for binary in (True, False):
        for compression in (None, "gzip", "deflate"):
            tensor = triton.InferInput("input", list(x.shape), "FP32")
            tensor.set_data_from_numpy(x, binary_data=binary)
            # Binary: no outputs named, so the client asks for all of them in binary (binary_data_output).
            # JSON: every output named with binary_data=False.
            outputs = None if binary else [triton.InferRequestedOutput(n, binary_data=False) for n in CLASSIFIER_OUTPUTS]
            run(
                f"matrix binary={binary} compression={compression}",
                "iris",
                [tensor],
                x.tolist(),
                outputs=outputs,
                request_compression_algorithm=compression,
                response_compression_algorithm=compression,
            )

    # Every numeric datatype over the binary extension (integers and BOOL from rounded / thresholded values).
    for datatype, np_type in [
        ("FP16", np.float16),
        ("FP64", np.float64),
        ("INT8", np.int8),
        ("INT16", np.int16),
        ("INT32", np.int32),
        ("INT64", np.int64),
        ("UINT8", np.uint8),
        ("UINT16", np.uint16),
        ("UINT32", np.uint32),
        ("UINT64", np.uint64),
        ("BOOL", np.bool_),
    ]:
        values = (x > 2.0) if datatype == "BOOL" else (x if datatype.startswith("FP") else np.round(x))
        typed = values.astype(np_type)
        tensor = triton.InferInput("input", list(typed.shape), datatype)
        tensor.set_data_from_numpy(typed, binary_data=True)
        run(f"datatype {datatype}", "iris", [tensor], typed.astype(np.float64).tolist())

    # One tensor per feature on the same [N, F] graph; mixed binary outputs (probabilities binary, label JSON).
    per_feature = []
    for j, name in enumerate(["sepal_length", "sepal_width", "petal_length", "petal_width"]):
        tensor = triton.InferInput(name, [x.shape[0], 1], "FP32")
        tensor.set_data_from_numpy(x[:, j : j + 1], binary_data=True)
        per_feature.append(tensor)
    run(
        "per-feature on the matrix graph",
        "iris",
        per_feature,
        x.tolist(),
        outputs=[
            triton.InferRequestedOutput("probabilities", binary_data=True),
            triton.InferRequestedOutput("label", binary_data=False),
            triton.InferRequestedOutput("prediction_id", binary_data=True),
        ],
    )

    # A pinned version.
    tensor = triton.InferInput("input", list(x.shape), "FP32")
    tensor.set_data_from_numpy(x, binary_data=True)
    run("version 1", "iris", [tensor], x.tolist(), version="1")

    # BYTES inputs (a categorical feature) on the per-feature graph, binary and JSON.
    x1 = np.array([[r["x1"]] for r in loans], dtype=np.float32)
    x2 = np.array([[r["x2"]] for r in loans], dtype=np.float32)
    c = np.array([[r["c"].encode("utf-8")] for r in loans], dtype=np.object_)
    for binary in (True, False):
        inputs = []
        for name, values, datatype in (("x1", x1, "FP32"), ("x2", x2, "FP32"), ("c", c, "BYTES")):
            tensor = triton.InferInput(name, list(values.shape), datatype)
            tensor.set_data_from_numpy(values, binary_data=binary)
            inputs.append(tensor)
        outputs = None if binary else [triton.InferRequestedOutput(n, binary_data=False) for n in CLASSIFIER_OUTPUTS]
        run(f"loans bytes binary={binary}", "loans", inputs, loans, outputs=outputs, request_compression_algorithm="gzip")

    errors = {}
    try:
        tensor = triton.InferInput("input", [2, 3], "FP32")
        tensor.set_data_from_numpy(np.zeros((2, 3), dtype=np.float32))
        client.infer("iris", [tensor])
    except InferenceServerException as e:
        errors["wrong_width"] = {"status": e.status(), "message": e.message()}
    try:
        client.get_model_metadata("no-such-model")
    except InferenceServerException as e:
        errors["unknown_model"] = {"status": e.status(), "message": e.message()}
    out["errors"] = errors
    client.close()
    return out


async def kserve_calls(url, iris):
    from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig
    from kserve.protocol.infer_type import RequestedOutput
    import httpx

    client = InferenceRESTClient(RESTConfig(protocol="v2", retries=0))
    out = {
        "is_server_live": await client.is_server_live(url),
        "is_server_ready": await client.is_server_ready(url),
        "is_model_ready": await client.is_model_ready(url, "iris"),
        "is_model_ready_unknown": await client.is_model_ready(url, "no-such-model"),
        "infer": [],
    }
    x = np.array(iris, dtype=np.float32)
    for binary in (False, True):
        tensor = InferInput(name="input", shape=list(x.shape), datatype="FP32")
        tensor.set_data_from_numpy(x, binary_data=binary)
        request = InferRequest(
            model_name="iris",
            infer_inputs=[tensor],
            request_id=f"kserve binary={binary}",
            request_outputs=[RequestedOutput(n, parameters={"binary_data": binary}) for n in CLASSIFIER_OUTPUTS],
        )
        response = await client.infer(url, request, model_name="iris")
        out["infer"].append(
            {
                "case": f"kserve binary={binary}",
                "model": "iris",
                "sent": x.tolist(),
                "id": response.id,
                "model_version": response.model_version,
                "outputs": {o.name: plain(o.as_numpy()) for o in response.outputs},
            }
        )
    try:
        await client.infer(
            url,
            {"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]},
            model_name="iris",
        )
    except httpx.HTTPStatusError as e:
        out["error"] = {"status": e.response.status_code, "message": str(e)}
    await client.close()
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", required=True)
    p.add_argument("--fixture", required=True)
    args = p.parse_args()
    with open(args.fixture) as fh:
        fixture = json.load(fh)
    result = {
        "triton": triton_calls(args.url, fixture["iris"], fixture["loans"]),
        "kserve": asyncio.run(kserve_calls(args.url, fixture["iris"])),
    }
    json.dump(result, sys.stdout, default=str)


if __name__ == "__main__":
    main()
