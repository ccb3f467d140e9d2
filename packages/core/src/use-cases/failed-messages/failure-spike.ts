/** When a failure group is spiking: `threshold` dead-letterings within the last `windowMinutes`. */
export interface SpikeRule {
  threshold: number;
  windowMinutes: number;
}

/** What one dead-lettering does to a group's spike: raise it, end it, or leave it as it is. */
export type SpikeChange = 'raise' | 'end' | 'none';

/**
 * A group not spiking whose window reaches the threshold raises a spike; a spiking group stays
 * spiking until its window falls to half the threshold or below, so a rate that hovers around the
 * threshold raises once, not every time it crosses it. `failuresInWindow` may be capped at the
 * threshold (the store stops counting there).
 */
export function spikeChange(spiking: boolean, failuresInWindow: number, rule: SpikeRule): SpikeChange {
  if (!spiking) return failuresInWindow >= rule.threshold ? 'raise' : 'none';
  return failuresInWindow <= Math.floor(rule.threshold / 2) ? 'end' : 'none';
}
