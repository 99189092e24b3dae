/**
 * Growable typed columns for scalar points: step (int32, widened to float64 only when a step
 * needs it), wall time (float64) and value (float32, widened to float64 only when a value is not
 * exactly a float32). 16 bytes per point in the common case.
 */
export class ScalarColumns {
  length = 0;
  steps: Int32Array | Float64Array = new Int32Array(16);
  wallTimes = new Float64Array(16);
  values: Float32Array | Float64Array = new Float32Array(16);

  push(step: number, wallTime: number, value: number): void {
    const i = this.length;
    if (i === this.wallTimes.length) this.grow(i * 2);
    // the cheap numeric test first: the type checks run only for the rare point that needs widening
    if ((step | 0) !== step && this.steps instanceof Int32Array) this.steps = Float64Array.from(this.steps);
    if (Math.fround(value) !== value && !Number.isNaN(value) && this.values instanceof Float32Array) {
      this.values = Float64Array.from(this.values);
    }
    this.steps[i] = step;
    this.wallTimes[i] = wallTime;
    this.values[i] = value;
    this.length = i + 1;
  }

  private grow(capacity: number): void {
    const steps = new (this.steps.constructor as Int32ArrayConstructor | Float64ArrayConstructor)(capacity);
    steps.set(this.steps.subarray(0, this.length));
    this.steps = steps;
    const wt = new Float64Array(capacity);
    wt.set(this.wallTimes.subarray(0, this.length));
    this.wallTimes = wt;
    const values = new (this.values.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(
      capacity,
    );
    values.set(this.values.subarray(0, this.length));
    this.values = values;
  }

  /** Drops spare capacity (after a full read, so memory held is exactly the points). */
  trim(): void {
    if (this.wallTimes.length !== this.length) this.grow(Math.max(this.length, 1));
  }

  /** Keeps the points for which keep(step) is true, in order. */
  filter(keep: (step: number) => boolean): number {
    let w = 0;
    for (let r = 0; r < this.length; r++) {
      if (!keep(this.steps[r])) continue;
      this.steps[w] = this.steps[r];
      this.wallTimes[w] = this.wallTimes[r];
      this.values[w] = this.values[r];
      w++;
    }
    const dropped = this.length - w;
    this.length = w;
    return dropped;
  }

  /** Bytes held by the columns (capacity, not length). */
  get byteLength(): number {
    return this.steps.byteLength + this.wallTimes.byteLength + this.values.byteLength;
  }
}
