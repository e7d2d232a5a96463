// Image indexes (SPEC.md, "Image indexes") against moto_server behind the proxy, which
// refuses a scan of an index as ECR does. One test per rule; the fixtures are shaped like
// real pushes: buildx (an OCI index of the image and its provenance attestation) and a
// multi-arch Docker manifest list.

import { strict as assert } from "assert";
import { PutImageCommand, StartImageScanCommand } from "@aws-sdk/client-ecr";
import { createHash } from "crypto";
import { ImageScanOutputs, ImageScanProvider } from "../../provider/index";
import * as fx from "../support/ecr";
import { BUILDX_TWO, MULTI_ARCH, useLab } from "../support/lab";
import { RecordingProxy, successfulStarts } from "../support/proxy";

const HOUR = 3600_000;

describe("image indexes against moto_server", function () {
    this.timeout(120_000);
    const lab = useLab();
    let proxy: RecordingProxy;
    before(() => {
        proxy = lab().proxy;
    });
    beforeEach(() => {
        proxy.reset();
        lab().logs.length = 0;
    });

    const provider = () => lab().provider();
    async function create(p: ImageScanProvider, raw: Record<string, unknown>): Promise<ImageScanOutputs> {
        return (await p.create(await lab().inputs(p, raw))).outs as ImageScanOutputs;
    }
    const startsOn = () => [...successfulStarts(proxy.calls).keys()];

    it("the lab refuses a scan of an index as ECR does, and accepts one of a platform image", async () => {
        const repo = await lab().repository("idx-refuse");
        const pushed = await lab().pushIndex(repo, "v1");
        const ecr = fx.ecrClient(proxy.url);
        await assert.rejects(ecr.send(new StartImageScanCommand({ repositoryName: repo, imageId: { imageDigest: pushed.digest } })), (e: Error) => {
            assert.equal(e.name, "UnsupportedImageTypeException");
            assert.equal(e.message, "An artifact with media type 'application/vnd.oci.image.index.v1+json' cannot be scanned");
            return true;
        });
        await ecr.send(new StartImageScanCommand({ repositoryName: repo, imageId: { imageDigest: pushed.images[0].digest } }));
    });

    it("a buildx push (index of image + attestation): scans the image, neither the index nor the attestation; the budget's calls", async () => {
        const repo = await lab().repository("idx-buildx");
        const pushed = await lab().pushIndex(repo, "v1");
        const outs = await create(provider(), { repositoryName: repo, imageTag: "v1" });

        assert.equal(outs.imageDigest, pushed.digest, "imageDigest stays the index's");
        assert.equal(outs.imageUri, `${fx.ACCOUNT}.dkr.ecr.${fx.REGION}.amazonaws.com/${repo}@${pushed.digest}`, "imageUri pins the index");
        assert.deepEqual(outs.images.map((i) => [i.platform, i.imageDigest, i.scanStatus]), [["linux/amd64", pushed.images[0].digest, "COMPLETE"]]);
        assert.equal(outs.scanStatus, "COMPLETE");
        assert.deepEqual(startsOn(), [pushed.images[0].digest]);
        // 1 DescribeImages + 1 BatchGetImage + the plain image's: lookup, start, poll.
        assert.deepEqual(
            proxy.calls.map((c) => c.operation),
            ["DescribeImages", "BatchGetImage", "DescribeImageScanFindings", "StartImageScan", "DescribeImageScanFindings"],
        );
    });

    it("a multi-arch manifest list: every platform image, in parallel; counts, platforms and the gate over all of them", async () => {
        const repo = await lab().repository("idx-multi");
        const pushed = await lab().pushIndex(repo, "v1", MULTI_ARCH);
        const [amd64, arm64, arm] = pushed.images;
        await lab().setFindings(repo, amd64.digest, [{ name: "CVE-2026-0001", severity: "HIGH" }, { name: "CVE-2026-0002", severity: "CRITICAL" }]);
        await lab().setFindings(repo, arm64.digest, [{ name: "CVE-2026-0001", severity: "HIGH" }]);
        await lab().setFindings(repo, arm.digest, [{ name: "CVE-2026-0003", severity: "HIGH" }]);

        const p = provider();
        await assert.rejects(create(p, { repositoryName: repo, imageTag: "v1", failOnSeverity: "CRITICAL" }), (e: Error) => {
            assert.equal(e.name, "GateFailedError");
            assert.match(e.message, /CVE-2026-0002 \(linux\/amd64\)/);
            return true;
        });
        assert.deepEqual(startsOn().sort(), pushed.images.map((i) => i.digest).sort(), "one scan per platform image");

        proxy.reset();
        const outs = await create(p, { repositoryName: repo, imageTag: "v1", failOnSeverity: "CRITICAL", ignoreFindings: ["CVE-2026-0002"] });
        assert.equal(proxy.count("StartImageScan"), 0, "the retry adopts all three");
        assert.deepEqual(outs.images.map((i) => i.platform), ["linux/amd64", "linux/arm64/v8", "linux/arm/v7"]);
        assert.deepEqual(outs.images.map((i) => i.findingsTotal), [2, 1, 1]);
        // HIGH: one image has 1, but two distinct names are listed: 2. CVE-2026-0001 counts once.
        assert.deepEqual(outs.findingSeverityCounts, { HIGH: 2, CRITICAL: 1 });
        assert.deepEqual(outs.topFindings.map((f) => [f.name, f.platforms]), [
            ["CVE-2026-0002", ["linux/amd64"]],
            ["CVE-2026-0001", ["linux/amd64", "linux/arm64/v8"]],
            ["CVE-2026-0003", ["linux/arm/v7"]],
        ]);
        assert.deepEqual(outs.ignoredFindings, [{ name: "CVE-2026-0002", severity: "CRITICAL" }]);
        assert.equal(outs.adoptedExistingScan, true);
        const latest = outs.images.map((i) => i.scanStartedAt).sort().pop();
        assert.equal(outs.scanStartedAt, latest, "scanStartedAt is the latest of the platform images'");
        assert.equal(outs.nextScanAllowedAt, outs.images.map((i) => i.nextScanAllowedAt).sort().pop());
    });

    it("scanStatus is the first platform image, in index order, that is not complete", async () => {
        const repo = await lab().repository("idx-status");
        const pushed = await lab().pushIndex(repo, "v1", MULTI_ARCH);
        await lab().setFindings(repo, pushed.images[1].digest, [], "FAILED");
        await lab().setFindings(repo, pushed.images[2].digest, [], "FINDINGS_UNAVAILABLE");
        const outs = await create(provider(), { repositoryName: repo, imageTag: "v1" });
        assert.deepEqual(outs.images.map((i) => i.scanStatus), ["COMPLETE", "FAILED", "FINDINGS_UNAVAILABLE"]);
        assert.equal(outs.scanStatus, "FAILED");
    });

    it("platforms narrows what is scanned; a platform the index lacks fails create, listing those it has, with no scan", async () => {
        const repo = await lab().repository("idx-platforms");
        const pushed = await lab().pushIndex(repo, "v1", MULTI_ARCH);
        const outs = await create(provider(), { repositoryName: repo, imageTag: "v1", platforms: ["linux/arm/v7"] });
        assert.deepEqual(outs.images.map((i) => i.platform), ["linux/arm/v7"]);
        assert.deepEqual(startsOn(), [pushed.images[2].digest]);

        proxy.reset();
        const p = provider();
        await assert.rejects(create(p, { repositoryName: repo, imageTag: "v1", platforms: ["linux/amd64", "linux/s390x"] }), (e: Error) => {
            assert.equal(e.name, "PlatformNotFoundError");
            assert.match(e.message, /no image for platform\(s\) linux\/s390x: it has linux\/amd64, linux\/arm64\/v8, linux\/arm\/v7/);
            return true;
        });
        assert.equal(proxy.count("StartImageScan"), 0);
    });

    it("an index with attestations only is a clear error, with no scan", async () => {
        const repo = await lab().repository("idx-empty");
        const att = JSON.stringify({ schemaVersion: 2, mediaType: fx.MEDIA.ociIndex, manifests: [{ mediaType: fx.MEDIA.ociManifest, digest: "sha256:" + "e".repeat(64), size: 500, platform: { os: "unknown", architecture: "unknown" } }] });
        await fx.ecrClient(lab().moto.url).send(
            new PutImageCommand({ repositoryName: repo, imageTag: "v1", imageManifest: att, imageManifestMediaType: fx.MEDIA.ociIndex, imageDigest: "sha256:" + createHash("sha256").update(att).digest("hex") }),
        );
        await assert.rejects(create(provider(), { repositoryName: repo, imageTag: "v1" }), (e: Error) => {
            assert.equal(e.name, "EmptyIndexError");
            assert.match(e.message, /no platform image to scan/);
            return true;
        });
        assert.equal(proxy.count("StartImageScan"), 0);
    });

    it("each platform image has its own window: one scanned earlier is adopted, the other is scanned", async () => {
        const repo = await lab().repository("idx-window");
        const pushed = await lab().pushIndex(repo, "v1", BUILDX_TWO);
        // Scanned earlier today, e.g. by another stack that deploys only amd64.
        await fx.ecrClient(lab().moto.url).send(new StartImageScanCommand({ repositoryName: repo, imageId: { imageDigest: pushed.images[0].digest } }));
        const outs = await create(provider(), { repositoryName: repo, imageTag: "v1" });
        assert.deepEqual(outs.images.map((i) => [i.platform, i.adoptedExistingScan]), [
            ["linux/amd64", true],
            ["linux/arm64", false],
        ]);
        assert.deepEqual(startsOn(), [pushed.images[1].digest]);
    });

    it("LimitExceededException for one platform image is adopted for that one only", async () => {
        const repo = await lab().repository("idx-quota");
        const pushed = await lab().pushIndex(repo, "v1", BUILDX_TWO);
        await fx.ecrClient(lab().moto.url).send(new StartImageScanCommand({ repositoryName: repo, imageId: { imageDigest: pushed.images[1].digest } }));
        // Hide that scan from the lookup, so that StartImageScan meets moto's quota.
        proxy.inject("DescribeImageScanFindings", { kind: "status", status: 400, code: "ScanNotFoundException", message: "hidden" }, { kind: "status", status: 400, code: "ScanNotFoundException", message: "hidden" });
        const outs = await create(provider(), { repositoryName: repo, imageTag: "v1" });
        assert.deepEqual(outs.images.map((i) => i.adoptedExistingScan), [false, true]);
        const refused = proxy.calls.filter((c) => c.operation === "StartImageScan" && c.error === "LimitExceededException");
        assert.equal(refused.length, 1, "refused once, not retried");
    });

    it("a platform image still scanning is waited for, with its platform in the progress line", async () => {
        const repo = await lab().repository("idx-wait");
        await lab().pushIndex(repo, "v1", BUILDX_TWO);
        proxy.holdInProgress(1500);
        const p = lab().provider({ sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 200))) });
        const outs = await create(p, { repositoryName: repo, imageTag: "v1" });
        assert.deepEqual(outs.images.map((i) => i.scanStatus), ["COMPLETE", "COMPLETE"]);
        assert.ok(proxy.calls.some((c) => c.held), "the proxy held the scans");
        assert.ok(lab().logs.some((l) => /@sha256:[0-9a-f]{8}… linux\/arm64 scan IN_PROGRESS/.test(l)), lab().logs.join("\n"));
    });

    it("a rebuild that changed only the attestation: diff replaces (the index moved), and the create starts no scan", async () => {
        const repo = await lab().repository("idx-rebuild");
        const first = await lab().pushIndex(repo, "v1", { ...BUILDX_TWO, seed: "rebuild", attestationSeed: "build-1" });
        const p = provider();
        const inputs = await lab().inputs(p, { repositoryName: repo, imageTag: "v1" });
        const olds = (await p.create(inputs)).outs as ImageScanOutputs;

        const second = await lab().pushIndex(repo, "v1", { ...BUILDX_TWO, seed: "rebuild", attestationSeed: "build-2" });
        assert.notEqual(second.digest, first.digest);
        assert.deepEqual(second.images, first.images, "the same platform images");
        proxy.reset();
        assert.deepEqual((await p.diff("id", olds, inputs)).replaces, ["imageDigest"]);
        const outs = (await p.create(inputs)).outs as ImageScanOutputs;
        assert.equal(outs.imageDigest, second.digest);
        assert.equal(proxy.count("StartImageScan"), 0, "every platform image was scanned in the last 24 h: adopted");
        assert.deepEqual(outs.images.map((i) => i.adoptedExistingScan), [true, true]);
    });

    it("rescanAfterHours: due for the platform images whose time has come; refresh re-reads every one", async () => {
        const repo = await lab().repository("idx-rescan");
        const pushed = await lab().pushIndex(repo, "v1", BUILDX_TWO);
        const inputs = await lab().inputs(provider(), { repositoryName: repo, imageTag: "v1", rescanAfterHours: 24 });
        const olds = (await provider().create(inputs)).outs as ImageScanOutputs;
        const later = lab().provider({ now: () => new Date(Date.parse(olds.scanStartedAt) + 24 * HOUR + 60_000) });
        assert.equal((await later.diff("id", olds, inputs)).changes, true);
        proxy.reset();
        await later.update("id", olds, inputs);
        // moto's quota is per calendar day: it refuses, and the scans of today are adopted.
        assert.deepEqual(proxy.calls.filter((c) => c.operation === "StartImageScan").map((c) => (c.body.imageId as { imageDigest: string }).imageDigest).sort(), pushed.images.map((i) => i.digest).sort());

        proxy.reset();
        const read = (await provider().read("id", olds)).props as ImageScanOutputs;
        assert.equal(read.images.length, 2);
        assert.equal(proxy.calls.filter((c) => c.operation === "DescribeImageScanFindings").length, 2);
    });
});
