export * from './compound';
export * from './isotonic';
export * from './layered';
