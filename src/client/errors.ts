/** The SDK's error for an RFC 9457 problem answer: the platform's stable `code` plus context. */

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  code: string;
  detail?: string;
  requestId?: string;
  [extension: string]: unknown;
}

export class Q2ApiError extends Error {
  readonly status: number;
  /** Stable upper-snake code (SPEC §2), e.g. `REPLAY_DETECTED`; `HTTP_<status>` when the body was not a problem. */
  readonly code: string;
  readonly requestId: string | undefined;
  readonly problem: Problem;
  /** How many attempts were made; > 1 means an earlier attempt may have been processed. */
  readonly attempts: number;

  constructor(problem: Problem, attempts: number) {
    super(`${problem.code}: ${problem.detail ?? problem.title ?? 'request failed'}`);
    this.name = 'Q2ApiError';
    this.status = problem.status;
    this.code = problem.code;
    this.requestId = problem.requestId;
    this.problem = problem;
    this.attempts = attempts;
  }
}

/** Reads a problem document, or makes one from the status when the body is not one. */
export function problemOf(status: number, body: Buffer): Problem {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as Partial<Problem>;
    if (typeof parsed.code === 'string') return { ...parsed, status, code: parsed.code };
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): fall through.
  }
  return { status, code: `HTTP_${status}` };
}
