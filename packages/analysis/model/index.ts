export * from './findings';
export * from './flops';
export * from './modules';
export * from './report';
export * from './stats';
