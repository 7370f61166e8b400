export { bonferroni } from './bonferroni';
export { benjaminiHochberg } from './benjaminiHochberg';
