import type { Json } from '../openapi.js';
import type { EmulatorBehaviour } from './behaviour.js';
import { githubBehaviour } from './github.js';
import { slackBehaviour } from './slack.js';

/** Each vendor behaviour by the `x-collexa-emulator` value of the specs that ask for it; one line each. */
const BEHAVIOURS: Record<string, EmulatorBehaviour> = {
  slack: slackBehaviour,
  github: githubBehaviour,
};

/** The behaviour a spec asks for (`"x-collexa-emulator": "slack"`), if it names one the emulator has. */
export function behaviourOf(doc: { [key: string]: Json }): { name: string; behaviour?: EmulatorBehaviour } | undefined {
  const name = doc['x-collexa-emulator'];
  if (typeof name !== 'string') return undefined;
  return { name, ...(Object.hasOwn(BEHAVIOURS, name) ? { behaviour: BEHAVIOURS[name] } : {}) };
}
