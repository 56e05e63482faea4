import type { AriClient } from '../ari';
import { AppError } from '../lib/errors';
import type { Dialer, OriginateRequest } from '../conference/ports';

/** Dial-out: the answered channel enters our Stasis app with the arguments the conference chose. */
export class AriDialer implements Dialer {
  constructor(private readonly ari: AriClient) {}

  async originate(request: OriginateRequest): Promise<{ channelId: string }> {
    const channelId = this.ari.newId('dial');
    await this.ari.rest.channels.originateWithId({
      channelId,
      endpoint: request.endpoint,
      app: this.ari.app,
      appArgs: request.appArgs.join(','),
      ...(request.callerId !== undefined ? { callerId: request.callerId } : {}),
      ...(request.timeoutSeconds !== undefined ? { timeout: request.timeoutSeconds } : {}),
    });
    return { channelId };
  }
}

/** Dial-out over several nodes: placed on a node that takes callers now (the least busy). */
export class ClusterDialer implements Dialer {
  constructor(private readonly pick: () => AriClient | undefined) {}

  async originate(request: OriginateRequest): Promise<{ channelId: string }> {
    const ari = this.pick();
    if (!ari) throw new AppError('mixer_unavailable', 'no Asterisk node takes calls now');
    return new AriDialer(ari).originate(request);
  }
}
