// create and update as apply runs them: the abort timer, the client it builds, the
// region, the image index, and how the images' lifecycles and the gate come together.

import { strict as assert } from "assert";
import { apply, DEADLINE_GRACE_MS, imageRef } from "../provider/apply";
import { ImageScanProvider } from "../provider/provider";
import { context, ImageScanProviderOptions } from "../provider/context";
import { EcrTarget } from "../provider/ecr";
import { ImageEntry, ImageScanInputs, ImageScanOutputs } from "../provider/types";
import { awsError, completeScan, DIGEST, fakeClock, imageFound, REGISTRY, scanStatus, storedOutputs, stubTransport, StubScript } from "./support/stub";

const P = { amd64: "sha256:" + "a1".repeat(32), arm64: "sha256:" + "b2".repeat(32) };
const INDEX = "sha256:" + "d4".repeat(32);
const INDEX_TYPE = "application/vnd.oci.image.index.v1+json";
const MANIFEST = JSON.stringify({
    manifests: [
        { digest: P.amd64, platform: { os: "linux", architecture: "amd64" } },
        { digest: P.arm64, platform: { os: "linux", architecture: "arm64" } },
    ],
});
const indexFound = { imageDetails: [{ imageDigest: INDEX, registryId: REGISTRY, imageManifestMediaType: INDEX_TYPE }] };

function inputs(extra: Partial<ImageScanInputs> = {}): ImageScanInputs {
    return { repositoryName: "web", imageDigest: DIGEST, region: "eu-west-1", waitForCompletion: true, timeoutSeconds: 1200, ignoreFindings: [], ...extra };
}

const done = (completedAt = "2026-11-29T10:00:05Z", findings: [string, string][] = []) => completeScan(findings, completedAt);
const digestOf = (input: never) => (input as { imageId: { imageDigest: string } }).imageId.imageDigest;

function entry(platform: string | undefined, imageDigest: string, over: Partial<ImageEntry> = {}): ImageEntry {
    return {
        ...(platform ? { platform } : {}),
        imageDigest,
        scanStatus: "COMPLETE",
        scanStartedAt: "2026-11-29T09:00:00.000Z",
        nextScanAllowedAt: "2026-11-30T09:00:00.000Z",
        scanCompletedAt: "2026-11-29T09:00:30.000Z",
        findingSeverityCounts: {},
        findingsTotal: 0,
        adoptedExistingScan: false,
        ...over,
    };
}

function stored(over: Partial<ImageScanOutputs> = {}): ImageScanOutputs {
    return storedOutputs({ scanCompletedAt: "2026-11-29T09:00:30.000Z", images: [entry(undefined, DIGEST)], ...over });
}

function setup(script: StubScript, options: Partial<ImageScanProviderOptions> = {}) {
    const stub = stubTransport(script);
    const clock = fakeClock();
    const logs: string[] = [];
    const timers: { ms: number; fire: () => void; cancelled: boolean }[] = [];
    const ctx = context({
        transport: stub.factory,
        now: clock.now,
        sleep: clock.sleep,
        random: () => 0.5,
        log: (l) => logs.push(l),
        timer: (ms, fire) => {
            const t = { ms, fire, cancelled: false };
            timers.push(t);
            return () => {
                t.cancelled = true;
            };
        },
        ...options,
    });
    return { ctx, stub, clock, logs, timers };
}

describe("apply", () => {
    describe("the abort timer", () => {
        it("is set for timeoutSeconds plus the grace, and cancelled when create returns", async () => {
            assert.equal(DEADLINE_GRACE_MS, 5000);
            const { ctx, timers } = setup({ describeImages: [imageFound()], describeImageScanFindings: [done()] });
            await apply(ctx, inputs({ timeoutSeconds: 90 }));
            assert.deepEqual(timers.map((t) => [t.ms, t.cancelled]), [[95_000, true]]);
        });

        it("is cancelled when create fails too", async () => {
            const { ctx, timers } = setup({ describeImages: [awsError("AccessDeniedException")] });
            await assert.rejects(apply(ctx, inputs({ timeoutSeconds: 1 })), /AccessDeniedException/);
            assert.deepEqual(timers.map((t) => [t.ms, t.cancelled]), [[6000, true]]);
        });

        it("aborts the signal every ECR call of the run carries, and only when it fires", async () => {
            let target: EcrTarget | undefined;
            let fire: (() => void) | undefined;
            const { ctx } = setup(
                {},
                {
                    timer: (_ms, fn) => {
                        fire = fn;
                        return () => undefined;
                    },
                    transport: (t) => {
                        target = t;
                        return {
                            ...stubTransport({}).factory(t),
                            // Hangs until the signal aborts, as the SDK's handler does.
                            describeImages: () =>
                                new Promise((_, reject) => t.signal?.addEventListener("abort", () => reject(Object.assign(new Error("aborted"), { name: "AbortError" })))),
                        };
                    },
                },
            );
            const run = apply(ctx, inputs({ endpoint: "http://127.0.0.1:9", profile: "dev" }));
            await new Promise((r) => setImmediate(r));
            assert.deepEqual({ ...target, signal: undefined }, { region: "eu-west-1", endpoint: "http://127.0.0.1:9", profile: "dev", signal: undefined });
            assert.equal(target?.signal?.aborted, false);
            fire?.();
            assert.equal(target?.signal?.aborted, true);
            await assert.rejects(run, (e: Error) => {
                assert.equal(e.name, "EcrRequestError");
                assert.match(e.message, /got no answer from http:\/\/127\.0\.0\.1:9 before timeoutSeconds ran out/);
                return true;
            });
        });
    });

    describe("create", () => {
        it("a scan that outlives timeoutSeconds on the clock times out: the deadline is timeoutSeconds from the start", async () => {
            const { ctx, clock } = setup({ describeImages: [imageFound()], startImageScan: [{}], describeImageScanFindings: [awsError("ScanNotFoundException"), scanStatus("IN_PROGRESS")] });
            await assert.rejects(apply(ctx, inputs({ timeoutSeconds: 120 })), /last status IN_PROGRESS after 120 s/);
            assert.equal(clock.elapsed(), 120_000);
        });

        it("without a region, asks the SDK; with none there, fails naming the missing region, at once", async () => {
            const { ctx, stub } = setup(
                {},
                {
                    transport: (t) => ({ ...stubTransport({}).factory(t), region: () => Promise.reject(new Error("Region is missing")) }),
                },
            );
            await assert.rejects(apply(ctx, inputs({ region: undefined })), (e: Error) => {
                assert.equal(e.name, "EcrRequestError");
                assert.equal(
                    e.message,
                    `ECR region lookup failed for image web@${DIGEST} (no region): Error: Region is missing: Region is missing. ` +
                        "No AWS region is set: set the region input, `pulumi config set aws:region <region>`, or AWS_REGION. Nothing was retried: waiting would not fix this.",
                );
                return true;
            });
            assert.deepEqual(stub.calls, []);
        });

        it("the SDK's region and the registry ECR reports go into the outputs and the id's parts", async () => {
            const { ctx } = setup({ describeImages: [imageFound()], describeImageScanFindings: [done()] });
            const outs = await apply(ctx, inputs({ region: undefined }));
            assert.deepEqual([outs.region, outs.registryId, outs.imageUri], ["eu-west-1", REGISTRY, `${REGISTRY}.dkr.ecr.eu-west-1.amazonaws.com/web@${DIGEST}`]);
        });

        it("a registry ECR does not report is the one given; a tag resolves to the digest", async () => {
            const { ctx } = setup({ describeImages: [{ imageDetails: [{ imageDigest: DIGEST }] }], describeImageScanFindings: [done()] });
            const outs = await apply(ctx, inputs({ imageDigest: undefined, imageTag: "v1", registryId: "111111111111" }));
            assert.deepEqual([outs.registryId, outs.imageDigest, outs.imageTag], ["111111111111", DIGEST, "v1"]);
        });

        it("a digest given picks the image, whatever DescribeImages answers first", async () => {
            const { ctx, stub } = setup({ describeImages: [imageFound(P.amd64)], describeImageScanFindings: [done()] });
            const outs = await apply(ctx, inputs({ imageTag: "v1" }));
            assert.equal(outs.imageDigest, DIGEST);
            assert.deepEqual(stub.inputs[0], { repositoryName: "web", registryId: undefined, imageIds: [{ imageDigest: DIGEST }] });
        });

        it("an index is read with BatchGetImage, accepting index media types, and each platform image is scanned", async () => {
            const { ctx, stub } = setup({
                describeImages: [indexFound],
                batchGetImage: [{ images: [{ imageManifest: MANIFEST }] }],
                describeImageScanFindings: [(input: never) => done(digestOf(input) === P.amd64 ? "2026-11-29T09:00:00Z" : "2026-11-29T09:30:00Z")],
            });
            const outs = await apply(ctx, inputs({ imageDigest: undefined, imageTag: "v1" }));
            const batch = stub.inputs[stub.calls.indexOf("batchGetImage")] as { imageIds: unknown; acceptedMediaTypes: string[] };
            assert.deepEqual(batch.imageIds, [{ imageDigest: INDEX }]);
            assert.deepEqual(batch.acceptedMediaTypes, [INDEX_TYPE, "application/vnd.docker.distribution.manifest.list.v2+json"]);
            assert.deepEqual(outs.images.map((i) => [i.platform, i.imageDigest, i.adoptedExistingScan]), [
                ["linux/amd64", P.amd64, true],
                ["linux/arm64", P.arm64, true],
            ]);
            assert.equal(outs.scanStartedAt, "2026-11-29T09:30:00.000Z");
            assert.equal(outs.imageDigest, INDEX);
        });

        it("an index's platform images: entries with a usable platform and digest, written os/arch[/variant]", async () => {
            const d = (n: number) => "sha256:" + String(n).repeat(64);
            const manifest = JSON.stringify({
                manifests: [
                    { digest: d(1), platform: { os: "linux", architecture: "amd64", variant: "" } },
                    { digest: d(2), platform: { os: "linux", architecture: "arm", variant: "v7" } },
                    { digest: d(3), platform: { os: "linux", architecture: "arm64", variant: 8 } },
                    { digest: d(4), platform: { os: "unknown", architecture: "s390x" } },
                    { digest: d(5), platform: { os: "windows", architecture: "unknown" } },
                    { digest: d(6), platform: { os: 5, architecture: "amd64" } },
                    { digest: d(7), platform: { os: "linux", architecture: 5 } },
                    { digest: 7, platform: { os: "linux", architecture: "ppc64le" } },
                    { digest: d(8) },
                ],
            });
            const { ctx } = setup({ describeImages: [indexFound], batchGetImage: [{ images: [{ imageManifest: manifest }] }], describeImageScanFindings: [done()] });
            const outs = await apply(ctx, inputs());
            assert.deepEqual(outs.images.map((i) => [i.platform, i.imageDigest]), [
                ["linux/amd64", d(1)],
                ["linux/arm/v7", d(2)],
                ["linux/arm64", d(3)],
                ["unknown/s390x", d(4)],
                ["windows/unknown", d(5)],
            ]);
        });

        it("an index without a manifests list is empty: nothing to scan, 0 manifests", async () => {
            const { ctx } = setup({ describeImages: [indexFound], batchGetImage: [{ images: [{ imageManifest: "{}" }] }] });
            await assert.rejects(apply(ctx, inputs()), /its 0 manifest\(s\) are attestations/);
        });

        it("the first platform image to fail ends the create: its error is raised, and the others' calls are aborted", async () => {
            let signal: AbortSignal | undefined;
            const { ctx } = setup(
                {},
                {
                    transport: (t) => {
                        signal = t.signal;
                        return {
                            ...stubTransport({ describeImages: [indexFound], batchGetImage: [{ images: [{ imageManifest: MANIFEST }] }] }).factory(t),
                            describeImageScanFindings: (input) =>
                                input.imageId?.imageDigest === P.amd64
                                    ? Promise.reject(awsError("AccessDeniedException", "no"))
                                    : // arm64's call hangs until it is aborted.
                                      new Promise((_, reject) => t.signal?.addEventListener("abort", () => reject(Object.assign(new Error("aborted"), { name: "AbortError" })))),
                        };
                    },
                },
            );
            await assert.rejects(apply(ctx, inputs()), (e: Error) => {
                assert.match(e.message, /\[linux\/amd64 image of the index\].*AccessDeniedException: no/);
                return true;
            });
            assert.equal(signal?.aborted, true);
        });

        it("a passing create leaves the calls' signal alone", async () => {
            let signal: AbortSignal | undefined;
            const stub = stubTransport({ describeImages: [imageFound()], describeImageScanFindings: [done()] });
            const { ctx } = setup(
                {},
                {
                    transport: (t) => {
                        signal = t.signal;
                        return stub.factory(t);
                    },
                },
            );
            await apply(ctx, inputs());
            assert.equal(signal?.aborted, false);
        });

        it("a platform image that is not complete fails the gate, naming the platform and its digest", async () => {
            const { ctx } = setup({
                describeImages: [indexFound],
                batchGetImage: [{ images: [{ imageManifest: MANIFEST }] }],
                startImageScan: [{}],
                describeImageScanFindings: [(input: never) => (digestOf(input) === P.arm64 ? scanStatus("FAILED") : done())],
            });
            await assert.rejects(apply(ctx, inputs({ failOnSeverity: "CRITICAL" })), (e: Error) => {
                assert.equal(e.name, "GateFailedError");
                assert.match(e.message, new RegExp(`no completed scan to judge \\(status FAILED of its linux/arm64 image, ${P.arm64}\\)\\. Fix the cause ECR reports, leave that platform out with platforms, or unset`));
                return true;
            });
        });
    });

    describe("the gate", () => {
        it("prints a warning for an expired ignore, and fails on what is left", async () => {
            const { ctx, logs } = setup({ describeImages: [imageFound()], describeImageScanFindings: [done(undefined, [["CVE-1", "HIGH"]])] });
            await assert.rejects(apply(ctx, inputs({ failOnSeverity: "HIGH", ignoreFindings: [{ name: "CVE-1", until: "2026-01-01" }] })), (e: Error) => {
                assert.equal(e.name, "GateFailedError");
                assert.match(e.message, /^ImageScan gate failed for 210987654321\/web@sha256:abab.* \(eu-west-1\): 1 finding\(s\) at or above HIGH \(HIGH: 1\): CVE-1\./);
                return true;
            });
            assert.deepEqual(logs, [`warning: ignoreFindings entry "CVE-1" expired at 2026-01-01 and counts again for ${REGISTRY}/web@${DIGEST} (eu-west-1); fix the finding or extend "until".`]);
        });

        it("without failOnSeverity: no warning, no failure, nothing left out", async () => {
            const { ctx, logs } = setup({ describeImages: [imageFound()], describeImageScanFindings: [done(undefined, [["CVE-1", "CRITICAL"]])] });
            const outs = await apply(ctx, inputs({ ignoreFindings: [{ name: "CVE-1", until: "2026-01-01" }] }));
            assert.deepEqual(logs, []);
            assert.deepEqual(outs.ignoredFindings, []);
            assert.equal(outs.findingsTotal, 1);
        });

        it("a passing gate records what it left out", async () => {
            const { ctx } = setup({ describeImages: [imageFound()], describeImageScanFindings: [done(undefined, [["CVE-1", "HIGH"]])] });
            const outs = await apply(ctx, inputs({ failOnSeverity: "HIGH", ignoreFindings: [{ name: "CVE-1", reason: "triaged" }] }));
            assert.deepEqual(outs.ignoredFindings, [{ name: "CVE-1", severity: "HIGH", reason: "triaged" }]);
        });
    });

    describe("update", () => {
        it("re-reads the recorded image in the recorded registry and region, starting no scan", async () => {
            const { ctx, stub } = setup({ describeImageScanFindings: [done("2026-11-29T09:00:30Z")] });
            const outs = await apply(ctx, inputs({ region: undefined, timeoutSeconds: 60 }), stored({ region: "eu-central-1" }));
            assert.deepEqual(stub.calls, ["describeImageScanFindings"]);
            assert.deepEqual(stub.inputs[0], { repositoryName: "web", registryId: REGISTRY, imageId: { imageDigest: DIGEST }, maxResults: 1000 });
            assert.deepEqual([outs.region, outs.registryId, outs.scanStartedAt, outs.timeoutSeconds], ["eu-central-1", REGISTRY, "2026-11-29T09:00:00.000Z", 60]);
        });

        it("state written before `images` existed: the outputs are the one image", async () => {
            const { ctx, stub } = setup({ describeImageScanFindings: [done("2026-11-29T09:00:30Z")] });
            const old = stored({ adoptedExistingScan: true });
            delete (old as Partial<ImageScanOutputs>).images;
            const outs = await apply(ctx, inputs(), old);
            assert.deepEqual(stub.calls, ["describeImageScanFindings"]);
            assert.deepEqual(outs.images, [{ ...entry(undefined, DIGEST), scanStatusDescription: "stub COMPLETE", adoptedExistingScan: true }]);
        });

        it("state of ImageScan 0.1 that recorded an index as UNSUPPORTED_IMAGE: the index is looked up and its platform images scanned", async () => {
            const old = stored({ imageDigest: INDEX, scanStatus: "UNSUPPORTED_IMAGE", scanCompletedAt: undefined });
            delete (old as Partial<ImageScanOutputs>).images;
            const { ctx, stub } = setup({
                describeImages: [indexFound],
                batchGetImage: [{ images: [{ imageManifest: MANIFEST }] }],
                describeImageScanFindings: [done("2026-11-29T09:30:00Z")],
            });
            const outs = await apply(ctx, inputs({ imageDigest: INDEX }), old);
            assert.deepEqual(stub.calls.slice(0, 2), ["describeImages", "batchGetImage"]);
            assert.deepEqual(stub.inputs[0], { repositoryName: "web", registryId: REGISTRY, imageIds: [{ imageDigest: INDEX }] });
            assert.deepEqual(outs.images.map((i) => [i.platform, i.scanStatus]), [["linux/amd64", "COMPLETE"], ["linux/arm64", "COMPLETE"]]);
            assert.equal(outs.scanStatus, "COMPLETE");
        });

        it("state of ImageScan 0.1 with a plain UNSUPPORTED_IMAGE image: looked up, then kept as recorded", async () => {
            const old = stored({ scanStatus: "UNSUPPORTED_IMAGE", scanCompletedAt: undefined });
            delete (old as Partial<ImageScanOutputs>).images;
            const { ctx, stub } = setup({ describeImages: [imageFound()], describeImageScanFindings: [awsError("ScanNotFoundException")] });
            const outs = await apply(ctx, inputs(), old);
            assert.deepEqual(stub.calls, ["describeImages", "describeImageScanFindings"]);
            assert.deepEqual([outs.scanStatus, outs.images.length], ["UNSUPPORTED_IMAGE", 1]);
            // With `images` recorded, UNSUPPORTED_IMAGE is not looked up again.
            const again = setup({ describeImageScanFindings: [awsError("ScanNotFoundException")] });
            await apply(again.ctx, inputs(), outs);
            assert.deepEqual(again.stub.calls, ["describeImageScanFindings"]);
        });

        it("an ENHANCED record due for a rescan re-reads instead of starting a scan", async () => {
            const { ctx, stub } = setup({ describeImageScanFindings: [scanStatus("ACTIVE", { imageScanFindings: { findingSeverityCounts: {} } })] });
            const old = stored({ scanType: "ENHANCED", scanStatus: "ACTIVE", images: [entry(undefined, DIGEST, { scanStatus: "ACTIVE", scanStartedAt: "2026-11-27T09:00:00.000Z" })] });
            const outs = await apply(ctx, inputs({ rescanAfterHours: 24 }), old);
            assert.deepEqual(stub.calls, ["describeImageScanFindings"]);
            assert.deepEqual([outs.scanType, outs.scanStartedAt], ["ENHANCED", "2026-11-29T10:00:00.000Z"]);
        });

        it("an image without a scan record keeps its recorded result, per platform image", async () => {
            const images = [
                entry("linux/amd64", P.amd64, { scanStatus: "UNSUPPORTED_IMAGE", scanCompletedAt: undefined }),
                entry("linux/arm64", P.arm64, { findingSeverityCounts: { HIGH: 1 }, findingsTotal: 1 }),
            ];
            const old = stored({
                imageDigest: INDEX,
                scanStatus: "UNSUPPORTED_IMAGE",
                images,
                findingSeverityCounts: { HIGH: 1 },
                findingsTotal: 1,
                topFindings: [{ name: "CVE-ARM", severity: "HIGH", platforms: ["linux/arm64"] }],
            });
            const { ctx, stub } = setup({ describeImageScanFindings: [awsError("ScanNotFoundException")] });
            const outs = await apply(ctx, inputs({ imageDigest: INDEX, timeoutSeconds: 60 }), old);
            assert.deepEqual(stub.calls, ["describeImageScanFindings", "describeImageScanFindings"]);
            assert.deepEqual(outs.images.map((i) => [i.platform, i.scanStatus, i.findingsTotal]), [
                ["linux/amd64", "UNSUPPORTED_IMAGE", 0],
                ["linux/arm64", "COMPLETE", 1],
            ]);
            assert.deepEqual(outs.topFindings, [{ name: "CVE-ARM", severity: "HIGH", platforms: ["linux/arm64"] }]);
        });

        const indexState = (platforms?: string[]) =>
            stored({
                imageDigest: INDEX,
                platforms,
                images: [entry("linux/amd64", P.amd64, { scanStartedAt: "2026-11-29T08:00:00.000Z" }), entry("linux/arm64", P.arm64)],
            });

        it("a plain image with platforms newly set is not read as an index", async () => {
            const { ctx, stub } = setup({ describeImageScanFindings: [done("2026-11-29T09:00:30Z")] });
            const outs = await apply(ctx, inputs({ platforms: ["linux/amd64"] }), stored());
            assert.deepEqual(stub.calls, ["describeImageScanFindings"]);
            assert.deepEqual(outs.images.map((i) => i.platform), [undefined]);
        });

        it("an index with the same platforms, however ordered or spelled: the recorded platform images, no BatchGetImage", async () => {
            for (const [recorded, given] of [
                [["linux/amd64"], ["linux/amd64"]],
                [["linux/amd64", "linux/arm64"], ["linux/arm64/v8", "linux/amd64"]],
            ]) {
                const { ctx, stub } = setup({ describeImageScanFindings: [done("2026-11-29T09:00:30Z")] });
                const outs = await apply(ctx, inputs({ imageDigest: INDEX, platforms: given }), indexState(recorded));
                assert.ok(!stub.calls.includes("batchGetImage"), JSON.stringify(given));
                assert.equal(outs.images.length, 2);
            }
        });

        it("an index whose platforms changed is read again; an image scanned before keeps its record, a new one is scanned", async () => {
            const { ctx, stub } = setup({
                batchGetImage: [{ images: [{ imageManifest: MANIFEST }] }],
                describeImageScanFindings: [done("2026-11-29T09:00:30Z")],
            });
            const outs = await apply(ctx, inputs({ imageDigest: INDEX, platforms: ["linux/amd64"] }), indexState());
            assert.deepEqual(stub.calls, ["batchGetImage", "describeImageScanFindings"]);
            assert.deepEqual(outs.images.map((i) => [i.platform, i.scanStartedAt]), [["linux/amd64", "2026-11-29T08:00:00.000Z"]]);
            assert.deepEqual(outs.platforms, ["linux/amd64"]);

            const widened = setup({
                batchGetImage: [{ images: [{ imageManifest: MANIFEST }] }],
                describeImageScanFindings: [(input: never) => (digestOf(input) === P.amd64 ? done("2026-11-29T09:00:30Z") : done("2026-11-29T09:59:00Z"))],
            });
            const narrowed = stored({ imageDigest: INDEX, platforms: ["linux/amd64"], images: [entry("linux/amd64", P.amd64)] });
            const wide = await apply(widened.ctx, inputs({ imageDigest: INDEX }), narrowed);
            assert.deepEqual(wide.images.map((i) => [i.platform, i.scanStartedAt, i.adoptedExistingScan]), [
                ["linux/amd64", "2026-11-29T09:00:00.000Z", false],
                ["linux/arm64", "2026-11-29T09:59:00.000Z", true],
            ]);

            // A platform image never scanned: scanned now, not taken for the other's record.
            const fresh = setup({
                batchGetImage: [{ images: [{ imageManifest: MANIFEST }] }],
                startImageScan: [{}],
                describeImageScanFindings: [(input: never) => (digestOf(input) === P.amd64 ? done("2026-11-29T09:00:30Z") : fresh.stub.calls.includes("startImageScan") ? done("2026-11-29T10:00:30Z") : awsError("ScanNotFoundException"))],
            });
            const scanned = await apply(fresh.ctx, inputs({ imageDigest: INDEX }), narrowed);
            const started = fresh.stub.inputs.filter((_, i) => fresh.stub.calls[i] === "startImageScan").map((x) => digestOf(x as never));
            assert.deepEqual(started, [P.arm64]);
            assert.deepEqual(scanned.images.map((i) => [i.platform, i.adoptedExistingScan]), [["linux/amd64", false], ["linux/arm64", false]]);
        });
    });

    it("imageRef keeps only what names an image", () => {
        const ref = imageRef({ ...stored(), imageTag: "v1", endpoint: "http://e" } as never);
        assert.deepEqual(ref, { repositoryName: "web", registryId: REGISTRY, region: "eu-west-1", imageDigest: DIGEST, imageTag: "v1", endpoint: "http://e" });
    });
});

describe("apply through the provider: what the engine gets", () => {
    const provider = (script: StubScript) => {
        const stub = stubTransport(script);
        const clock = fakeClock();
        return new ImageScanProvider({ transport: stub.factory, now: clock.now, sleep: clock.sleep, random: () => 0.5, log: () => undefined, timer: () => () => undefined });
    };
    /** An answer no one expected: findings that are not a list. */
    const garbled = () => ({ imageScanStatus: { status: "COMPLETE" }, imageScanFindings: { findings: 5 } }) as never;

    it("create: the resource ID is <registryId>/<repositoryName>@<imageDigest>, with every output", async () => {
        const created = await provider({ describeImages: [imageFound()], describeImageScanFindings: [done()] }).create(inputs({ repositoryName: "team/web", imageDigest: undefined, imageTag: "v1" }));
        assert.equal(created.id, `${REGISTRY}/team/web@${DIGEST}`);
        assert.equal(created.outs?.imageUri, `${REGISTRY}.dkr.ecr.eu-west-1.amazonaws.com/team/web@${DIGEST}`);
    });

    it("update returns every output", async () => {
        const updated = await provider({ describeImageScanFindings: [done("2026-11-29T09:00:30Z")] }).update("id", stored(), inputs({ timeoutSeconds: 60 }));
        assert.deepEqual(Object.keys(updated.outs ?? {}).sort(), Object.keys(stored({ timeoutSeconds: 60, scanStatusDescription: "stub COMPLETE" })).sort());
    });

    it("an unexpected failure in create or update says which step, with no stack", async () => {
        const p = provider({ describeImages: [imageFound()], describeImageScanFindings: [garbled()] });
        for (const [step, run] of [
            ["create", () => p.create(inputs())],
            ["update", () => p.update("id", stored(), inputs())],
        ] as const) {
            await assert.rejects(run(), (e: Error) => {
                assert.equal(e.name, "UnexpectedError");
                assert.match(e.message, new RegExp(`^ImageScan ${step} failed: TypeError: .*This is unexpected; please report it`));
                assert.equal(e.stack, "");
                return true;
            });
        }
    });

    it("ImageScan's own errors reach the engine unchanged", async () => {
        const p = provider({ describeImages: [awsError("RepositoryNotFoundException", "no repo")] });
        await assert.rejects(p.create(inputs()), (e: Error) => e.name === "RepositoryNotFoundError");
        const q = provider({ describeImageScanFindings: [awsError("AccessDeniedException", "no")] });
        await assert.rejects(q.update("id", stored(), inputs()), (e: Error) => e.name === "EcrRequestError");
    });
});

describe("apply: the real abort timer (context's default)", () => {
    const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

    it("is a real timer; its cancel clears it, so that nothing is left pending after a run", async () => {
        const before = timeouts();
        const ctx = context({ transport: stubTransport({}).factory, log: () => undefined });
        const cancel = ctx.timer(60_000, () => assert.fail("fired"));
        assert.equal(timeouts(), before + 1);
        cancel();
        assert.equal(timeouts(), before);
        await new Promise<void>((resolve) => ctx.timer(1, resolve));
    });
});
