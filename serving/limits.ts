/**
 * Connection limits of the prediction server (README "Hostile input"): a client that sends its
 * request slowly, idles on a socket or keeps one connection forever cannot hold the server's
 * sockets. Node checks the request timeout on a timer; it runs at a quarter of the timeout (at
 * least every second) so a trickling client is cut close to the limit, not up to 30 s later.
 */
import type { FastifyHttpOptions } from 'fastify';
import type { Server } from 'node:http';
import type { DriftloopConfig } from '../config/index';

export function connectionLimits(config: DriftloopConfig): FastifyHttpOptions<Server> {
  const requestTimeout = config.serveRequestTimeoutMs;
  return {
    requestTimeout,
    connectionTimeout: config.serveSocketTimeoutMs,
    keepAliveTimeout: config.serveKeepAliveTimeoutMs,
    maxRequestsPerSocket: config.serveMaxRequestsPerSocket,
    http: {
      requestTimeout,
      headersTimeout: Math.min(requestTimeout, 60_000),
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(requestTimeout / 4))),
    },
  };
}
