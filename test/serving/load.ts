/** A steady stream of single-row predict requests from this process, counting every failure. */
import { postJson, sampleRows } from './support';

export interface LoadResult {
  sent: number;
  ok: number;
  failed: Array<{ status: number; error: unknown }>;
  ids: string[];
  versions: Map<number, number>;
}

/** Runs `concurrency` loops of requests until stop() is called; resolves with what was seen. */
export function steadyLoad(url: string, concurrency = 4): { stop(): Promise<LoadResult> } {
  const result: LoadResult = { sent: 0, ok: 0, failed: [], ids: [], versions: new Map() };
  const rows = sampleRows(64, 5);
  let running = true;
  const loops = Array.from({ length: concurrency }, async (_, k) => {
    let i = k;
    while (running) {
      const instance = rows[i++ % rows.length];
      result.sent++;
      try {
        const res = await postJson(`${url}/v1/models/loans/predict`, { instances: [instance] });
        if (res.status === 200) {
          result.ok++;
          result.ids.push(...(res.body.ids as string[]));
          const v = res.body.version as number;
          result.versions.set(v, (result.versions.get(v) ?? 0) + 1);
        } else result.failed.push({ status: res.status, error: res.body.error });
      } catch (err) {
        result.failed.push({ status: 0, error: (err as Error).message });
      }
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}
