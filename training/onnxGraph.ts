/**
 * Building blocks for the ONNX graphs the built-in trainers emit (onnx-proto, irVersion 8, opsets
 * '' 15 and ai.onnx.ml 3), and the preprocessing part every built-in graph shares: one input per
 * feature (float [N,1] numerical, NaN = missing; string [N,1] categorical), Imputer → Scaler on the
 * numerical block, OneHotEncoder (unknown → zeros) per categorical, concatenated into "design".
 * See onnx/contract.ts for what the graph must satisfy.
 */
// onnx-proto is CommonJS: a default import works under both tsx (Node ESM) and vitest.
import onnxProto, { type onnx as Onnx } from 'onnx-proto';
import type { DesignPlan } from './design';

const { onnx } = onnxProto;

const T = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;

export type AttrValue =
  { floats: number[] } | { ints: number[] } | { strings: string[] } | { s: string } | { f: number } | { i: number };

export function attr(name: string, value: AttrValue): Onnx.IAttributeProto {
  if ('floats' in value) return { name, type: A.FLOATS, floats: value.floats };
  if ('ints' in value) return { name, type: A.INTS, ints: value.ints };
  if ('strings' in value) return { name, type: A.STRINGS, strings: value.strings.map((s) => Buffer.from(s)) };
  if ('s' in value) return { name, type: A.STRING, s: Buffer.from(value.s) };
  if ('f' in value) return { name, type: A.FLOAT, f: value.f };
  return { name, type: A.INT, i: value.i };
}

export function node(
  opType: string,
  input: string[],
  output: string[],
  attributes: Onnx.IAttributeProto[] = [],
  domain = '',
): Onnx.INodeProto {
  return { opType, domain, input, output, name: `${opType}_${output[0]}`, attribute: attributes };
}

export const ml = (opType: string, input: string[], output: string[], attributes: Onnx.IAttributeProto[] = []) =>
  node(opType, input, output, attributes, 'ai.onnx.ml');

function valueInfo(name: string, elemType: number, dims: Array<number | string>): Onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export interface Graph {
  nodes: Onnx.INodeProto[];
  initializers: Onnx.ITensorProto[];
  inputs: Onnx.IValueInfoProto[];
}

/** Adds the per-feature inputs and preprocessing nodes; returns the name of the float [N, width] design tensor. */
export function addPreprocessing(graph: Graph, plan: DesignPlan): string {
  const blocks: string[] = [];
  if (plan.numerical.length) {
    for (const s of plan.numerical) graph.inputs.push(valueInfo(s.name, T.FLOAT, ['N', 1]));
    const raw = plan.numerical.length === 1 ? plan.numerical[0].name : 'numerical_raw';
    if (plan.numerical.length > 1) {
      graph.nodes.push(
        node(
          'Concat',
          plan.numerical.map((s) => s.name),
          [raw],
          [attr('axis', { i: 1 })],
        ),
      );
    }
    graph.nodes.push(
      ml(
        'Imputer',
        [raw],
        ['numerical_imputed'],
        [
          attr('imputed_value_floats', { floats: plan.numerical.map((s) => s.fill) }),
          attr('replaced_value_float', { f: NaN }),
        ],
      ),
    );
    if (plan.standardize) {
      graph.nodes.push(
        ml(
          'Scaler',
          ['numerical_imputed'],
          ['numerical_scaled'],
          [
            attr('offset', { floats: plan.numerical.map((s) => s.offset) }),
            attr('scale', { floats: plan.numerical.map((s) => s.scale) }),
          ],
        ),
      );
      blocks.push('numerical_scaled');
    } else {
      blocks.push('numerical_imputed');
    }
  }
  for (const s of plan.categorical) {
    graph.inputs.push(valueInfo(s.name, T.STRING, ['N', 1]));
    if (s.categories.length === 0) continue;
    const onehot = `${s.name}_onehot`;
    const shape = `${s.name}_onehot_shape`;
    // OneHotEncoder appends a dimension ([N,1] → [N,1,K]); zeros=1 maps missing and unseen categories to all zeros.
    graph.nodes.push(
      ml(
        'OneHotEncoder',
        [s.name],
        [`${onehot}_3d`],
        [attr('cats_strings', { strings: s.categories }), attr('zeros', { i: 1 })],
      ),
    );
    graph.initializers.push({ name: shape, dataType: T.INT64, dims: [2], int64Data: [-1, s.categories.length] });
    graph.nodes.push(node('Reshape', [`${onehot}_3d`, shape], [onehot]));
    blocks.push(onehot);
  }
  if (blocks.length === 0)
    throw new Error('the model has no usable feature: every categorical feature has no category');
  if (blocks.length === 1) return blocks[0];
  graph.nodes.push(node('Concat', blocks, ['design'], [attr('axis', { i: 1 })]));
  return 'design';
}

export const floatOutput = (name: string, width: number) => valueInfo(name, T.FLOAT, ['N', width]);

export function newGraph(): Graph {
  return { nodes: [], initializers: [], inputs: [] };
}

/** Serializes a graph as a model: irVersion 8, opset '' 15, ai.onnx.ml 3. */
export function encodeModel(
  graph: Graph,
  outputs: Onnx.IValueInfoProto[],
  name: string,
  docString: string,
): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'driftloop',
    producerVersion: '0.1.0',
    docString,
    opsetImport: [
      { domain: '', version: 15 },
      { domain: 'ai.onnx.ml', version: 3 },
    ],
    graph: {
      name,
      node: graph.nodes,
      initializer: graph.initializers,
      input: graph.inputs,
      output: outputs,
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
