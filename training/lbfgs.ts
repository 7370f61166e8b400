/**
 * Limited-memory BFGS (Nocedal & Wright, Numerical Optimization, 2nd ed., Algorithm 7.4/7.5) with a
 * backtracking Armijo line search. Enough for the smooth convex objectives of the linear trainers.
 */

export interface LbfgsOptions {
  maxIter: number;
  /** Stop when the largest gradient component falls below this. */
  gradientTolerance: number;
  /** Pairs kept in memory. */
  memory?: number;
  /** Called after each iteration; awaited, so a long fit yields to the event loop (heartbeats). */
  onIteration?: (iteration: number, value: number) => void | Promise<void>;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  converged: boolean;
}

/** `objective(x, grad)` returns f(x) and writes ∇f(x) into grad. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

export async function minimizeLbfgs(objective: Objective, x0: Float64Array, opts: LbfgsOptions): Promise<LbfgsResult> {
  const d = x0.length;
  const m = opts.memory ?? 10;
  const x = Float64Array.from(x0);
  const g = new Float64Array(d);
  let f = objective(x, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const dir = new Float64Array(d);
  const xNew = new Float64Array(d);
  const gNew = new Float64Array(d);
  const alpha = new Float64Array(m);
  let iter = 0;
  let converged = maxAbs(g) < opts.gradientTolerance;
  while (!converged && iter < opts.maxIter) {
    // Two-loop recursion: dir = -H g.
    for (let i = 0; i < d; i++) dir[i] = -g[i];
    for (let k = S.length - 1; k >= 0; k--) {
      alpha[k] = rho[k] * dot(S[k], dir);
      const y = Y[k];
      for (let i = 0; i < d; i++) dir[i] -= alpha[k] * y[i];
    }
    const gamma = S.length ? dot(S[S.length - 1], Y[Y.length - 1]) / dot(Y[Y.length - 1], Y[Y.length - 1]) : 1;
    for (let i = 0; i < d; i++) dir[i] *= gamma;
    for (let k = 0; k < S.length; k++) {
      const beta = rho[k] * dot(Y[k], dir);
      const s = S[k];
      for (let i = 0; i < d; i++) dir[i] += s[i] * (alpha[k] - beta);
    }
    let slope = dot(g, dir);
    if (slope >= 0) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      for (let i = 0; i < d; i++) dir[i] = -g[i];
      slope = dot(g, dir);
    }
    let step = S.length ? 1 : Math.min(1, 1 / Math.max(maxAbs(g), 1e-12));
    let fNew = Infinity;
    for (let tries = 0; tries < 50; tries++) {
      for (let i = 0; i < d; i++) xNew[i] = x[i] + step * dir[i];
      fNew = objective(xNew, gNew);
      if (fNew <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNew <= f)) break;
    const s = new Float64Array(d);
    const y = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      s[i] = xNew[i] - x[i];
      y[i] = gNew[i] - g[i];
    }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    const decrease = f - fNew;
    x.set(xNew);
    g.set(gNew);
    f = fNew;
    iter++;
    await opts.onIteration?.(iter, f);
    converged = maxAbs(g) < opts.gradientTolerance || decrease <= 1e-15 * Math.max(1, Math.abs(f));
  }
  return { x, value: f, iterations: iter, converged };
}
