import { lazy } from 'react';
import type { DashboardPlugin } from '../types';

/** Always available: a model can be dropped on the page even when the server was given none. Loaded on
 * first use (the model parsers are the biggest part of the page). */
export const model: DashboardPlugin = {
  id: 'model',
  title: 'Model',
  kinds: [],
  available: () => true,
  View: lazy(() => import('./ModelView').then((m) => ({ default: m.ModelView }))),
};
