/** What activities are given (never imported as globals): built once per worker by createActivities. */
import type { DriftloopConfig } from '../config/index';
import type { Logger } from '../config/logger';
import type { Db } from '../store/db';

export interface ActivityDeps {
  db: Db;
  config: DriftloopConfig;
  logger: Logger;
}
