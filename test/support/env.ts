/** Where tests find the machine's PostgreSQL: DRIFTLOOP_TEST_DATABASE_URL, else the local server's `test` database. */
export const adminDatabaseUrl = process.env.DRIFTLOOP_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The same server, another database. */
export function databaseUrlFor(name: string): string {
  const url = new URL(adminDatabaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    templateDatabase: string;
    workflowBundlePath: string;
  }
}
