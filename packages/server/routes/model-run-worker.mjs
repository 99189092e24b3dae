// Entry of the Run worker thread: worker threads do not inherit the tsx loader that the CLI
// registers, so register it here, then load the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./model-run-worker.ts');
