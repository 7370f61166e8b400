/**
 * JSON request bodies with a bounded nesting depth, checked before parsing: a 4 MB body nested two
 * million deep otherwise costs JSON.parse ~0.7 s of event loop and overflows the stack of whatever
 * walks it next. The scan stops at the first bracket past the limit, so a hostile body costs almost
 * nothing; an ordinary one costs one pass over its characters.
 */
import type { FastifyInstance } from 'fastify';
import { InputError } from './featureInput';

/** True when `text`, read as JSON, nests objects and arrays deeper than `maxDepth`. Strings are skipped. */
export function jsonNestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: the next character is escaped
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > maxDepth) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}

/** The error a too-deep body gets: what the limit is and the setting that raises it. */
export function tooDeepError(maxDepth: number): InputError {
  return new InputError(
    `request body nests deeper than ${maxDepth} levels (DRIFTLOOP_SERVE_MAX_JSON_DEPTH); ` +
      'send tensor data flat or as [N, F] rows',
  );
}

/** Replaces fastify's application/json parser with the same parser behind the depth check. */
export function installBoundedJsonParser(app: FastifyInstance, maxDepth: number): void {
  const parse = app.getDefaultJsonParser(app.initialConfig.onProtoPoisoning ?? 'error', 'ignore');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (jsonNestsDeeperThan(body as string, maxDepth)) {
      done(tooDeepError(maxDepth), undefined);
      return;
    }
    parse(request, body as string, done);
  });
}
