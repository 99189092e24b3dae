import type { DashboardPlugin } from '../types';
import { CustomScalarsView } from './CustomScalarsView';

export const customScalars: DashboardPlugin = {
  id: 'custom_scalars',
  title: 'Custom scalars',
  kinds: ['custom_scalars'],
  View: CustomScalarsView,
};
