/**
 * The baseline the doctor is measured against: the fixed, absolute-threshold checks people hand-write
 * into training scripts (NaN check, "final loss above initial", "grad norm above 10", "val loss above its
 * minimum", "loss above 0.5", "lr below 1e-4"). Same signals and names as the doctor, no scale-free logic.
 */
import { assignRoles, type Problem, type ProblemId, type RunSignals } from '@tensorscope/analysis/doctor';

const finding = (id: ProblemId, step: number): Problem => ({
  id,
  severity: 'warning',
  step,
  evidence: 'baseline',
  suggestion: '',
  tags: [],
});

export function baselineDoctor(s: RunSignals): Problem[] {
  const roles = assignRoles(s);
  const out: Problem[] = [];
  const loss = roles.trainLoss?.data;
  if (loss && loss.values.length > 1) {
    const v = loss.values;
    const bad = Array.prototype.findIndex.call(v, (x: number) => !Number.isFinite(x));
    if (bad >= 0) out.push(finding('nan_loss', loss.steps[bad]));
    else {
      if (v[v.length - 1] > v[0]) out.push(finding('divergence', loss.steps[v.length - 1]));
      if (v[v.length - 1] > 0.5) out.push(finding('underfitting', loss.steps[0]));
    }
  }
  const val = roles.valLoss?.data;
  if (val && val.values.length > 2) {
    let min = 0;
    for (let i = 1; i < val.values.length; i++) if (val.values[i] < val.values[min]) min = i;
    if (val.values[val.values.length - 1] > val.values[min]) out.push(finding('overfitting', val.steps[min]));
  }
  const lr = roles.lr?.data;
  if (lr?.values.length && lr.values[0] < 1e-4) out.push(finding('lr_too_low', lr.steps[0]));
  for (const l of roles.layers) {
    for (const h of l.grad?.data ?? []) {
      const norm = Math.sqrt(h.sumSquares);
      if (norm > 10) {
        out.push(finding('exploding_gradients', h.step));
        break;
      }
      if (norm < 1e-5) {
        out.push(finding('vanishing_gradients', h.step));
        break;
      }
    }
  }
  const seen = new Set<ProblemId>();
  return out.filter((p) => !seen.has(p.id) && seen.add(p.id));
}
