/**
 * The gRPC listener of the prediction server: inference.GRPCInferenceService on its own port, with
 * bounded message sizes and concurrent streams. Started and stopped by serving/server.ts together
 * with the HTTP server; close() lets calls in flight finish before the prediction log is flushed.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { ServingContext } from '../context';
import { inferenceServiceDefinition } from './protocol';
import { inferenceService } from './service';

export interface GrpcServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Largest request message accepted (larger ones get RESOURCE_EXHAUSTED); the HTTP body limit. */
  maxReceiveBytes: number;
  /** Largest response message (default 64 MiB). */
  maxSendBytes?: number;
  /** Concurrent calls per client connection (default 256). */
  maxConcurrentStreams?: number;
  /** How long close() waits for calls in flight before cancelling them (default 10 s). */
  shutdownGraceMs?: number;
}

export interface GrpcInferenceServer {
  /** host:port as a gRPC client dials it. */
  address: string;
  port: number;
  close(): Promise<void>;
}

export async function startGrpcServer(ctx: ServingContext, options: GrpcServerOptions): Promise<GrpcInferenceServer> {
  const server = new Server({
    'grpc.max_receive_message_length': options.maxReceiveBytes,
    'grpc.max_send_message_length': options.maxSendBytes ?? 64 * 1024 * 1024,
    'grpc.max_concurrent_streams': options.maxConcurrentStreams ?? 256,
  });
  server.addService(inferenceServiceDefinition, inferenceService(ctx));
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${options.port}`, ServerCredentials.createInsecure(), (err, bound) =>
      err
        ? reject(
            new Error(
              `gRPC: cannot listen on ${host}:${options.port} (${err.message}); set --grpc-port or DRIFTLOOP_GRPC_PORT`,
            ),
          )
        : resolve(bound),
    ),
  );
  const grace = options.shutdownGraceMs ?? 10_000;
  let closing: Promise<void> | null = null;
  return {
    address: `${host}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          ctx.logger.warn({ graceMs: grace }, 'gRPC calls still running at shutdown; cancelling them');
          server.forceShutdown();
          resolve();
        }, grace);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return closing;
    },
  };
}
