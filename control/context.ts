/** What the control functions need: a Temporal client on the worker's task queue, and the database. */
import type { Client } from '@temporalio/client';
import type { Db } from '../store/db';

export interface ControlContext {
  client: Client;
  db: Db;
  taskQueue: string;
}
