import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { ConferenceControl } from '../conference/control';
import type { CallerPort } from '../conference/ports';
import { errorMessage, isAppError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { BROWSER_CHANNEL_PREFIX, BrowserLine } from './BrowserLine';
import { BrowserPeer, type PeerOptions } from './BrowserPeer';
import type { JoinClaims } from './joinToken';
import { pageEvent, pageParticipant, parsePageMessage, type AppMessage } from './protocol';

export interface GatewayDeps {
  /** Runs the caller flow for a browser; resolves when it has left. */
  admit(line: CallerPort, claims: JoinClaims): Promise<void>;
  control: ConferenceControl;
  peer: PeerOptions;
  logger: Logger;
}

/** Close codes the page acts on. */
export const CLOSE_BYE = 4000;

/**
 * Browsers' signalling sessions: one WebSocket per browser, from offer to leaving. The page's socket
 * and the browser's media live and die together: either one gone ends the participant.
 */
export class BrowserGateway {
  private readonly lines = new Set<BrowserLine>();

  constructor(private readonly deps: GatewayDeps) {}

  get size(): number {
    return this.lines.size;
  }

  get iceServers(): PeerOptions['iceServers'] {
    return this.deps.peer.iceServers;
  }

  /** Takes the socket of a page whose token was verified. */
  accept(socket: WebSocket, claims: JoinClaims): void {
    const id = randomBytes(6).toString('hex');
    const channelId = `${BROWSER_CHANNEL_PREFIX}${id}`;
    const log = this.deps.logger.child({ channel: channelId, conference: claims.conference, link: claims.id });
    const send = (message: AppMessage): void => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
    };
    const peer = new BrowserPeer(this.deps.peer, log);
    const line = new BrowserLine(channelId, claims.name ?? 'Browser', peer, send, log);
    this.lines.add(line);
    let participantId: string | undefined;
    let offered = false;
    const { control } = this.deps;
    const disposeEvents = control.events.subscribe('event', (event) => {
      if (event.type === 'conference.started' || event.number !== claims.conference) return;
      if (event.type === 'participant.joined' && event.participant.channelId === channelId) {
        participantId = event.participant.id;
        send({ type: 'joined', participantId, participants: control.get(claims.conference).participants.map(pageParticipant) });
        return;
      }
      if (participantId === undefined) return;
      const message = pageEvent(event);
      if (message) send(message);
    });
    line.events.once('gone', () => {
      this.lines.delete(line);
      disposeEvents();
      socket.close(CLOSE_BYE, 'bye');
    });
    socket.on('close', () => line.markGone('the page closed'));
    socket.on('message', (data: Buffer) => {
      const message = parsePageMessage(data.toString('utf8'));
      if (!message) {
        send({ type: 'error', code: 'invalid_message', message: 'not a message this app understands' });
        return;
      }
      switch (message.type) {
        case 'offer':
          if (offered) return;
          offered = true;
          void peer
            .answer(message.sdp)
            .then((sdp) => {
              send({ type: 'answer', sdp });
              return this.deps.admit(line, claims);
            })
            .catch((error: unknown) => {
              log.warn({ err: errorMessage(error) }, 'browser could not join');
              send({ type: 'error', code: isAppError(error) ? error.code : 'webrtc_failed', message: errorMessage(error) });
              line.markGone('the connection could not be set up');
            })
            .finally(() => line.markGone('left the conference'));
          break;
        case 'candidate':
          peer.addCandidate(message.candidate).catch((error: unknown) => log.debug({ err: errorMessage(error) }, 'browser candidate'));
          break;
        case 'digits':
          line.digits(message.digits);
          break;
        case 'mute':
          if (participantId !== undefined)
            control.setMuted(claims.conference, participantId, message.muted).catch((error: unknown) => {
              send({ type: 'error', code: isAppError(error) ? error.code : 'internal', message: errorMessage(error) });
            });
          break;
        case 'leave':
          line.markGone('left the conference');
          break;
      }
    });
    send({ type: 'hello', conference: claims.conference, name: line.callerIdName, pin: claims.pin, iceServers: [...this.iceServers] });
  }

  /** App shutdown: every browser is let go. */
  close(): void {
    for (const line of [...this.lines]) line.markGone('the server is stopping');
  }
}
