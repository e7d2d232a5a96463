import { strict as assert } from "assert";
import { combine, entry, outputs, recordedResult, Scanned, topFindings } from "../provider/outputs";
import { ImageEntry, ImageScanOutputs, ScanResult } from "../provider/types";

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

describe("outputs: what a create, update or read returns", () => {
    const DIGEST = "sha256:" + "ab".repeat(32);
    const image = { repositoryName: "team/web", registryId: "123456789012", region: "eu-west-1", imageDigest: DIGEST };
    const settings = { repositoryName: "team/web", waitForCompletion: true, timeoutSeconds: 600, ignoreFindings: [] };

    it("every output of a plain image, pinned by digest, with the 24 h window from its start", () => {
        const one = scanned(
            undefined,
            {
                scanStatusDescription: "The scan was completed successfully.",
                scanCompletedAt: "2026-11-29T10:00:30.000Z",
                vulnerabilitySourceUpdatedAt: "2026-11-28T00:00:00.000Z",
                findingSeverityCounts: { HIGH: 2, LOW: 3 },
                findings: [{ name: "CVE-B", severity: "HIGH" }, { name: "CVE-A", severity: "HIGH" }, { name: "CVE-L", severity: "LOW" }],
            },
            "2026-11-29T10:00:00.000Z",
            true,
        );
        const ignored = [{ name: "CVE-X", severity: "HIGH" }];
        assert.deepEqual(outputs({ ...settings, imageTag: "v1", failOnSeverity: "HIGH", rescanAfterHours: 48, profile: "dev", endpoint: "http://e" }, image, [one], ignored), {
            imageUri: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web@${DIGEST}`,
            repositoryName: "team/web",
            registryId: "123456789012",
            region: "eu-west-1",
            imageDigest: DIGEST,
            imageTag: "v1",
            endpoint: "http://e",
            profile: "dev",
            waitForCompletion: true,
            timeoutSeconds: 600,
            rescanAfterHours: 48,
            failOnSeverity: "HIGH",
            ignoreFindings: [],
            scanStatus: "COMPLETE",
            scanStatusDescription: "The scan was completed successfully.",
            scanType: "BASIC",
            scanStartedAt: "2026-11-29T10:00:00.000Z",
            nextScanAllowedAt: "2026-11-30T10:00:00.000Z",
            scanCompletedAt: "2026-11-29T10:00:30.000Z",
            vulnerabilitySourceUpdatedAt: "2026-11-28T00:00:00.000Z",
            findingSeverityCounts: { HIGH: 2, LOW: 3 },
            findingsTotal: 5,
            topFindings: [{ name: "CVE-A", severity: "HIGH" }, { name: "CVE-B", severity: "HIGH" }, { name: "CVE-L", severity: "LOW" }],
            adoptedExistingScan: true,
            ignoredFindings: ignored,
            images: [
                {
                    imageDigest: D(0),
                    scanStatus: "COMPLETE",
                    scanStatusDescription: "The scan was completed successfully.",
                    scanStartedAt: "2026-11-29T10:00:00.000Z",
                    nextScanAllowedAt: "2026-11-30T10:00:00.000Z",
                    scanCompletedAt: "2026-11-29T10:00:30.000Z",
                    findingSeverityCounts: { HIGH: 2, LOW: 3 },
                    findingsTotal: 5,
                    adoptedExistingScan: true,
                },
            ],
        });
    });

    it("a registry not known yet is empty, not 'undefined', and unset settings are left out", () => {
        const outs = outputs(settings, { ...image, registryId: undefined }, [scanned(undefined, {})], []);
        assert.equal(outs.registryId, "");
        assert.equal(outs.imageUri, `.dkr.ecr.eu-west-1.amazonaws.com/team/web@${DIGEST}`);
        for (const key of ["imageTag", "endpoint", "profile", "rescanAfterHours", "failOnSeverity", "platforms", "scanCompletedAt", "vulnerabilitySourceUpdatedAt"]) {
            assert.equal(key in outs, false, key);
        }
    });

    it("topFindings: most severe first, then by name; 25 at most", () => {
        const names = ["CVE-C", "CVE-A", "CVE-B", "CVE-A"];
        const sorted = topFindings([...names.map((name) => ({ name, severity: "LOW" })), { name: "CVE-Z", severity: "CRITICAL" }, { name: "CVE-0", severity: "UNTRIAGED" }]);
        assert.deepEqual(sorted.map((f) => `${f.severity} ${f.name}`), ["CRITICAL CVE-Z", "LOW CVE-A", "LOW CVE-A", "LOW CVE-B", "LOW CVE-C", "UNTRIAGED CVE-0"]);
        assert.deepEqual(topFindings([{ name: "b", severity: "HIGH" }, { name: "a", severity: "HIGH" }]).map((f) => f.name), ["a", "b"]);
        assert.deepEqual(topFindings([{ name: "a", severity: "HIGH" }, { name: "b", severity: "HIGH" }]).map((f) => f.name), ["a", "b"]);
        // Ties keep ECR's order: the same CVE in two packages.
        const tie = topFindings([{ name: "CVE-1", severity: "HIGH", packageName: "openssl" }, { name: "CVE-1", severity: "HIGH", packageName: "libssl" }]);
        assert.deepEqual(tie.map((f) => f.packageName), ["openssl", "libssl"]);
        const many = Array.from({ length: 30 }, (_, i) => ({ name: `CVE-${String(i).padStart(2, "0")}`, severity: "HIGH" }));
        assert.deepEqual(topFindings(many).map((f) => f.name), many.slice(0, 25).map((f) => f.name));
    });

    it("an index: ENHANCED if any image is, the description counts the images, the latest times win", () => {
        const c = combine([
            scanned("linux/amd64", { scanStatus: "ACTIVE", scanType: "ENHANCED", vulnerabilitySourceUpdatedAt: "2026-11-29T01:00:00.000Z" }),
            scanned("linux/arm64", { vulnerabilitySourceUpdatedAt: "2026-11-28T01:00:00.000Z", scanCompletedAt: "2026-11-29T10:00:00.000Z" }),
            scanned("linux/arm/v7", {}),
        ]);
        assert.deepEqual([c.result.scanStatus, c.result.scanStatusDescription, c.result.scanType], ["COMPLETE", "3 platform image(s) scanned", "ENHANCED"]);
        assert.equal(c.result.vulnerabilitySourceUpdatedAt, "2026-11-29T01:00:00.000Z");
        assert.equal(c.result.scanCompletedAt, "2026-11-29T10:00:00.000Z");
        assert.equal(combine([scanned("linux/amd64", {}), scanned("linux/arm64", {})]).result.scanType, "BASIC");
        const none = combine([scanned("linux/amd64", {}), scanned("linux/arm64", {})]);
        assert.equal("scanCompletedAt" in none.result, false);
        // Later starts sort by time, not text: "2026-11-29T09..." vs "2026-11-29T10...".
        const starts = combine([scanned("linux/amd64", {}, "2026-11-29T10:00:00.000Z"), scanned("linux/arm64", {}, "2026-11-29T09:00:00.000Z"), scanned("linux/arm/v7", {}, "2026-11-29T09:30:00.000Z")]);
        assert.equal(starts.scanStartedAt, "2026-11-29T10:00:00.000Z");
    });

    it("an index: one finding in two images takes the higher severity, and counts there once", () => {
        const c = combine([
            scanned("linux/amd64", { findings: [{ name: "CVE-1", severity: "MEDIUM" }], findingSeverityCounts: { MEDIUM: 1 } }),
            scanned("linux/arm64", { findings: [{ name: "CVE-1", severity: "HIGH" }, { name: "CVE-2", severity: "LOW" }], findingSeverityCounts: { HIGH: 1, LOW: 1 } }),
            scanned("linux/arm/v7", { findings: [{ name: "CVE-1", severity: "LOW" }], findingSeverityCounts: { LOW: 1 } }),
        ]);
        assert.deepEqual(c.result.findings, [
            { name: "CVE-1", severity: "HIGH", platforms: ["linux/amd64", "linux/arm64", "linux/arm/v7"] },
            { name: "CVE-2", severity: "LOW", platforms: ["linux/arm64"] },
        ]);
        // Counted as each image lists it: MEDIUM: CVE-1 (amd64); HIGH: CVE-1 (arm64); LOW:
        // CVE-2 (arm64) and CVE-1 (arm/v7), two distinct names though no image counts two.
        assert.deepEqual(c.result.findingSeverityCounts, { MEDIUM: 1, HIGH: 1, LOW: 2 });
    });

    it("an index: a finding listed twice in one image names its platform once; zero counts are left out", () => {
        const c = combine([
            scanned("linux/amd64", { findings: [{ name: "CVE-1", severity: "HIGH" }, { name: "CVE-1", severity: "HIGH" }], findingSeverityCounts: { HIGH: 1, LOW: 0 } }),
            scanned("linux/arm64", {}),
        ]);
        assert.deepEqual(c.result.findings, [{ name: "CVE-1", severity: "HIGH", platforms: ["linux/amd64"] }]);
        assert.deepEqual(c.result.findingSeverityCounts, { HIGH: 1 });
    });

    it("an index with one platform image is still an index: its findings name the platform", () => {
        const c = combine([scanned("linux/amd64", { findings: [{ name: "CVE-1", severity: "LOW" }], findingSeverityCounts: { LOW: 1 } })]);
        assert.deepEqual(c.result.findings, [{ name: "CVE-1", severity: "LOW", platforms: ["linux/amd64"] }]);
        assert.equal(c.result.scanStatusDescription, "1 platform image(s) scanned");
    });

    it("images without a platform are told apart by digest", () => {
        const a = { ...scanned(undefined, { findings: [{ name: "CVE-1", severity: "LOW" }] }), imageDigest: D(1) };
        const b = { ...scanned(undefined, { findings: [{ name: "CVE-1", severity: "LOW" }] }), imageDigest: D(2) };
        assert.deepEqual(combine([a, b]).result.findings[0].platforms, [D(1), D(2)]);
    });

    describe("recordedResult: what state had, for an image ECR keeps no scan record of", () => {
        const olds = (over: Partial<ImageScanOutputs> = {}): ImageScanOutputs => ({
            ...outputs(settings, image, [scanned(undefined, { scanStatus: "UNSUPPORTED_IMAGE", scanStatusDescription: "no", scanCompletedAt: "2026-11-29T10:00:30.000Z", vulnerabilitySourceUpdatedAt: "2026-11-28T00:00:00.000Z", findingSeverityCounts: { HIGH: 3 } })], []),
            ...over,
        });

        it("a plain image: its status, counts, times, top findings and every finding the gate left out", () => {
            const o = olds({
                topFindings: [{ name: "CVE-1", severity: "HIGH" }],
                ignoredFindings: [{ name: "CVE-1", severity: "HIGH", reason: "dup of a top one" }, { name: "CVE-2", severity: "HIGH", until: "2027-01-01" }],
            });
            assert.deepEqual(recordedResult(o), {
                scanStatus: "UNSUPPORTED_IMAGE",
                scanStatusDescription: "no",
                scanType: "BASIC",
                scanCompletedAt: "2026-11-29T10:00:30.000Z",
                vulnerabilitySourceUpdatedAt: "2026-11-28T00:00:00.000Z",
                findingSeverityCounts: { HIGH: 3 },
                findings: [{ name: "CVE-1", severity: "HIGH" }, { name: "CVE-2", severity: "HIGH" }],
            });
        });

        it("an ignored finding already among several top findings is kept once", () => {
            const o = olds({ topFindings: [{ name: "CVE-1", severity: "HIGH" }, { name: "CVE-2", severity: "HIGH" }], ignoredFindings: [{ name: "CVE-2", severity: "HIGH" }] });
            assert.deepEqual(recordedResult(o).findings, [{ name: "CVE-1", severity: "HIGH" }, { name: "CVE-2", severity: "HIGH" }]);
        });

        it("a top finding and an ignored one of the same name but another severity are both kept", () => {
            const o = olds({ topFindings: [{ name: "CVE-1", severity: "LOW" }], ignoredFindings: [{ name: "CVE-1", severity: "HIGH" }] });
            assert.deepEqual(recordedResult(o).findings, [{ name: "CVE-1", severity: "LOW" }, { name: "CVE-1", severity: "HIGH" }]);
        });

        it("state before ignoredFindings: the top findings alone", () => {
            const o = olds({ topFindings: [{ name: "CVE-1", severity: "HIGH" }] });
            delete (o as Partial<ImageScanOutputs>).ignoredFindings;
            assert.deepEqual(recordedResult(o).findings, [{ name: "CVE-1", severity: "HIGH" }]);
        });

        it("a platform image: its own entry, and only the findings its platform has (or that name no platform)", () => {
            const arm: ImageEntry = { platform: "linux/arm64", imageDigest: D(2), scanStatus: "FAILED", scanStartedAt: "x", nextScanAllowedAt: "y", findingSeverityCounts: { LOW: 1 }, findingsTotal: 1, adoptedExistingScan: false };
            const o = olds({
                topFindings: [
                    { name: "CVE-ARM", severity: "LOW", platforms: ["linux/arm64"] },
                    { name: "CVE-AMD", severity: "LOW", platforms: ["linux/amd64"] },
                    { name: "CVE-ANY", severity: "LOW" },
                ],
            });
            assert.deepEqual(recordedResult(o, arm), {
                scanStatus: "FAILED",
                scanType: "BASIC",
                vulnerabilitySourceUpdatedAt: "2026-11-28T00:00:00.000Z",
                findingSeverityCounts: { LOW: 1 },
                findings: [{ name: "CVE-ARM", severity: "LOW" }, { name: "CVE-ANY", severity: "LOW" }],
            });
            // An entry without a platform (a plain image's) takes every finding.
            assert.equal(recordedResult(o, { ...arm, platform: undefined }).findings.length, 3);
        });
    });
});
