/** A slider over the steps that have data; shows the chosen step and its position. */
export function StepSlider({
  steps,
  index,
  onChange,
}: {
  steps: number[];
  index: number;
  onChange(index: number): void;
}) {
  if (steps.length <= 1) return <div className="step-label muted">step {steps[0] ?? '—'}</div>;
  return (
    <div className="step-slider">
      <input
        type="range"
        min={0}
        max={steps.length - 1}
        value={index}
        onChange={(e) => onChange(Number(e.target.value))}
        aria-label="Step"
        data-testid="step-slider"
      />
      <span className="step-label" data-testid="step-label">
        step {steps[index]}
      </span>
      <span className="muted">
        {index + 1}/{steps.length}
      </span>
    </div>
  );
}
