import { strict as assert } from "assert";
import { combine, entry, Scanned } from "../provider/outputs";
import { ScanResult } from "../provider/types";

const D = (n: number) => "sha256:" + String(n).repeat(64).slice(0, 64);

function scanned(platform: string | undefined, result: Partial<ScanResult>, start = "2026-11-29T10:00:00.000Z", adopted = false): Scanned {
    return {
        platform,
        imageDigest: D(platform ? platform.length : 0),
        collected: {
            result: { scanStatus: "COMPLETE", scanType: "BASIC", findingSeverityCounts: {}, findings: [], ...result },
            scanStartedAt: start,
            adopted,
        },
    };
}

describe("outputs: combining the platform images of an index", () => {
    it("a plain image is its own result", () => {
        const one = scanned(undefined, { scanStatus: "ACTIVE", findings: [{ name: "CVE-1", severity: "LOW" }], findingSeverityCounts: { LOW: 1 } });
        assert.equal(combine([one]), one.collected);
        assert.equal(entry(one).platform, undefined);
    });

    it("COMPLETE when every platform image is COMPLETE or ACTIVE; else the first, in index order, that is not", () => {
        assert.equal(combine([scanned("linux/amd64", {}), scanned("linux/arm64", { scanStatus: "ACTIVE" })]).result.scanStatus, "COMPLETE");
        const mixed = combine([
            scanned("linux/amd64", {}),
            scanned("linux/arm64", { scanStatus: "IN_PROGRESS", scanStatusDescription: "running" }),
            scanned("linux/arm/v7", { scanStatus: "FAILED" }),
        ]);
        assert.equal(mixed.result.scanStatus, "IN_PROGRESS");
        assert.equal(mixed.result.scanStatusDescription, "running");
    });

    it("a count per severity: the larger of the highest count and the distinct names; one CVE in two images counts once", () => {
        const both = combine([
            scanned("linux/amd64", { findingSeverityCounts: { HIGH: 2, LOW: 5 }, findings: [{ name: "CVE-A", severity: "HIGH" }, { name: "CVE-B", severity: "HIGH" }] }),
            scanned("linux/arm64", { findingSeverityCounts: { HIGH: 2, CRITICAL: 1 }, findings: [{ name: "CVE-A", severity: "HIGH" }, { name: "CVE-C", severity: "HIGH" }, { name: "CVE-D", severity: "CRITICAL" }] }),
        ]);
        // HIGH: 2 at most in one image, 3 distinct names: 3. LOW: listed nowhere: 5.
        assert.deepEqual(both.result.findingSeverityCounts, { HIGH: 3, LOW: 5, CRITICAL: 1 });
        const a = both.result.findings.find((f) => f.name === "CVE-A");
        assert.deepEqual(a?.platforms, ["linux/amd64", "linux/arm64"]);
        assert.deepEqual(both.result.findings.find((f) => f.name === "CVE-D")?.platforms, ["linux/arm64"]);
    });

    it("the start is the latest start; adopted only when every image's scan was", () => {
        const c = combine([
            scanned("linux/amd64", { scanCompletedAt: "2026-11-29T09:00:30.000Z" }, "2026-11-29T09:00:00.000Z", true),
            scanned("linux/arm64", { scanCompletedAt: "2026-11-29T10:00:30.000Z" }, "2026-11-29T10:00:00.000Z", false),
        ]);
        assert.equal(c.scanStartedAt, "2026-11-29T10:00:00.000Z");
        assert.equal(c.result.scanCompletedAt, "2026-11-29T10:00:30.000Z");
        assert.equal(c.adopted, false);
        assert.equal(combine([scanned("linux/amd64", {}, undefined, true), scanned("linux/arm64", {}, undefined, true)]).adopted, true);
    });

    it("each image's entry carries its own status, counts, start and next allowed scan", () => {
        const e = entry(scanned("linux/arm/v7", { findingSeverityCounts: { HIGH: 1, LOW: 2 } }, "2026-11-29T10:00:00.000Z", true));
        assert.deepEqual(e, {
            platform: "linux/arm/v7",
            imageDigest: D(12),
            scanStatus: "COMPLETE",
            scanStartedAt: "2026-11-29T10:00:00.000Z",
            nextScanAllowedAt: "2026-11-30T10:00:00.000Z",
            findingSeverityCounts: { HIGH: 1, LOW: 2 },
            findingsTotal: 3,
            adoptedExistingScan: true,
        });
    });
});
