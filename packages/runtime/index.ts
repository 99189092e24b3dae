export * from './capture';
export * from './errors';
export * from './image';
export * from './inputs';
export * from './maps';
export * from './stats';
export * from './tfjs/attribution';
export * from './tfjs/executor';
export { OPS } from './tfjs/ops';
