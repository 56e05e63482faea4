import { errorMessage } from '../lib/errors';
import { NO_OPTIONS, parseOptions, type ConferenceOptions } from './options';

export interface StasisArgs {
  confno: string | undefined;
  options: ConferenceOptions;
  /** Set on channels the app dialled out itself: they skip the PIN. */
  dialOutToken: string | undefined;
  /** Options that could not be read; the caller still gets in, without them. */
  optionsError: string | undefined;
}

const DIAL_OUT = 'dialout:';

/** The dialplan contract: `Stasis(meetme[,confno[,options]])`; dial-outs add `dialout:<token>`. */
export function parseStasisArgs(args: readonly string[]): StasisArgs {
  const confno = args[0]?.trim() || undefined;
  let options = NO_OPTIONS;
  let optionsError: string | undefined;
  try {
    options = parseOptions(args[1] ?? '');
  } catch (error) {
    optionsError = errorMessage(error);
  }
  const token = args.slice(2).find((a) => a.startsWith(DIAL_OUT));
  return { confno, options, dialOutToken: token?.slice(DIAL_OUT.length), optionsError };
}

export function dialOutArgs(number: string, options: string, token: string): string[] {
  return [number, options, `${DIAL_OUT}${token}`];
}
