/** File ingest as activities: one chunk per call, idempotent (keyed rows), so a retried chunk writes nothing twice. */
import { Context } from '@temporalio/activity';
import { countFileRows, fileKeyOf, ingestLabelChunk, ingestPredictionChunk } from '../serving/fileIngest';
import type { ActivityDeps } from './deps';

export interface IngestChunkRequest {
  model: string;
  kind: 'predictions' | 'labels';
  path: string;
  offset: number;
  limit: number;
  /** Key prefix for rows without an id column (fileKeyOf, fixed by the workflow's first step). */
  fileKey: string;
}

export function createIngestActivities({ db, logger }: ActivityDeps) {
  return {
    /** Rows in the file and its key, read once at the start of an import. */
    async describeIngestFile(path: string): Promise<{ rows: number; fileKey: string }> {
      return { rows: await countFileRows(path), fileKey: await fileKeyOf(path) };
    },
    async ingestFileChunk(req: IngestChunkRequest): Promise<number> {
      const ctx = Context.current();
      ctx.heartbeat(req.offset);
      const beat = setInterval(() => ctx.heartbeat(req.offset), 5_000);
      const result = await (async () =>
        req.kind === 'predictions'
          ? await ingestPredictionChunk(db, req.model, req.path, req.offset, req.limit, req.fileKey)
          : await ingestLabelChunk(db, req.model, req.path, req.offset, req.limit))().finally(() =>
        clearInterval(beat),
      );
      logger.debug({ ...req, rows: result.rows }, 'ingest chunk written');
      return result.rows;
    },
  };
}
