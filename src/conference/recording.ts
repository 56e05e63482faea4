import type { Clock } from '../lib/clock';
import { AppError } from '../lib/errors';
import type { ConferenceEvent } from './model';
import type { Participant } from './Participant';
import type { ConferenceMedia, RecordingPartRef, RecordingPolicy } from './ports';

/** Part 2 onwards of a recording continued after a takeover; part 1 is named as the recording itself. */
export function partName(ref: RecordingPartRef): string {
  return ref.part <= 1 ? ref.session : `${ref.session}-part${ref.part}`;
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/**
 * A conference's recording of the mix (started, paused, resumed and stopped) and of each participant's own
 * audio, each said as an event.
 */
export class ConferenceRecording {
  name: string | null = null;
  /** The running part: which recording it belongs to and its number. */
  part: RecordingPartRef | null = null;
  paused = false;

  constructor(
    private readonly conference: { id: string; number: string; policy: RecordingPolicy },
    private readonly media: ConferenceMedia,
    private readonly clock: Clock,
    private readonly emit: (event: ConferenceEvent) => void,
  ) {}

  private say(
    type: 'recording.started' | 'recording.stopped' | 'recording.paused' | 'recording.resumed',
    name: string,
    participantId?: string,
  ): void {
    this.emit({
      type,
      conferenceId: this.conference.id,
      number: this.conference.number,
      name,
      ...(participantId ? { participantId } : {}),
    });
  }

  private refuseOff(): void {
    if (this.conference.policy === 'off')
      throw new AppError('recording_disabled', `conference ${this.conference.number} is never recorded (recording: off)`);
  }

  async start(): Promise<string> {
    const { number } = this.conference;
    this.refuseOff();
    if (this.name) throw new AppError('already_recording', `conference ${number} is already being recorded`);
    return this.startPart({ session: `meetme-${number}-${stamp(this.clock.now())}`, part: 1 });
  }

  /**
   * A recording that was running when the conference's holder went: taken over as it is when its backend still
   * writes it (Asterisk's), else continued in its next part.
   */
  async continue(previous: RecordingPartRef): Promise<string> {
    this.refuseOff();
    if (this.name) throw new AppError('already_recording', `conference ${this.conference.number} is already being recorded`);
    const { session, part } = previous;
    const paused = previous.paused === true;
    const name = partName(previous);
    const adopted = previous.running === true && (await this.media.adoptRecording({ name, session, part }, paused));
    if (adopted) {
      this.name = name;
      this.part = { session, part };
      this.say('recording.started', name);
    } else await this.startPart({ session, part: part + 1 });
    // A user's pause outlives the holder: the part goes on paused until someone resumes it (an adopted one already is).
    if (paused) {
      if (!adopted) await this.media.pauseRecording(true);
      this.paused = true;
      this.say('recording.paused', this.running());
    }
    return this.running();
  }

  private async startPart(part: RecordingPartRef): Promise<string> {
    const name = partName(part);
    await this.media.startRecording({ name, ...part });
    this.name = name;
    this.part = part;
    this.say('recording.started', name);
    return name;
  }

  private running(): string {
    if (!this.name) throw new AppError('not_recording', `conference ${this.conference.number} is not being recorded`);
    return this.name;
  }

  async pause(paused: boolean): Promise<void> {
    const name = this.running();
    if (this.paused === paused) return;
    await this.media.pauseRecording(paused);
    this.paused = paused;
    this.say(paused ? 'recording.paused' : 'recording.resumed', name);
  }

  /** Its writer died and came back (a media thread restarted): the part ended there, the next one goes on as after a takeover. */
  async lost(): Promise<void> {
    const { name, part, paused } = this;
    if (!name || !part) return;
    this.name = null;
    this.part = null;
    this.paused = false;
    this.say('recording.stopped', name);
    await this.continue({ ...part, paused });
  }

  /** With `mediaGone` the recording already ended with the backend: it is only said. */
  async stop(mediaGone = false): Promise<void> {
    const name = this.running();
    this.name = null;
    this.part = null;
    this.paused = false;
    if (!mediaGone) await this.media.stopRecording();
    this.say('recording.stopped', name);
  }

  /** With `previous`, their own recording from before a takeover goes on in its next part. */
  async startParticipant(p: Participant, previous?: RecordingPartRef): Promise<string> {
    this.refuseOff();
    if (p.recording) throw new AppError('already_recording', `participant ${p.id} is already being recorded`);
    const part = previous
      ? { session: previous.session, part: previous.part + 1 }
      : { session: `meetme-${this.conference.number}-${stamp(this.clock.now())}-${p.id}`, part: 1 };
    const name = partName(part);
    await this.media.startParticipantRecording(p.id, { name, ...part });
    if (p.left) return name;
    p.recording = name;
    p.recordingPart = part;
    this.say('recording.started', name, p.id);
    return name;
  }

  async stopParticipant(p: Participant): Promise<void> {
    const name = p.recording;
    if (!name) throw new AppError('not_recording', `participant ${p.id} is not being recorded`);
    p.recording = null;
    p.recordingPart = null;
    await this.media.stopParticipantRecording(p.id);
    this.say('recording.stopped', name, p.id);
  }

  /** Their own recording's writer died and came back: it goes on in its next part. */
  async participantLost(p: Participant): Promise<void> {
    const { recording: name, recordingPart: part } = p;
    if (!name || !part) return;
    p.recording = null;
    p.recordingPart = null;
    this.say('recording.stopped', name, p.id);
    await this.startParticipant(p, part);
  }

  /** Their own recording ended with their leg (the backend finishes the file when they leave the mix). */
  participantLeft(p: Participant): void {
    const name = p.recording;
    p.recording = null;
    p.recordingPart = null;
    if (name) this.say('recording.stopped', name, p.id);
  }
}
