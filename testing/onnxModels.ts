/**
 * Small hand-built ONNX graphs for tests that need a real model before (or without) a trainer:
 * a binary logistic model over two numerical features and one categorical one, per the contract.
 */
// Default import: onnx-proto is CommonJS, and plain Node (tsx, the bench) has no named export for it.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

const F = onnx.TensorProto.DataType.FLOAT;
const S = onnx.TensorProto.DataType.STRING;

function valueInfo(name: string, elemType: number, dims: Array<number | string>) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

function attr(
  name: string,
  value: number[] | string[] | string | number,
  kind: 'floats' | 'ints' | 'strings' | 's' | 'f' | 'i',
) {
  const a = onnx.AttributeProto.create({ name });
  const T = onnx.AttributeProto.AttributeType;
  if (kind === 'floats') Object.assign(a, { type: T.FLOATS, floats: value });
  if (kind === 'ints') Object.assign(a, { type: T.INTS, ints: value });
  if (kind === 'strings')
    Object.assign(a, { type: T.STRINGS, strings: (value as string[]).map((s) => Buffer.from(s)) });
  if (kind === 's') Object.assign(a, { type: T.STRING, s: Buffer.from(value as string) });
  if (kind === 'f') Object.assign(a, { type: T.FLOAT, f: value });
  if (kind === 'i') Object.assign(a, { type: T.INT, i: value });
  return a;
}

export interface LogisticSpec {
  /** Coefficients for x1, x2 and the encoded category (a → 0, b → 1, other → 0.5). */
  coefficients: [number, number, number];
  intercept: number;
}

/** P(yes) = sigmoid(w·[x1, x2, enc(c)] + b); inputs x1, x2 (float [N,1]) and c (string [N,1]). */
export function logisticModel(spec: LogisticSpec): Uint8Array {
  const graph = onnx.GraphProto.create({
    name: 'test_logistic',
    input: [valueInfo('x1', F, ['N', 1]), valueInfo('x2', F, ['N', 1]), valueInfo('c', S, ['N', 1])],
    output: [valueInfo('label', onnx.TensorProto.DataType.INT64, ['N']), valueInfo('probabilities', F, ['N', 2])],
    node: [
      onnx.NodeProto.create({
        opType: 'LabelEncoder',
        domain: 'ai.onnx.ml',
        input: ['c'],
        output: ['c_enc'],
        attribute: [
          attr('keys_strings', ['a', 'b'], 'strings'),
          attr('values_floats', [0, 1], 'floats'),
          attr('default_float', 0.5, 'f'),
        ],
      }),
      onnx.NodeProto.create({
        opType: 'Concat',
        input: ['x1', 'x2', 'c_enc'],
        output: ['x'],
        attribute: [attr('axis', 1, 'i')],
      }),
      onnx.NodeProto.create({
        opType: 'LinearClassifier',
        domain: 'ai.onnx.ml',
        input: ['x'],
        output: ['label', 'probabilities'],
        attribute: [
          attr('coefficients', spec.coefficients, 'floats'),
          attr('intercepts', [spec.intercept], 'floats'),
          attr('classlabels_ints', [0, 1], 'ints'),
          attr('post_transform', 'LOGISTIC', 's'),
        ],
      }),
    ],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'driftloop-test',
    opsetImport: [
      { domain: '', version: 15 },
      { domain: 'ai.onnx.ml', version: 3 },
    ],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/** What logisticModel computes, for comparing against onnxruntime. */
export function logisticReference(spec: LogisticSpec, x1: number, x2: number, c: string): number {
  const enc = c === 'a' ? 0 : c === 'b' ? 1 : 0.5;
  const z = spec.coefficients[0] * x1 + spec.coefficients[1] * x2 + spec.coefficients[2] * enc + spec.intercept;
  return 1 / (1 + Math.exp(-z));
}

export const testModelSpec = {
  name: 'loans',
  task: 'binary' as const,
  features: [
    { name: 'x1', type: 'numerical' as const },
    { name: 'x2', type: 'numerical' as const },
    { name: 'c', type: 'categorical' as const, categories: ['a', 'b'] },
  ],
  target: { name: 'default', classes: ['no', 'yes'] },
};
