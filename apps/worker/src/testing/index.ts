// @paidflow/worker/testing: what other packages' tests and the benchmarks may use of the worker:
// the real worker and its download steps, driven as the product drives them.
export { type RunningWorker, startWorker } from '../app.ts';
export { testEnv, type WorkerEnv } from '../env.ts';
export { downloadFiles } from '../steps/download.ts';
export { fetchManifest } from '../steps/enroll.ts';
