// An image index under the real engine: `pulumi up` of what `docker buildx build --push`
// writes (an OCI index of the image and its provenance attestation), then a rebuild that
// changed only the attestation: the preview shows a replace (the index moved), the up
// scans nothing (the platform image was scanned within 24 h: adopted), and a downstream
// stack reads `images` through StackReference.
//
// Needs `pulumi` on PATH: `npm test` puts it there (scripts/pulumi-cli.sh).

import { strict as assert } from "assert";
import { BUILDX_TWO, DOWNSTREAM, useLab } from "../support/lab";
import { RecordingProxy, successfulStarts } from "../support/proxy";
import { REPO_ROOT, Workspace } from "../support/pulumi";

describe("end to end: an image index (buildx push with attestations)", function () {
    this.timeout(600_000);
    const lab = useLab();
    let proxy: RecordingProxy;
    let ws: Workspace;
    const stack = "e2e-index";
    let repo: string;
    before(async () => {
        ({ proxy, ws } = lab());
        repo = await lab().repository("e2e-index");
    });

    const outputs = async (name: string, cwd = REPO_ROOT) => JSON.parse((await ws.ok(["stack", "output", "--json"], { stack: name, cwd })).stdout) as Record<string, unknown>;

    it("pulumi up scans each platform image of the index, not the index nor the attestations", async () => {
        const pushed = await lab().pushIndex(repo, "prod", { ...BUILDX_TWO, seed: "e2e-index", attestationSeed: "build-1" });
        await lab().stack(stack, REPO_ROOT, { repositoryName: repo, imageTag: "prod" });
        proxy.reset();
        const up = await ws.ok(["up", "--yes", "--skip-preview"], { stack });
        assert.doesNotMatch(up.output, /\n\s+at .+:\d+/);
        const out = await outputs(stack);
        assert.equal(out.imageDigest, pushed.digest);
        assert.equal(out.scanStatus, "COMPLETE");
        assert.deepEqual(
            (out.images as { platform: string; imageDigest: string }[]).map((i) => [i.platform, i.imageDigest]),
            pushed.images.map((i) => [i.platform, i.digest]),
        );
        assert.deepEqual([...successfulStarts(proxy.calls).keys()].sort(), pushed.images.map((i) => i.digest).sort());
        await ws.ok(["up", "--yes", "--skip-preview", "--expect-no-changes"], { stack });
    });

    it("a rebuild that changed only the attestation: the preview shows a replace, the up starts no scan", async () => {
        const rebuilt = await lab().pushIndex(repo, "prod", { ...BUILDX_TWO, seed: "e2e-index", attestationSeed: "build-2" });
        proxy.reset();
        const preview = await ws.ok(["preview", "--diff"], { stack });
        assert.match(preview.output, /\+-.*image-scan|replace/);
        assert.equal(proxy.count("StartImageScan"), 0);

        proxy.reset();
        await ws.ok(["up", "--yes", "--skip-preview"], { stack });
        assert.equal(proxy.count("StartImageScan"), 0, "the platform images were scanned within 24 h: adopted");
        const out = await outputs(stack);
        assert.equal(out.imageDigest, rebuilt.digest);
        assert.deepEqual((out.images as { adoptedExistingScan: boolean }[]).map((i) => i.adoptedExistingScan), [true, true]);
    });

    it("a downstream stack reads images through StackReference", async () => {
        const down = "e2e-index-downstream";
        await lab().stack(down, DOWNSTREAM, { scanStack: `organization/imagescan-example/${stack}` });
        proxy.reset();
        await ws.ok(["up", "--yes", "--skip-preview"], { stack: down, cwd: DOWNSTREAM });
        const out = await outputs(down, DOWNSTREAM);
        assert.deepEqual((out.scannedImages as { platform: string }[]).map((i) => i.platform), ["linux/amd64", "linux/arm64"]);
        assert.equal(proxy.calls.length, 0);
        await ws.ok(["destroy", "--yes", "--skip-preview"], { stack: down, cwd: DOWNSTREAM });
        await ws.ok(["destroy", "--yes", "--skip-preview"], { stack });
    });
});
