import { strict as assert } from "assert";
import { backoffDelay, DEFAULT_BACKOFF, isTerminalStatus, PollCheck, pollUntilTerminal, PROGRESS_EVERY_MS, retryTransient } from "../provider/poll";

const LABEL = "web@sha256:1a2b…";
const LINE = /^web@sha256:1a2b… scan ([A-Z_]+), (\d+) s$/;

/** A fake clock: time moves only when the code under test sleeps. */
function fakeClock(start = 1_773_000_000_000) {
    let t = start;
    const sleeps: number[] = [];
    return {
        now: () => t,
        sleep: async (ms: number) => {
            assert.ok(Number.isFinite(ms) && ms >= 0, `bad sleep ${ms}`);
            sleeps.push(ms);
            t += ms;
        },
        sleeps,
        elapsed: () => t - start,
    };
}

/** A check that answers the given statuses in order, then the last one forever. */
function scripted(statuses: string[], value = "result") {
    let calls = 0;
    const check = async (): Promise<PollCheck<string>> => {
        const status = statuses[Math.min(calls, statuses.length - 1)];
        calls++;
        const terminal = isTerminalStatus(status);
        return terminal ? { terminal, status, value } : { terminal, status };
    };
    return { check, calls: () => calls };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe("poll", () => {
    describe("backoffDelay", () => {
        // ceiling = min(30000, 2000 * 1.8^attempt); delay = ceiling/2 + random * ceiling/2, rounded.
        const expected: Record<string, number[]> = {
            "0": [1000, 1800, 3240, 5832, 10498, 15000, 15000, 15000, 15000],
            "0.5": [1500, 2700, 4860, 8748, 15746, 22500, 22500, 22500, 22500],
            "0.999": [1999, 3598, 6477, 11658, 20985, 29985, 29985, 29985, 29985],
        };
        for (const [r, delays] of Object.entries(expected)) {
            it(`random ${r}: attempts 0..8`, () => {
                const random = () => Number(r);
                assert.deepEqual(
                    delays.map((_, attempt) => backoffDelay(attempt, random)),
                    delays,
                );
            });
        }
        it("the first delay is within 2 s, whatever the jitter", () => {
            for (const r of [0, 0.25, 0.5, 0.75, 0.999, 0.9999999]) {
                const d = backoffDelay(0, () => r);
                assert.ok(d >= 1000 && d <= 2000, `random ${r}: ${d}`);
            }
        });
        it("never exceeds the 30 s cap, even for huge attempt numbers", () => {
            for (const attempt of [5, 6, 10, 20, 100, 1000, 2000]) {
                for (const r of [0, 0.5, 0.999, 0.9999999]) {
                    const d = backoffDelay(attempt, () => r);
                    assert.ok(Number.isFinite(d), `attempt ${attempt}: ${d}`);
                    assert.ok(d <= 30000, `attempt ${attempt} random ${r}: ${d}`);
                    assert.ok(d >= 15000, `attempt ${attempt} random ${r}: ${d}`);
                }
            }
        });
        it("default backoff is 2 s first, factor 1.8, cap 30 s", () => {
            assert.deepEqual(DEFAULT_BACKOFF, { firstDelayMs: 2000, factor: 1.8, capMs: 30000 });
            assert.equal(PROGRESS_EVERY_MS, 15000);
        });
    });

    describe("isTerminalStatus", () => {
        const cases: [string, boolean][] = [
            ["IN_PROGRESS", false],
            ["PENDING", false],
            ["COMPLETE", true],
            ["FAILED", true],
            ["UNSUPPORTED_IMAGE", true],
            ["ACTIVE", true],
            ["SCAN_ELIGIBILITY_EXPIRED", true],
            ["FINDINGS_UNAVAILABLE", true],
            ["LIMIT_EXCEEDED", true],
            ["IMAGE_ARCHIVED", true],
            ["SOMETHING_NEW", false],
            ["", false],
            ["complete", false],
        ];
        for (const [status, terminal] of cases) {
            it(`${JSON.stringify(status)} -> ${terminal}`, () => {
                assert.equal(isTerminalStatus(status), terminal);
            });
        }
    });

    describe("pollUntilTerminal", () => {
        it("backs off exponentially: IN_PROGRESS x4 then COMPLETE, random 0.5", async () => {
            const clock = fakeClock();
            const { check, calls } = scripted(["IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS", "COMPLETE"]);
            const lines: string[] = [];
            const outcome = await pollUntilTerminal({
                check,
                timeoutMs: 1_200_000,
                now: clock.now,
                sleep: clock.sleep,
                random: () => 0.5,
                progress: (l) => lines.push(l),
                label: LABEL,
            });
            assert.deepEqual(clock.sleeps, [1500, 2700, 4860, 8748, 15746]);
            assert.equal(calls(), 5);
            assert.deepEqual(outcome, { kind: "done", status: "COMPLETE", value: "result", polls: 5, waitedMs: 33554 });
            // Lines at 1.5 s and 17.808 s (16.3 s after the first); 4.2 s and 9.06 s are too soon.
            assert.deepEqual(lines, [`${LABEL} scan IN_PROGRESS, 2 s`, `${LABEL} scan IN_PROGRESS, 18 s`]);
        });

        it("returns at once when the first poll is terminal, within 2 s", async () => {
            const clock = fakeClock();
            const { check } = scripted(["FAILED"], "v");
            const lines: string[] = [];
            const outcome = await pollUntilTerminal({
                check,
                timeoutMs: 60000,
                now: clock.now,
                sleep: clock.sleep,
                random: () => 0.999,
                progress: (l) => lines.push(l),
                label: LABEL,
            });
            assert.deepEqual(clock.sleeps, [1999]);
            assert.deepEqual(outcome, { kind: "done", status: "FAILED", value: "v", polls: 1, waitedMs: 1999 });
            assert.deepEqual(lines, []);
        });

        it("keeps polling through an unknown status", async () => {
            const clock = fakeClock();
            const { check, calls } = scripted(["SOMETHING_NEW", "PENDING", "COMPLETE"]);
            const outcome = await pollUntilTerminal({
                check,
                timeoutMs: 60000,
                now: clock.now,
                sleep: clock.sleep,
                random: () => 0,
                progress: () => undefined,
                label: LABEL,
            });
            assert.equal(calls(), 3);
            assert.equal(outcome.kind, "done");
            assert.equal(outcome.status, "COMPLETE");
            assert.deepEqual(clock.sleeps, [1000, 1800, 3240]);
        });

        it("times out at the deadline: 10000 ms always IN_PROGRESS, last sleep clipped", async () => {
            const clock = fakeClock();
            const { check, calls } = scripted(["IN_PROGRESS"]);
            const outcome = await pollUntilTerminal({
                check,
                timeoutMs: 10000,
                now: clock.now,
                sleep: clock.sleep,
                random: () => 0.5,
                progress: () => undefined,
                label: LABEL,
            });
            assert.deepEqual(clock.sleeps, [1500, 2700, 4860, 940]);
            assert.equal(sum(clock.sleeps), 10000);
            assert.equal(calls(), 4);
            assert.deepEqual(outcome, { kind: "timeout", status: "IN_PROGRESS", polls: 4, waitedMs: 10000 });
        });

        it("never sleeps past the deadline, for any timeout and jitter", async () => {
            for (const timeoutMs of [1, 999, 1000, 1500, 2000, 4499, 10000, 29999, 60000, 61234, 1_200_000]) {
                for (const r of [0, 0.5, 0.999]) {
                    const clock = fakeClock();
                    const { check } = scripted(["IN_PROGRESS"]);
                    let checksAfterDeadline = 0;
                    const started = clock.now();
                    const outcome = await pollUntilTerminal({
                        check: async () => {
                            if (clock.now() - started > timeoutMs) {
                                checksAfterDeadline++;
                            }
                            return check();
                        },
                        timeoutMs,
                        now: clock.now,
                        sleep: async (ms) => {
                            await clock.sleep(ms);
                            assert.ok(clock.elapsed() <= timeoutMs, `slept past the deadline: ${clock.elapsed()} > ${timeoutMs}`);
                        },
                        random: () => r,
                        progress: () => undefined,
                        label: LABEL,
                    });
                    const label = `timeout ${timeoutMs}, random ${r}`;
                    assert.equal(outcome.kind, "timeout", label);
                    assert.equal(sum(clock.sleeps), timeoutMs, label);
                    assert.equal(outcome.waitedMs, timeoutMs, label);
                    assert.equal(checksAfterDeadline, 0, label);
                    assert.ok(clock.sleeps.every((s) => s <= 30000), `${label}: ${clock.sleeps}`);
                    assert.ok(clock.sleeps.every((s) => s > 0), `${label}: zero sleep in ${clock.sleeps}`);
                }
            }
        });

        it("a terminal answer at the deadline is a result, not a timeout", async () => {
            const clock = fakeClock();
            let calls = 0;
            const outcome = await pollUntilTerminal<string>({
                check: async () => (++calls < 4 ? { terminal: false, status: "IN_PROGRESS" } : { terminal: true, status: "COMPLETE", value: "x" }),
                timeoutMs: 10000,
                now: clock.now,
                sleep: clock.sleep,
                random: () => 0.5,
                progress: () => undefined,
                label: LABEL,
            });
            assert.deepEqual(clock.sleeps, [1500, 2700, 4860, 940]);
            assert.deepEqual(outcome, { kind: "done", status: "COMPLETE", value: "x", polls: 4, waitedMs: 10000 });
        });

        it("prints progress at most once per 15 s, in the documented format", async () => {
            const clock = fakeClock();
            const { check } = scripted(["IN_PROGRESS"]);
            const lines: { line: string; at: number }[] = [];
            const outcome = await pollUntilTerminal({
                check,
                timeoutMs: 600_000,
                now: clock.now,
                sleep: clock.sleep,
                random: () => 0.5,
                progress: (line) => lines.push({ line, at: clock.elapsed() }),
                label: LABEL,
            });
            assert.equal(outcome.kind, "timeout");
            // Polls at 1.5, 4.2, 9.06, 17.808, 33.554 s, then every 22.5 s to 596.054 s, then
            // at 600 s. Lines at 1.5 s, 17.808 s and every poll from there to 596.054 s; the
            // one at 600 s is too soon after.
            assert.equal(lines.length, 28);
            for (const { line, at } of lines) {
                const m = LINE.exec(line);
                assert.ok(m, `bad progress line ${JSON.stringify(line)}`);
                assert.equal(m![1], "IN_PROGRESS");
                assert.equal(Number(m![2]), Math.round(at / 1000), line);
            }
            for (let i = 1; i < lines.length; i++) {
                assert.ok(lines[i].at - lines[i - 1].at >= 15000, `lines ${i - 1} and ${i} only ${lines[i].at - lines[i - 1].at} ms apart`);
            }
            assert.ok(lines.some((l) => l.line === `${LABEL} scan IN_PROGRESS, 34 s`), "a line at 34 s");
            assert.ok(lines.length <= Math.floor(600_000 / 15000) + 1);
        });

        it("rate-limits progress when polls are frequent", async () => {
            const clock = fakeClock();
            const { check, calls } = scripted(["PENDING"]);
            const lines: { line: string; at: number }[] = [];
            await pollUntilTerminal({
                check,
                timeoutMs: 60000,
                now: clock.now,
                sleep: clock.sleep,
                random: () => 0,
                progress: (line) => lines.push({ line, at: clock.elapsed() }),
                label: LABEL,
                backoff: { firstDelayMs: 1000, factor: 1, capMs: 1000 },
            });
            assert.equal(calls(), 120);
            // Polls every 500 ms: lines at 0.5, 15.5, 30.5 and 45.5 s only.
            assert.deepEqual(
                lines.map((l) => l.at),
                [500, 15500, 30500, 45500],
            );
            assert.deepEqual(
                lines.map((l) => l.line),
                [`${LABEL} scan PENDING, 1 s`, `${LABEL} scan PENDING, 16 s`, `${LABEL} scan PENDING, 31 s`, `${LABEL} scan PENDING, 46 s`],
            );
        });

        it("propagates errors thrown by check", async () => {
            const clock = fakeClock();
            const boom = new Error("AccessDeniedException: not allowed");
            let calls = 0;
            await assert.rejects(
                pollUntilTerminal({
                    check: async () => {
                        if (++calls === 3) {
                            throw boom;
                        }
                        return { terminal: false, status: "IN_PROGRESS" };
                    },
                    timeoutMs: 60000,
                    now: clock.now,
                    sleep: clock.sleep,
                    random: () => 0.5,
                    progress: () => undefined,
                    label: LABEL,
                }),
                (err) => err === boom,
            );
            assert.equal(calls, 3);
            assert.deepEqual(clock.sleeps, [1500, 2700, 4860]);
        });

        it("propagates an error from the first check", async () => {
            const clock = fakeClock();
            await assert.rejects(
                pollUntilTerminal({
                    check: async () => {
                        throw new TypeError("first");
                    },
                    timeoutMs: 60000,
                    now: clock.now,
                    sleep: clock.sleep,
                    random: () => 0.5,
                    progress: () => undefined,
                    label: LABEL,
                }),
                { name: "TypeError", message: "first" },
            );
        });
    });

    describe("retryTransient", () => {
        const transient = Object.assign(new Error("Rate exceeded"), { transient: true });
        const fatal = new Error("AccessDenied");
        const isTransient = (e: unknown) => (e as { transient?: boolean }).transient === true;

        it("retries transient errors with the poll backoff, then returns", async () => {
            let now = 0;
            const sleeps: number[] = [];
            let calls = 0;
            const value = await retryTransient(
                async () => {
                    calls++;
                    if (calls < 4) {
                        throw transient;
                    }
                    return "ok";
                },
                { deadline: 60_000, now: () => now, isTransient, random: () => 0.5, sleep: async (ms) => { sleeps.push(ms); now += ms; } },
            );
            assert.equal(value, "ok");
            assert.equal(calls, 4);
            assert.deepEqual(sleeps, [0, 1, 2].map((a) => backoffDelay(a, () => 0.5)));
        });

        it("throws a non-transient error at once", async () => {
            let calls = 0;
            await assert.rejects(
                retryTransient(async () => { calls++; throw fatal; }, { deadline: 60_000, now: () => 0, isTransient, sleep: async () => undefined }),
                /AccessDenied/,
            );
            assert.equal(calls, 1);
        });

        it("gives up with the last error rather than sleep past the deadline", async () => {
            let now = 0;
            let calls = 0;
            await assert.rejects(
                retryTransient(async () => { calls++; throw transient; }, { deadline: 10_000, now: () => now, isTransient, random: () => 1, sleep: async (ms) => { now += ms; } }),
                /Rate exceeded/,
            );
            assert.ok(now < 10_000, `slept until ${now}`);
            assert.ok(calls >= 3, `${calls} calls`);
        });
    });
});

describe("poll: edges", () => {
    it("a wait with no time left times out before any poll, with status PENDING", async () => {
        const { check, calls } = scripted(["COMPLETE"]);
        const clock = fakeClock();
        const outcome = await pollUntilTerminal({ check, timeoutMs: 0, now: clock.now, sleep: clock.sleep, random: () => 0.5, progress: () => undefined, label: LABEL });
        assert.deepEqual(outcome, { kind: "timeout", status: "PENDING", polls: 0, waitedMs: 0 });
        assert.equal(calls(), 0);
    });

    it("without a sleep given, the wait is a real timer: no poll before it fires", async () => {
        let polls = 0;
        const outcome = pollUntilTerminal({
            check: async () => {
                polls++;
                return { terminal: true, status: "COMPLETE", value: "v" };
            },
            // A clock that stands still: the wait is the remaining 1 ms.
            timeoutMs: 1,
            now: () => 0,
            progress: () => undefined,
            label: LABEL,
        });
        for (let i = 0; i < 10; i++) {
            await Promise.resolve();
        }
        assert.equal(polls, 0, "polled without waiting");
        assert.equal((await outcome).kind, "done");
        assert.equal(polls, 1);
    });

    it("retryTransient without a sleep given waits on a real timer before trying again", async () => {
        let calls = 0;
        const transient = Object.assign(new Error("Rate exceeded"), { transient: true });
        let now = 0;
        const result = retryTransient(
            async () => {
                calls++;
                if (calls === 1) {
                    throw transient;
                }
                return "ok";
            },
            // random 0: the first delay is 1 s. The clock moves only when this test says.
            { deadline: 60_000, now: () => now, isTransient: () => true, random: () => 0 },
        );
        for (let i = 0; i < 10; i++) {
            await Promise.resolve();
        }
        assert.equal(calls, 1, "tried again without waiting");
        now = 1000;
        assert.equal(await result, "ok");
        assert.equal(calls, 2);
    });

    it("retryTransient gives up when the next wait would end exactly at the deadline", async () => {
        const transient = Object.assign(new Error("Rate exceeded"), { transient: true });
        let calls = 0;
        // random 0.5: the first wait is 1500 ms.
        await assert.rejects(
            retryTransient(async () => { calls++; throw transient; }, { deadline: 1500, now: () => 0, isTransient: () => true, random: () => 0.5, sleep: async () => undefined }),
            /Rate exceeded/,
        );
        assert.equal(calls, 1);
        let tries = 0;
        const ok = await retryTransient(
            async () => {
                tries++;
                if (tries === 1) {
                    throw transient;
                }
                return "ok";
            },
            { deadline: 1501, now: () => 0, isTransient: () => true, random: () => 0.5, sleep: async () => undefined },
        );
        assert.equal(ok, "ok");
    });
});
