/**
 * gzip/deflate on the wire: request bodies with Content-Encoding gzip or deflate (zlib), as tritonclient's
 * request_compression_algorithm sends them, are decompressed before parsing (the body limit applies to the
 * decompressed size); responses are compressed when the client asks with Accept-Encoding.
 */
import compress from '@fastify/compress';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { InputError } from './featureInput';

export const compressionPlugin = fp(async (app: FastifyInstance) => {
  await app.register(compress, {
    global: true,
    encodings: ['gzip', 'deflate'],
    requestEncodings: ['gzip', 'deflate'],
    // Binary tensor responses (application/octet-stream) compress too when asked.
    customTypes: /^application\/(json|octet-stream)/,
    onUnsupportedRequestEncoding: (_request, encoding) =>
      new InputError(
        `Content-Encoding "${encoding}" is not supported; send gzip, deflate or an uncompressed body`,
        415,
      ),
    onInvalidRequestPayload: (_request, encoding, error) =>
      new InputError(
        `the request body is not valid ${encoding} data (${error.message}); compress it again or send it uncompressed`,
        400,
      ),
  });
});
