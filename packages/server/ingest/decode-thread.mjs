// A decoding worker's entry point: worker threads load plain JavaScript, so register tsx's loader
// (as the tensorscope command does) and then run the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./decode-worker.ts');
