// Pacing ECR calls in the provider process. One Pulumi provider process serves every
// ImageScan of a stack, on one shared client per region and endpoint in the SDK's
// adaptive retry mode, whose rate limiter slows down when ECR throttles. That is the
// default: at 500 ImageScans under ECR's emulated limits it was throttled no more than a
// fixed pace, and faster (BENCHMARKS.md). A fixed pace, per operation (ECR limits each
// on its own), is there for a hard cap: IMAGESCAN_ECR_REQUESTS_PER_SECOND.

import { EnvironmentError } from "./errors";

/** No fixed pace unless IMAGESCAN_ECR_REQUESTS_PER_SECOND sets one. */
export const DEFAULT_REQUESTS_PER_SECOND = 0;

/**
 * The rate from the environment: requests per second per operation, or 0 (the default)
 * for none. Anything else is an error that names the variable.
 */
export function configuredRate(env: NodeJS.ProcessEnv = process.env): number {
    const raw = env.IMAGESCAN_ECR_REQUESTS_PER_SECOND;
    if (raw === undefined || raw === "") {
        return DEFAULT_REQUESTS_PER_SECOND;
    }
    const rate = Number(raw);
    if (!Number.isFinite(rate) || rate < 0) {
        throw new EnvironmentError(
            `IMAGESCAN_ECR_REQUESTS_PER_SECOND=${JSON.stringify(raw)} is not a rate: give requests per second per ECR operation, such as 10, ` +
                "or 0 or nothing for no fixed pace (the SDK's adaptive retry mode alone, the default).",
        );
    }
    return rate;
}

/** A token bucket that waits: `take()` resolves when the call may go, in arrival order. */
export class Pacer {
    private tokens: number;
    private last: number;
    private queue: Promise<void> = Promise.resolve();

    constructor(
        readonly rate: number,
        readonly burst: number = Math.max(1, rate),
        private readonly now: () => number = () => Date.now(),
        private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    ) {
        this.tokens = this.burst;
        this.last = now();
    }

    take(): Promise<void> {
        // Chained, so that waiters are served first come, first served.
        const turn = this.queue.then(async () => {
            for (;;) {
                const t = this.now();
                this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
                this.last = t;
                if (this.tokens >= 1) {
                    this.tokens -= 1;
                    return;
                }
                await this.sleep(Math.ceil(((1 - this.tokens) / this.rate) * 1000));
            }
        });
        this.queue = turn;
        return turn;
    }
}
