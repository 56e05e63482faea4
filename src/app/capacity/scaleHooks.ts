import { spawn } from 'node:child_process';
import type { CapacityConfig } from '../../config/schema';
import type { HookOutcome, ScaleHook, ScaleRequest } from '../../capacity/ports';
import { errorMessage } from '../../lib/errors';

/** What a hook printed is kept to its last line or so: enough to see why it failed. */
const DETAIL_CHARS = 300;

const tail = (text: string): string => {
  const trimmed = text.trim();
  return trimmed.length > DETAIL_CHARS ? `...${trimmed.slice(-DETAIL_CHARS)}` : trimmed;
};

function variables(request: ScaleRequest): Record<string, string> {
  return {
    MEETME_DESIRED_NODES: String(request.desiredNodes),
    MEETME_PREVIOUS_NODES: request.previousNodes === null ? '' : String(request.previousNodes),
    MEETME_DIRECTION: request.direction,
    MEETME_DRAINED_NODES: request.drainedNodes.join(','),
    MEETME_AT: new Date(request.at).toISOString(),
    MEETME_REASON: request.reason,
  };
}

/** A shell command run with MEETME_* variables; exit 0 is success. Killed after `timeoutMs`. */
export class CommandHook implements ScaleHook {
  readonly kind = 'command';

  constructor(
    private readonly command: string,
    private readonly timeoutMs: number,
  ) {}

  run(request: ScaleRequest): Promise<HookOutcome> {
    return new Promise((resolve) => {
      const child = spawn('/bin/sh', ['-c', this.command], {
        // As any child, it inherits the app's environment (a cloud CLI's credentials), with the MEETME_* added.
        env: { ...process.env, ...variables(request) },
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group, so a timeout kills what the shell started too (a `sleep` would hold the pipes open).
        detached: true,
      });
      let output = '';
      let timedOut = false;
      const keep = (chunk: Buffer): void => {
        output = (output + chunk.toString('utf8')).slice(-4 * DETAIL_CHARS);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }, this.timeoutMs);
      child.on('error', (error) => {
        clearTimeout(timer);
        resolve({ ok: false, detail: `could not run: ${error.message}` });
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        const said = tail(output);
        const suffix = said ? `: ${said}` : '';
        if (timedOut) resolve({ ok: false, detail: `killed after ${this.timeoutMs} ms${suffix}` });
        else resolve({ ok: code === 0, detail: `exit ${code ?? '?'}${suffix}` });
      });
    });
  }
}

/** A POST of the request as JSON; a 2xx answer is success. */
export class WebhookHook implements ScaleHook {
  readonly kind = 'webhook';

  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  async run(request: ScaleRequest): Promise<HookOutcome> {
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...request, at: new Date(request.at).toISOString() }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const said = tail(await response.text());
      return { ok: response.ok, detail: `HTTP ${response.status}${said ? `: ${said}` : ''}` };
    } catch (error) {
      return { ok: false, detail: `request failed: ${errorMessage(error)}` };
    }
  }
}

export function scaleHook(config: CapacityConfig['hook']): ScaleHook | undefined {
  if (!config) return undefined;
  return 'command' in config ? new CommandHook(config.command, config.timeoutMs) : new WebhookHook(config.url, config.timeoutMs);
}
