/**
 * Raw tensor bytes (Triton's binary tensor extension, gRPC raw contents) and the binary request/response framing,
 * checked against byte layouts written from extension_binary_data.md: little-endian, BOOL one byte, BYTES with
 * 4-byte little-endian length prefixes, FP16 IEEE halves.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../serving/featureInput';
import { BINARY_DATA, encodeBinaryResponse, parseInferBody, type ParsedInput } from '../../serving/oip/binaryExtension';
import type { OipRequest, OipResponse } from '../../serving/oip/infer';
import { decodeRawTensor, encodeRawTensor, halfToNumber, numberToHalf } from '../../serving/oip/tensorData';

describe('raw tensor data', () => {
  it('decodes every fixed-size datatype little-endian', () => {
    const le = (bytes: number[]) => Uint8Array.from(bytes);
    expect([...(decodeRawTensor('FP32', [2], le([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]), 't') as Float32Array)]).toEqual([
      1, -2,
    ]);
    expect([...(decodeRawTensor('INT16', [2], le([0xff, 0xff, 0x02, 0x01]), 't') as Int16Array)]).toEqual([-1, 258]);
    expect([...(decodeRawTensor('UINT32', [1], le([1, 0, 0, 0x80]), 't') as Uint32Array)]).toEqual([2147483649]);
    expect([
      ...(decodeRawTensor('INT64', [1], le([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 't') as BigInt64Array),
    ]).toEqual([-2n]);
    expect([...(decodeRawTensor('BOOL', [3], le([1, 0, 1]), 't') as Uint8Array)]).toEqual([1, 0, 1]);
    // FP16: 0x3c00 = 1, 0xc000 = -2, 0x3555 ≈ 0.333, 0x7c00 = inf.
    expect([
      ...(decodeRawTensor('FP16', [4], le([0, 0x3c, 0, 0xc0, 0x55, 0x35, 0, 0x7c]), 't') as Float32Array),
    ]).toEqual([1, -2, Math.fround(0.333251953125), Infinity]);
  });

  it('round-trips every datatype through encode and decode', () => {
    const values = [0, 1, 7, 100];
    for (const dt of [
      'UINT8',
      'INT8',
      'UINT16',
      'INT16',
      'UINT32',
      'INT32',
      'UINT64',
      'INT64',
      'FP16',
      'FP32',
      'FP64',
    ]) {
      const decoded = decodeRawTensor(dt, [4], encodeRawTensor(dt, values), dt) as ArrayLike<number | bigint>;
      expect(Array.from(decoded, Number), dt).toEqual(values);
    }
    expect(halfToNumber(numberToHalf(0.1))).toBeCloseTo(0.1, 3);
    expect(halfToNumber(numberToHalf(-65504))).toBe(-65504);
    expect(halfToNumber(numberToHalf(1e-7))).toBeCloseTo(1.19e-7, 8);
  });

  it('frames BYTES with 4-byte little-endian lengths and refuses bad framing, naming the tensor', () => {
    const raw = encodeRawTensor('BYTES', ['ab', '', 'é']);
    expect([...raw]).toEqual([2, 0, 0, 0, 0x61, 0x62, 0, 0, 0, 0, 2, 0, 0, 0, 0xc3, 0xa9]);
    const decoded = decodeRawTensor('BYTES', [3], raw, 'input "c"') as Buffer[];
    expect(decoded.map((b) => b.toString('utf8'))).toEqual(['ab', '', 'é']);
    expect(() => decodeRawTensor('BYTES', [3], raw.subarray(0, 15), 'input "c"')).toThrow(
      /input "c": BYTES element 2 claims 2 bytes but 1 remain/,
    );
    expect(() => decodeRawTensor('BYTES', [2], raw, 'input "c"')).toThrow(/3 BYTES elements but shape \[2\] holds 2/);
    expect(() => decodeRawTensor('FP32', [3], new Uint8Array(8), 'input "x"')).toThrow(
      /input "x": 8 bytes of FP32 data but shape \[3\] needs 12/,
    );
  });
});

describe('binary request and response framing', () => {
  const header = (request: object) => Buffer.from(JSON.stringify(request));

  it('splits the JSON header from the inputs binary data in input order', () => {
    const x = encodeRawTensor('FP32', [1.5, 2.5]);
    const c = encodeRawTensor('BYTES', ['a', 'bc']);
    const json = header({
      inputs: [
        { name: 'x', shape: [2], datatype: 'FP32', parameters: { binary_data_size: x.length } },
        { name: 'y', shape: [1], datatype: 'FP64', data: [3] },
        { name: 'c', shape: [2], datatype: 'BYTES', parameters: { binary_data_size: c.length } },
      ],
    });
    const parsed = parseInferBody(Buffer.concat([json, x, c]), String(json.length)) as OipRequest;
    const inputs = parsed.inputs as ParsedInput[];
    expect([...(inputs[0][BINARY_DATA] as Float32Array)]).toEqual([1.5, 2.5]);
    expect(inputs[1][BINARY_DATA]).toBeUndefined();
    expect((inputs[2][BINARY_DATA] as Buffer[]).map(String)).toEqual(['a', 'bc']);
  });

  it('refuses inconsistent framing with a message naming the fix', () => {
    const json = header({ inputs: [{ name: 'x', shape: [2], datatype: 'FP32', parameters: { binary_data_size: 8 } }] });
    const body = Buffer.concat([json, Buffer.alloc(8)]);
    expect(() => parseInferBody(body, String(json.length + 100))).toThrow(InputError);
    expect(() => parseInferBody(body, 'abc')).toThrow(/Inference-Header-Content-Length is "abc"/);
    expect(() => parseInferBody(Buffer.concat([body, Buffer.alloc(3)]), String(json.length))).toThrow(
      /3 bytes after the inputs' binary data/,
    );
    expect(() => parseInferBody(body.subarray(0, body.length - 1), String(json.length))).toThrow(
      /binary_data_size 8 runs past the end of the body/,
    );
    expect(() => parseInferBody(Buffer.from('{"inputs": ['), undefined)).toThrow(/request body is not valid JSON/);
  });

  it('answers binary outputs after the JSON header, per output or for all of them', () => {
    const response: OipResponse = {
      model_name: 'm',
      model_version: '1',
      parameters: { stage: 'production' },
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [2], data: ['no', 'yes'] },
        { name: 'score', datatype: 'FP64', shape: [2], data: [0.25, null] },
      ],
    };
    const inputs: OipRequest['inputs'] = [];
    expect(encodeBinaryResponse({ inputs }, response)).toBeNull();
    const all = encodeBinaryResponse({ inputs, parameters: { binary_data_output: true } }, response)!;
    const head = JSON.parse(all.body.subarray(0, all.headerLength).toString()) as OipResponse;
    expect(head.outputs.map((o) => o.parameters)).toEqual([{ binary_data_size: 13 }, { binary_data_size: 16 }]);
    const tail = all.body.subarray(all.headerLength);
    expect((decodeRawTensor('BYTES', [2], tail.subarray(0, 13), 'label') as Buffer[]).map(String)).toEqual([
      'no',
      'yes',
    ]);
    const scores = decodeRawTensor('FP64', [2], tail.subarray(13), 'score') as Float64Array;
    expect(scores[0]).toBe(0.25);
    expect(scores[1]).toBeNaN();
    const one = encodeBinaryResponse(
      {
        inputs,
        parameters: { binary_data_output: true },
        outputs: [{ name: 'label', parameters: { binary_data: false } }, { name: 'score' }],
      },
      response,
    )!;
    const oneHead = JSON.parse(one.body.subarray(0, one.headerLength).toString()) as OipResponse;
    expect(oneHead.outputs[0].data).toEqual(['no', 'yes']);
    expect(oneHead.outputs[1].parameters).toEqual({ binary_data_size: 16 });
  });
});
