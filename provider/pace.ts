// Pacing ECR calls in the provider process. One Pulumi provider process serves every
// ImageScan of a stack: at hundreds of them, unpaced calls come in bursts that ECR
// answers with ThrottlingException. A pacer lets calls through at a steady rate, per
// operation (ECR limits each operation on its own), and makes the others wait their
// turn instead of bouncing off the limit. The SDK's adaptive retry mode, which the
// clients also use, slows down further if ECR throttles anyway.

import { EnvironmentError } from "./errors";

/** Requests per second per operation, unless IMAGESCAN_ECR_REQUESTS_PER_SECOND says otherwise. */
export const DEFAULT_REQUESTS_PER_SECOND = 10;

/**
 * The rate from the environment: a positive number, or 0 for no pacing (the SDK's
 * adaptive rate limiter alone). Anything else is an error that names the variable.
 */
export function configuredRate(env: NodeJS.ProcessEnv = process.env): number {
    const raw = env.IMAGESCAN_ECR_REQUESTS_PER_SECOND;
    if (raw === undefined || raw === "") {
        return DEFAULT_REQUESTS_PER_SECOND;
    }
    const rate = Number(raw);
    if (!Number.isFinite(rate) || rate < 0) {
        throw new EnvironmentError(`IMAGESCAN_ECR_REQUESTS_PER_SECOND=${JSON.stringify(raw)} is not a rate: give requests per second per ECR operation (default ${DEFAULT_REQUESTS_PER_SECOND}), or 0 for no pacing.`);
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
