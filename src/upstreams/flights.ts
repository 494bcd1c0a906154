/**
 * Coalescing of in-flight GETs across concurrent requests (DESIGN.md "Limits, budgets and failing
 * upstreams"): while one call is in flight, every caller of the same key (client.ts builds it from the
 * method, URL, accepted statuses and the headers it sends, credentials included) waits for that call
 * instead of sending its own. The HTTP client is the only user.
 *
 * The contract:
 * - Every waiter gets the call's answer, or the same `GatewayError` instance it failed with. A value
 *   delivered to more than one waiter is passed to `share` first (the client deep-freezes it).
 * - A waiter's own cancellation (`call.signal`) and deadline (`call.budget`) end only its own wait: it
 *   rejects at once, the call goes on for the others, and only when the last waiter has left is the
 *   call itself aborted. A lone caller's deadline is the call's own (the client enforces it while
 *   sending), so the common case costs no timer here.
 * - The shared call runs with a budget of its own (`FlightBudget`): calls sent and bytes read are charged
 *   to the first waiter still waiting that has a budget (the one that started it, while it waits), and its
 *   deadline is the latest of the waiters'. A joiner costs its operation nothing.
 * - A call that ended with BUDGET_EXCEEDED ran out of someone's budget, not the upstream's patience:
 *   waiters whose own budget still has room start again (one of them sends a new call). Any other
 *   error is the upstream's answer and is shared.
 * - `forget` makes calls in flight unjoinable (after a write, so that a read that starts after the
 *   write never gets an answer sent before it); their waiters still get their answers.
 */
import { ErrorCode, GatewayError, type UpstreamName } from '../errors';
import { budgetExceeded, type BudgetPart, type CallBudget, type OperationBudget } from './budget';
import { CancelSource, type Cancel } from './exchange';
import type { CallOptions } from './types';

/** What the shared call is sent with, in place of any one caller's options. */
export interface FlightCall {
  requestId?: string;
  /** Aborted when the last waiter has left (a CancelSource: no EventTarget for every read). */
  cancel: Cancel;
  onCall?: CallOptions['onCall'];
  budget: CallBudget;
}

export interface FlightsOptions<R> {
  upstream: UpstreamName;
  /** The error of a caller that cancelled its wait (the client's own words for a cancelled call). */
  cancelled: (signal: AbortSignal) => GatewayError;
  /** Called once for a value that more than one waiter receives. */
  share?: (value: R) => void;
}

/** One caller waiting for a flight. A class, so that a read makes no closures of its own. */
class Waiter<R> {
  timer?: NodeJS.Timeout;
  /** Listens on the caller's signal, when it has one. */
  onAbort?: () => void;

  constructor(
    readonly call: CallOptions,
    private readonly flight: Flight<R>,
    private readonly resolve: (outcome: Outcome<R>) => void,
  ) {}

  /** Ends this waiter's wait with `outcome` (only the first call counts). */
  finish(outcome: Outcome<R>): void {
    if (!this.flight.waiters.delete(this)) return;
    clearTimeout(this.timer);
    if (this.onAbort) this.call.signal?.removeEventListener('abort', this.onAbort);
    this.resolve(outcome);
  }
}

interface Flight<R> {
  key: string;
  scope: string | undefined;
  waiters: Set<Waiter<R>>;
  /** Waiters ever, the starter included. */
  count: number;
  cancel: CancelSource;
}

type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown; own: boolean };

/** How often one caller starts again after calls that ran out of other callers' budgets. */
const MAX_RESTARTS = 3;

export class Flights<R> {
  private readonly open = new Map<string, Flight<R>>();

  constructor(private readonly options: FlightsOptions<R>) {}

  /**
   * The answer of the call in flight for `key`, or of one `start` sends now. `onJoin` is told when this
   * caller joined a call another caller started.
   */
  async run(key: string, scope: string | undefined, call: CallOptions, start: (flight: FlightCall) => Promise<R>, onJoin: () => void): Promise<R> {
    for (let restarts = 0; ; restarts++) {
      if (call.signal?.aborted) throw this.options.cancelled(call.signal);
      const joined = this.open.get(key);
      if (joined) onJoin();
      const flight = joined ?? this.list(key, scope);
      // The starter is a waiter before the call is sent: the call's budget is read from its waiters.
      const waiting = this.wait(flight, call);
      if (!joined) this.launch(flight, call, start);
      const outcome = await waiting;
      if (outcome.ok) return outcome.value;
      const othersBudget =
        !outcome.own && outcome.error instanceof GatewayError && outcome.error.code === ErrorCode.BUDGET_EXCEEDED && (call.budget?.hasRoom() ?? true);
      if (othersBudget && restarts < MAX_RESTARTS) continue;
      throw outcome.error;
    }
  }

  /**
   * Calls in flight in `scope` (and the upstream's queries), or every call without a scope (a write that
   * names no resource), take no more waiters: the convention of the answer store's `invalidate`.
   */
  forget(scope: string | undefined): void {
    for (const [key, flight] of this.open) {
      if (scope === undefined || flight.scope === undefined || flight.scope === scope) this.open.delete(key);
    }
  }

  private list(key: string, scope: string | undefined): Flight<R> {
    const flight: Flight<R> = { key, scope, waiters: new Set(), count: 0, cancel: new CancelSource() };
    this.open.set(key, flight);
    return flight;
  }

  private launch(flight: Flight<R>, starter: CallOptions, start: (flight: FlightCall) => Promise<R>): void {
    // The starter's request id goes upstream and its call accounting hears of every attempt.
    const flightCall: FlightCall = {
      requestId: starter.requestId,
      cancel: flight.cancel,
      onCall: starter.onCall,
      budget: new FlightBudget(flight.waiters, starter.budget),
    };
    start(flightCall).then(
      (value) => this.settle(flight, { ok: true, value }),
      (error: unknown) => this.settle(flight, { ok: false, error, own: false }),
    );
  }

  /**
   * Unlisted before anyone hears the outcome, so that whoever asks next starts a new call; every waiter
   * still waiting hears it (a waiter that left is no longer in the set).
   */
  private settle(flight: Flight<R>, outcome: Outcome<R>): void {
    if (this.open.get(flight.key) === flight) this.open.delete(flight.key);
    if (outcome.ok && flight.count > 1) this.options.share?.(outcome.value);
    // Each finish removes its waiter from the set, which a Set's iteration allows.
    for (const waiter of flight.waiters) waiter.finish(outcome);
  }

  private wait(flight: Flight<R>, call: CallOptions): Promise<Outcome<R>> {
    return new Promise((resolve) => {
      const waiter = new Waiter(call, flight, resolve);
      flight.waiters.add(waiter);
      flight.count++;
      const signal = call.signal;
      if (signal) {
        waiter.onAbort = () => {
          waiter.finish({ ok: false, error: this.options.cancelled(signal), own: true });
          if (flight.waiters.size === 0) this.abandon(flight);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      // Alone, a caller's deadline is the call's own; with company, each keeps its own.
      if (flight.waiters.size > 1) for (const w of flight.waiters) this.arm(flight, w);
    });
  }

  private arm(flight: Flight<R>, waiter: Waiter<R>): void {
    const budget = waiter.call.budget;
    if (waiter.timer || !budget) return;
    waiter.timer = setTimeout(() => {
      waiter.finish({ ok: false, error: budget.exceeded('deadline', this.options.upstream), own: true });
      if (flight.waiters.size === 0) this.abandon(flight);
    }, Math.max(0, budget.remainingMs()));
  }

  /** Nobody waits any more: the call is cancelled, and nobody can join it. */
  private abandon(flight: Flight<R>): void {
    if (this.open.get(flight.key) === flight) this.open.delete(flight.key);
    flight.cancel.abort();
  }
}

/**
 * The budget a shared call is sent under: it charges the first waiter with a budget (the starter, while
 * it waits; the starter's own when nobody with a budget is left), and lasts as long as the waiter with
 * the latest deadline. Without any budget among the waiters it limits nothing.
 */
class FlightBudget implements CallBudget {
  constructor(
    private readonly waiters: ReadonlySet<{ readonly call: CallOptions }>,
    private readonly starter: OperationBudget | undefined,
  ) {}

  private payer(): OperationBudget | undefined {
    for (const w of this.waiters) if (w.call.budget) return w.call.budget;
    return this.starter;
  }

  takeCall(): BudgetPart | undefined {
    return this.payer()?.takeCall();
  }

  remainingMs(): number {
    let latest = 0;
    for (const w of this.waiters) latest = Math.max(latest, w.call.budget ? w.call.budget.remainingMs() : Infinity);
    return latest;
  }

  remainingBytes(): number {
    return this.payer()?.remainingBytes() ?? Infinity;
  }

  addBytes(n: number): void {
    this.payer()?.addBytes(n);
  }

  exceeded(part: BudgetPart, upstream: UpstreamName): GatewayError {
    return this.payer()?.exceeded(part, upstream) ?? budgetExceeded(part, upstream);
  }
}
