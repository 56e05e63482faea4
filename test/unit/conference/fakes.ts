import { FakeClock } from '../../../src/lib/clock';
import { mediaDuration } from '../../double/sounds';
import { silentLogger } from '../../../src/lib/logger';
import { TypedEmitter } from '../../../src/lib/TypedEmitter';
import { ConferenceManager, type ConferenceManagerOptions } from '../../../src/conference/ConferenceManager';
import type { ConferenceEvent } from '../../../src/conference/model';
import type {
  CallerEvents,
  CallerPort,
  ClipStore,
  DialplanTarget,
  CollectOptions,
  CollectResult,
  ConferenceDefinition,
  ConferenceMedia,
  ConferenceMediaEvents,
  DirectMedia,
  GainStep,
  MediaParticipant,
  MediaUri,
  MixerBackend,
  MixerKind,
  OriginateRequest,
  PromptEnd,
  RecordRequest,
} from '../../../src/conference/ports';

/** A tone plays until stopped, and nothing stops one here: it is taken as a second. */
const lengthOf = (m: MediaUri): number => (m.startsWith('tone:') ? 1000 : mediaDuration(m).ms);

/** How long a list of media takes on `clock`, as the real sound files last; resolves at once without a clock. */
function playing(clock: FakeClock | undefined, media: MediaUri[]): Promise<void> {
  const ms = media.reduce((n, m) => n + lengthOf(m), 0);
  return clock ? new Promise((resolve) => clock.setTimeout(resolve, ms)) : Promise.resolve();
}

/** A caller whose key presses are scripted: one answer per `collect`. */
export class FakeCaller implements CallerPort {
  readonly events = new TypedEmitter<CallerEvents>();
  /** Played on the caller's own channel. */
  readonly played: MediaUri[] = [];
  /** Everything the caller heard: on its channel and, once in a conference, as prompts from the mix. */
  readonly heard: MediaUri[] = [];
  /** Set by timed harnesses: prompts then take their real length on this clock. */
  clock: FakeClock | undefined;
  readonly prompted: MediaUri[] = [];
  gone = false;
  answered = false;
  hungUp = false;
  /** Hang up as soon as this prompt starts. */
  hangupOn: MediaUri | undefined;
  /** Set for a caller with direct media (a browser): no channel of its own. */
  media?: DirectMedia;
  /** Names of the recordings made on this caller's channel. */
  readonly recorded: string[] = [];
  /** Hang up in the middle of the next recording. */
  hangupWhileRecording = false;
  /** Where the caller went on in the dialplan, if they did, and the variables set for it. */
  continued: DialplanTarget | undefined;
  continuedWith: Readonly<Record<string, string>> = {};

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
    this.heard.push(...media);
    if (this.hangupOn && media.includes(this.hangupOn)) {
      this.leave();
      return 'hangup';
    }
    await playing(this.clock, media);
    return this.gone ? 'hangup' : 'done';
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

  async record(request: RecordRequest): Promise<'done' | 'hangup' | 'failed'> {
    if (this.gone) return 'hangup';
    this.recorded.push(request.name);
    if (this.hangupWhileRecording) {
      this.leave();
      return 'hangup';
    }
    if (this.clock) await new Promise<void>((resolve) => this.clock!.setTimeout(resolve, 2000));
    return this.gone ? 'hangup' : 'done';
  }

  /** Back to the dialplan: the channel leaves Stasis, so for the app it is gone. Deleted for a browser. */
  continueInDialplan?: (target?: DialplanTarget, variables?: Readonly<Record<string, string>>) => Promise<void> = async (
    target = {},
    variables = {},
  ) => {
    this.continued = target;
    this.continuedWith = variables;
    this.leave();
  };

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
  /** The clock's time when the call was made (0 without a clock). */
  at: number;
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
  private readonly callers = new Map<string, CallerPort>();

  constructor(
    readonly kind: MixerKind,
    /** With a clock, prompts take their real length (test/fixtures/sounds). */
    private readonly clock?: FakeClock,
  ) {}

  private call(op: string, participantId?: string, value?: unknown): void {
    this.calls.push({
      op,
      at: this.clock?.now() ?? 0,
      ...(participantId !== undefined ? { participantId } : {}),
      ...(value !== undefined ? { value } : {}),
    });
  }

  async add(p: MediaParticipant): Promise<void> {
    this.call('add', p.participantId);
    if (this.failAdd) throw new Error('cannot add');
    this.members.add(p.participantId);
    this.callers.set(p.participantId, p.caller);
  }
  async remove(id: string): Promise<void> {
    this.call('remove', id);
    this.members.delete(id);
    this.music.delete(id);
  }
  async setTalk(id: string, enabled: boolean): Promise<void> {
    this.call('setTalk', id, enabled);
    this.talk.set(id, enabled);
  }
  async setListen(id: string, enabled: boolean): Promise<void> {
    this.call('setListen', id, enabled);
    this.listen.set(id, enabled);
  }
  async setGain(id: string, gain: { talk?: GainStep; listen?: GainStep }): Promise<void> {
    this.call('setGain', id, gain);
  }
  async playToAll(media: MediaUri[]): Promise<void> {
    this.call('playToAll', undefined, media);
    this.toAll.push(media);
    await playing(this.clock, media);
  }
  async playTo(id: string, media: MediaUri[]): Promise<PromptEnd> {
    this.call('playTo', id, media);
    this.toParticipant.push({ participantId: id, media });
    const caller = this.callers.get(id);
    if (caller instanceof FakeCaller) {
      caller.heard.push(...media);
      if (caller.hangupOn && media.includes(caller.hangupOn)) {
        caller.leave();
        return 'hangup';
      }
    }
    await playing(this.clock, media);
    return 'done';
  }
  async startMusic(id: string): Promise<void> {
    this.call('startMusic', id);
    this.music.add(id);
  }
  async stopMusic(id: string): Promise<void> {
    this.call('stopMusic', id);
    this.music.delete(id);
  }
  readonly participantRecordings = new Map<string, string>();
  async startParticipantRecording(id: string, target: { name: string }): Promise<void> {
    this.call('startParticipantRecording', id, target.name);
    this.participantRecordings.set(id, target.name);
  }
  async stopParticipantRecording(id: string): Promise<void> {
    this.call('stopParticipantRecording', id);
    this.participantRecordings.delete(id);
  }
  async startRecording(target: { name: string }): Promise<void> {
    this.recording = target.name;
  }
  /** Recordings this backend still makes (as Asterisk does for a bridge) after a takeover. */
  stillRecording = new Set<string>();
  async adoptRecording(target: { name: string }): Promise<boolean> {
    if (!this.stillRecording.has(target.name)) return false;
    this.recording = target.name;
    return true;
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

/** Name clips as the app keeps them: what was kept, and what was deleted. */
export class FakeClips implements ClipStore {
  readonly kept = new Set<string>();
  readonly discarded: string[] = [];
  async keep(name: string): Promise<void> {
    this.kept.add(name);
  }
  async discard(name: string): Promise<void> {
    this.kept.delete(name);
    this.discarded.push(name);
  }
}

export class FakeBackend implements MixerBackend {
  readonly opened: FakeMedia[] = [];
  /** Recordings the media it opens still make (see FakeMedia.adoptRecording). */
  readonly stillRecording = new Set<string>();
  reason: string | undefined;
  failAdd = false;

  constructor(
    readonly kind: MixerKind,
    private readonly clock?: FakeClock,
  ) {}

  availability() {
    return this.reason ? { ok: false, reason: this.reason } : { ok: true };
  }
  async open(): Promise<ConferenceMedia> {
    const media = new FakeMedia(this.kind, this.clock);
    media.failAdd = this.failAdd;
    media.stillRecording = this.stillRecording;
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
  /** The clock prompts take time on, in a timed harness. */
  timed: FakeClock | undefined;
  clips: FakeClips;
}

export function harness(
  overrides: Partial<ConferenceManagerOptions> = {},
  definitions: ConferenceDefinition[] = [],
  options: { timedPrompts?: boolean } = {},
): Harness {
  const clock = new FakeClock(Date.parse('2026-11-23T10:00:00Z'));
  const promptClock = options.timedPrompts ? clock : undefined;
  const app = new FakeBackend('app', promptClock);
  const asterisk = new FakeBackend('asterisk', promptClock);
  const defs = new Map(definitions.map((d) => [d.number, d]));
  const dialed: OriginateRequest[] = [];
  const clips = new FakeClips();
  const manager = new ConferenceManager({
    clips,
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
  return { manager, clock, app, asterisk, events, dialed, definitions: defs, timed: promptClock, clips };
}

/** A caller for `h`: its prompts take their real length when the harness is timed. */
export function callerFor(h: Harness, channelId: string, answers: string[] = []): FakeCaller {
  const caller = new FakeCaller(channelId, answers);
  caller.clock = h.timed;
  return caller;
}

/** Lets pending promise chains run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
