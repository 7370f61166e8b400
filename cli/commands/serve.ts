/** `driftloop serve`: the prediction server (KServe v2 + JSON), logging every prediction to PostgreSQL. */
import type { Command } from 'commander';
import { commandContext, openDatabase, requireDatabaseUrl } from '../context';
import { untilSignal } from '../signals';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the production (and canary/shadow) version of every registered model over HTTP')
    .option('--port <port>', 'listen port (default DRIFTLOOP_SERVE_PORT or 8080)')
    .option('--host <host>', 'listen address (default DRIFTLOOP_SERVE_HOST or 127.0.0.1)')
    .option(
      '--grpc-port <port|off>',
      'Open Inference Protocol gRPC port (default DRIFTLOOP_GRPC_PORT or 8081; off: none)',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ DATABASE_URL=postgres://localhost/ml driftloop serve --port 8080
  $ curl -s localhost:8080/v1/models/loans/predict -d '{"instances":[{"income":52000,"employment":"salaried"}]}'`,
    )
    .action(async (opts: { port?: string; host?: string; grpcPort?: string }) => {
      const { config, logger } = commandContext({ grpcPort: opts.grpcPort });
      const db = await openDatabase(requireDatabaseUrl(config));
      const { startServer } = await import('../../serving/index');
      const server = await startServer({
        config,
        db,
        logger,
        host: opts.host,
        port: opts.port === undefined ? undefined : Number(opts.port),
        grpcPort: config.grpcPort === 'off' ? null : config.grpcPort,
      });
      const grpc = server.grpcAddress ? `; gRPC on ${server.grpcAddress}` : '';
      process.stdout.write(`serving on ${server.url} (metrics at ${server.url}/metrics${grpc})\n`);
      await untilSignal((s) => logger.info({ signal: s }, 'server stopping: flushing the prediction log'));
      await server.close();
      await db.end();
    });
}
