/**
 * A gRPC load generator for bench:serving: `concurrency` ModelInfer calls kept in flight on one HTTP/2
 * connection for `seconds`, in a process of its own so it does not share the server's event loop (autocannon
 * runs in a worker thread). Requests are what tritonclient.grpc sends: raw_input_contents, BYTES length-prefixed.
 */
import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import http2 from 'node:http2';
import { fileURLToPath } from 'node:url';
import { inferenceServiceDefinition } from '../serving/grpc/protocol';

export interface GrpcLoadOptions {
  address: string;
  model: string;
  seconds: number;
  concurrency: number;
}

export interface GrpcRun {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** One row {x1: 0.4, x2: -1.2, c: 'a'} as raw little-endian tensors. */
function request(model: string) {
  const fp32 = (v: number) => Buffer.from(new Float32Array([v]).buffer);
  const text = Buffer.from('a');
  const bytes = Buffer.concat([Buffer.from(new Uint32Array([text.length]).buffer), text]);
  return {
    model_name: model,
    inputs: [
      { name: 'x1', datatype: 'FP32', shape: [1, 1] },
      { name: 'x2', datatype: 'FP32', shape: [1, 1] },
      { name: 'c', datatype: 'BYTES', shape: [1, 1] },
    ],
    raw_input_contents: [fp32(0.4), fp32(-1.2), bytes],
  };
}

/** The request as one gRPC message frame: a 0 (uncompressed) flag, a 4-byte big-endian length, the protobuf bytes. */
function frame(message: ReturnType<typeof request>): Buffer {
  const bytes = inferenceServiceDefinition.ModelInfer.requestSerialize(message);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(bytes.length, 1);
  return Buffer.concat([head, bytes]);
}

/**
 * Like autocannon for HTTP, the load generator sends pre-encoded request bytes over node:http2, so the
 * figure measures the server, not a client library's per-call cost; a call counts when its grpc-status is 0
 * and a response message came back.
 */
async function run(options: GrpcLoadOptions): Promise<GrpcRun> {
  const session = http2.connect(`http://${options.address}`);
  await new Promise<void>((resolve, reject) => session.once('connect', () => resolve()).once('error', reject));
  const body = frame(request(options.model));
  const headers = {
    ':method': 'POST',
    ':path': '/inference.GRPCInferenceService/ModelInfer',
    'content-type': 'application/grpc',
    te: 'trailers',
  };
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + options.seconds * 1000;
  const started = performance.now();
  const call = () =>
    new Promise<void>((resolve) => {
      const t0 = performance.now();
      const stream = session.request(headers);
      let status: string | undefined;
      let received = 0;
      stream.on('response', (h) => (status = h['grpc-status'] as string | undefined));
      stream.on('trailers', (h) => (status = h['grpc-status'] as string | undefined));
      stream.on('data', (chunk: Buffer) => (received += chunk.length));
      stream.on('close', () => {
        if (status === '0' && received > 5) latencies.push(performance.now() - t0);
        else errors++;
        resolve();
      });
      stream.end(body);
    });
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < until) await call();
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  session.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] * 100) / 100;
  return { rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), errors };
}

export function grpcLoad(options: GrpcLoadOptions): Promise<GrpcRun> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(options)], { execArgv: ['--import', 'tsx'] });
    child.once('message', (r) => resolve(r as GrpcRun));
    child.once('error', reject);
    child.once('exit', (code) => code !== 0 && reject(new Error(`gRPC load process exited with ${code}`)));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * gRPC ModelInfer against the HTTP JSON /v2 infer route of the same server, round by round, same
 * concurrency, same one-row request: the lines bench:serving prints (medians, ratio gRPC / HTTP).
 */
export async function grpcVersusHttpJson(options: {
  httpUrl: string;
  grpcAddress: string;
  model: string;
  rounds: number;
  seconds: number;
  concurrency: number;
}): Promise<string[]> {
  const body = JSON.stringify({
    inputs: [
      { name: 'x1', datatype: 'FP32', shape: [1, 1], data: [0.4] },
      { name: 'x2', datatype: 'FP32', shape: [1, 1], data: [-1.2] },
      { name: 'c', datatype: 'BYTES', shape: [1, 1], data: ['a'] },
    ],
  });
  const grpcOptions = { address: options.grpcAddress, model: options.model, seconds: options.seconds };
  await grpcLoad({ ...grpcOptions, seconds: 1, concurrency: options.concurrency }); // warm-up
  const http: GrpcRun[] = [];
  const grpc: GrpcRun[] = [];
  for (let i = 0; i < options.rounds; i++) {
    const r = await autocannon({
      url: `${options.httpUrl}/v2/models/${options.model}/infer`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      connections: options.concurrency,
      duration: options.seconds,
      workers: 1,
    });
    http.push({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx });
    grpc.push(await grpcLoad({ ...grpcOptions, concurrency: options.concurrency }));
  }
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const line = (label: string, runs: GrpcRun[]) =>
    `  ${label} ${fmt(median(runs.map((r) => r.rps)))} req/s   p50 ${median(runs.map((r) => r.p50))} ms   p99 ${median(runs.map((r) => r.p99))} ms`;
  const ratio = median(grpc.map((r) => r.rps)) / median(http.map((r) => r.rps));
  const errors = [...http, ...grpc].reduce((a, r) => a + r.errors, 0);
  return [
    line('HTTP JSON /v2 infer + log', http),
    line('gRPC ModelInfer + log   ', grpc),
    `  ratio gRPC / HTTP JSON  ${ratio.toFixed(2)}   (${options.concurrency} in flight; gRPC on one HTTP/2 connection; errors ${errors})`,
  ];
}

if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) {
  run(JSON.parse(process.argv[2]) as GrpcLoadOptions).then((r) => process.send!(r, () => process.exit(0)));
}
