import type { Registry } from 'prom-client';
import { DAY_MS } from '../../capacity/history';
import type { NodeDrain } from '../../capacity/ports';
import type { ConferenceControl } from '../../conference/control';
import type { ConferenceDirectory } from '../../conference/ports';
import type { CapacityConfig } from '../../config/schema';
import type { Clock, TimerHandle } from '../../lib/clock';
import { errorMessage } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { Store } from '../../store/Store';
import { UsageHistory } from '../../store/UsageHistory';
import { CapacityService } from './CapacityService';
import { registerCapacityMetrics } from './metrics';
import { scaleHook } from './scaleHooks';
import { ScaleRunner } from './ScaleRunner';
import { UsageSampler } from './UsageSampler';

export interface CapacityDeps {
  settings: Readonly<CapacityConfig>;
  nodeId: string;
  store: Store;
  control: Pick<ConferenceControl, 'events' | 'list'>;
  directory: ConferenceDirectory;
  drain: NodeDrain;
  clock: Clock;
  logger: Logger;
  registry: Registry;
}

const PRUNE_EVERY_MS = 3600_000;

/** Capacity planning wired into the app: the sampler, the history, the plan, the gauges and the hook runner. */
export class Capacity {
  readonly history: UsageHistory;
  readonly service: CapacityService;
  readonly runner: ScaleRunner | undefined;
  private readonly sampler: UsageSampler;
  private pruneTimer: TimerHandle | undefined;
  private readonly log: Logger;

  constructor(private readonly deps: CapacityDeps) {
    this.log = deps.logger.child({ component: 'capacity' });
    this.history = new UsageHistory(deps.store);
    this.sampler = new UsageSampler({
      control: deps.control,
      directory: deps.directory,
      sink: this.history,
      clock: deps.clock,
      nodeId: deps.nodeId,
      logger: this.log,
    });
    const hook = scaleHook(deps.settings.hook);
    this.service = new CapacityService({
      settings: deps.settings,
      history: this.history,
      directory: deps.directory,
      clock: deps.clock,
      hook: () =>
        this.runner ? { kind: this.runner.kind, currentNodes: this.runner.currentNodes, runs: this.runner.recentRuns() } : undefined,
    });
    this.runner = hook
      ? new ScaleRunner({
          clock: deps.clock,
          logger: this.log,
          plan: (current) => this.service.plan({}, current),
          hook,
          drain: deps.drain,
          participants: () => deps.drain.nodes().reduce((sum, n) => sum + n.participants, 0),
        })
      : undefined;
    registerCapacityMetrics(deps.registry, () => this.service.lookahead());
  }

  start(): void {
    this.sampler.start();
    this.prune();
    this.runner?.start();
  }

  stop(): void {
    this.sampler.stop();
    this.runner?.stop();
    if (this.pruneTimer) this.deps.clock.clearTimeout(this.pruneTimer);
    this.pruneTimer = undefined;
  }

  private prune(): void {
    try {
      const removed = this.history.prune(this.deps.clock.now() - this.deps.settings.retentionDays * DAY_MS);
      if (removed > 0) this.log.info({ removed, retentionDays: this.deps.settings.retentionDays }, 'usage history pruned');
    } catch (error) {
      this.log.warn({ err: errorMessage(error) }, 'pruning the usage history failed');
    }
    this.pruneTimer = this.deps.clock.setTimeout(() => this.prune(), PRUNE_EVERY_MS);
  }
}
