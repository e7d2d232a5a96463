// A token bucket: `rate` tokens a second, up to `burst` saved up. ECR's API limits work
// this way, per account, Region and operation; the test lab's proxy uses one per
// operation to answer ThrottlingException past the limit, as ECR does.

export class TokenBucket {
    private tokens: number;
    private last: number;

    constructor(
        readonly rate: number,
        readonly burst: number,
        private readonly now: () => number = () => Date.now(),
    ) {
        if (!(rate > 0) || !(burst >= 1)) {
            throw new Error(`TokenBucket: rate must be > 0 and burst >= 1 (got ${rate}, ${burst})`);
        }
        this.tokens = burst;
        this.last = now();
    }

    /** Takes a token if there is one: true. Else false, and nothing is taken. */
    take(): boolean {
        const t = this.now();
        this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
        this.last = t;
        if (this.tokens >= 1) {
            this.tokens -= 1;
            return true;
        }
        return false;
    }
}
