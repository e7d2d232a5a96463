import { strict as assert } from "assert";
import { configuredRate, DEFAULT_REQUESTS_PER_SECOND, Pacer } from "../provider/pace";

describe("pace", () => {
    function clocked(rate: number, burst?: number) {
        let now = 0;
        const pacer = new Pacer(rate, burst, () => now, async (ms) => {
            now += ms;
        });
        return { pacer, now: () => now };
    }

    it("lets a burst through at once, then one call per 1/rate seconds, in order", async () => {
        const { pacer, now } = clocked(10, 3);
        const went: [number, number][] = [];
        await Promise.all(Array.from({ length: 7 }, (_, i) => pacer.take().then(() => went.push([i, now()]))));
        assert.deepEqual(went.map(([i]) => i), [0, 1, 2, 3, 4, 5, 6]);
        assert.deepEqual(went.map(([, t]) => t), [0, 0, 0, 100, 200, 300, 400]);
    });

    it("500 callers at 10/s take 49 s after the burst: the rate, not a flood", async () => {
        const { pacer, now } = clocked(10);
        await Promise.all(Array.from({ length: 500 }, () => pacer.take()));
        assert.equal(now(), 49_000);
    });

    it("the rate comes from IMAGESCAN_ECR_REQUESTS_PER_SECOND, default 10, 0 for none; nonsense names the variable", () => {
        assert.equal(configuredRate({}), DEFAULT_REQUESTS_PER_SECOND);
        assert.equal(DEFAULT_REQUESTS_PER_SECOND, 10);
        assert.equal(configuredRate({ IMAGESCAN_ECR_REQUESTS_PER_SECOND: "4.5" }), 4.5);
        assert.equal(configuredRate({ IMAGESCAN_ECR_REQUESTS_PER_SECOND: "0" }), 0);
        assert.throws(() => configuredRate({ IMAGESCAN_ECR_REQUESTS_PER_SECOND: "fast" }), /IMAGESCAN_ECR_REQUESTS_PER_SECOND="fast" is not a rate/);
        assert.throws(() => configuredRate({ IMAGESCAN_ECR_REQUESTS_PER_SECOND: "-1" }), /not a rate/);
    });
});
