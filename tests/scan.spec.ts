// One image's scan within the 24 h quota: start, adopt or re-read, and wait. Driven at the
// scan.ts seam with a scripted transport and a fake clock; every assertion is about an
// output, an error, or which ECR calls were made.

import { strict as assert } from "assert";
import { context } from "../provider/context";
import { Ecr } from "../provider/ecr";
import { continued, Operation, reread, rescan, ScanRecord, scanOrAdopt } from "../provider/scan";
import { ScanResult } from "../provider/types";
import { PaceAbortError } from "../provider/errors";
import { awsError, DIGEST, fakeClock, scanStatus, sdkError, stubTransport, StubScript } from "./support/stub";

const NOW = "2026-11-29T10:00:00.000Z";
const image = { repositoryName: "web", region: "eu-west-1", imageDigest: DIGEST };

const completed = (at: string, extra: object = {}) =>
    scanStatus("COMPLETE", { imageScanFindings: { imageScanCompletedAt: new Date(at), findingSeverityCounts: { LOW: 1 }, findings: [{ name: "CVE-1", severity: "LOW" }] }, ...extra });

function setup(script: StubScript, waitForCompletion = true, timeoutSeconds = 1200) {
    const stub = stubTransport(script);
    const clock = fakeClock();
    const logs: string[] = [];
    const ctx = context({ transport: stub.factory, now: clock.now, sleep: clock.sleep, random: () => 0.5, log: (l) => logs.push(l) });
    const op: Operation = { ctx, ecr: new Ecr(stub.factory({}), image), image, waitForCompletion, deadline: clock.now().getTime() + timeoutSeconds * 1000 };
    return { op, stub, clock, logs };
}

const record = (over: Partial<ScanRecord> = {}): ScanRecord => ({
    scanStatus: "COMPLETE",
    scanType: "BASIC",
    scanStartedAt: "2026-11-29T09:00:00.000Z",
    scanCompletedAt: "2026-11-29T09:00:30.000Z",
    adoptedExistingScan: false,
    ...over,
});
const recorded: ScanResult = { scanStatus: "COMPLETE", scanType: "BASIC", findingSeverityCounts: { HIGH: 2 }, findings: [{ name: "CVE-REC", severity: "HIGH" }] };

describe("scan", () => {
    describe("scanOrAdopt: create", () => {
        it("an archived image found by the lookup is recorded as such, not adopted, and no scan is asked for", async () => {
            const { op, stub } = setup({ describeImageScanFindings: [awsError("ImageArchivedException", "The image is archived")] });
            const c = await scanOrAdopt(op, true);
            assert.deepEqual([c.result.scanStatus, c.result.scanStatusDescription, c.adopted, c.scanStartedAt], ["IMAGE_ARCHIVED", "The image is archived", false, NOW]);
            assert.deepEqual(stub.calls, ["describeImageScanFindings"]);
        });

        const refusals: [string, Error, string][] = [
            ["UnsupportedImageTypeException", awsError("UnsupportedImageTypeException", "cannot be scanned"), "UNSUPPORTED_IMAGE"],
            ["ImageArchivedException", awsError("ImageArchivedException", "archived"), "IMAGE_ARCHIVED"],
        ];
        for (const [what, error, status] of refusals) {
            it(`${what} from StartImageScan: ${status}, with ECR's words, not adopted, nothing waited for`, async () => {
                const { op, stub } = setup({ describeImageScanFindings: [awsError("ScanNotFoundException")], startImageScan: [error] });
                const c = await scanOrAdopt(op, true);
                assert.deepEqual(c, {
                    result: { scanStatus: status, scanStatusDescription: error.message, scanType: "BASIC", findingSeverityCounts: {}, findings: [] },
                    scanStartedAt: NOW,
                    adopted: false,
                });
                assert.deepEqual(stub.calls, ["describeImageScanFindings", "startImageScan"]);
            });
        }

        it("the lookup reads one page only, and asks for the image by digest", async () => {
            const { op, stub } = setup({
                describeImageScanFindings: [completed("2026-11-29T09:30:00Z", { nextToken: "t" }), completed("2026-11-29T09:30:00Z", { nextToken: "t" }), completed("2026-11-29T09:30:00Z")],
            });
            const c = await scanOrAdopt(op, true);
            assert.equal(c.adopted, true);
            assert.deepEqual(stub.inputs[0], { repositoryName: "web", registryId: undefined, imageId: { imageDigest: DIGEST }, maxResults: 1000 });
            // The adopted listing is then read whole: the lookup's page was not all of it.
            assert.deepEqual(stub.calls, ["describeImageScanFindings", "describeImageScanFindings", "describeImageScanFindings"]);
        });

        it("a started scan that ECR never shows: after 60 s of ScanNotFoundException, an error naming the call", async () => {
            const { op } = setup({ describeImageScanFindings: [awsError("ScanNotFoundException")], startImageScan: [{}] });
            await assert.rejects(scanOrAdopt(op, false), (e: Error) => {
                assert.equal(e.name, "EcrRequestError");
                assert.match(e.message, /^ECR DescribeImageScanFindings failed for image web@sha256:abab.*: Error: ScanNotFoundException for more than 60 s after the scan started\./);
                return true;
            });
        });

        it("ScanNotFoundException exactly 60 s after the start still counts as pending", async () => {
            let clockRef: ReturnType<typeof fakeClock> | undefined;
            let polls = 0;
            const { op, clock } = setup({
                startImageScan: [{}],
                describeImageScanFindings: [
                    () => {
                        polls++;
                        if (polls === 1) {
                            // Land this poll on the grace's last millisecond.
                            clockRef?.advance(60_000 - clockRef.elapsed());
                            return awsError("ScanNotFoundException");
                        }
                        return completed("2026-11-29T10:01:30Z");
                    },
                ],
            });
            clockRef = clock;
            const c = await scanOrAdopt(op, false);
            assert.equal(c.result.scanStatus, "COMPLETE");
        });

        it("a timeout after transient errors names the last ECR error, and the last status ECR showed", async () => {
            const { op } = setup(
                { startImageScan: [{ imageScanStatus: { status: "IN_PROGRESS" } }], describeImageScanFindings: [scanStatus("IN_PROGRESS"), awsError("ThrottlingException", "Rate exceeded")] },
                true,
                30,
            );
            await assert.rejects(scanOrAdopt(op, false), (e: Error) => {
                assert.equal(e.name, "ScanTimeoutError");
                assert.match(e.message, /last status IN_PROGRESS after 30 s \(last ECR error: EcrRequestError: ECR DescribeImageScanFindings failed .*ThrottlingException: Rate exceeded\./);
                return true;
            });
        });

        it("a poll aborted at the deadline while it waited for its turn is the timeout: last status, time waited, and why", async () => {
            let clockRef: ReturnType<typeof fakeClock> | undefined;
            const { op, clock } = setup(
                {
                    startImageScan: [{ imageScanStatus: { status: "IN_PROGRESS" } }],
                    describeImageScanFindings: [
                        scanStatus("IN_PROGRESS"),
                        () => {
                            clockRef?.advance(30_000);
                            return new PaceAbortError();
                        },
                    ],
                },
                true,
                30,
            );
            clockRef = clock;
            await assert.rejects(scanOrAdopt(op, false), (e: Error) => {
                assert.equal(e.name, "ScanTimeoutError");
                assert.match(e.message, /last status IN_PROGRESS after \d+ s \(last ECR error: EcrRequestError: ECR DescribeImageScanFindings for image .* was still waiting for its turn to call ECR when timeoutSeconds ran out/);
                assert.match(e.message, /IMAGESCAN_ECR_REQUESTS_PER_SECOND/);
                return true;
            });
        });

        it("an abort before the deadline is no timeout: it ends the wait at once", async () => {
            const { op, stub } = setup({ startImageScan: [{}], describeImageScanFindings: [sdkError("AbortError", "This operation was aborted")] });
            await assert.rejects(scanOrAdopt(op, false), (e: Error) => e.name === "EcrRequestError" && /got no answer/.test(e.message));
            assert.equal(stub.calls.filter((c) => c === "describeImageScanFindings").length, 1);
        });

        it("a non-transient error on a poll ends the wait at once", async () => {
            const { op, stub } = setup({ startImageScan: [{}], describeImageScanFindings: [awsError("AccessDeniedException", "no")] });
            await assert.rejects(scanOrAdopt(op, false), /AccessDeniedException: no/);
            assert.equal(stub.calls.filter((c) => c === "describeImageScanFindings").length, 1);
        });

        it("a quota answer with no scan visible yet waits, and times out saying PENDING", async () => {
            const { op } = setup({ startImageScan: [awsError("LimitExceededException")], describeImageScanFindings: [awsError("ScanNotFoundException")] }, true, 20);
            await assert.rejects(scanOrAdopt(op, false), /last status PENDING after 20 s/);
        });

        it("a quota answer, not waiting, with no scan visible: PENDING, adopted, start is now", async () => {
            const { op } = setup({ startImageScan: [awsError("LimitExceededException")], describeImageScanFindings: [awsError("ScanNotFoundException")] }, false);
            const c = await scanOrAdopt(op, false);
            assert.deepEqual([c.result.scanStatus, c.adopted, c.scanStartedAt], ["PENDING", true, NOW]);
        });

        it("a quota answer adopts a result that completed inside the window, not one from before it", async () => {
            const inside = setup({ startImageScan: [awsError("LimitExceededException")], describeImageScanFindings: [completed("2026-11-28T10:00:00Z")] }, false);
            const c = await scanOrAdopt(inside.op, false);
            assert.deepEqual([c.result.scanStatus, c.adopted, c.scanStartedAt], ["COMPLETE", true, "2026-11-28T10:00:00.000Z"]);
            // 24 h and 5 minutes (the skew margin) ago, and a millisecond more: an earlier scan's.
            const before = setup({ startImageScan: [awsError("LimitExceededException")], describeImageScanFindings: [completed("2026-11-28T09:54:59.999Z")] }, false);
            assert.equal((await scanOrAdopt(before.op, false)).result.scanStatus, "PENDING");
        });

        it("after a start, a result that completed exactly the skew margin before it is taken", async () => {
            const { op } = setup({ startImageScan: [{}], describeImageScanFindings: [completed("2026-11-29T09:55:00Z")] }, false);
            const c = await scanOrAdopt(op, false);
            assert.deepEqual([c.result.scanStatus, c.result.scanCompletedAt, c.adopted], ["COMPLETE", "2026-11-29T09:55:00.000Z", false]);
        });

        it("a start that ECR answers without a status, not waiting and no result yet: IN_PROGRESS", async () => {
            const { op } = setup({ startImageScan: [{}], describeImageScanFindings: [awsError("ScanNotFoundException")] }, false);
            const c = await scanOrAdopt(op, false);
            assert.deepEqual([c.result.scanStatus, c.adopted, c.scanStartedAt], ["IN_PROGRESS", false, NOW]);
        });
    });

    describe("enhanced scanning: never adopted, the start is when the findings were read", () => {
        const enhancedPending = scanStatus("PENDING", { imageScanFindings: { enhancedFindings: [{ severity: "LOW", title: "CVE-E" }] } });

        it("found by the lookup, still pending, not waiting", async () => {
            const { op, stub } = setup({ describeImageScanFindings: [enhancedPending, awsError("ScanNotFoundException")] }, false);
            const c = await scanOrAdopt(op, true);
            assert.deepEqual([c.result.scanType, c.result.scanStatus, c.adopted, c.scanStartedAt], ["ENHANCED", "PENDING", false, NOW]);
            assert.ok(!stub.calls.includes("startImageScan"));
        });

        it("told by StartImageScan's refusal, with no result yet, not waiting", async () => {
            const { op } = setup({ describeImageScanFindings: [awsError("ScanNotFoundException")], startImageScan: [awsError("ValidationException", "This feature is disabled")] }, false);
            const c = await scanOrAdopt(op, true);
            assert.deepEqual([c.result.scanType, c.result.scanStatus, c.adopted, c.scanStartedAt], ["ENHANCED", "PENDING", false, NOW]);
        });

        it("a due rescan of an enhanced record that is still pending, not waiting", async () => {
            const { op, stub } = setup({ describeImageScanFindings: [enhancedPending, awsError("ScanNotFoundException")] }, false);
            const c = await rescan(op, record({ scanType: "ENHANCED" }));
            assert.deepEqual([c.result.scanType, c.adopted, c.scanStartedAt], ["ENHANCED", false, NOW]);
            assert.ok(!stub.calls.includes("startImageScan"));
        });
    });

    describe("rescan", () => {
        it("an ENHANCED record on a registry now back on basic scanning starts a scan", async () => {
            const { op, stub } = setup({ describeImageScanFindings: [completed("2026-11-27T10:00:00Z"), completed("2026-11-29T10:00:30Z")], startImageScan: [{}] });
            const c = await rescan(op, record({ scanType: "ENHANCED" }));
            assert.deepEqual(stub.calls, ["describeImageScanFindings", "startImageScan", "describeImageScanFindings"]);
            assert.deepEqual([c.result.scanType, c.adopted, c.scanStartedAt], ["BASIC", false, NOW]);
        });

        it("an ENHANCED record with no scan record in ECR starts a scan too", async () => {
            const { op, stub } = setup({ describeImageScanFindings: [awsError("ScanNotFoundException"), completed("2026-11-29T10:00:30Z")], startImageScan: [{}] });
            await rescan(op, record({ scanType: "ENHANCED" }));
            assert.ok(stub.calls.includes("startImageScan"));
        });

        it("a BASIC record starts a scan without looking first", async () => {
            const { op, stub } = setup({ describeImageScanFindings: [completed("2026-11-29T10:00:30Z")], startImageScan: [{}] });
            await rescan(op, record());
            assert.deepEqual(stub.calls, ["startImageScan", "describeImageScanFindings"]);
        });
    });

    describe("reread: update without a rescan", () => {
        it("a scan still running, not waiting: takes the status at hand, no wait", async () => {
            const { op, stub, clock } = setup({ describeImageScanFindings: [scanStatus("IN_PROGRESS"), completed("2026-11-29T10:00:30Z")] }, false);
            const c = await reread(op, record({ scanStatus: "IN_PROGRESS", scanCompletedAt: undefined }), recorded);
            assert.equal(c.result.scanStatus, "IN_PROGRESS");
            assert.deepEqual([stub.calls.length, clock.sleeps], [1, []]);
        });

        it("a scan still running, waiting: waits for it, keeping the recorded start", async () => {
            const { op, clock } = setup({ describeImageScanFindings: [scanStatus("IN_PROGRESS"), completed("2026-11-29T10:00:30Z")] });
            const c = await reread(op, record({ scanStatus: "IN_PROGRESS", scanCompletedAt: undefined }), recorded);
            assert.deepEqual([c.result.scanStatus, c.scanStartedAt], ["COMPLETE", "2026-11-29T09:00:00.000Z"]);
            assert.deepEqual(clock.sleeps, [1500]);
        });

        it("no scan record and a terminal recorded status: the recorded result, not waited for", async () => {
            const { op, stub } = setup({ describeImageScanFindings: [awsError("ScanNotFoundException")] });
            const c = await reread(op, record({ scanStatus: "UNSUPPORTED_IMAGE" }), recorded);
            assert.equal(c.result, recorded);
            assert.equal(stub.calls.length, 1);
        });

        it("no scan record while one was recorded running: waits, and a timeout says the last status recorded", async () => {
            const { op } = setup({ describeImageScanFindings: [awsError("ScanNotFoundException")] }, true, 30);
            await assert.rejects(reread(op, record({ scanStatus: "PENDING" }), recorded), /last status PENDING after 30 s/);
            const later = setup({ describeImageScanFindings: [awsError("ScanNotFoundException"), completed("2026-11-29T10:00:30Z")] });
            const c = await reread(later.op, record({ scanStatus: "IN_PROGRESS" }), recorded);
            assert.equal(c.result.scanStatus, "COMPLETE");
        });

        it("no scan record, recorded running, not waiting: keeps the recorded result", async () => {
            const { op } = setup({ describeImageScanFindings: [awsError("ScanNotFoundException")] }, false);
            const c = await reread(op, record({ scanStatus: "IN_PROGRESS" }), recorded);
            assert.equal(c.result, recorded);
        });
    });

    describe("continued: whose scan a re-read result is", () => {
        const result = (completedAt: string | undefined, scanType: "BASIC" | "ENHANCED" = "BASIC"): ScanResult => ({
            scanStatus: "COMPLETE",
            scanType,
            scanCompletedAt: completedAt,
            findingSeverityCounts: {},
            findings: [],
        });
        const cases: [string, ScanRecord, ScanResult, string, boolean][] = [
            ["the same scan", record(), result("2026-11-29T09:00:30.000Z"), "2026-11-29T09:00:00.000Z", false],
            ["a newer basic scan: its completion is its start, adopted", record(), result("2026-11-29T09:30:00.000Z"), "2026-11-29T09:30:00.000Z", true],
            ["a newer enhanced result: still ours", record(), result("2026-11-29T09:30:00.000Z", "ENHANCED"), "2026-11-29T09:00:00.000Z", false],
            ["no completion recorded", record({ scanCompletedAt: undefined }), result("2026-11-29T09:30:00.000Z"), "2026-11-29T09:00:00.000Z", false],
            ["no completion read", record(), result(undefined), "2026-11-29T09:00:00.000Z", false],
            ["an older result", record(), result("2026-11-29T08:00:00.000Z"), "2026-11-29T09:00:00.000Z", false],
            // Recorded start already later than that completion (estimated late): keep it.
            ["newer, but not after the recorded start", record({ scanStartedAt: "2026-11-29T10:00:00.000Z" }), result("2026-11-29T09:30:00.000Z"), "2026-11-29T10:00:00.000Z", false],
            ["newer, exactly at the recorded start", record({ scanStartedAt: "2026-11-29T09:30:00.000Z" }), result("2026-11-29T09:30:00.000Z"), "2026-11-29T09:30:00.000Z", false],
            ["the same scan, recorded as adopted", record({ adoptedExistingScan: true }), result("2026-11-29T09:00:30.000Z"), "2026-11-29T09:00:00.000Z", true],
        ];
        for (const [what, previous, r, start, adopted] of cases) {
            it(what, () => {
                const c = continued(previous, r);
                assert.deepEqual([c.scanStartedAt, c.adopted], [start, adopted]);
                assert.equal(c.result, r);
            });
        }
    });
});
