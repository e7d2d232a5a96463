// read, for `pulumi refresh`: what it re-reads, what it keeps, and when it drops the
// resource from state.

import { strict as assert } from "assert";
import { context } from "../provider/context";
import { ImageScanProvider } from "../provider/provider";
import { read } from "../provider/read";
import { ImageEntry, ImageScanOutputs } from "../provider/types";
import { awsError, completeScan, DIGEST, fakeClock, imageFound, REGISTRY, storedOutputs, stubTransport, StubScript } from "./support/stub";

function stored(over: Partial<ImageScanOutputs> = {}): ImageScanOutputs {
    return storedOutputs({
        imageTag: "v1",
        scanCompletedAt: "2026-11-29T09:00:30.000Z",
        findingSeverityCounts: { HIGH: 1 },
        findingsTotal: 1,
        topFindings: [{ name: "CVE-OLD", severity: "HIGH" }],
        ...over,
    });
}

const now = (findings: [string, string][], completedAt = "2026-11-29T09:00:30Z") => completeScan(findings, completedAt);

function setup(script: StubScript) {
    const stub = stubTransport(script);
    const clock = fakeClock();
    const ctx = context({ transport: stub.factory, now: clock.now, sleep: clock.sleep, random: () => 0.5, log: () => undefined });
    return { ctx, stub, clock };
}

describe("read (refresh)", () => {
    it("without a recorded digest, keeps what state holds and calls nothing", async () => {
        const { ctx, stub } = setup({});
        assert.deepEqual(await read(ctx, "id"), { id: "id", props: undefined });
        const partial = { repositoryName: "web" } as ImageScanOutputs;
        assert.deepEqual(await read(ctx, "id", partial), { id: "id", props: partial });
        assert.deepEqual(stub.targets, []);
    });

    it("re-reads the findings, on a client for the recorded region, endpoint and profile", async () => {
        const { ctx, stub } = setup({ describeImages: [imageFound()], describeImageScanFindings: [now([["CVE-NEW", "CRITICAL"]])] });
        const res = await read(ctx, "the-id", stored({ endpoint: "http://127.0.0.1:5000", profile: "dev" }));
        assert.equal(res.id, "the-id");
        const props = res.props as ImageScanOutputs;
        assert.deepEqual(props.findingSeverityCounts, { CRITICAL: 1 });
        assert.deepEqual(props.topFindings, [{ name: "CVE-NEW", severity: "CRITICAL" }]);
        assert.deepEqual([props.endpoint, props.profile, props.imageTag, props.scanStartedAt], ["http://127.0.0.1:5000", "dev", "v1", "2026-11-29T09:00:00.000Z"]);
        assert.deepEqual(stub.calls, ["describeImages", "describeImageScanFindings"]);
        assert.deepEqual(stub.inputs[0], { repositoryName: "web", registryId: REGISTRY, imageIds: [{ imageDigest: DIGEST }] });
        assert.deepEqual(
            stub.targets.map((t) => [t.region, t.endpoint, t.profile]),
            [["eu-west-1", "http://127.0.0.1:5000", "dev"]],
        );
    });

    for (const gone of ["RepositoryNotFoundException", "ImageNotFoundException"]) {
        it(`${gone}: returns no id, which removes the resource from state`, async () => {
            const { ctx, stub } = setup({ describeImages: [awsError(gone)] });
            assert.deepEqual(await read(ctx, "id", stored()), {});
            assert.deepEqual(stub.calls, ["describeImages"]);
        });
    }

    it("an image with no scan record keeps the recorded result", async () => {
        const { ctx } = setup({ describeImages: [imageFound()], describeImageScanFindings: [awsError("ScanNotFoundException")] });
        const props = (await read(ctx, "id", stored({ scanStatus: "UNSUPPORTED_IMAGE", images: [{ ...stored().images[0], scanStatus: "UNSUPPORTED_IMAGE" }] }))).props as ImageScanOutputs;
        assert.equal(props.scanStatus, "UNSUPPORTED_IMAGE");
        assert.deepEqual(props.topFindings, [{ name: "CVE-OLD", severity: "HIGH" }]);
        assert.deepEqual(props.findingSeverityCounts, { HIGH: 1 });
    });

    it("state written before `images` existed: the outputs are the one image, and come back with `images`", async () => {
        const { ctx } = setup({ describeImages: [imageFound()], describeImageScanFindings: [awsError("ScanNotFoundException")] });
        const old = stored({ adoptedExistingScan: true });
        delete (old as Partial<ImageScanOutputs>).images;
        const props = (await read(ctx, "id", old)).props as ImageScanOutputs;
        assert.deepEqual(props.images, [{ ...stored().images[0], adoptedExistingScan: true }]);
        assert.deepEqual(props.topFindings, [{ name: "CVE-OLD", severity: "HIGH" }]);
    });

    it("keeps in ignoredFindings every finding an ignore entry names, expired or not; none without a gate", async () => {
        const script = { describeImages: [imageFound()], describeImageScanFindings: [now([["CVE-1", "HIGH"], ["CVE-2", "LOW"], ["CVE-3", "CRITICAL"]])] };
        const ignoreFindings = [{ name: "CVE-1", until: "2026-01-01" }, { name: "CVE-2" }, { name: "CVE-3", reason: "triaged" }];
        const gated = (await read(setup(script).ctx, "id", stored({ failOnSeverity: "HIGH", ignoreFindings }))).props as ImageScanOutputs;
        assert.deepEqual(gated.ignoredFindings, [
            { name: "CVE-3", severity: "CRITICAL", reason: "triaged" },
            { name: "CVE-1", severity: "HIGH", until: "2026-01-01" },
        ]);
        const ungated = (await read(setup(script).ctx, "id", stored({ ignoreFindings }))).props as ImageScanOutputs;
        assert.deepEqual(ungated.ignoredFindings, []);
        const noList = stored({ failOnSeverity: "HIGH" });
        delete (noList as Partial<ImageScanOutputs>).ignoreFindings;
        assert.deepEqual(((await read(setup(script).ctx, "id", noList)).props as ImageScanOutputs).ignoredFindings, []);
    });

    it("a platform image gone from an index that is still there: the recorded result stands, with a warning", async () => {
        const arm = "sha256:" + "b2".repeat(32);
        const amd = "sha256:" + "a1".repeat(32);
        const images: ImageEntry[] = [
            { ...stored().images[0], platform: "linux/amd64", imageDigest: amd },
            { ...stored().images[0], platform: "linux/arm64", imageDigest: arm, findingSeverityCounts: { LOW: 1 }, findingsTotal: 1 },
        ];
        const stub = stubTransport({
            describeImages: [imageFound()],
            describeImageScanFindings: [(input: never) => ((input as { imageId: { imageDigest: string } }).imageId.imageDigest === arm ? awsError("ImageNotFoundException", "gone") : now([]))],
        });
        const logs: string[] = [];
        const ctx = context({ transport: stub.factory, now: fakeClock().now, log: (l) => logs.push(l) });
        const props = (await read(ctx, "id", stored({ images, topFindings: [{ name: "CVE-ARM", severity: "LOW", platforms: ["linux/arm64"] }] }))).props as ImageScanOutputs;
        assert.deepEqual(props.images.map((i) => [i.platform, i.findingsTotal]), [["linux/amd64", 0], ["linux/arm64", 1]]);
        assert.equal(logs.length, 1);
        assert.match(logs[0], new RegExp(`^warning: The image index "v1" lists a linux/arm64 image, ${arm}, which ECR repository "web" does not have \\(ImageNotFoundException: gone; eu-west-1\\)`));
    });

    it("a plain image's scan record gone with the image is an error, not kept", async () => {
        const { ctx } = setup({ describeImages: [imageFound()], describeImageScanFindings: [awsError("ImageNotFoundException", "gone")] });
        await assert.rejects(read(ctx, "id", stored()), (e: Error) => e.name === "ImageNotFoundError");
    });

    it("rides out throttling for a fixed minute, whatever timeoutSeconds says", async () => {
        const throttled = awsError("ThrottlingException", "Rate exceeded");
        const { ctx, clock } = setup({ describeImages: [throttled, throttled, imageFound()], describeImageScanFindings: [throttled, now([])] });
        const props = (await read(ctx, "id", stored({ timeoutSeconds: 1 }))).props as ImageScanOutputs;
        assert.equal(props.findingsTotal, 0);
        assert.deepEqual(clock.sleeps, [1500, 2700, 1500]);

        const always = setup({ describeImages: [throttled] });
        await assert.rejects(read(always.ctx, "id", stored()), /ThrottlingException/);
        assert.ok(always.clock.elapsed() > 30_000 && always.clock.elapsed() <= 60_000, `${always.clock.elapsed()} ms`);
    });
});

describe("read through the provider", () => {
    it("refresh gets read's answer; an unexpected failure says so, with no stack", async () => {
        const ok = new ImageScanProvider({ transport: stubTransport({ describeImages: [imageFound()], describeImageScanFindings: [now([])] }).factory });
        assert.equal((await ok.read("the-id", stored())).id, "the-id");
        const garbled = new ImageScanProvider({ transport: stubTransport({ describeImages: [imageFound()], describeImageScanFindings: [() => ({ imageScanFindings: { findings: 5 } }) as never] }).factory });
        await assert.rejects(garbled.read("id", stored()), (e: Error) => {
            assert.equal(e.name, "UnexpectedError");
            assert.match(e.message, /^ImageScan read failed: TypeError: /);
            assert.equal(e.stack, "");
            return true;
        });
    });
});
