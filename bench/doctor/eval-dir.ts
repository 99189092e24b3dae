/** `tsx bench/doctor/eval-dir.ts DIR`: scores the doctor on an already generated suite, run by run. */
import { loadSuite, score } from './score';

const s = score(await loadSuite(process.argv[2]));
for (const l of s.lines) console.log(l);
console.log(
  `recall ${s.recall.toFixed(3)} (${s.labeled} labeled), healthy FP rate ${s.healthyFpRate.toFixed(3)} (${s.healthy}), false findings ${s.fp}, onset within 10%: ${s.onsetWithin10.toFixed(3)}`,
);
