/**
 * The contract between a model's ONNX graph and driftloop. Trainers (built-in or external) emit
 * graphs that satisfy it; serving, batch prediction and validation run them through OnnxModel.
 *
 * Inputs, one of:
 *  - per feature: one input named exactly as the feature, shape [N, 1] or [N]; `float`/`double`
 *    for numerical features (NaN = missing), `string` for categorical ('' = missing). This is
 *    what the built-in trainers emit and what skl2onnx emits for a ColumnTransformer pipeline.
 *  - matrix: a single float input [N, F] whose columns are the model's numerical features in
 *    schema order (only for all-numerical models; skl2onnx's FloatTensorType([None, F])).
 * Outputs:
 *  - classification: a float tensor [N, C] of class probabilities in `target.classes` order
 *    (preferred: the one named like "prob"); a label output, if any, is ignored and the label is
 *    derived from the probabilities (binary tree ensembles emit inconsistent labels, DESIGN.md).
 *    A ZipMap output (sequence of maps) is rejected: export with zipmap disabled.
 *  - regression: a float tensor [N] or [N, 1].
 */
export type InputMode = 'per-feature' | 'matrix';

/** A graph that does not satisfy the contract; the message says what to change. */
export class OnnxContractError extends Error {
  override name = 'OnnxContractError';
}
