export interface ReadinessInputs {
  ariConnected: boolean;
  /** The previous run's state was read back after connecting. */
  recovered: boolean;
  timerHealthy: boolean;
  draining: boolean;
}

export interface Readiness {
  ready: boolean;
  checks: { ari: boolean; recovered: boolean; timer: boolean; accepting: boolean };
}

/** Ready for callers: ARI connected and reconciled, the conference clock keeping time, not draining. */
export function readiness(inputs: ReadinessInputs): Readiness {
  const checks = { ari: inputs.ariConnected, recovered: inputs.recovered, timer: inputs.timerHealthy, accepting: !inputs.draining };
  return { ready: Object.values(checks).every(Boolean), checks };
}
