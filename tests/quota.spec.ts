import { strict as assert } from "assert";
import {
    estimateAdoptedStart,
    existingScanBlocks,
    insideQuotaWindow,
    nextScanAllowedAt,
    QUOTA_WINDOW_MS,
    rescanDue,
} from "../provider/quota";

const START = "2026-03-10T08:30:00.000Z";
const MIN = 60 * 1000;
const HOUR = 60 * MIN;
const at = (offsetMs: number) => new Date(Date.parse(START) + offsetMs);

describe("quota", () => {
    it("the window is 24 hours", () => {
        assert.equal(QUOTA_WINDOW_MS, 86_400_000);
    });

    describe("nextScanAllowedAt", () => {
        it("is scanStartedAt + 24 h, as ISO-8601", () => {
            assert.equal(nextScanAllowedAt(START), "2026-03-11T08:30:00.000Z");
        });
        it("crosses month and year ends", () => {
            assert.equal(nextScanAllowedAt("2026-12-31T23:59:59.999Z"), "2027-01-01T23:59:59.999Z");
            assert.equal(nextScanAllowedAt("2028-02-28T12:00:00.000Z"), "2028-02-29T12:00:00.000Z");
        });
        it("normalizes an offset start to UTC", () => {
            assert.equal(nextScanAllowedAt("2026-03-10T10:30:00+02:00"), "2026-03-11T08:30:00.000Z");
        });
    });

    describe("insideQuotaWindow", () => {
        const cases: [string, number, boolean][] = [
            ["at the start", 0, true],
            ["1 h after", HOUR, true],
            ["23 h 59 m after", 23 * HOUR + 59 * MIN, true],
            ["1 ms before 24 h", 24 * HOUR - 1, true],
            ["exactly 24 h after", 24 * HOUR, false],
            ["24 h 1 m after", 24 * HOUR + MIN, false],
            ["48 h after", 48 * HOUR, false],
        ];
        for (const [name, offset, expected] of cases) {
            it(`${name} -> ${expected}`, () => {
                assert.equal(insideQuotaWindow(START, at(offset)), expected);
            });
        }
    });

    describe("rescanDue", () => {
        const cases: [string, number | undefined, number, boolean][] = [
            ["unset, 1 year later", undefined, 365 * 24 * HOUR, false],
            ["unset, right away", undefined, 0, false],
            ["24 h, at 23 h 59 m", 24, 23 * HOUR + 59 * MIN, false],
            ["24 h, at exactly 24 h", 24, 24 * HOUR, true],
            ["24 h, at 24 h 1 m", 24, 24 * HOUR + MIN, true],
            ["25 h, at 24 h 1 m", 25, 24 * HOUR + MIN, false],
            ["25 h, at 24 h 59 m", 25, 24 * HOUR + 59 * MIN, false],
            ["25 h, at exactly 25 h", 25, 25 * HOUR, true],
            ["48 h, at 47 h 59 m", 48, 47 * HOUR + 59 * MIN, false],
            ["48 h, at exactly 48 h", 48, 48 * HOUR, true],
            ["48 h, at 72 h", 48, 72 * HOUR, true],
            ["24.5 h, at 24 h 29 m", 24.5, 24 * HOUR + 29 * MIN, false],
            ["24.5 h, at 24 h 30 m", 24.5, 24 * HOUR + 30 * MIN, true],
        ];
        for (const [name, hours, offset, expected] of cases) {
            it(`${name} -> ${expected}`, () => {
                assert.equal(rescanDue(START, hours, at(offset)), expected);
            });
        }
        it("a due rescan (hours >= 24) is always outside the quota window", () => {
            let due = 0;
            for (const hours of [24, 25, 36, 48]) {
                for (let offset = 0; offset <= 60 * HOUR; offset += 7 * MIN) {
                    const isDue = rescanDue(START, hours, at(offset));
                    due += isDue ? 1 : 0;
                    // Due implies outside the window: never both.
                    assert.ok(!(isDue && insideQuotaWindow(START, at(offset))), `${hours} h at ${offset / MIN} min`);
                }
            }
            // The sweep reaches due rescans for every setting: (60-24)+(60-25)+(60-36)+(60-48) h.
            assert.equal(due, [24, 25, 36, 48].map((h) => Math.floor((60 * HOUR) / (7 * MIN)) - Math.ceil((h * HOUR) / (7 * MIN)) + 1).reduce((a, b) => a + b, 0));
        });
    });

    describe("estimateAdoptedStart", () => {
        const now = new Date("2026-03-10T12:00:00.000Z");
        it("uses the completion time when known", () => {
            assert.equal(estimateAdoptedStart("2026-03-10T09:15:00.000Z", now), "2026-03-10T09:15:00.000Z");
        });
        it("uses now (the time it was found) for a scan still running", () => {
            assert.equal(estimateAdoptedStart(undefined, now), "2026-03-10T12:00:00.000Z");
        });
        it("errs late for any scan found completed or running: never before its true start", () => {
            // Scans that started at 09:00, took from 0 s to 2 h, and were found at `now`
            // (12:00): completed ones report their completion, running ones none.
            const trueStart = Date.parse("2026-03-10T09:00:00.000Z");
            for (const took of [0, 1000, 59 * MIN, 2 * HOUR]) {
                const completed = new Date(trueStart + took).toISOString();
                assert.ok(Date.parse(estimateAdoptedStart(completed, now)) >= trueStart, `completed after ${took} ms`);
                assert.ok(Date.parse(estimateAdoptedStart(undefined, now)) >= trueStart, "still running");
            }
        });
    });

    describe("existingScanBlocks", () => {
        const completed = "2026-03-10T08:30:00.000Z";
        const cases: [string, string | undefined, boolean, Date, boolean][] = [
            ["running, no completion", undefined, true, at(0), true],
            ["running, old completion (a new scan is under way)", completed, true, at(72 * HOUR), true],
            ["not running, no completion", undefined, false, at(0), false],
            ["completed 23 h 59 m ago", completed, false, at(23 * HOUR + 59 * MIN), true],
            ["completed exactly 24 h ago", completed, false, at(24 * HOUR), false],
            ["completed 24 h 1 m ago", completed, false, at(24 * HOUR + MIN), false],
            ["completed just now", completed, false, at(0), true],
        ];
        for (const [name, completedAt, running, now, expected] of cases) {
            it(`${name} -> ${expected}`, () => {
                assert.equal(existingScanBlocks(completedAt, running, now), expected);
            });
        }
    });
});
