/**
 * One attempt of an upstream call, as an undici dispatch handler (client.ts is the only user): the request
 * is sent, the answer's status and headers are read, and its body is collected up to a byte limit, with
 * the client's precise timers and the caller's cancellation. It settles once, with what arrived or with why
 * nothing did.
 *
 * Why a handler and not `pool.request`: `request` wraps every answer in a Readable stream (read here
 * through an async iterator) and every call in an AsyncResource, and aborts only through an AbortSignal,
 * so each attempt used to make an AbortController, listen on the caller's signal and hand undici a signal
 * to listen on. The profile of a page of 20 people put a quarter of the gateway's CPU on that stack
 * (bench/README.md). Here the body arrives as the chunks undici parsed, the abort is the function undici
 * hands `onConnect`, and one timer covers the current phase and the operation's deadline together.
 *
 * Timers: undici's own headers and body timeouts (set on the Pool) run on a clock of about one second's
 * resolution above one second, so they are the backstop; this handler's timer is the precise one. The
 * headers phase lasts `headersMs` from the moment the request is written to a connection (time queued
 * for one of the pool's connections is not the upstream's), the body phase `bodyMs` between chunks, and
 * neither outlasts the operation's deadline (`deadlineMs` from the start of the attempt, queueing
 * included), which is then what expired.
 */
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';

/** Which of the attempt's own limits ended it. */
export type Expiry = 'headers' | 'body' | 'deadline';

/**
 * How a call is cancelled: the caller's AbortSignal (`fromSignal`), or a shared call's own (flights.ts),
 * which costs no EventTarget. `onAbort` registers a hook called once on abort; the function it returns
 * removes it.
 */
export interface Cancel {
  readonly aborted: boolean;
  readonly reason: unknown;
  onAbort(hook: () => void): () => void;
}

/** A `Cancel` a shared call owns and aborts itself. */
export class CancelSource implements Cancel {
  aborted = false;
  reason: unknown = undefined;
  private hooks: (() => void)[] | undefined;

  onAbort(hook: () => void): () => void {
    // Too late to wait for: it runs now (a hook added after, or during, the abort still hears of it).
    if (this.aborted) {
      hook();
      return () => undefined;
    }
    (this.hooks ??= []).push(hook);
    return () => {
      const at = this.hooks?.indexOf(hook) ?? -1;
      if (at >= 0) this.hooks!.splice(at, 1);
    };
  }

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const hooks = this.hooks;
    this.hooks = undefined;
    for (const hook of hooks ?? []) hook();
  }
}

/** A caller's AbortSignal seen as a `Cancel`. */
export function fromSignal(signal: AbortSignal): Cancel {
  return {
    get aborted() {
      return signal.aborted;
    },
    get reason() {
      return signal.reason as unknown;
    },
    onAbort(hook) {
      signal.addEventListener('abort', hook, { once: true });
      return () => signal.removeEventListener('abort', hook);
    },
  };
}

/** What one attempt ended with. */
export type ExchangeEnd =
  | { kind: 'answer'; status: number; headers: Record<string, string>; raw: Buffer | 'too-large' }
  | { kind: 'cancelled' }
  | { kind: 'expired'; expiry: Expiry }
  /** undici's error: a connection failure, or one of its own (backstop) timeouts. */
  | { kind: 'error'; error: Error };

export interface ExchangeOptions {
  headersMs: number;
  bodyMs: number;
  /** Time left to the operation's deadline, ms; Infinity without one. */
  deadlineMs: number;
  /** The largest body read; beyond it the answer is `too-large` and its connection closed. */
  byteLimit: number;
  /** Told of every body chunk's size as it arrives (the operation's byte budget). */
  onBytes?: (bytes: number) => void;
  cancel?: Cancel;
}

/** Sends one request on `dispatcher` and resolves, never rejects, with how it ended. */
export function exchange(dispatcher: Dispatcher, request: Dispatcher.DispatchOptions, options: ExchangeOptions): Promise<ExchangeEnd> {
  return new Promise((resolve) => {
    const handler = new Exchange(options, resolve);
    if (handler.settled) return;
    dispatcher.dispatch(request, handler);
  });
}

class Exchange implements Dispatcher.DispatchHandler {
  settled = false;
  private abortRequest: ((err?: Error) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private phase: Expiry = 'headers';
  private readonly deadlineAt: number;
  private readonly stopListening: (() => void) | undefined;
  private status = 0;
  private headers: Record<string, string> = {};
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly options: ExchangeOptions,
    private readonly resolve: (end: ExchangeEnd) => void,
  ) {
    const cancel = options.cancel;
    this.deadlineAt = performance.now() + options.deadlineMs;
    if (cancel?.aborted) {
      this.end({ kind: 'cancelled' });
      return;
    }
    this.stopListening = cancel?.onAbort(() => this.end({ kind: 'cancelled' }));
    // Until it is sent, only the deadline runs: waiting for one of the pool's connections is the
    // gateway's own queue, not the upstream being slow.
    this.arm(Infinity, 'headers');
  }

  onConnect(abort: (err?: Error) => void): void {
    // Settled while it waited for a connection (cancelled, or out of time): never send it. Thrown, not
    // aborted: undici then fails only the request (client-h1 catches what onConnect throws), where its
    // abort would also destroy the healthy keep-alive socket the request was about to be written on.
    if (this.settled) throw new Error('attempt ended before it was sent');
    this.abortRequest = abort;
    this.arm(this.options.headersMs, 'headers');
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[] | null, _resume: () => void): boolean {
    if (this.settled) return false;
    // 1xx informational answers come before the real one.
    if (statusCode < 200) return true;
    this.status = statusCode;
    this.headers = readHeaders(rawHeaders);
    const declared = this.headers['content-length'];
    if (declared !== undefined && Number(declared) > this.options.byteLimit) {
      this.tooLarge();
      return false;
    }
    this.arm(this.options.bodyMs, 'body');
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return false;
    this.options.onBytes?.(chunk.length);
    this.size += chunk.length;
    if (this.size > this.options.byteLimit) {
      this.tooLarge();
      return false;
    }
    this.chunks.push(chunk);
    // The body timeout runs between chunks, and never past the deadline.
    if (this.phase === 'body' && performance.now() + this.options.bodyMs <= this.deadlineAt) this.timer?.refresh();
    else this.arm(this.options.bodyMs, 'body');
    return true;
  }

  onComplete(): void {
    const raw = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.end({ kind: 'answer', status: this.status, headers: this.headers, raw });
  }

  onError(err: Error): void {
    this.end({ kind: 'error', error: err });
  }

  /** The body is over the limit: the answer is its status alone, and its connection is closed. */
  private tooLarge(): void {
    this.end({ kind: 'answer', status: this.status, headers: this.headers, raw: 'too-large' });
  }

  /** Starts the phase's timer, or the deadline's when that comes first (none when neither ends). */
  private arm(ms: number, phase: 'headers' | 'body'): void {
    clearTimeout(this.timer);
    const left = this.deadlineAt - performance.now();
    const expiry: Expiry = left < ms ? 'deadline' : phase;
    this.phase = expiry;
    const wait = Math.min(ms, left);
    this.timer = Number.isFinite(wait) ? setTimeout(() => this.expire(expiry), Math.max(0, wait)) : undefined;
  }

  /**
   * A phase's time is up, or the deadline's. Node's timers count from the event loop's cached clock, so one
   * can fire a millisecond before `performance.now()` reaches the deadline: the deadline has passed only
   * when it has (a budget asked at once must agree that its time is spent, or its caller starts again).
   */
  private expire(expiry: Expiry): void {
    const early = this.deadlineAt - performance.now();
    if (expiry === 'deadline' && early > 0) {
      this.timer = setTimeout(() => this.expire(expiry), Math.ceil(early));
      return;
    }
    this.end({ kind: 'expired', expiry });
  }

  private end(end: ExchangeEnd): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.stopListening?.();
    // Whatever ended it early, the request stops: undici closes its connection (or never sends it).
    if (end.kind !== 'error' && !(end.kind === 'answer' && end.raw !== 'too-large')) this.abortRequest?.(new Error(`attempt ended: ${end.kind}`));
    this.resolve(end);
  }
}

/** undici's raw header list (name, value, name, value …) as lower-case names; repeated names joined by ", ". */
function readHeaders(raw: Buffer[] | string[] | null): Record<string, string> {
  // A plain object, as a cached answer's headers are. A header named `constructor` is a header like any
  // other (own properties only); one named `__proto__` cannot be one of its keys and is dropped, as
  // `pool.request`'s answers dropped it before and the answer cache does.
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    if (name === '__proto__') continue;
    const value = raw[i + 1]!.toString('latin1');
    out[name] = Object.hasOwn(out, name) ? `${out[name]}, ${value}` : value;
  }
  return out;
}
