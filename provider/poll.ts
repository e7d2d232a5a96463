// Waiting for a scan: a small state machine in the style of the AWS SDK's waiters,
// with capped exponential backoff, jitter, a hard deadline and progress lines.

// An array, not a Set: the closure serializer writes a Set into state as {}.
const KNOWN = [
    "IN_PROGRESS",
    "COMPLETE",
    "FAILED",
    "UNSUPPORTED_IMAGE",
    "ACTIVE",
    "PENDING",
    "SCAN_ELIGIBILITY_EXPIRED",
    "FINDINGS_UNAVAILABLE",
    "LIMIT_EXCEEDED",
    "IMAGE_ARCHIVED",
];

/** Terminal: every known status except IN_PROGRESS and PENDING. An unknown one is not. */
export function isTerminalStatus(status: string): boolean {
    return KNOWN.includes(status) && status !== "IN_PROGRESS" && status !== "PENDING";
}

export interface Backoff {
    /** Upper bound of the first delay; the first poll comes within this. */
    firstDelayMs: number;
    factor: number;
    capMs: number;
}

// Factor 1.8 rather than 2 (npm run bench, BENCHMARKS.md): polls land closer to a
// completion between 15 s and 60 s, at most 1.5× the AWS SDK waiter's calls.
export const DEFAULT_BACKOFF: Backoff = { firstDelayMs: 2000, factor: 1.8, capMs: 30000 };
export const PROGRESS_EVERY_MS = 15000;

/**
 * The delay before poll number `attempt` (0-based): min(cap, first * factor^attempt),
 * with "equal jitter" (between half and all of it), so that many resources started
 * together do not poll in lockstep, and no delay exceeds the cap.
 */
export function backoffDelay(attempt: number, random: () => number, backoff: Backoff = DEFAULT_BACKOFF): number {
    const ceiling = Math.min(backoff.capMs, backoff.firstDelayMs * Math.pow(backoff.factor, attempt));
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Calls `call` again after a transient error (throttling, 5xx, no answer), with the
 * same backoff, until it succeeds or the deadline. The SDK's own three attempts are too
 * few for a busy account: without this, 1 request in 5 throttled fails most 50-image
 * deployments. Repeating a throttled StartImageScan is safe: a scan that did start
 * answers LimitExceededException, which is adopted.
 */
export async function retryTransient<T>(
    call: () => Promise<T>,
    opts: { deadline: number; now: () => number; isTransient: (e: unknown) => boolean; sleep?: (ms: number) => Promise<void>; random?: () => number },
): Promise<T> {
    const { sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)), random = Math.random } = opts;
    for (let attempt = 0; ; attempt++) {
        try {
            return await call();
        } catch (e) {
            const wait = backoffDelay(attempt, random);
            if (!opts.isTransient(e) || opts.now() + wait >= opts.deadline) {
                throw e;
            }
            await sleep(wait);
        }
    }
}

export interface PollCheck<T> {
    terminal: boolean;
    status: string;
    value?: T;
}

export interface PollOptions<T> {
    /** One look at the scan. Errors propagate: the caller decides what is retryable. */
    check: () => Promise<PollCheck<T>>;
    /** How long to wait in total, from `now()` at the call. */
    timeoutMs: number;
    now: () => number;
    /** Defaults to a real timer. */
    sleep?: (ms: number) => Promise<void>;
    /** Defaults to Math.random. */
    random?: () => number;
    /** Progress sink; gets e.g. `web@sha256:1a2b… scan IN_PROGRESS, 45 s`. */
    progress: (line: string) => void;
    label: string;
    backoff?: Backoff;
}

export type PollOutcome<T> =
    | { kind: "done"; status: string; value: T | undefined; polls: number; waitedMs: number }
    | { kind: "timeout"; status: string; polls: number; waitedMs: number };

/** Polls until a terminal status or the deadline, whichever comes first. */
export async function pollUntilTerminal<T>(opts: PollOptions<T>): Promise<PollOutcome<T>> {
    const { sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)), random = Math.random } = opts;
    const started = opts.now();
    const deadline = started + opts.timeoutMs;
    let lastProgress = Number.NEGATIVE_INFINITY;
    let status = "PENDING";
    let polls = 0;

    for (let attempt = 0; ; attempt++) {
        const remaining = deadline - opts.now();
        if (remaining <= 0) {
            return { kind: "timeout", status, polls, waitedMs: opts.now() - started };
        }
        // Never sleep past the deadline: the last poll lands on it.
        await sleep(Math.min(backoffDelay(attempt, random, opts.backoff), remaining));

        const result = await opts.check();
        polls++;
        status = result.status;
        if (result.terminal) {
            return { kind: "done", status, value: result.value, polls, waitedMs: opts.now() - started };
        }
        const now = opts.now();
        if (now - lastProgress >= PROGRESS_EVERY_MS) {
            lastProgress = now;
            opts.progress(`${opts.label} scan ${status}, ${Math.round((now - started) / 1000)} s`);
        }
    }
}
