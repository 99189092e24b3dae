import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, prefetchRuns } from './app/App';
import 'uplot/dist/uPlot.min.css';
import './styles.css';

prefetchRuns();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
