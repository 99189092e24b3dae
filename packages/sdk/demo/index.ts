/** The demo's training (used by `tensorscope demo` and the SDK benchmark). */
export { mnistDigits, SIDE } from './mnist';
export {
  BATCH,
  buildCnn,
  type Data,
  type DemoRun,
  loadData,
  type Progress,
  type RunResult,
  trainRun,
} from './train';
