"""kserve 0.21's InferenceGRPCClient against a live `driftloop serve`: health, and infer with inputs in
the typed `contents` fields (Python lists) and as raw bytes (numpy arrays).

Reads {"url", "model", "rows"} on stdin and prints one JSON object; the vitest suite asserts on it.
"""
import asyncio
import json
import sys

import grpc
import numpy as np
from kserve import InferenceGRPCClient, InferInput, InferRequest

spec = json.load(sys.stdin)
model = spec["model"]
rows = spec["rows"]
n = len(rows)


def decoded(output):
    array = output.as_numpy()
    if array.dtype == np.object_:
        return [v.decode("utf-8") if isinstance(v, bytes) else v for v in array.reshape(-1)]
    return array.reshape(-1).tolist()


def outputs_of(response):
    return {o.name: {"datatype": o.datatype, "shape": list(o.shape), "data": decoded(o)} for o in response.outputs}


async def main():
    out = {}
    client = InferenceGRPCClient(url=spec["url"], timeout=30, channel_args=[("grpc.enable_retries", 0)])
    out["live"] = await client.is_server_live()
    out["ready"] = await client.is_server_ready()
    out["model_ready"] = await client.is_model_ready(model)

    contents = [
        InferInput("x1", [n], "FP32", data=[r["x1"] for r in rows]),
        InferInput("x2", [n], "FP32", data=[r["x2"] for r in rows]),
        InferInput("c", [n], "BYTES", data=[r["c"] for r in rows]),
    ]
    response = await client.infer(InferRequest(model_name=model, infer_inputs=contents, request_id="kserve-1"))
    out["infer_contents"] = {"model_name": response.model_name, "id": response.id, "outputs": outputs_of(response)}

    raw = [
        InferInput("x1", [n, 1], "FP32", data=np.array([r["x1"] for r in rows], dtype=np.float32).reshape(n, 1)),
        InferInput("x2", [n, 1], "FP32", data=np.array([r["x2"] for r in rows], dtype=np.float32).reshape(n, 1)),
        InferInput("c", [n, 1], "BYTES",
                   data=np.array([r["c"].encode() for r in rows], dtype=np.object_).reshape(n, 1)),
    ]
    response = await client.infer(InferRequest(model_name=model, infer_inputs=raw, request_id="kserve-2"))
    out["infer_raw"] = {"model_name": response.model_name, "id": response.id, "outputs": outputs_of(response)}

    wrong = [InferInput("x1", [n], "FP32", data=[r["x1"] for r in rows])]
    try:
        await client.infer(InferRequest(model_name=model, infer_inputs=wrong))
        out["missing_input"] = None
    except grpc.RpcError as e:
        out["missing_input"] = {"status": str(e.code()), "message": e.details()}
    await client.close()
    print(json.dumps(out))


asyncio.run(main())
