#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader: no build step between an edit and a run.
import { register } from 'tsx/esm/api';

register();
// `tensorscope export ... | head` closes the pipe early: that is not an error
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
