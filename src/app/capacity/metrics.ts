import { Gauge, type Registry } from 'prom-client';

/** The two gauges an autoscaler follows: nodes wanted now, and the forecast they are wanted for. */
export function registerCapacityMetrics(
  registry: Registry,
  lookahead: () => { desiredNodes: number; participants: number; upper: number },
): void {
  new Gauge({
    name: 'meetme_capacity_desired_nodes',
    help: 'Nodes the capacity plan wants running now (enough for every slot within the lead time)',
    registers: [registry],
    collect() {
      this.set(lookahead().desiredNodes);
    },
  });
  new Gauge({
    name: 'meetme_capacity_forecast_participants',
    help: 'Forecast peak participants over the lead time ahead: the expected figure and the upper band nodes are planned for',
    labelNames: ['band'],
    registers: [registry],
    collect() {
      const now = lookahead();
      this.set({ band: 'expected' }, now.participants);
      this.set({ band: 'upper' }, now.upper);
    },
  });
}
