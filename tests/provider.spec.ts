// The provider's lifecycle on paths moto cannot produce, with a scripted transport at
// the ecr.ts seam and a fake clock.

import { strict as assert } from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import { ImageScanInputs, ImageScanOutputs, ImageScanProvider } from "../provider/index";
import { topFindings } from "../provider/provider";
import { INPUTS, UNKNOWN } from "../provider/validate";
import { awsError, DIGEST, fakeClock, imageFound, networkError, REGISTRY, scanStatus, sdkError, storedOutputs, stubTransport, StubScript } from "./support/stub";

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
    return storedOutputs({ ...inputs(), ...over });
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
        const { provider, clock, stub } = setup({
            describeImages: [imageFound()],
            startImageScan: [{ imageScanStatus: { status: "IN_PROGRESS" } }],
            describeImageScanFindings: [awsError("ScanNotFoundException"), scanStatus("IN_PROGRESS"), complete],
        });
        const news = inputs({ waitForCompletion: false });
        const olds = (await provider.create(news)).outs as ImageScanOutputs;
        assert.equal(olds.scanStatus, "IN_PROGRESS");
        assert.deepEqual(clock.sleeps, []);

        // Ten minutes later: a new scan would have a new start.
        clock.advance(10 * 60_000);
        const diff = await provider.diff("id", olds, news);
        assert.deepEqual(diff, { changes: true, replaces: [], deleteBeforeReplace: false });
        const outs = (await provider.update("id", olds, news)).outs as ImageScanOutputs;
        assert.equal(outs.scanStatus, "COMPLETE");
        assert.equal(outs.scanStartedAt, olds.scanStartedAt, "the same scan, collected");
        assert.equal(stub.calls.filter((c) => c === "startImageScan").length, 1, "update started no scan");
    });

    it("a due rescan starts a new scan, which ECR accepts: new start, not adopted", async () => {
        const { provider, stub } = setup({
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

    it("a provider built with no arguments works with the real SDK, clock and sleep", async () => {
        // A loopback ECR that knows no repositories: the real client signs, sends and
        // parses; the error names the repository and region.
        let requests = 0;
        const server = http.createServer((req, res) => {
            req.resume();
            req.on("end", () => {
                requests++;
                res.writeHead(400, { "content-type": "application/x-amz-json-1.1" });
                res.end(JSON.stringify({ __type: "RepositoryNotFoundException", message: "The repository with name 'web' does not exist" }));
            });
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        const saved = { ...process.env };
        Object.assign(process.env, { AWS_ACCESS_KEY_ID: "AKIATEST", AWS_SECRET_ACCESS_KEY: "test" });
        try {
            const p = new ImageScanProvider();
            assert.doesNotThrow(() => JSON.stringify(p));
            const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
            await assert.rejects(p.create(inputs({ endpoint, imageDigest: undefined, imageTag: "v1" })), (e: Error) => {
                assert.equal(e.name, "RepositoryNotFoundError");
                assert.match(e.message, /"web" was not found for image web:v1 \(eu-west-1, endpoint http:\/\/127\.0\.0\.1:\d+\)/);
                return true;
            });
            assert.equal(requests, 1);
        } finally {
            process.env = saved;
            server.close();
        }
    });

});

describe("provider: state written before ImageScan was a package", () => {
    it("a by-value provider in state plans an update that starts no scan; the small one plans nothing", async () => {
        const { provider, stub } = setup({ describeImageScanFindings: [complete] });
        const byValue = { ...stored(), __provider: "exports.handler = __f0;\nfunction __f0() { /* 52 KiB of ImageScan 0.1 */ }" };
        assert.equal((await provider.diff("id", byValue, inputs())).changes, true);
        const outs = (await provider.update("id", byValue, inputs())).outs as ImageScanOutputs;
        assert.equal(outs.scanStartedAt, byValue.scanStartedAt);
        assert.ok(!stub.calls.includes("startImageScan"));
        const small = { ...stored(), __provider: 'function __load() { return require("pulumi-ecr-imagescan/runtime").provider; }' };
        assert.equal((await provider.diff("id", small, inputs())).changes, false);
    });
});

describe("provider: errors with no HTTP answer", () => {
    const fatal: [string, Error][] = [
        ["no credentials", sdkError("CredentialsProviderError", "Could not load credentials from any providers")],
        ["an expired SSO session", sdkError("CredentialsProviderError", "The SSO session associated with this profile has expired. To refresh this SSO session run 'aws sso login'")],
        ["no region", sdkError("Error", "Region is missing")],
        ["a TLS failure", networkError("EPROTO", "write EPROTO wrong version number")],
        ["access denied", awsError("AccessDeniedException", "not authorized to perform ecr:DescribeImages")],
    ];
    for (const [what, error] of fatal) {
        it(`${what} fails create at once, without waiting out timeoutSeconds`, async () => {
            const { provider, clock, stub } = setup({ describeImages: [error] });
            await assert.rejects(provider.create(inputs()), (e: Error) => {
                assert.equal(e.name, "EcrRequestError");
                assert.match(e.message, /web@sha256:abab.*\(eu-west-1\)/);
                assert.match(e.message, /Nothing was retried/);
                return true;
            });
            assert.equal(clock.elapsed(), 0, "no backoff");
            assert.deepEqual(stub.calls, ["describeImages"]);
        });
        it(`${what} fails a preview's tag lookup at once`, async () => {
            const { provider, clock, stub } = setup({ describeImages: [error] });
            await assert.rejects(provider.diff("id", stored({ imageTag: "v1" }), inputs({ imageDigest: undefined, imageTag: "v1" })), /Nothing was retried/);
            assert.equal(clock.elapsed(), 0);
            assert.equal(stub.calls.length, 1);
        });
    }

    const transient: [string, Error][] = [
        ["a connection reset", networkError("ECONNRESET")],
        ["HTTP 503", awsError("ServiceUnavailableException", "busy", 503)],
        ["throttling", awsError("ThrottlingException", "Rate exceeded")],
    ];
    for (const [what, error] of transient) {
        it(`${what} is tried again with backoff, and create succeeds`, async () => {
            const { provider, clock, stub } = setup({
                describeImages: [error, error, imageFound()],
                describeImageScanFindings: [awsError("ScanNotFoundException"), complete],
                startImageScan: [{}],
            });
            const outs = (await provider.create(inputs())).outs as ImageScanOutputs;
            assert.equal(outs.scanStatus, "COMPLETE");
            assert.equal(stub.calls.filter((c) => c === "describeImages").length, 3);
            assert.deepEqual(clock.sleeps.slice(0, 2), [1500, 2700]);
        });
    }

    it("a transient error on a poll does not end the wait", async () => {
        const { provider } = setup({
            describeImages: [imageFound()],
            describeImageScanFindings: [awsError("ScanNotFoundException"), awsError("InternalServerError", "oops", 500), networkError("ECONNRESET"), complete],
            startImageScan: [{}],
        });
        assert.equal(((await provider.create(inputs())).outs as ImageScanOutputs).scanStatus, "COMPLETE");
    });

    it("a call that hangs is aborted at timeoutSeconds plus the grace, with an error naming the endpoint", async function () {
        this.timeout(15_000);
        const { provider, stub } = setup({});
        // The fake clock never reaches the deadline: only the real abort timer ends this.
        const hanging = stubTransport({});
        const factory = (target: Parameters<typeof hanging.factory>[0]) => ({
            ...hanging.factory(target),
            describeImages: () =>
                new Promise<never>((_, reject) =>
                    target.signal?.addEventListener("abort", () => reject(Object.assign(new Error("aborted"), { name: "AbortError" }))),
                ),
        });
        const p = new ImageScanProvider({ transport: factory, now: () => new Date("2026-11-29T10:00:00Z"), log: () => undefined });
        const started = Date.now();
        await assert.rejects(p.create(inputs({ timeoutSeconds: 1, endpoint: "http://127.0.0.1:1" })), (e: Error) => {
            assert.equal(e.name, "EcrRequestError");
            assert.match(e.message, /got no answer from http:\/\/127\.0\.0\.1:1 before timeoutSeconds ran out/);
            return true;
        });
        assert.ok(Date.now() - started >= 1000, "not before timeoutSeconds");
        void provider;
        void stub;
    });
});

describe("provider: the 24 h window and the scans behind the results", () => {
    it("scanStartedAt errs late: taken when ECR accepted the scan, after the lookup and a retried start", async () => {
        const { provider, clock } = setup({});
        // Each ECR call takes 2 s of the fake clock; the first StartImageScan is throttled.
        let acceptedAt = 0;
        const slow = <T>(answer: T | Error) => () => {
            clock.advance(2000);
            return answer;
        };
        const stub = stubTransport({
            describeImages: [slow(imageFound())],
            describeImageScanFindings: [slow(awsError("ScanNotFoundException")), slow(complete)],
            startImageScan: [
                slow(awsError("ThrottlingException", "Rate exceeded")),
                () => {
                    clock.advance(1000);
                    acceptedAt = clock.now().getTime();
                    clock.advance(1000);
                    return {};
                },
            ],
        });
        const p = new ImageScanProvider({ transport: stub.factory, now: clock.now, sleep: clock.sleep, random: () => 0.5, log: () => undefined });
        const outs = (await p.create(inputs())).outs as ImageScanOutputs;
        assert.ok(acceptedAt > 0);
        assert.ok(Date.parse(outs.scanStartedAt) >= acceptedAt, `${outs.scanStartedAt} is before ECR accepted the scan (${new Date(acceptedAt).toISOString()})`);
        assert.ok(Date.parse(outs.nextScanAllowedAt) >= acceptedAt + 24 * 3600_000);
        void provider;
    });

    it("an adopted scan's start errs late too: never before the scan really started", async () => {
        // The scan started at 09:50 (scan on push), completed at 09:55; found at 10:00.
        const { provider } = setup({
            describeImages: [imageFound()],
            describeImageScanFindings: [scanStatus("COMPLETE", { imageScanFindings: { imageScanCompletedAt: new Date("2026-11-29T09:55:00Z"), findingSeverityCounts: {} } })],
        });
        const outs = (await provider.create(inputs())).outs as ImageScanOutputs;
        assert.equal(outs.adoptedExistingScan, true);
        assert.ok(Date.parse(outs.scanStartedAt) >= Date.parse("2026-11-29T09:50:00Z"));
    });

    it("after a start, a COMPLETE left from an earlier scan is not taken: the wait goes on for the new one", async () => {
        const old = scanStatus("COMPLETE", {
            imageScanFindings: { imageScanCompletedAt: new Date("2026-11-27T08:00:00Z"), findingSeverityCounts: { LOW: 1 }, findings: [{ name: "CVE-OLD", severity: "LOW" }] },
        });
        const { provider, stub } = setup({
            describeImages: [imageFound()],
            // The lookup sees the old scan (outside the window); the first polls still do.
            describeImageScanFindings: [old, old, old, complete],
            startImageScan: [{}],
        });
        const outs = (await provider.create(inputs())).outs as ImageScanOutputs;
        assert.deepEqual(outs.topFindings.map((f) => f.name), ["CVE-1"]);
        assert.equal(outs.scanCompletedAt, "2026-11-29T10:00:03.000Z");
        assert.equal(stub.calls.filter((c) => c === "describeImageScanFindings").length, 4);
    });

    it("a stale result within the clock-skew margin is taken", async () => {
        // ECR's clock runs 4 minutes behind ours.
        const skewed = scanStatus("COMPLETE", { imageScanFindings: { imageScanCompletedAt: new Date("2026-11-29T09:56:01Z"), findingSeverityCounts: {} } });
        const { provider } = setup({ describeImages: [imageFound()], describeImageScanFindings: [awsError("ScanNotFoundException"), skewed], startImageScan: [{}] });
        assert.equal(((await provider.create(inputs())).outs as ImageScanOutputs).scanCompletedAt, "2026-11-29T09:56:01.000Z");
    });

    it("without waiting, a stale result after a start is not stored: the next update collects the new one", async () => {
        const old = scanStatus("COMPLETE", { imageScanFindings: { imageScanCompletedAt: new Date("2026-11-27T08:00:00Z"), findingSeverityCounts: { LOW: 1 } } });
        const { provider } = setup({ describeImages: [imageFound()], describeImageScanFindings: [old, old], startImageScan: [{ imageScanStatus: { status: "IN_PROGRESS" } }] });
        const outs = (await provider.create(inputs({ waitForCompletion: false }))).outs as ImageScanOutputs;
        assert.equal(outs.scanStatus, "IN_PROGRESS");
        assert.deepEqual(outs.findingSeverityCounts, {});
    });

    it("the lookup before a create reads one page, and an adopted scan's listing is then read whole", async () => {
        const page = (names: string[], nextToken?: string) =>
            scanStatus("COMPLETE", {
                nextToken,
                imageScanFindings: { imageScanCompletedAt: new Date("2026-11-29T09:00:00Z"), findingSeverityCounts: { HIGH: 3 }, findings: names.map((name) => ({ name, severity: "HIGH" })) },
            });
        const { provider, stub } = setup({ describeImages: [imageFound()], describeImageScanFindings: [page(["A", "B"], "t1"), page(["A", "B"], "t1"), page(["C"])] });
        const outs = (await provider.create(inputs())).outs as ImageScanOutputs;
        assert.equal(outs.adoptedExistingScan, true);
        assert.deepEqual(outs.topFindings.map((f) => f.name), ["A", "B", "C"]);
        assert.deepEqual(stub.calls, ["describeImages", "describeImageScanFindings", "describeImageScanFindings", "describeImageScanFindings"]);

        // An old scan: one page looked at, then a new scan.
        const old = scanStatus("COMPLETE", { nextToken: "t1", imageScanFindings: { imageScanCompletedAt: new Date("2026-11-27T09:00:00Z"), findingSeverityCounts: { HIGH: 3 } } });
        const fresh = setup({ describeImages: [imageFound()], describeImageScanFindings: [old, complete], startImageScan: [{}] });
        await fresh.provider.create(inputs());
        assert.deepEqual(fresh.stub.calls, ["describeImages", "describeImageScanFindings", "startImageScan", "describeImageScanFindings"]);
    });

    it("update without a due rescan never starts a scan, and still applies the gate", async () => {
        const { provider, stub } = setup({ describeImageScanFindings: [complete] });
        const news = inputs({ failOnSeverity: "MEDIUM" });
        await assert.rejects(provider.update("id", stored(), news), (e: Error) => {
            assert.equal(e.name, "GateFailedError");
            assert.match(e.message, /CVE-1/);
            return true;
        });
        assert.deepEqual(stub.calls, ["describeImageScanFindings"]);
    });

    it("LimitExceededException is adopted without an error", async () => {
        const { provider, stub } = setup({ describeImages: [imageFound()], describeImageScanFindings: [awsError("ScanNotFoundException"), complete], startImageScan: [awsError("LimitExceededException")] });
        const outs = (await provider.create(inputs())).outs as ImageScanOutputs;
        assert.equal(outs.adoptedExistingScan, true);
        assert.equal(outs.scanStatus, "COMPLETE");
        assert.equal(stub.calls.filter((c) => c === "startImageScan").length, 1);
    });

    it("a moved tag plans a replace; read drops a deleted image", async () => {
        const other = "sha256:" + "cd".repeat(32);
        const { provider } = setup({ describeImages: [imageFound(other)] });
        const diff = await provider.diff("id", stored({ imageTag: "v1" }), inputs({ imageDigest: undefined, imageTag: "v1" }));
        assert.deepEqual(diff.replaces, ["imageDigest"]);
        const gone = setup({ describeImages: [awsError("ImageNotFoundException")] });
        assert.deepEqual(await gone.provider.read("id", stored()), {});
    });
});

describe("provider: enhanced scanning, unsupported and archived images", () => {
    const active = (completedAt: string, extra: Record<string, unknown>[] = []) =>
        scanStatus("ACTIVE", {
            imageScanFindings: {
                imageScanCompletedAt: new Date(completedAt),
                findingSeverityCounts: { HIGH: 1 + extra.length },
                enhancedFindings: [{ severity: "HIGH", status: "ACTIVE", packageVulnerabilityDetails: { vulnerabilityId: "CVE-2026-7" } }, ...extra],
            },
        });

    it("with rescanAfterHours, a due rescan re-reads the findings, moves scanStartedAt on, and the next diff plans nothing", async () => {
        const { provider, clock, stub } = setup({
            describeImages: [imageFound()],
            // Inspector last scanned the image two days ago, and has not since.
            describeImageScanFindings: [active("2026-11-27T10:00:00Z")],
            startImageScan: [awsError("ValidationException", "This feature is disabled")],
        });
        const news = inputs({ rescanAfterHours: 24 });
        const created = (await provider.create(news)).outs as ImageScanOutputs;
        assert.equal(created.scanType, "ENHANCED");
        assert.equal(created.adoptedExistingScan, false);
        assert.equal(created.scanStartedAt, "2026-11-29T10:00:00.000Z", "the time the findings were read");
        assert.equal((await provider.diff("id", created, news)).changes, false);

        clock.advance(25 * 3600_000);
        assert.equal((await provider.diff("id", created, news)).changes, true, "rescan due");
        const updated = (await provider.update("id", created, news)).outs as ImageScanOutputs;
        assert.equal(updated.scanStartedAt, "2026-11-30T11:00:00.000Z");
        assert.equal(updated.scanType, "ENHANCED");
        assert.equal((await provider.diff("id", updated, news)).changes, false, "the next run plans nothing");
        assert.equal(stub.calls.filter((c) => c === "startImageScan").length, 0, "ECR refuses manual scans here: none sent");
    });

    it("Inspector's SUPPRESSED and CLOSED findings do not block the gate, nor show as top findings", async () => {
        const { provider } = setup({
            describeImages: [imageFound()],
            describeImageScanFindings: [
                active("2026-11-29T09:00:00Z", [
                    { severity: "CRITICAL", status: "SUPPRESSED", packageVulnerabilityDetails: { vulnerabilityId: "CVE-SUPPRESSED" } },
                    { severity: "CRITICAL", status: "CLOSED", packageVulnerabilityDetails: { vulnerabilityId: "CVE-CLOSED" } },
                ]),
            ],
        });
        const outs = (await provider.create(inputs({ failOnSeverity: "CRITICAL" }))).outs as ImageScanOutputs;
        assert.deepEqual(outs.topFindings.map((f) => f.name), ["CVE-2026-7"]);
    });

    it("a setting change on an UNSUPPORTED_IMAGE resource updates at once: no wait for a scan ECR never made", async () => {
        const { provider, clock } = setup({ describeImageScanFindings: [awsError("ScanNotFoundException")] });
        const olds = stored({ scanStatus: "UNSUPPORTED_IMAGE", scanStatusDescription: "not an image", timeoutSeconds: 1200 });
        const outs = (await provider.update("id", olds, inputs({ timeoutSeconds: 600 }))).outs as ImageScanOutputs;
        assert.equal(outs.scanStatus, "UNSUPPORTED_IMAGE");
        assert.equal(outs.scanStatusDescription, "not an image");
        assert.equal(outs.timeoutSeconds, 600);
        assert.equal(clock.elapsed(), 0);
    });

    it("ImageArchivedException records IMAGE_ARCHIVED; with a gate, the error says to restore the image", async () => {
        const archived = awsError("ImageArchivedException", "The image is archived and cannot be scanned");
        const plain = setup({ describeImages: [imageFound()], describeImageScanFindings: [awsError("ScanNotFoundException")], startImageScan: [archived] });
        const outs = (await plain.provider.create(inputs())).outs as ImageScanOutputs;
        assert.equal(outs.scanStatus, "IMAGE_ARCHIVED");
        assert.equal(outs.scanStatusDescription, "The image is archived and cannot be scanned");
        const gated = setup({ describeImages: [imageFound()], describeImageScanFindings: [awsError("ScanNotFoundException")], startImageScan: [archived] });
        await assert.rejects(gated.provider.create(inputs({ failOnSeverity: "HIGH" })), (e: Error) => {
            assert.equal(e.name, "GateFailedError");
            assert.match(e.message, /archived/);
            assert.match(e.message, /target-storage-class STANDARD/);
            assert.doesNotMatch(e.message, /Check credentials/);
            return true;
        });
        // The archived answer on the lookup is the same thing.
        const lookup = setup({ describeImages: [imageFound()], describeImageScanFindings: [awsError("ImageArchivedException", "archived")] });
        assert.equal(((await lookup.provider.create(inputs())).outs as ImageScanOutputs).scanStatus, "IMAGE_ARCHIVED");
    });

    it("ignoredFindings lists every finding the gate left out, beyond the 25 top ones", async () => {
        const names = Array.from({ length: 30 }, (_, i) => `CVE-2026-${String(i).padStart(4, "0")}`);
        const { provider } = setup({
            describeImages: [imageFound()],
            describeImageScanFindings: [
                scanStatus("COMPLETE", {
                    imageScanFindings: { imageScanCompletedAt: new Date("2026-11-29T09:00:00Z"), findingSeverityCounts: { HIGH: 30 }, findings: names.map((name) => ({ name, severity: "HIGH" })) },
                }),
            ],
        });
        const ignores = names.map((name) => ({ name, until: "2026-12-01", reason: "triaged" }));
        const outs = (await provider.create(inputs({ failOnSeverity: "HIGH", ignoreFindings: ignores }))).outs as ImageScanOutputs;
        assert.equal(outs.topFindings.length, 25);
        assert.equal(outs.ignoredFindings.length, 30);
        assert.deepEqual(outs.ignoredFindings[29], { name: names[29], severity: "HIGH", until: "2026-12-01", reason: "triaged" });
        // Without a gate: nothing is left out.
        const ungated = setup({ describeImages: [imageFound()], describeImageScanFindings: [complete] });
        assert.deepEqual(((await ungated.provider.create(inputs({ ignoreFindings: ignores }))).outs as ImageScanOutputs).ignoredFindings, []);
    });
});

describe("provider: unknown values in a preview", () => {
    /** Valid inputs that exercise every path of diff: tag-only, gate, ignores, rescan. */
    const raw = (): Record<string, unknown> => ({
        repositoryName: "web",
        imageTag: "v1",
        registryId: REGISTRY,
        region: "eu-west-1",
        endpoint: "http://127.0.0.1:4566",
        profile: "dev",
        waitForCompletion: true,
        timeoutSeconds: 600,
        rescanAfterHours: 48,
        failOnSeverity: "HIGH",
        ignoreFindings: [{ name: "CVE-1", until: "2026-12-31" }],
    });
    const olds = () =>
        stored({
            ...(raw() as Partial<ImageScanOutputs>),
            imageTag: "v1",
            ignoredFindings: [{ name: "CVE-1", severity: "HIGH", until: "2026-12-31" }],
        });

    const cases: [string, Record<string, unknown>][] = [
        ...INPUTS.map((name): [string, Record<string, unknown>] => [name, { [name]: UNKNOWN }]),
        ["an ignoreFindings entry", { ignoreFindings: [UNKNOWN] }],
        ["an ignoreFindings name", { ignoreFindings: [{ name: UNKNOWN }] }],
        ["an ignoreFindings until", { ignoreFindings: [{ name: "CVE-1", until: UNKNOWN }] }],
        ["an ignoreFindings reason", { ignoreFindings: [{ name: "CVE-1", until: "2026-12-31", reason: UNKNOWN }] }],
    ];
    it("the cases cover every input the provider takes", () => {
        assert.ok(INPUTS.length >= 12);
        assert.deepEqual(INPUTS.filter((name) => !cases.some(([, set]) => name in set)), []);
    });
    for (const [what, set] of cases) {
        it(`${what} unknown: check passes, diff plans a change, no ECR call carries it, nothing shows the sentinel`, async () => {
            const { provider, stub, logs, clock } = setup({ describeImages: [imageFound()] });
            const checked = await provider.check({} as ImageScanInputs, { ...raw(), ...set } as unknown as ImageScanInputs);
            assert.deepEqual(checked.failures ?? [], []);
            const diff = await provider.diff("id", olds(), checked.inputs as ImageScanInputs);
            assert.equal(diff.changes, true, JSON.stringify(diff));
            for (const t of stub.targets) {
                assert.doesNotMatch(JSON.stringify(t), new RegExp(UNKNOWN), "a client was built from an unknown value");
            }
            assert.doesNotMatch(JSON.stringify(stub.inputs), new RegExp(UNKNOWN), "an ECR request carried an unknown value");
            assert.doesNotMatch(logs.join("\n"), new RegExp(UNKNOWN));
            assert.ok(stub.calls.length <= 1, stub.calls.join(", "));
            assert.equal(clock.elapsed(), 0);
        });
    }
    it("with timeoutSeconds unknown, a throttled tag lookup is retried for a fixed minute at most", async () => {
        const { provider, clock } = setup({ describeImages: [awsError("ThrottlingException", "Rate exceeded")] });
        const checked = await provider.check({} as ImageScanInputs, { ...raw(), timeoutSeconds: UNKNOWN } as unknown as ImageScanInputs);
        await assert.rejects(provider.diff("id", olds(), checked.inputs as ImageScanInputs), /ThrottlingException/);
        assert.ok(clock.elapsed() > 30_000 && clock.elapsed() <= 60_000, `retried for ${clock.elapsed()} ms`);
    });
    it("an unknown digest shows as a replace, and the log line says why without the sentinel", async () => {
        const { provider, logs } = setup({});
        const diff = await provider.diff("id", stored(), { ...inputs(), imageDigest: UNKNOWN });
        assert.deepEqual(diff.replaces, ["imageDigest"]);
        assert.match(logs.join("\n"), /imageDigest is not known until apply/);
    });
});

describe("provider: no stack frames in what the user sees", () => {
    it("errors from diff, read and create carry an empty stack, also for errors nobody expected", async () => {
        const denied = setup({ describeImages: [awsError("AccessDeniedException", "no")] });
        const failures = [
            denied.provider.diff("id", stored({ imageTag: "v1" }), inputs({ imageDigest: undefined, imageTag: "v1" })),
            denied.provider.read("id", stored()),
            denied.provider.create(inputs()),
            // A bug, or an answer no one expected: a TypeError deep inside.
            setup({ describeImages: [imageFound()], describeImageScanFindings: [() => ({ imageScanFindings: { findings: 5 } }) as never] }).provider.read("id", stored()),
        ];
        for (const p of failures) {
            await assert.rejects(p, (e: Error) => {
                assert.equal(e.stack, "");
                assert.ok(e.message.length > 0);
                return true;
            });
        }
    });
});

describe("provider: what the outside review found", () => {
    const at = (iso: string) => new Date(iso);
    const basic = (completedAt: string, names: [string, string][]) =>
        scanStatus("COMPLETE", {
            imageScanFindings: {
                imageScanCompletedAt: at(completedAt),
                findingSeverityCounts: names.reduce<Record<string, number>>((c, [, s]) => ({ ...c, [s]: (c[s] ?? 0) + 1 }), {}),
                findings: names.map(([name, severity]) => ({ name, severity: severity as "HIGH" })),
            },
        });

    it("a refresh keeps an expired ignore in ignoredFindings, so the next diff still plans the update that gates it", async () => {
        const { provider, clock } = setup({
            describeImages: [imageFound()],
            describeImageScanFindings: [basic("2026-11-29T09:00:00Z", [["CVE-1", "HIGH"]])],
        });
        const news = inputs({ failOnSeverity: "HIGH", ignoreFindings: [{ name: "CVE-1", until: "2026-11-30" }] });
        const created = (await provider.create(news)).outs as ImageScanOutputs;
        assert.deepEqual(created.ignoredFindings.map((f) => f.name), ["CVE-1"]);
        clock.advance(3 * 24 * 3600_000);
        const refreshed = (await provider.read("id", created)).props as ImageScanOutputs;
        assert.deepEqual(refreshed.ignoredFindings.map((f) => f.name), ["CVE-1"]);
        assert.equal((await provider.diff("id", refreshed, news)).changes, true);
    });

    it("after LimitExceededException, a result from days ago is not the scan holding the window: the wait goes on", async () => {
        const old = basic("2026-11-26T08:00:00Z", [["CVE-OLD", "LOW"]]);
        const { provider } = setup({
            describeImages: [imageFound()],
            describeImageScanFindings: [old, old, old, basic("2026-11-29T10:00:30Z", [["CVE-NEW", "HIGH"]])],
            startImageScan: [awsError("LimitExceededException")],
        });
        const outs = (await provider.create(inputs())).outs as ImageScanOutputs;
        assert.deepEqual(outs.topFindings.map((f) => f.name), ["CVE-NEW"]);
        assert.equal(outs.adoptedExistingScan, true);
        assert.ok(Date.parse(outs.nextScanAllowedAt) > Date.parse("2026-11-29T10:00:00Z"));
    });

    it("enhanced scanning found PENDING by the lookup: not adopted, start is when read, and the next diff plans nothing", async () => {
        const { provider } = setup({
            describeImages: [imageFound()],
            describeImageScanFindings: [
                scanStatus("PENDING"),
                scanStatus("ACTIVE", {
                    imageScanFindings: {
                        imageScanCompletedAt: at("2026-11-27T10:00:00Z"),
                        findingSeverityCounts: { LOW: 1 },
                        enhancedFindings: [{ severity: "LOW", status: "ACTIVE", packageVulnerabilityDetails: { vulnerabilityId: "CVE-2026-9" } }],
                    },
                }),
            ],
        });
        const news = inputs({ rescanAfterHours: 24 });
        const outs = (await provider.create(news)).outs as ImageScanOutputs;
        assert.equal(outs.scanType, "ENHANCED");
        assert.equal(outs.adoptedExistingScan, false);
        assert.equal(outs.scanStartedAt, "2026-11-29T10:00:01.500Z");
        assert.equal((await provider.diff("id", outs, news)).changes, false);
    });

    it("an update or a refresh that finds a newer basic scan takes its start too, so nextScanAllowedAt is not promised early", async () => {
        const olds = stored({ scanStartedAt: "2026-11-26T09:00:00.000Z", nextScanAllowedAt: "2026-11-27T09:00:00.000Z", scanCompletedAt: "2026-11-26T09:01:00.000Z" });
        const newer = basic("2026-11-29T09:30:00Z", [["CVE-3", "LOW"]]);
        const updated = setup({ describeImageScanFindings: [newer] });
        const outs = (await updated.provider.update("id", olds, inputs({ timeoutSeconds: 600 }))).outs as ImageScanOutputs;
        assert.equal(outs.scanStartedAt, "2026-11-29T09:30:00.000Z");
        assert.equal(outs.adoptedExistingScan, true);
        const refreshed = setup({ describeImages: [imageFound()], describeImageScanFindings: [newer] });
        const props = (await refreshed.provider.read("id", olds)).props as ImageScanOutputs;
        assert.ok(Date.parse(props.nextScanAllowedAt) >= Date.parse("2026-11-30T09:30:00Z"));
        // The same scan read again keeps its recorded start.
        const same = setup({ describeImageScanFindings: [basic("2026-11-26T09:01:00Z", [])] });
        assert.equal(((await same.provider.update("id", olds, inputs({ timeoutSeconds: 600 }))).outs as ImageScanOutputs).scanStartedAt, olds.scanStartedAt);
    });

    it("a refresh rides out throttling like a preview does", async () => {
        const { provider, stub } = setup({
            describeImages: [awsError("ThrottlingException", "Rate exceeded"), imageFound()],
            describeImageScanFindings: [awsError("ServiceUnavailableException", "busy", 503), complete],
        });
        const read = await provider.read("id", stored());
        assert.equal((read.props as ImageScanOutputs).scanStatus, "COMPLETE");
        assert.equal(stub.calls.length, 4);
    });

    it("a setting change with no scan record in ECR judges every recorded finding: 30 ignored HIGH still pass", async () => {
        const names = Array.from({ length: 30 }, (_, i) => `CVE-2026-${String(i).padStart(4, "0")}`);
        const ignores = names.map((name) => ({ name }));
        const olds = stored({
            failOnSeverity: "HIGH",
            ignoreFindings: ignores,
            findingSeverityCounts: { HIGH: 30 },
            findingsTotal: 30,
            topFindings: names.slice(0, 25).map((name) => ({ name, severity: "HIGH" })),
            ignoredFindings: names.map((name) => ({ name, severity: "HIGH" })),
        });
        const { provider } = setup({ describeImageScanFindings: [awsError("ScanNotFoundException")] });
        const outs = (await provider.update("id", olds, inputs({ failOnSeverity: "HIGH", ignoreFindings: ignores, timeoutSeconds: 600 }))).outs as ImageScanOutputs;
        assert.equal(outs.ignoredFindings.length, 30);
    });
});

describe("provider: image indexes (stubbed ECR)", () => {
    const P = { amd64: "sha256:" + "a1".repeat(32), arm64: "sha256:" + "b2".repeat(32), att: "sha256:" + "c3".repeat(32) };
    const INDEX = "sha256:" + "d4".repeat(32);
    const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.index.v1+json",
        manifests: [
            { digest: P.amd64, platform: { os: "linux", architecture: "amd64" } },
            { digest: P.arm64, platform: { os: "linux", architecture: "arm64" } },
            { digest: P.att, platform: { os: "unknown", architecture: "unknown" }, annotations: { "vnd.docker.reference.type": "attestation-manifest" } },
        ],
    });
    const indexFound = { imageDetails: [{ imageDigest: INDEX, registryId: REGISTRY, imageTags: ["v1"], imageManifestMediaType: "application/vnd.oci.image.index.v1+json" }] };
    const digestOf = (input: { imageId?: { imageDigest?: string } }) => input.imageId?.imageDigest;
    /** Findings per platform image digest; a digest absent here has no scan yet. */
    function findingsBy(results: Record<string, ReturnType<typeof scanStatus> | Error>) {
        return (input: never) => results[digestOf(input) as string] ?? awsError("ScanNotFoundException");
    }
    const result = (names: [string, string][], completedAt = "2026-11-29T10:00:05Z") =>
        scanStatus("COMPLETE", {
            imageScanFindings: {
                imageScanCompletedAt: new Date(completedAt),
                findingSeverityCounts: names.reduce<Record<string, number>>((c, [, s]) => ({ ...c, [s]: (c[s] ?? 0) + 1 }), {}),
                findings: names.map(([name, severity]) => ({ name, severity: severity as "HIGH" })),
            },
        });

    it("create scans each platform image (not the index, not the attestation), and combines them", async () => {
        const scanned: string[] = [];
        const polls: Record<string, number> = {};
        const { provider, stub } = setup({
            describeImages: [indexFound],
            batchGetImage: [{ images: [{ imageManifest: manifest }] }],
            startImageScan: [
                (input: never) => {
                    scanned.push(digestOf(input) as string);
                    return {};
                },
            ],
            describeImageScanFindings: [
                (input: never) => {
                    const d = digestOf(input) as string;
                    polls[d] = (polls[d] ?? 0) + 1;
                    if (polls[d] === 1) {
                        return awsError("ScanNotFoundException");
                    }
                    return d === P.amd64 ? result([["CVE-A", "HIGH"], ["CVE-B", "LOW"]]) : result([["CVE-A", "HIGH"]]);
                },
            ],
        });
        const outs = (await provider.create(inputs({ imageDigest: undefined, imageTag: "v1" }))).outs as ImageScanOutputs;
        assert.deepEqual(scanned.sort(), [P.amd64, P.arm64].sort());
        assert.equal(outs.imageDigest, INDEX);
        assert.equal(outs.imageUri, `${REGISTRY}.dkr.ecr.eu-west-1.amazonaws.com/web@${INDEX}`);
        assert.deepEqual(outs.images.map((i) => [i.platform, i.imageDigest, i.scanStatus]), [
            ["linux/amd64", P.amd64, "COMPLETE"],
            ["linux/arm64", P.arm64, "COMPLETE"],
        ]);
        assert.deepEqual(outs.findingSeverityCounts, { HIGH: 1, LOW: 1 });
        assert.deepEqual(outs.topFindings.find((f) => f.name === "CVE-A")?.platforms, ["linux/amd64", "linux/arm64"]);
        // Budget: 1 DescribeImages + 1 BatchGetImage + per platform image a plain image's calls.
        assert.equal(stub.calls.filter((c) => c === "describeImages").length, 1);
        assert.equal(stub.calls.filter((c) => c === "batchGetImage").length, 1);
        assert.equal(stub.calls.filter((c) => c === "startImageScan").length, 2);
    });

    it("the gate judges all platform images together and names the platform of each blocking finding", async () => {
        const { provider } = setup({
            describeImages: [indexFound],
            batchGetImage: [{ images: [{ imageManifest: manifest }] }],
            describeImageScanFindings: [findingsBy({ [P.amd64]: result([["CVE-AMD", "CRITICAL"]]), [P.arm64]: result([["CVE-ARM", "HIGH"]]) })],
        });
        await assert.rejects(provider.create(inputs({ failOnSeverity: "HIGH" })), (e: Error) => {
            assert.equal(e.name, "GateFailedError");
            assert.match(e.message, /CRITICAL: 1, HIGH: 1/);
            assert.match(e.message, /CVE-AMD \(linux\/amd64\), CVE-ARM \(linux\/arm64\)/);
            return true;
        });
    });

    it("platforms narrows the scan; a platform the index lacks fails create, listing those it has, before any scan", async () => {
        const narrowed = setup({
            describeImages: [indexFound],
            batchGetImage: [{ images: [{ imageManifest: manifest }] }],
            describeImageScanFindings: [findingsBy({ [P.arm64]: result([]) })],
        });
        const outs = (await narrowed.provider.create(inputs({ platforms: ["linux/arm64/v8"] }))).outs as ImageScanOutputs;
        assert.deepEqual(outs.images.map((i) => i.platform), ["linux/arm64"]);

        const missing = setup({ describeImages: [indexFound], batchGetImage: [{ images: [{ imageManifest: manifest }] }] });
        await assert.rejects(missing.provider.create(inputs({ platforms: ["linux/amd64", "windows/amd64"] })), (e: Error) => {
            assert.equal(e.name, "PlatformNotFoundError");
            assert.match(e.message, /no image for platform\(s\) windows\/amd64: it has linux\/amd64, linux\/arm64/);
            assert.match(e.message, /No scan was started/);
            return true;
        });
        assert.deepEqual(missing.stub.calls, ["describeImages", "batchGetImage"]);
    });

    it("an index of attestations only is a clear error", async () => {
        const onlyAtt = JSON.stringify({ manifests: [{ digest: P.att, platform: { os: "unknown", architecture: "unknown" } }] });
        const { provider, stub } = setup({ describeImages: [indexFound], batchGetImage: [{ images: [{ imageManifest: onlyAtt }] }] });
        await assert.rejects(provider.create(inputs()), (e: Error) => {
            assert.equal(e.name, "EmptyIndexError");
            assert.match(e.message, /no platform image to scan: its 1 manifest\(s\) are attestations/);
            return true;
        });
        assert.ok(!stub.calls.includes("startImageScan"));
    });

    it("a platform image scanned in the last 24 h is adopted; the other is scanned", async () => {
        const { provider, stub } = setup({
            describeImages: [indexFound],
            batchGetImage: [{ images: [{ imageManifest: manifest }] }],
            startImageScan: [{}],
            describeImageScanFindings: [
                (input: never) => {
                    const d = digestOf(input);
                    if (d === P.amd64) {
                        return result([], "2026-11-29T08:00:00Z");
                    }
                    return stub.calls.includes("startImageScan") ? result([]) : awsError("ScanNotFoundException");
                },
            ],
        });
        const outs = (await provider.create(inputs())).outs as ImageScanOutputs;
        assert.deepEqual(outs.images.map((i) => [i.platform, i.adoptedExistingScan]), [
            ["linux/amd64", true],
            ["linux/arm64", false],
        ]);
        assert.equal(outs.adoptedExistingScan, false);
        assert.deepEqual((stub.inputs.filter((_, i) => stub.calls[i] === "startImageScan") as { imageId: { imageDigest: string } }[]).map((x) => x.imageId.imageDigest), [P.arm64]);
        // The later start wins: nextScanAllowedAt is the latest of theirs.
        assert.equal(outs.scanStartedAt, outs.images[1].scanStartedAt);
    });

    it("rescanAfterHours: due when due for any platform image, and only those are rescanned", async () => {
        const images = [
            { platform: "linux/amd64", imageDigest: P.amd64, scanStatus: "COMPLETE", scanStartedAt: "2026-11-27T09:00:00.000Z", nextScanAllowedAt: "2026-11-28T09:00:00.000Z", findingSeverityCounts: {}, findingsTotal: 0, adoptedExistingScan: false },
            { platform: "linux/arm64", imageDigest: P.arm64, scanStatus: "COMPLETE", scanStartedAt: "2026-11-29T08:00:00.000Z", nextScanAllowedAt: "2026-11-30T08:00:00.000Z", findingSeverityCounts: {}, findingsTotal: 0, adoptedExistingScan: false },
        ];
        const olds = stored({ imageDigest: INDEX, rescanAfterHours: 48, scanStartedAt: "2026-11-29T08:00:00.000Z", images });
        const news = inputs({ imageDigest: INDEX, rescanAfterHours: 48 });
        const { provider, stub } = setup({ startImageScan: [{}], describeImageScanFindings: [findingsBy({ [P.amd64]: result([]), [P.arm64]: result([], "2026-11-29T08:00:30Z") })] });
        assert.equal((await provider.diff("id", olds, news)).changes, true);
        const outs = (await provider.update("id", olds, news)).outs as ImageScanOutputs;
        assert.deepEqual((stub.inputs.filter((_, i) => stub.calls[i] === "startImageScan") as { imageId: { imageDigest: string } }[]).map((x) => x.imageId.imageDigest), [P.amd64]);
        assert.equal(outs.images[0].scanStartedAt, "2026-11-29T10:00:00.000Z");
        assert.equal(outs.images[1].scanStartedAt, "2026-11-29T08:00:00.000Z");
        assert.equal((await provider.diff("id", outs, news)).changes, false, "nothing due any more");
    });

    it("refresh re-reads every platform image", async () => {
        const images = [P.amd64, P.arm64].map((imageDigest, i) => ({
            platform: ["linux/amd64", "linux/arm64"][i],
            imageDigest,
            scanStatus: "COMPLETE",
            scanStartedAt: "2026-11-29T08:00:00.000Z",
            nextScanAllowedAt: "2026-11-30T08:00:00.000Z",
            scanCompletedAt: "2026-11-29T08:00:30.000Z",
            findingSeverityCounts: {},
            findingsTotal: 0,
            adoptedExistingScan: false,
        }));
        const { provider, stub } = setup({
            describeImages: [indexFound],
            describeImageScanFindings: [findingsBy({ [P.amd64]: result([["CVE-NEW", "HIGH"]], "2026-11-29T08:00:30Z"), [P.arm64]: result([], "2026-11-29T08:00:30Z") })],
        });
        const props = (await provider.read("id", stored({ imageDigest: INDEX, images }))).props as ImageScanOutputs;
        assert.deepEqual(props.images.map((i) => i.findingsTotal), [1, 0]);
        assert.deepEqual(props.findingSeverityCounts, { HIGH: 1 });
        assert.equal(stub.calls.filter((c) => c === "describeImageScanFindings").length, 2);
    });
});

describe("provider: image indexes, what the second outside review found", () => {
    const P = { amd64: "sha256:" + "a1".repeat(32), arm64: "sha256:" + "b2".repeat(32) };
    const INDEX = "sha256:" + "d4".repeat(32);
    const manifest = (entries: Record<string, unknown>[]) => JSON.stringify({ mediaType: "application/vnd.oci.image.index.v1+json", manifests: entries });
    const TWO = manifest([
        { digest: P.amd64, platform: { os: "linux", architecture: "amd64" } },
        { digest: P.arm64, platform: { os: "linux", architecture: "arm64" } },
    ]);
    const indexFound = { imageDetails: [{ imageDigest: INDEX, registryId: REGISTRY, imageManifestMediaType: "application/vnd.oci.image.index.v1+json" }] };
    const digestOf = (input: never) => (input as { imageId?: { imageDigest?: string } }).imageId?.imageDigest;
    const done = (names: string[] = []) =>
        scanStatus("COMPLETE", {
            imageScanFindings: { imageScanCompletedAt: new Date("2026-11-29T10:00:05Z"), findingSeverityCounts: names.length ? { HIGH: names.length } : {}, findings: names.map((name) => ({ name, severity: "HIGH" as const })) },
        });
    const entry = (platform: string, imageDigest: string, scanStatus = "COMPLETE") => ({
        platform,
        imageDigest,
        scanStatus,
        scanStartedAt: "2026-11-29T09:00:00.000Z",
        nextScanAllowedAt: "2026-11-30T09:00:00.000Z",
        findingSeverityCounts: {},
        findingsTotal: 0,
        adoptedExistingScan: false,
    });

    it("a stack of ImageScan 0.1 that recorded an index as UNSUPPORTED_IMAGE plans an update, which scans its platform images", async () => {
        const olds = stored({ imageDigest: INDEX, scanStatus: "UNSUPPORTED_IMAGE" });
        delete (olds as Partial<ImageScanOutputs>).images;
        const { provider, stub } = setup({
            describeImages: [indexFound],
            batchGetImage: [{ images: [{ imageManifest: TWO }] }],
            startImageScan: [{}],
            describeImageScanFindings: [(input: never) => (stub.inputs.some((x, i) => stub.calls[i] === "startImageScan" && digestOf(x as never) === digestOf(input)) ? done() : awsError("ScanNotFoundException"))],
        });
        assert.equal((await provider.diff("id", olds, inputs({ imageDigest: INDEX }))).changes, true);
        const outs = (await provider.update("id", olds, inputs({ imageDigest: INDEX }))).outs as ImageScanOutputs;
        assert.equal(outs.scanStatus, "COMPLETE");
        assert.deepEqual(outs.images.map((i) => i.platform), ["linux/amd64", "linux/arm64"]);
        assert.equal((await provider.diff("id", outs, inputs({ imageDigest: INDEX }))).changes, false);
    });

    it("a platform image still running is collected, though an earlier one's status masks it in scanStatus", async () => {
        const olds = stored({ imageDigest: INDEX, scanStatus: "UNSUPPORTED_IMAGE", images: [entry("linux/amd64", P.amd64, "UNSUPPORTED_IMAGE"), entry("linux/arm64", P.arm64, "IN_PROGRESS")] });
        const { provider } = setup({});
        assert.equal((await provider.diff("id", olds, inputs({ imageDigest: INDEX }))).changes, true);
    });

    it("the same platforms written otherwise plan nothing", async () => {
        const olds = stored({ imageDigest: INDEX, platforms: ["linux/arm64/v8", "linux/amd64"], images: [entry("linux/amd64", P.amd64), entry("linux/arm64", P.arm64)] });
        const { provider } = setup({});
        assert.equal((await provider.diff("id", olds, inputs({ imageDigest: INDEX, platforms: ["linux/amd64", "linux/arm64"] }))).changes, false);
    });

    it("a platform image that fails for good ends the create at once, with its own error, not another's timeout", async () => {
        const { provider, clock } = setup({
            describeImages: [indexFound],
            batchGetImage: [{ images: [{ imageManifest: TWO }] }],
            startImageScan: [(input: never) => (digestOf(input) === P.arm64 ? awsError("AccessDeniedException", "not authorized to perform ecr:StartImageScan") : {})],
            describeImageScanFindings: [(input: never) => (stubStarted.has(digestOf(input) as string) ? scanStatus("IN_PROGRESS") : awsError("ScanNotFoundException"))],
        });
        const stubStarted = new Set([P.amd64]);
        await assert.rejects(provider.create(inputs({ imageDigest: INDEX, timeoutSeconds: 600 })), (e: Error) => {
            assert.equal(e.name, "EcrRequestError");
            assert.match(e.message, /AccessDeniedException/);
            assert.match(e.message, /linux\/arm64/);
            return true;
        });
        assert.ok(clock.elapsed() < 60_000, `waited ${clock.elapsed()} ms for the other platform`);
    });

    it("a gate over an index whose platform image was not scanned names that platform and suggests platforms", async () => {
        const { provider } = setup({
            describeImages: [indexFound],
            batchGetImage: [{ images: [{ imageManifest: TWO }] }],
            startImageScan: [(input: never) => (digestOf(input) === P.arm64 ? awsError("UnsupportedImageTypeException", "not supported") : {})],
            describeImageScanFindings: [(input: never) => (digestOf(input) === P.amd64 ? done() : awsError("ScanNotFoundException"))],
        });
        await assert.rejects(provider.create(inputs({ imageDigest: INDEX, failOnSeverity: "HIGH" })), (e: Error) => {
            assert.equal(e.name, "GateFailedError");
            assert.match(e.message, /status UNSUPPORTED_IMAGE of its linux\/arm64 image, sha256:b2b2/);
            assert.match(e.message, /leave that platform out with platforms/);
            return true;
        });
    });

    it("refresh keeps the record of a platform image gone from a remaining index, and says so", async () => {
        const { provider, logs } = setup({
            describeImages: [indexFound],
            describeImageScanFindings: [(input: never) => (digestOf(input) === P.arm64 ? awsError("ImageNotFoundException", "image does not exist") : done())],
        });
        const olds = stored({ imageDigest: INDEX, images: [entry("linux/amd64", P.amd64), entry("linux/arm64", P.arm64)] });
        const props = (await provider.read("id", olds)).props as ImageScanOutputs;
        assert.deepEqual(props.images.map((i) => i.scanStatus), ["COMPLETE", "COMPLETE"]);
        assert.match(logs.join("\n"), /lists a linux\/arm64 image, sha256:b2b2.*does not have .*leave that platform out with platforms/);
    });

    it("a nested index inside the index is not taken for a platform image", async () => {
        const nested = manifest([
            { digest: P.amd64, platform: { os: "linux", architecture: "amd64" } },
            { mediaType: "application/vnd.oci.image.index.v1+json", digest: P.arm64, platform: { os: "linux", architecture: "arm64" } },
        ]);
        const { provider } = setup({ describeImages: [indexFound], batchGetImage: [{ images: [{ imageManifest: nested }] }], describeImageScanFindings: [done()] });
        const outs = (await provider.create(inputs({ imageDigest: INDEX }))).outs as ImageScanOutputs;
        assert.deepEqual(outs.images.map((i) => i.platform), ["linux/amd64"]);
    });
});
