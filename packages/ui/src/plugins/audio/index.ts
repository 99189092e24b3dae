import type { DashboardPlugin } from '../types';
import { AudioView } from './AudioView';

export const audio: DashboardPlugin = { id: 'audio', title: 'Audio', kinds: ['audio'], View: AudioView };
