import type { DashboardPlugin } from '../types';
import { DistributionsView } from './DistributionsView';

export const distributions: DashboardPlugin = {
  id: 'distributions',
  title: 'Distributions',
  kinds: ['histogram'],
  View: DistributionsView,
};
