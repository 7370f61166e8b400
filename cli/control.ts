/** Opens what the control commands need (database + Temporal client) and closes it after. */
import type { ControlContext } from '../control/index';
import { commandContext, connectTemporalClient, openDatabase, requireDatabaseUrl } from './context';

export async function withControl<T>(work: (ctx: ControlContext) => Promise<T>): Promise<T> {
  const { config } = commandContext();
  const db = await openDatabase(requireDatabaseUrl(config));
  try {
    const client = await connectTemporalClient(config);
    try {
      return await work({ client, db, taskQueue: config.taskQueue });
    } finally {
      await client.connection.close();
    }
  } finally {
    await db.end();
  }
}
