import { strict as assert } from "assert";
import { TokenBucket } from "./support/bucket";

describe("the test lab's token bucket (ECR's API rate limits)", () => {
    function clocked(rate: number, burst: number) {
        let now = 1_000_000;
        const bucket = new TokenBucket(rate, burst, () => now);
        return { bucket, advance: (ms: number) => (now += ms) };
    }
    const takes = (b: TokenBucket, n: number) => Array.from({ length: n }, () => b.take()).filter(Boolean).length;

    it("a full bucket lets a burst through, then refuses", () => {
        const { bucket } = clocked(20, 20);
        assert.equal(takes(bucket, 25), 20);
    });
    it("refills at the rate: 20/s gives one token per 50 ms", () => {
        const { bucket, advance } = clocked(20, 20);
        takes(bucket, 20);
        advance(49);
        assert.equal(bucket.take(), false);
        advance(1);
        assert.equal(bucket.take(), true);
        assert.equal(bucket.take(), false);
    });
    it("over a long run, lets through rate per second plus the burst, whatever the demand", () => {
        const { bucket, advance } = clocked(20, 5);
        let ok = 0;
        for (let ms = 0; ms < 10_000; ms += 10) {
            ok += takes(bucket, 3); // 300 requests/s asked for
            advance(10);
        }
        assert.ok(ok >= 200 && ok <= 205, `${ok}`);
    });
    it("never saves up more than the burst", () => {
        const { bucket, advance } = clocked(20, 5);
        advance(60_000);
        assert.equal(takes(bucket, 10), 5);
    });
    it("refuses nonsense settings", () => {
        assert.throws(() => new TokenBucket(0, 5), /rate must be > 0/);
        assert.throws(() => new TokenBucket(5, 0), /burst >= 1/);
    });
});
