import { strict as assert } from "assert";
import { getEventListeners } from "events";
import { PaceAbortError } from "../provider/errors";
import { configuredRate, DEFAULT_REQUESTS_PER_SECOND, defaultBurst, Pacer } from "../provider/pace";

describe("pace", () => {
    function clocked(rate: number, burst?: number) {
        let now = 0;
        // The clock moves when the sleep ends, after the calls let go before it have run.
        const pacer = new Pacer(rate, burst, () => now, async (ms) => {
            await new Promise((r) => setImmediate(r));
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

    it("500 callers at 10/s take 49.8 s after the burst of 2: the rate, not a flood", async () => {
        const { pacer, now } = clocked(10);
        assert.equal(defaultBurst(10), 2);
        await Promise.all(Array.from({ length: 500 }, () => pacer.take()));
        assert.equal(now(), 49_800);
    });

    it("the rate comes from IMAGESCAN_ECR_REQUESTS_PER_SECOND, default 20, 0 for none; nonsense names the variable", () => {
        assert.equal(configuredRate({}), DEFAULT_REQUESTS_PER_SECOND);
        assert.equal(DEFAULT_REQUESTS_PER_SECOND, 20);
        assert.equal(configuredRate({ IMAGESCAN_ECR_REQUESTS_PER_SECOND: "4.5" }), 4.5);
        assert.equal(configuredRate({ IMAGESCAN_ECR_REQUESTS_PER_SECOND: "0" }), 0);
        assert.throws(() => configuredRate({ IMAGESCAN_ECR_REQUESTS_PER_SECOND: "fast" }), /IMAGESCAN_ECR_REQUESTS_PER_SECOND="fast" is not a rate/);
        assert.throws(() => configuredRate({ IMAGESCAN_ECR_REQUESTS_PER_SECOND: "-1" }), /not a rate/);
    });
});

describe("pace: settings and defaults", () => {
    it("unset or empty: the default; Infinity, a word or a negative number names the variable", () => {
        assert.equal(configuredRate({ IMAGESCAN_ECR_REQUESTS_PER_SECOND: "" }), DEFAULT_REQUESTS_PER_SECOND);
        assert.equal(configuredRate({ IMAGESCAN_ECR_REQUESTS_PER_SECOND: "0" }), 0);
        for (const raw of ["Infinity", "ten", "-0.5"]) {
            assert.throws(
                () => configuredRate({ IMAGESCAN_ECR_REQUESTS_PER_SECOND: raw }),
                (e: Error) => {
                    assert.equal(e.name, "EnvironmentError");
                    assert.equal(
                        e.message,
                        `IMAGESCAN_ECR_REQUESTS_PER_SECOND=${JSON.stringify(raw)} is not a rate: give ECR requests per second per region ` +
                            `(default ${DEFAULT_REQUESTS_PER_SECOND}), or 0 for no fixed pace (the SDK's adaptive retry mode alone).`,
                    );
                    return true;
                },
                raw,
            );
        }
    });

    it("reads the process environment by default", () => {
        const saved = process.env.IMAGESCAN_ECR_REQUESTS_PER_SECOND;
        try {
            process.env.IMAGESCAN_ECR_REQUESTS_PER_SECOND = "3";
            assert.equal(configuredRate(), 3);
        } finally {
            if (saved === undefined) {
                delete process.env.IMAGESCAN_ECR_REQUESTS_PER_SECOND;
            } else {
                process.env.IMAGESCAN_ECR_REQUESTS_PER_SECOND = saved;
            }
        }
    });

    it("the default burst is a quarter second's calls, and at least one", () => {
        assert.deepEqual([20, 10, 7, 0.5].map((rate) => new Pacer(rate).burst), [5, 2, 1, 1]);
    });

    function clocked(rate: number, burst?: number) {
        let now = 0;
        const sleeps: number[] = [];
        const pacer = new Pacer(rate, burst, () => now, async (ms) => {
            sleeps.push(ms);
            now += ms;
        });
        return { pacer, sleeps, advance: (ms: number) => (now += ms), set: (t: number) => (now = t) };
    }

    it("a slow rate: one call at once, the next after 1/rate seconds", async () => {
        const { pacer, sleeps } = clocked(0.5);
        await pacer.take();
        await pacer.take();
        assert.deepEqual(sleeps, [2000]);
    });

    it("tokens saved while idle are spent first, up to the burst", async () => {
        const { pacer, sleeps, advance } = clocked(10, 2);
        await Promise.all([pacer.take(), pacer.take()]);
        advance(10_000);
        await Promise.all([pacer.take(), pacer.take(), pacer.take()]);
        assert.deepEqual(sleeps, [100]);
    });

    it("a clock that steps back neither stalls the pacer nor hands out extra calls", async () => {
        const { pacer, sleeps, set } = clocked(10, 1);
        set(10_000);
        await pacer.take();
        set(5_000);
        await pacer.take();
        assert.deepEqual(sleeps, [100]);
    });

    it("a call whose operation was aborted leaves the queue at once, takes no turn, and says why", async () => {
        const { pacer, sleeps } = clocked(10, 1);
        const aborted = new AbortController();
        aborted.abort();
        await assert.rejects(pacer.take(aborted.signal), (e: Error) => e instanceof PaceAbortError && e.name === "AbortError" && e.message === "The operation was aborted while it waited for its turn to call ECR");
        await pacer.take();
        const waiting = new AbortController();
        const gone = pacer.take(waiting.signal);
        const next = pacer.take();
        waiting.abort();
        await assert.rejects(gone, { name: "AbortError" });
        await next;
        assert.equal(getEventListeners(waiting.signal, "abort").length, 0, "the aborted waiter's listener is gone");
        // Only the one still queued waited for a token.
        assert.deepEqual(sleeps, [100]);
    });

    it("an abort after a call got its turn changes nothing", async () => {
        const { pacer } = clocked(10, 1);
        const controller = new AbortController();
        await pacer.take(controller.signal);
        // It stops listening once it has its turn: a long-lived signal gathers no listeners.
        assert.equal(getEventListeners(controller.signal, "abort").length, 0);
        const queued = new AbortController();
        const waiting = pacer.take(queued.signal);
        assert.equal(getEventListeners(queued.signal, "abort").length, 1);
        await waiting;
        assert.equal(getEventListeners(queued.signal, "abort").length, 0);
        controller.abort();
        queued.abort();
        await pacer.take();
    });

    it("built with the real clock and timer, lets its burst through at once, and the next call waits for a timer", async () => {
        const pacer = new Pacer(20);
        let went = 0;
        const all = Array.from({ length: 6 }, () => pacer.take().then(() => went++));
        // Before any timer can fire: the burst of 5 went, the sixth waits its 50 ms.
        await new Promise((r) => setImmediate(r));
        assert.equal(went, 5);
        await Promise.all(all);
        assert.equal(went, 6);
    });

    it("a rate too slow for a timer waits in the longest one Node has, not in a loop", async () => {
        const { pacer, sleeps } = clocked(1e-9, 1);
        await pacer.take();
        await pacer.take();
        // One call per 1e9 s: 466 timers, each at most Node's longest (a longer one fires at once).
        assert.equal(sleeps.length, Math.ceil(1e12 / (2 ** 31 - 1)));
        assert.equal(sleeps[0], 2 ** 31 - 1);
        assert.ok(sleeps.every((ms) => ms <= 2 ** 31 - 1));
    });
});
