import type { DirectMedia, MediaParticipant } from '../../conference/ports';
import type { ClosingEvents } from '../../lib/children';
import { TypedEmitter } from '../../lib/TypedEmitter';
import type { RemoteLeg } from '../../media';
import type { AppLegEvents } from './AppLeg';

/**
 * A caller whose audio reaches the app directly (a browser): its relay is the media-thread leg's remote, as an
 * externalMedia channel's address would be. Nothing of it is in Asterisk, so a reconnect has nothing to check.
 */
export class DirectLeg {
  readonly events = new TypedEmitter<AppLegEvents & ClosingEvents>();
  private closing: Promise<void> | undefined;

  constructor(
    readonly participant: MediaParticipant,
    readonly remote: RemoteLeg,
    private readonly media: DirectMedia,
  ) {}

  async setup(host: string, port: number): Promise<void> {
    const remote = await this.media.attach({ host, port });
    this.remote.setRemote(remote.address, remote.port);
  }

  forgetGone(): void {}

  reconcile(): void {}

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.events.safeEmit('@close');
      this.media.detach();
      this.events.removeAllListeners();
    })();
    return this.closing;
  }
}
