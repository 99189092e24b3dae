/** Every dashboard, in tab order. Adding one is one line here plus its folder. */
import { scalars } from './scalars';
import type { DashboardPlugin } from './types';

export const plugins: DashboardPlugin[] = [scalars];
