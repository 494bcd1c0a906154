/**
 * The one deterministic demo population that all five emulators serve (documented in
 * docs/population.md). People overlap across upstreams by email so that joins, misses and partial
 * coverage all occur. Membership follows fixed arithmetic rules on the person's index, so tests and
 * people can find interesting cases without reading data files; `seed` changes only names and the
 * per-upstream details each emulator derives with `rngFor`.
 */
import { createHash } from 'node:crypto';
import type { UpstreamName } from '../errors';

export interface PopulationOptions {
  /** Changes names and generated details; membership rules do not depend on it. Default 1. */
  seed?: number;
  /** How many people. Default 200. */
  people?: number;
}

export interface DemoPerson {
  index: number;
  /** Lower-case canonical email (the identity API's pattern). */
  email: string;
  firstName: string;
  lastName: string;
  /** Which upstreams hold an account of this person. identity always does. */
  in: Record<UpstreamName, boolean>;
}

export interface Population {
  seed: number;
  people: DemoPerson[];
}

const FIRST = [
  'ada', 'alan', 'grace', 'edsger', 'barbara', 'donald', 'margaret', 'ken', 'radia', 'linus',
  'frances', 'john', 'katherine', 'tim', 'hedy', 'dennis', 'anita', 'guido', 'sophie', 'niklaus',
  'jean', 'leslie', 'shafi', 'whitfield', 'annie', 'vint', 'mary', 'bjarne', 'evelyn', 'james',
];
const LAST = [
  'lovelace', 'turing', 'hopper', 'dijkstra', 'liskov', 'knuth', 'hamilton', 'thompson', 'perlman',
  'torvalds', 'allen', 'backus', 'johnson', 'berners', 'lamarr', 'ritchie', 'borg', 'rossum', 'wilson',
  'wirth', 'sammet', 'lamport', 'goldwasser', 'diffie', 'easley', 'cerf', 'keller', 'stroustrup',
  'boyd', 'gosling',
];

/** mulberry32: a small, fast, well-distributed deterministic PRNG. Returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A PRNG for one person in one upstream: the same numbers every run for the same seed. */
export function rngFor(seed: number, upstream: string, index: number): () => number {
  const h = createHash('sha256').update(`${seed}:${upstream}:${index}`).digest();
  return prng(h.readUInt32LE(0));
}

/** Picks one element deterministically. */
export function pick<T>(rng: () => number, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)] as T;
}

/** A deterministic hex string (e.g. VRM's 64-hex access tokens). */
export function hexFor(label: string, length = 64): string {
  let out = '';
  for (let i = 0; out.length < length; i++) out += createHash('sha256').update(`${label}:${i}`).digest('hex');
  return out.slice(0, length);
}

/** A deterministic RFC 4122 version-4-shaped UUID. */
export function uuidFor(label: string): string {
  const h = hexFor(label, 32).split('');
  h[12] = '4';
  h[16] = '89ab'[parseInt(h[16] as string, 16) % 4] as string;
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** A deterministic ULID-shaped id with a 4-letter type prefix (ev.energy: `user01HN…`). */
export function prefixedUlidFor(prefix: string, label: string, timeMs: number): string {
  let time = '';
  let t = timeMs;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const hex = hexFor(label, 32);
  let rand = '';
  for (let i = 0; i < 16; i++) rand += CROCKFORD[parseInt(hex.slice(i * 2, i * 2 + 2), 16) % 32];
  return `${prefix}${time}${rand}`;
}

/**
 * Membership rules (index i, 0-based):
 * - identity: everyone;
 * - evenergy: i % 4 !== 3;
 * - vrm: i % 3 === 0;
 * - podero: i % 2 === 0;
 * - timesheet: i % 5 !== 4.
 * So person 0 is in all five and person 19 in identity alone.
 */
export function membership(i: number): Record<UpstreamName, boolean> {
  return {
    identity: true,
    evenergy: i % 4 !== 3,
    vrm: i % 3 === 0,
    podero: i % 2 === 0,
    timesheet: i % 5 !== 4,
  };
}

/**
 * Email rule: `<first>.<last><i>@example.com`, except that for i % 10 === 1 (i > 1) the email is
 * `re.` + the email of person i-1: a substring trap for timesheet's substring email filter.
 */
export function emailFor(i: number, first: string, last: string, previous?: string): string {
  if (i > 1 && i % 10 === 1 && previous) return `re.${previous}`;
  return `${first}.${last}${i}@example.com`;
}

export function buildPopulation(options: PopulationOptions = {}): Population {
  const seed = options.seed ?? 1;
  const count = options.people ?? 200;
  if (!Number.isInteger(count) || count < 1 || count > 100_000) {
    throw new RangeError(`people must be an integer from 1 to 100000, but got: ${String(options.people)}`);
  }
  const rng = prng(seed);
  const people: DemoPerson[] = [];
  for (let i = 0; i < count; i++) {
    const first = pick(rng, FIRST);
    const last = pick(rng, LAST);
    const email = emailFor(i, first, last, people[i - 1]?.email);
    people.push({
      index: i,
      email,
      firstName: first[0]!.toUpperCase() + first.slice(1),
      lastName: last[0]!.toUpperCase() + last.slice(1),
      in: membership(i),
    });
  }
  return { seed, people };
}

/** The population's people who hold an account in one upstream. */
export function membersOf(population: Population, upstream: UpstreamName): DemoPerson[] {
  return population.people.filter((p) => p.in[upstream]);
}

/** A fixed reference instant for seeded timestamps, so data is the same every run. */
export const EPOCH_MS = Date.UTC(2024, 0, 15, 10, 30, 0);
