import type { DashboardPlugin } from '../types';
import { TextView } from './TextView';

export const text: DashboardPlugin = { id: 'text', title: 'Text', kinds: ['text'], View: TextView };
