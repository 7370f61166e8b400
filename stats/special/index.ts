export { logGamma } from './logGamma';
export { regularizedGammaP, regularizedGammaQ } from './regularizedGamma';
export { chiSquareSurvival } from './chiSquareSurvival';
export { normalCdf, normalSurvival } from './normal';
export { kolmogorovSurvival } from './kolmogorovSurvival';
export { smirnovSurvival } from './smirnovSurvival';
export { besselK, besselKScaled } from './besselK';
