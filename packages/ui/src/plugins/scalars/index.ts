import type { DashboardPlugin } from '../types';
import { ScalarsView } from './ScalarsView';

export const scalars: DashboardPlugin = {
  id: 'scalars',
  title: 'Scalars',
  kinds: ['scalar'],
  View: ScalarsView,
};
