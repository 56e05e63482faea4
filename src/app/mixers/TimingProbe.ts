import type { AriClient } from '../../ari';
import type { Logger } from '../../lib/logger';

export interface TimingState {
  checked: boolean;
  /** Running res_timing_* modules; empty when Asterisk has no timing source. */
  modules: string[];
}

/**
 * Whether Asterisk can mix: with no res_timing_* module a softmix bridge fails at three channels
 * and records nothing ("Failed to open timer for softmix bridge", no-timing-module.jsonl).
 * Read at start and after every reconnect: an admin may load or unload modules meanwhile.
 */
export class TimingProbe {
  private current: TimingState = { checked: false, modules: [] };

  constructor(
    private readonly ari: AriClient,
    private readonly log: Logger,
  ) {}

  get state(): TimingState {
    return this.current;
  }

  async refresh(): Promise<TimingState> {
    const modules = await this.ari.rest.asterisk.listModules();
    const timing = modules
      .filter((m) => m.name.startsWith('res_timing_') && m.status === 'Running')
      .map((m) => m.name)
      .sort();
    this.current = { checked: true, modules: timing };
    if (timing.length === 0) {
      this.log.warn('no res_timing_* module is loaded: Asterisk mixing bridges cannot mix; load res_timing_timerfd or use mixer "app"');
    } else {
      this.log.info({ timing }, 'Asterisk timing source found');
    }
    return this.current;
  }
}
