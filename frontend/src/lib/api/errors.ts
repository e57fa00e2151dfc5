// One error type for the UI. Canister methods answer `variant { Ok; Err : Error }`; transport
// failures (network down, canister stopped, certificate problems) are thrown by agent-js. Both
// end up here so components can show one banner and react to specific kinds (StaleRevision).

/** The suite's Candid `Error` variant as the generated bindings type it (`__kind__` + payload). */
export interface SuiteErrorVariant {
  __kind__: string;
  [k: string]: unknown;
}

export class ApiError extends Error {
  constructor(
    message: string,
    /** The Candid error variant's name, or 'Transport' for anything thrown by the agent. */
    readonly kind: string,
    readonly detail?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function describe(err: SuiteErrorVariant): string {
  const payload = err[err.__kind__] as Record<string, unknown> | null | undefined;
  switch (err.__kind__) {
    case 'StaleRevision': {
      const p = payload as { expected: bigint; current: bigint };
      return `Someone changed this event meanwhile (you edited revision ${p.expected}, it is now at ${p.current}). It was reloaded; nothing was overwritten.`;
    }
    case 'NotFound':
      return `Not found: ${String(payload?.what ?? '')}`;
    case 'InvalidInput': {
      const p = payload as { field: string; problem: { __kind__: string; [k: string]: unknown } };
      const pr = p.problem;
      const extra = pr.__kind__ === 'Malformed' ? `: ${String((pr.Malformed as { reason: string }).reason)}` : '';
      return `Invalid ${p.field} (${pr.__kind__}${extra})`;
    }
    case 'RateLimited':
      return 'Too many changes in a short time; try again in a moment.';
    case 'Forbidden':
    case 'Conflict':
    case 'Unavailable':
      return `${err.__kind__}: ${String(payload?.reason ?? '')}`;
    case 'AnonymousCaller':
      return 'Sign in first: anonymous callers may only read public data.';
    case 'NotAdmin':
      return 'Only an administrator may do this.';
    default:
      return err.__kind__;
  }
}

/** Turns a `{Ok}|{Err}` answer into its value or a thrown ApiError. */
export function unwrap<T>(
  result: { __kind__: 'Ok'; Ok: T } | { __kind__: 'Err'; Err: SuiteErrorVariant },
): T {
  if (result.__kind__ === 'Ok') return result.Ok;
  throw new ApiError(describe(result.Err), result.Err.__kind__, result.Err);
}

/** Wraps whatever an agent call threw so the UI gets one shape. */
export function asApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  // agent-js messages are long (they include the request); keep the first line for the banner.
  const first = msg.split('\n').find((l) => l.trim()) ?? msg;
  return new ApiError(`The network did not answer: ${first.slice(0, 300)}`, 'Transport', e);
}

export function isStale(e: unknown): boolean {
  return e instanceof ApiError && e.kind === 'StaleRevision';
}
