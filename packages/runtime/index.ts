export * from './capture';
export * from './errors';
export * from './image';
export * from './inputs';
export * from './maps';
export * from './stats';
