// Entry of a statistics thread: worker threads do not inherit the tsx loader, so register it here,
// then load the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./stats-worker.ts');
