// The provider's lifecycle on paths moto cannot produce, with a scripted transport at
// the ecr.ts seam and a fake clock.

import { strict as assert } from "assert";
import { ImageScanInputs, ImageScanOutputs, ImageScanProvider } from "../provider";
import { topFindings } from "../provider/provider";
import { awsError, DIGEST, fakeClock, imageFound, REGISTRY, scanStatus, stubTransport, StubScript } from "./support/stub";

function inputs(extra: Partial<ImageScanInputs> = {}): ImageScanInputs {
    return {
        repositoryName: "web",
        imageDigest: DIGEST,
        region: "eu-west-1",
        waitForCompletion: true,
        timeoutSeconds: 1200,
        ignoreFindings: [],
        ...extra,
    };
}

/** Outputs as state holds them after a completed scan, with overrides. */
function stored(over: Partial<ImageScanOutputs> = {}): ImageScanOutputs {
    return {
        ...inputs(),
        registryId: REGISTRY,
        region: "eu-west-1",
        imageDigest: DIGEST,
        scanStatus: "COMPLETE",
        scanType: "BASIC",
        scanStartedAt: "2026-11-29T09:00:00.000Z",
        nextScanAllowedAt: "2026-11-30T09:00:00.000Z",
        findingSeverityCounts: {},
        findingsTotal: 0,
        topFindings: [],
        adoptedExistingScan: false,
        ...over,
    };
}

function setup(script: StubScript) {
    const stub = stubTransport(script);
    const clock = fakeClock();
    const logs: string[] = [];
    const provider = new ImageScanProvider({
        transport: stub.factory,
        now: clock.now,
        sleep: clock.sleep,
        random: () => 0.5,
        log: (l) => logs.push(l),
    });
    return { stub, clock, logs, provider };
}

const complete = scanStatus("COMPLETE", {
    imageScanFindings: {
        imageScanCompletedAt: new Date("2026-11-29T10:00:03Z"),
        findingSeverityCounts: { MEDIUM: 1 },
        findings: [{ name: "CVE-1", severity: "MEDIUM" }],
    },
});

describe("provider (stubbed ECR)", () => {
    it("an enhanced registry refusing manual scans adopts the continuous scan as ENHANCED", async () => {
        const { provider, stub } = setup({
            describeImages: [imageFound()],
            describeImageScanFindings: [
                awsError("ScanNotFoundException"),
                scanStatus("ACTIVE", {
                    imageScanFindings: {
                        findingSeverityCounts: { HIGH: 1 },
                        enhancedFindings: [
                            {
                                severity: "HIGH",
                                title: "CVE-2026-7 - libfoo",
                                packageVulnerabilityDetails: {
                                    vulnerabilityId: "CVE-2026-7",
                                    sourceUrl: "https://nvd.example/CVE-2026-7",
                                    vulnerablePackages: [{ name: "libfoo", version: "1.2" }],
                                },
                            },
                        ],
                    },
                }),
            ],
            startImageScan: [awsError("ValidationException", "This feature is disabled")],
        });
        const outs = (await provider.create(inputs({ failOnSeverity: "CRITICAL" }))).outs as ImageScanOutputs;
        assert.equal(outs.scanType, "ENHANCED");
        assert.equal(outs.scanStatus, "ACTIVE");
        assert.equal(outs.adoptedExistingScan, false);
        assert.deepEqual(outs.topFindings, [
            { name: "CVE-2026-7", severity: "HIGH", uri: "https://nvd.example/CVE-2026-7", packageName: "libfoo", packageVersion: "1.2" },
        ]);
        assert.deepEqual(stub.calls, ["describeImages", "describeImageScanFindings", "startImageScan", "describeImageScanFindings"]);
    });

    it("an enhanced result still goes through the gate", async () => {
        const { provider } = setup({
            describeImages: [imageFound()],
            describeImageScanFindings: [
                awsError("ScanNotFoundException"),
                scanStatus("ACTIVE", {
                    imageScanFindings: {
                        findingSeverityCounts: { CRITICAL: 1 },
                        enhancedFindings: [{ severity: "CRITICAL", packageVulnerabilityDetails: { vulnerabilityId: "CVE-2026-8" } }],
                    },
                }),
            ],
            startImageScan: [awsError("ValidationException", "This feature is disabled")],
        });
        await assert.rejects(provider.create(inputs({ failOnSeverity: "HIGH" })), /CVE-2026-8/);
    });

    it("UnsupportedImageTypeException records UNSUPPORTED_IMAGE without polling", async () => {
        const { provider, stub } = setup({
            describeImages: [imageFound()],
            describeImageScanFindings: [awsError("ScanNotFoundException")],
            startImageScan: [awsError("UnsupportedImageTypeException", "The operation is not supported for this image type.")],
        });
        const outs = (await provider.create(inputs())).outs as ImageScanOutputs;
        assert.equal(outs.scanStatus, "UNSUPPORTED_IMAGE");
        assert.equal(outs.scanStatusDescription, "The operation is not supported for this image type.");
        assert.equal(outs.findingsTotal, 0);
        assert.deepEqual(outs.findingSeverityCounts, {});
        assert.equal(stub.calls.filter((c) => c === "describeImageScanFindings").length, 1);
    });

    it("an unsupported image fails the gate, since there is no completed scan", async () => {
        const { provider } = setup({
            describeImages: [imageFound()],
            describeImageScanFindings: [awsError("ScanNotFoundException")],
            startImageScan: [awsError("UnsupportedImageTypeException")],
        });
        await assert.rejects(provider.create(inputs({ failOnSeverity: "CRITICAL" })), (e: Error) => {
            assert.equal(e.name, "GateFailedError");
            assert.match(e.message, /status UNSUPPORTED_IMAGE/);
            return true;
        });
    });

    it("PENDING then IN_PROGRESS are waited out; COMPLETE ends the wait", async () => {
        const { provider, clock } = setup({
            describeImages: [imageFound()],
            startImageScan: [{ imageScanStatus: { status: "IN_PROGRESS" } }],
            describeImageScanFindings: [awsError("ScanNotFoundException"), scanStatus("PENDING"), scanStatus("IN_PROGRESS"), complete],
        });
        const outs = (await provider.create(inputs())).outs as ImageScanOutputs;
        assert.equal(outs.scanStatus, "COMPLETE");
        assert.deepEqual(outs.findingSeverityCounts, { MEDIUM: 1 });
        // random 0.5 → three quarters of 2 s, 3.6 s, 6.48 s.
        assert.deepEqual(clock.sleeps, [1500, 2700, 4860]);
        assert.equal(outs.scanStartedAt, "2026-11-29T10:00:00.000Z");
        assert.equal(outs.nextScanAllowedAt, "2026-11-30T10:00:00.000Z");
    });

    it("IMAGE_ARCHIVED is terminal and recorded as ECR returned it", async () => {
        const { provider } = setup({
            describeImages: [imageFound()],
            startImageScan: [{ imageScanStatus: { status: "IN_PROGRESS" } }],
            describeImageScanFindings: [awsError("ScanNotFoundException"), scanStatus("IMAGE_ARCHIVED")],
        });
        const outs = (await provider.create(inputs())).outs as ImageScanOutputs;
        assert.equal(outs.scanStatus, "IMAGE_ARCHIVED");
        assert.equal(outs.scanStatusDescription, "stub IMAGE_ARCHIVED");
    });

    it("a status ECR adds later is kept unchanged and waited on like IN_PROGRESS", async () => {
        const { provider } = setup({
            describeImages: [imageFound()],
            startImageScan: [{}],
            describeImageScanFindings: [awsError("ScanNotFoundException"), scanStatus("BRAND_NEW"), complete],
        });
        const outs = (await provider.create(inputs())).outs as ImageScanOutputs;
        assert.equal(outs.scanStatus, "COMPLETE");
    });

    it("ScanNotFoundException just after a start counts as pending, for up to 60 s", async () => {
        const ok = setup({
            describeImages: [imageFound()],
            startImageScan: [{}],
            describeImageScanFindings: [
                awsError("ScanNotFoundException"),
                awsError("ScanNotFoundException"),
                awsError("ScanNotFoundException"),
                complete,
            ],
        });
        assert.equal(((await ok.provider.create(inputs())).outs as ImageScanOutputs).scanStatus, "COMPLETE");

        const late = setup({
            describeImages: [imageFound()],
            startImageScan: [{}],
            describeImageScanFindings: [awsError("ScanNotFoundException")],
        });
        await assert.rejects(late.provider.create(inputs()), (e: Error) => {
            assert.equal(e.name, "EcrRequestError");
            assert.match(e.message, /ScanNotFoundException for more than 60 s/);
            return true;
        });
        assert.ok(late.clock.elapsed() > 60_000 && late.clock.elapsed() < 120_000, `gave up after ${late.clock.elapsed()} ms`);
    });

    it("a poll timeout names the image, the last status and the wait, and says the next up adopts", async () => {
        const { provider, clock, logs } = setup({
            describeImages: [imageFound()],
            startImageScan: [{}],
            describeImageScanFindings: [awsError("ScanNotFoundException"), scanStatus("IN_PROGRESS")],
        });
        await assert.rejects(provider.create(inputs({ timeoutSeconds: 90 })), (e: Error) => {
            assert.equal(e.name, "ScanTimeoutError");
            assert.match(e.message, /web@sha256:abab/);
            assert.match(e.message, /eu-west-1/);
            assert.match(e.message, /last status IN_PROGRESS after 90 s/);
            assert.match(e.message, /next `pulumi up` adopts the same scan/);
            return true;
        });
        assert.equal(clock.elapsed(), 90_000);
        // Progress at most every 15 s.
        assert.ok(logs.length >= 3 && logs.length <= 7, logs.join("\n"));
        assert.match(logs[0], /^web@sha256:abababab… scan IN_PROGRESS, \d+ s$/);
    });

    it("after a timeout, the next create adopts the running scan without StartImageScan", async () => {
        const { provider, stub } = setup({
            describeImages: [imageFound()],
            describeImageScanFindings: [scanStatus("IN_PROGRESS"), scanStatus("IN_PROGRESS"), complete],
        });
        const outs = (await provider.create(inputs())).outs as ImageScanOutputs;
        assert.equal(outs.adoptedExistingScan, true);
        assert.equal(outs.scanStatus, "COMPLETE");
        assert.ok(!stub.calls.includes("startImageScan"));
        // Start unknown: the completion time stands in, so the window errs late.
        assert.equal(outs.scanStartedAt, "2026-11-29T10:00:03.000Z");
    });

    it("a scan older than 24 h does not block: a new one is started", async () => {
        const { provider, stub } = setup({
            describeImages: [imageFound()],
            describeImageScanFindings: [
                scanStatus("COMPLETE", { imageScanFindings: { imageScanCompletedAt: new Date("2026-11-28T09:59:00Z") } }),
                complete,
            ],
            startImageScan: [{}],
        });
        const outs = (await provider.create(inputs())).outs as ImageScanOutputs;
        assert.equal(outs.adoptedExistingScan, false);
        assert.deepEqual(stub.calls, ["describeImages", "describeImageScanFindings", "startImageScan", "describeImageScanFindings"]);
    });

    it("waitForCompletion false returns the status at hand, and the next update collects the result", async () => {
        const { provider, clock } = setup({
            describeImages: [imageFound()],
            startImageScan: [{ imageScanStatus: { status: "IN_PROGRESS" } }],
            describeImageScanFindings: [awsError("ScanNotFoundException"), scanStatus("IN_PROGRESS"), complete],
        });
        const news = inputs({ waitForCompletion: false });
        const olds = (await provider.create(news)).outs as ImageScanOutputs;
        assert.equal(olds.scanStatus, "IN_PROGRESS");
        assert.deepEqual(clock.sleeps, []);

        const diff = await provider.diff("id", olds, news);
        assert.deepEqual(diff, { changes: true, replaces: [], deleteBeforeReplace: false });
        const outs = (await provider.update("id", olds, news)).outs as ImageScanOutputs;
        assert.equal(outs.scanStatus, "COMPLETE");
        assert.equal(outs.scanStartedAt, olds.scanStartedAt);
    });

    it("a due rescan starts a new scan, which ECR accepts: new start, not adopted", async () => {
        const { provider, clock, stub } = setup({
            describeImages: [imageFound()],
            startImageScan: [{}],
            describeImageScanFindings: [complete],
        });
        const news = inputs({ rescanAfterHours: 48 });
        const olds = stored({
            rescanAfterHours: 48,
            scanStartedAt: "2026-11-27T09:00:00.000Z",
            nextScanAllowedAt: "2026-11-28T09:00:00.000Z",
            adoptedExistingScan: true,
        });
        const outs = (await provider.update("id", olds, news)).outs as ImageScanOutputs;
        assert.deepEqual(stub.calls, ["startImageScan", "describeImageScanFindings"]);
        assert.equal(outs.scanStartedAt, "2026-11-29T10:00:00.000Z");
        assert.equal(outs.adoptedExistingScan, false);
        assert.deepEqual(outs.findingSeverityCounts, { MEDIUM: 1 });
    });

    it("diff of a pinned digest makes no ECR call; a tag-only one makes one DescribeImages", async () => {
        const { provider, stub } = setup({ describeImages: [imageFound()] });
        const olds = stored();
        assert.equal((await provider.diff("id", olds, inputs())).changes, false);
        assert.deepEqual(stub.calls, []);
        const tagOnly = inputs({ imageDigest: undefined, imageTag: "v1" });
        assert.equal((await provider.diff("id", { ...olds, imageTag: "v1" }, tagOnly)).changes, false);
        assert.deepEqual(stub.calls, ["describeImages"]);
    });

    it("diff retries a throttled tag lookup for at most a minute, not timeoutSeconds", async () => {
        const { provider, clock, stub } = setup({ describeImages: [awsError("ThrottlingException", "Rate exceeded")] });
        const olds = stored({ imageTag: "v1" });
        await assert.rejects(provider.diff("id", olds, inputs({ imageDigest: undefined, imageTag: "v1" })), (e: Error) => {
            assert.equal(e.name, "EcrRequestError");
            assert.match(e.message, /ThrottlingException: Rate exceeded/);
            return true;
        });
        assert.ok(clock.elapsed() > 30_000 && clock.elapsed() <= 60_000, `retried for ${clock.elapsed()} ms`);
        assert.ok(stub.calls.length > 3, `${stub.calls.length} calls`);
    });

    it("an unset region takes the SDK's default, and diff compares against it", async () => {
        const { provider, stub } = setup({ describeImages: [imageFound()], startImageScan: [{}], describeImageScanFindings: [awsError("ScanNotFoundException"), complete] });
        const outs = (await provider.create(inputs({ region: undefined }))).outs as ImageScanOutputs;
        assert.equal(outs.region, "eu-west-1");
        assert.equal(stub.targets[0].region, undefined);
        const moved = await provider.diff("id", { ...outs, region: "us-west-2" }, inputs({ region: undefined }));
        assert.deepEqual(moved.replaces, ["region"]);
    });

    it("other ECR errors name the operation, the image, the region and the AWS error", async () => {
        const { provider } = setup({ describeImages: [awsError("AccessDeniedException", "not authorized to perform ecr:DescribeImages")] });
        await assert.rejects(provider.create(inputs()), (e: Error & { cause?: unknown }) => {
            assert.equal(e.name, "EcrRequestError");
            assert.match(e.message, /DescribeImages failed for image web@sha256:abab.* \(eu-west-1\)/);
            assert.match(e.message, /AccessDeniedException: not authorized/);
            assert.equal((e.cause as Error).name, "AccessDeniedException");
            return true;
        });
    });

    it("topFindings keeps 25, most severe first, then by name", () => {
        const many = Array.from({ length: 30 }, (_, i) => ({ name: `CVE-${String(i).padStart(2, "0")}`, severity: i % 2 ? "LOW" : "CRITICAL" }));
        many.push({ name: "CVE-X", severity: "UNDEFINED" });
        const top = topFindings(many);
        assert.equal(top.length, 25);
        assert.deepEqual(top.slice(0, 3).map((f) => f.name), ["CVE-00", "CVE-02", "CVE-04"]);
        assert.equal(top[14].severity, "CRITICAL");
        assert.equal(top[15].severity, "LOW");
        assert.ok(!top.some((f) => f.name === "CVE-X"));
    });

    it("delete makes no ECR call", async () => {
        const { provider, stub } = setup({});
        await provider.delete();
        assert.deepEqual(stub.calls, []);
        assert.deepEqual(stub.targets, []);
    });

    it("a provider built with no arguments works with the real SDK defaults", () => {
        const p = new ImageScanProvider();
        assert.equal(typeof p.create, "function");
        assert.doesNotThrow(() => JSON.stringify(p));
    });

});
