/** Client-side control of the loop, for the CLI and the demo. */
export type { ControlContext } from './context';
export * from './schedules';
export * from './retrain';
export { workersPolling } from './workers';
