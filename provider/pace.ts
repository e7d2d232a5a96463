// Pacing ECR calls in the provider process. One Pulumi provider process serves every
// ImageScan of a stack; they share one ECR client per region and endpoint (ecr.ts). At
// hundreds of ImageScans, with the engine running many at once, the SDK's adaptive
// retry mode alone keeps bouncing off ECR's rate limits (BENCHMARKS.md, the scale runs).
// So every attempt, retries included, waits for a token of the client's pacer (a
// middleware inside the SDK's retry loop, after its backoff), first come, first served, and the adaptive mode slows down further if ECR throttles anyway.
// The default, 20 requests/s for all operations together, stays under a 20/s limit per
// operation whatever the mix. IMAGESCAN_ECR_REQUESTS_PER_SECOND sets it.

import { EnvironmentError, PaceAbortError } from "./errors";

/** Requests per second per region and endpoint (all operations together), in one provider process. */
export const DEFAULT_REQUESTS_PER_SECOND = 20;

/**
 * The rate from the environment: requests per second, or 0 for no fixed pace (the SDK's
 * adaptive mode alone). Anything else is an error that names the variable.
 */
export function configuredRate(env: NodeJS.ProcessEnv = process.env): number {
    const raw = env.IMAGESCAN_ECR_REQUESTS_PER_SECOND;
    if (raw === undefined || raw === "") {
        return DEFAULT_REQUESTS_PER_SECOND;
    }
    const rate = Number(raw);
    if (!Number.isFinite(rate) || rate < 0) {
        throw new EnvironmentError(
            `IMAGESCAN_ECR_REQUESTS_PER_SECOND=${JSON.stringify(raw)} is not a rate: give ECR requests per second per region ` +
                `(default ${DEFAULT_REQUESTS_PER_SECOND}), or 0 for no fixed pace (the SDK's adaptive retry mode alone).`,
        );
    }
    return rate;
}

interface Waiter {
    resolve: () => void;
    reject: (e: Error) => void;
    signal?: AbortSignal;
    onAbort?: () => void;
}

/**
 * The pacer's burst: a quarter of a second's calls. Calls let go together reach ECR
 * bunched up with later ones whenever the process stalls or the network jitters; a
 * burst as large as ECR's own would leave its bucket nothing to absorb that with (the
 * lab measured a throttled call per 40 creates at burst = rate).
 */
export function defaultBurst(rate: number): number {
    return Math.max(1, Math.floor(rate / 4));
}

/**
 * A token bucket that waits: `take()` resolves when a call may go, first come, first
 * served. A caller whose signal aborts leaves the queue at once and takes no token.
 * Time is monotonic by default, so a clock that steps back cannot stall it.
 */
export class Pacer {
    private tokens: number;
    private last: number;
    private readonly waiters: Waiter[] = [];
    private pumping = false;

    constructor(
        readonly rate: number,
        readonly burst: number = defaultBurst(rate),
        private readonly now: () => number = () => performance.now(),
        private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    ) {
        this.tokens = this.burst;
        this.last = now();
    }

    take(signal?: AbortSignal): Promise<void> {
        return new Promise<void>((resolve, reject) => {
            if (signal?.aborted) {
                reject(abortError());
                return;
            }
            const waiter: Waiter = { resolve, reject, signal };
            if (signal) {
                waiter.onAbort = () => {
                    const i = this.waiters.indexOf(waiter);
                    if (i >= 0) {
                        this.waiters.splice(i, 1);
                        reject(abortError());
                    }
                };
                signal.addEventListener("abort", waiter.onAbort, { once: true });
            }
            this.waiters.push(waiter);
            void this.pump();
        });
    }

    private async pump(): Promise<void> {
        if (this.pumping) {
            return;
        }
        this.pumping = true;
        try {
            while (this.waiters.length > 0) {
                const t = this.now();
                this.tokens = Math.min(this.burst, this.tokens + (Math.max(0, t - this.last) / 1000) * this.rate);
                this.last = t;
                if (this.tokens >= 1) {
                    this.tokens -= 1;
                    const w = this.waiters.shift() as Waiter;
                    if (w.signal && w.onAbort) {
                        w.signal.removeEventListener("abort", w.onAbort);
                    }
                    w.resolve();
                    continue;
                }
                // Capped: a timer longer than 2^31-1 ms fires at once (absurdly slow rates).
                await this.sleep(Math.min(MAX_SLEEP_MS, Math.ceil(((1 - this.tokens) / this.rate) * 1000)));
            }
        } finally {
            this.pumping = false;
        }
    }
}

function abortError(): Error {
    return new PaceAbortError();
}

/** Node's longest timer. */
const MAX_SLEEP_MS = 2 ** 31 - 1;
