/** Exit codes scripts can rely on, and the one-line error a person sees instead of a stack trace. */
import { ConfigError } from '../config/index';
import { ModelDefinitionError } from '../config/model';
import { NotFoundError } from '../store/models';

export const EXIT = {
  ok: 0,
  /** The operation ran and failed (a rejected challenger, a failed workflow...). */
  failure: 1,
  /** Bad usage or configuration: fix the command line, the environment or the config file. */
  usage: 2,
  /** A dependency is unreachable: PostgreSQL or Temporal. */
  unavailable: 3,
  /** The named model, version or run does not exist. */
  notFound: 4,
} as const;

/** An error whose message is already the one line to print, with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof ConfigError || err instanceof ModelDefinitionError) return EXIT.usage;
  if (err instanceof NotFoundError) return EXIT.notFound;
  const name = (err as Error)?.name;
  if (name === 'NotFoundError') return EXIT.notFound;
  if (name === 'CommanderError' || name === 'InvalidArgumentError') return EXIT.usage;
  return EXIT.failure;
}

export function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
