export { ks2samp, type KsOptions, type TestResult } from './ks2samp';
export { chiSquareTest, type ChiSquareResult } from './chiSquareTest';
export { psi, PSI_DEFAULT_EPSILON, type PsiOptions } from './psi';
export { klDivergence, type KlOptions } from './klDivergence';
export { hellingerDistance } from './hellingerDistance';
export { jensenShannonDistance } from './jensenShannonDistance';
export { wassersteinDistance } from './wassersteinDistance';
export { wassersteinDistanceNormed, type NormedWassersteinOptions } from './wassersteinDistanceNormed';
export { type Counts } from './countInput';
