import { FakeClock } from '../../../src/lib/clock';
import { silentLogger } from '../../../src/lib/logger';
import { TypedEmitter } from '../../../src/lib/TypedEmitter';
import { ConferenceManager, type ConferenceManagerOptions } from '../../../src/conference/ConferenceManager';
import type { ConferenceEvent } from '../../../src/conference/model';
import type {
  CallerEvents,
  CallerPort,
  CollectOptions,
  CollectResult,
  ConferenceDefinition,
  ConferenceMedia,
  ConferenceMediaEvents,
  GainStep,
  MediaParticipant,
  MediaUri,
  MixerBackend,
  MixerKind,
  OriginateRequest,
  PromptEnd,
} from '../../../src/conference/ports';

/** A caller whose key presses are scripted: one answer per `collect`. */
export class FakeCaller implements CallerPort {
  readonly events = new TypedEmitter<CallerEvents>();
  readonly played: MediaUri[] = [];
  readonly prompted: MediaUri[] = [];
  gone = false;
  answered = false;
  hungUp = false;
  /** Hang up as soon as this prompt starts. */
  hangupOn: MediaUri | undefined;

  constructor(
    readonly channelId: string,
    private readonly answers: string[] = [],
    readonly callerIdName = 'Caller',
    readonly callerIdNumber = '100',
  ) {}

  async answer(): Promise<void> {
    this.answered = true;
  }

  async play(media: MediaUri[]): Promise<PromptEnd> {
    if (this.gone) return 'hangup';
    this.played.push(...media);
    if (this.hangupOn && media.includes(this.hangupOn)) {
      this.leave();
      return 'hangup';
    }
    return 'done';
  }

  async collect(options: CollectOptions): Promise<CollectResult> {
    if (this.gone) return { digits: '', reason: 'hangup' };
    this.prompted.push(...options.prompts);
    if (this.hangupOn && options.prompts.includes(this.hangupOn)) {
      this.leave();
      return { digits: '', reason: 'hangup' };
    }
    const next = this.answers.shift();
    if (next === undefined || next === 'hangup') {
      if (next === 'hangup') this.leave();
      return { digits: '', reason: next === 'hangup' ? 'hangup' : 'timeout' };
    }
    return { digits: next, reason: 'complete' };
  }

  async hangup(): Promise<void> {
    this.hungUp = true;
    this.leave();
  }

  /** The caller hangs up. */
  leave(): void {
    if (this.gone) return;
    this.gone = true;
    this.events.safeEmit('gone');
  }

  press(digits: string): void {
    for (const digit of digits) this.events.safeEmit('digit', digit);
  }
}

export interface MediaCall {
  op: string;
  participantId?: string;
  value?: unknown;
}

/** Records what the domain asks of the mix. */
export class FakeMedia implements ConferenceMedia {
  readonly events = new TypedEmitter<ConferenceMediaEvents>();
  readonly calls: MediaCall[] = [];
  readonly members = new Set<string>();
  readonly music = new Set<string>();
  readonly talk = new Map<string, boolean>();
  readonly listen = new Map<string, boolean>();
  readonly toParticipant: { participantId: string; media: MediaUri[] }[] = [];
  readonly toAll: MediaUri[][] = [];
  recording: string | undefined;
  closed = 0;
  failAdd = false;

  constructor(readonly kind: MixerKind) {}

  async add(p: MediaParticipant): Promise<void> {
    this.calls.push({ op: 'add', participantId: p.participantId });
    if (this.failAdd) throw new Error('cannot add');
    this.members.add(p.participantId);
  }
  async remove(id: string): Promise<void> {
    this.calls.push({ op: 'remove', participantId: id });
    this.members.delete(id);
    this.music.delete(id);
  }
  async setTalk(id: string, enabled: boolean): Promise<void> {
    this.calls.push({ op: 'setTalk', participantId: id, value: enabled });
    this.talk.set(id, enabled);
  }
  async setListen(id: string, enabled: boolean): Promise<void> {
    this.calls.push({ op: 'setListen', participantId: id, value: enabled });
    this.listen.set(id, enabled);
  }
  async setGain(id: string, gain: { talk?: GainStep; listen?: GainStep }): Promise<void> {
    this.calls.push({ op: 'setGain', participantId: id, value: gain });
  }
  async playToAll(media: MediaUri[]): Promise<void> {
    this.toAll.push(media);
  }
  async playTo(id: string, media: MediaUri[]): Promise<PromptEnd> {
    this.toParticipant.push({ participantId: id, media });
    return 'done';
  }
  async startMusic(id: string): Promise<void> {
    this.music.add(id);
  }
  async stopMusic(id: string): Promise<void> {
    this.music.delete(id);
  }
  async startRecording(target: { name: string }): Promise<void> {
    this.recording = target.name;
  }
  async stopRecording(): Promise<void> {
    this.recording = undefined;
  }
  paused = false;
  async pauseRecording(paused: boolean): Promise<void> {
    this.paused = paused;
  }
  async close(): Promise<void> {
    this.closed++;
  }
  promptsTo(id: string): MediaUri[] {
    return this.toParticipant.filter((p) => p.participantId === id).flatMap((p) => p.media);
  }
}

export class FakeBackend implements MixerBackend {
  readonly opened: FakeMedia[] = [];
  reason: string | undefined;
  failAdd = false;

  constructor(readonly kind: MixerKind) {}

  availability() {
    return this.reason ? { ok: false, reason: this.reason } : { ok: true };
  }
  async open(): Promise<ConferenceMedia> {
    const media = new FakeMedia(this.kind);
    media.failAdd = this.failAdd;
    this.opened.push(media);
    return media;
  }
  get last(): FakeMedia {
    const media = this.opened[this.opened.length - 1];
    if (!media) throw new Error('no conference opened');
    return media;
  }
}

export interface Harness {
  manager: ConferenceManager;
  clock: FakeClock;
  app: FakeBackend;
  asterisk: FakeBackend;
  events: ConferenceEvent[];
  dialed: OriginateRequest[];
  definitions: Map<string, ConferenceDefinition>;
}

export function harness(overrides: Partial<ConferenceManagerOptions> = {}, definitions: ConferenceDefinition[] = []): Harness {
  const clock = new FakeClock(Date.parse('2026-11-23T10:00:00Z'));
  const app = new FakeBackend('app');
  const asterisk = new FakeBackend('asterisk');
  const defs = new Map(definitions.map((d) => [d.number, d]));
  const dialed: OriginateRequest[] = [];
  const manager = new ConferenceManager({
    nodeId: 'node-a',
    directory: { lookup: (n) => defs.get(n), list: () => [...defs.values()] },
    backends: { app, asterisk },
    defaultMixer: 'app',
    dynamic: { enabled: true, options: '' },
    dialer: {
      originate: async (request) => {
        dialed.push(request);
        return { channelId: `dial-${dialed.length}` };
      },
    },
    clock,
    logger: silentLogger(),
    limits: { digitTimeoutMs: 5000, pinTries: 3, confnoTries: 3 },
    ...overrides,
  });
  const events: ConferenceEvent[] = [];
  manager.events.on('event', (e) => events.push(e));
  return { manager, clock, app, asterisk, events, dialed, definitions: defs };
}

/** Lets pending promise chains run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
