/**
 * OnnxModel: one onnxruntime-node session plus the contract (onnx/contract.ts) that maps feature
 * rows to input tensors and output tensors to predictions.
 */
import * as ort from 'onnxruntime-node';
import type { FeatureSpec, TargetSpec, Task } from '../config/model';
import { OnnxContractError, type InputMode } from './contract';

export type FeatureValue = number | string | boolean | null | undefined;
export type FeatureRow = Record<string, FeatureValue>;

export interface ModelSpec {
  name: string;
  task: Task;
  features: FeatureSpec[];
  target: TargetSpec;
}

/** Predictions for N rows, column-wise. */
export interface PredictionBatch {
  n: number;
  /** The monitored score: P(positive class) for binary, top-class probability for multiclass, the value for regression. */
  scores: Float64Array;
  /** Predicted class label per row (classification), else null. */
  labels: string[] | null;
  /** N × C class probabilities, row-major (classification), else null. */
  probabilities: Float32Array | null;
  classes: string[] | null;
}

interface TensorInfo {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: ReadonlyArray<number | string>;
}

function metadataOf(session: ort.InferenceSession, kind: 'input' | 'output'): TensorInfo[] {
  const names = kind === 'input' ? session.inputNames : session.outputNames;
  const meta = (kind === 'input' ? session.inputMetadata : session.outputMetadata) as unknown as
    TensorInfo[] | undefined;
  return names.map((name, i) => meta?.[i] ?? { name, isTensor: true });
}

const FLOAT_TYPES = new Set(['float32', 'float64', 'float', 'double']);

export class OnnxModel {
  private constructor(
    readonly spec: ModelSpec,
    private readonly session: ort.InferenceSession,
    readonly inputMode: InputMode,
    private readonly inputTypes: Map<string, string>,
    private readonly outputName: string,
    readonly matrixInput?: string,
  ) {}

  /** Loads ONNX bytes and checks the graph against the model's schema; throws OnnxContractError naming the mismatch. */
  static async load(
    onnx: Uint8Array,
    spec: ModelSpec,
    options: ort.InferenceSession.SessionOptions = {},
  ): Promise<OnnxModel> {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: 1, interOpNumThreads: 1, ...options });
    } catch (err) {
      throw new OnnxContractError(`model ${spec.name}: onnxruntime cannot load the graph: ${(err as Error).message}`);
    }
    try {
      return OnnxModel.bind(spec, session);
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  private static bind(spec: ModelSpec, session: ort.InferenceSession): OnnxModel {
    const inputs = metadataOf(session, 'input');
    const outputs = metadataOf(session, 'output');
    const inputTypes = new Map(inputs.map((i) => [i.name, i.type ?? 'float32']));
    let mode: InputMode;
    let matrixInput: string | undefined;
    const featureNames = spec.features.map((f) => f.name);
    if (featureNames.every((n) => inputTypes.has(n))) {
      mode = 'per-feature';
      for (const f of spec.features) {
        const t = inputTypes.get(f.name)!;
        if (f.type === 'numerical' && !FLOAT_TYPES.has(t)) {
          throw new OnnxContractError(
            `model ${spec.name}: input "${f.name}" is ${t}; a numerical feature needs a float input`,
          );
        }
        if (f.type === 'categorical' && t !== 'string') {
          throw new OnnxContractError(
            `model ${spec.name}: input "${f.name}" is ${t}; a categorical feature needs a string input`,
          );
        }
      }
      const extra = inputs.filter((i) => !featureNames.includes(i.name)).map((i) => i.name);
      if (extra.length) {
        throw new OnnxContractError(
          `model ${spec.name}: graph inputs ${extra.join(', ')} are not features of the schema`,
        );
      }
    } else if (inputs.length === 1 && spec.features.every((f) => f.type === 'numerical')) {
      mode = 'matrix';
      matrixInput = inputs[0].name;
      const width = inputs[0].shape?.[1];
      if (typeof width === 'number' && width !== featureNames.length) {
        throw new OnnxContractError(
          `model ${spec.name}: input "${inputs[0].name}" has ${width} columns but the schema has ${featureNames.length} features`,
        );
      }
      if (!FLOAT_TYPES.has(inputs[0].type ?? 'float32')) {
        throw new OnnxContractError(`model ${spec.name}: input "${inputs[0].name}" must be float`);
      }
    } else {
      const missing = featureNames.filter((n) => !inputTypes.has(n));
      throw new OnnxContractError(
        `model ${spec.name}: graph inputs [${[...inputTypes.keys()].join(', ')}] do not match the schema: missing ${missing.join(', ')} ` +
          `(name one input per feature, or use one float [N, ${featureNames.length}] input for all-numerical models)`,
      );
    }
    const tensorOutputs = outputs.filter((o) => o.isTensor);
    const nonTensor = outputs.filter((o) => !o.isTensor);
    let outputName: string | undefined;
    if (spec.task === 'regression') {
      outputName = tensorOutputs.find((o) => FLOAT_TYPES.has(o.type ?? 'float32'))?.name;
    } else {
      const floats = tensorOutputs.filter((o) => FLOAT_TYPES.has(o.type ?? 'float32'));
      outputName = (floats.find((o) => /prob/i.test(o.name)) ?? floats.find((o) => o.shape?.length === 2))?.name;
    }
    if (!outputName) {
      const hint = nonTensor.length
        ? ` (outputs ${nonTensor.map((o) => o.name).join(', ')} are not tensors: export with zipmap disabled, e.g. skl2onnx options={'zipmap': False})`
        : '';
      throw new OnnxContractError(
        `model ${spec.name}: no float tensor output for ${spec.task === 'regression' ? 'the predicted value' : 'class probabilities'}${hint}`,
      );
    }
    return new OnnxModel(spec, session, mode, inputTypes, outputName, matrixInput);
  }

  /** Builds the input tensors for rows (missing numerical → NaN, missing categorical → ''). */
  feeds(rows: readonly FeatureRow[]): Record<string, ort.Tensor> {
    const n = rows.length;
    const feeds: Record<string, ort.Tensor> = {};
    if (this.inputMode === 'matrix') {
      const f = this.spec.features.length;
      const data = new Float32Array(n * f);
      for (let j = 0; j < f; j++) {
        const name = this.spec.features[j].name;
        for (let i = 0; i < n; i++) data[i * f + j] = toNumber(rows[i][name]);
      }
      feeds[this.matrixInput!] = new ort.Tensor('float32', data, [n, f]);
      return feeds;
    }
    for (const feature of this.spec.features) {
      const type = this.inputTypes.get(feature.name)!;
      if (feature.type === 'categorical') {
        const data = new Array<string>(n);
        for (let i = 0; i < n; i++) {
          const v = rows[i][feature.name];
          data[i] = v === null || v === undefined ? '' : String(v);
        }
        feeds[feature.name] = new ort.Tensor('string', data, [n, 1]);
      } else {
        const data = type === 'float64' || type === 'double' ? new Float64Array(n) : new Float32Array(n);
        for (let i = 0; i < n; i++) data[i] = toNumber(rows[i][feature.name]);
        feeds[feature.name] = new ort.Tensor(data instanceof Float64Array ? 'float64' : 'float32', data, [n, 1]);
      }
    }
    return feeds;
  }

  /** Scores rows in one session.run. Synchronous native work inside: callers micro-batch. */
  async predict(rows: readonly FeatureRow[]): Promise<PredictionBatch> {
    const n = rows.length;
    if (n === 0) return { n: 0, scores: new Float64Array(0), labels: null, probabilities: null, classes: null };
    const result = await this.session.run(this.feeds(rows), [this.outputName]);
    const out = result[this.outputName];
    const data = out.data as Float32Array | Float64Array;
    if (this.spec.task === 'regression') {
      if (data.length !== n) throw new Error(`model ${this.spec.name}: output has ${data.length} values for ${n} rows`);
      return { n, scores: Float64Array.from(data), labels: null, probabilities: null, classes: null };
    }
    const classes = this.spec.target.classes ?? [];
    const c = classes.length;
    if (data.length !== n * c) {
      throw new Error(
        `model ${this.spec.name}: probability output has ${data.length} values, expected ${n} rows × ${c} classes`,
      );
    }
    const probabilities = data instanceof Float32Array ? data : Float32Array.from(data);
    const scores = new Float64Array(n);
    const labels = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let k = 1; k < c; k++) if (probabilities[i * c + k] > probabilities[i * c + best]) best = k;
      labels[i] = classes[best];
      scores[i] = this.spec.task === 'binary' ? probabilities[i * c + 1] : probabilities[i * c + best];
    }
    return { n, scores, labels, probabilities, classes };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function toNumber(v: FeatureValue): number {
  if (v === null || v === undefined || v === '') return NaN;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return typeof v === 'number' ? v : Number(v);
}
