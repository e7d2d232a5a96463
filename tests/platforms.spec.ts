import { strict as assert } from "assert";
import { isIndex, platformImages, samePlatform, selectPlatforms } from "../provider/platforms";

const D = (n: number) => "sha256:" + String(n).repeat(64).slice(0, 64);

/** What `docker buildx build --push` writes for one platform since buildx 0.10. */
const BUILDX = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
        { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: D(1), size: 673, platform: { architecture: "amd64", os: "linux" } },
        {
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            digest: D(2),
            size: 566,
            annotations: { "vnd.docker.reference.digest": D(1), "vnd.docker.reference.type": "attestation-manifest" },
            platform: { architecture: "unknown", os: "unknown" },
        },
    ],
});

/** A Docker manifest list for three platforms. */
const MULTI = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.docker.distribution.manifest.list.v2+json",
    manifests: [
        { digest: D(3), platform: { architecture: "amd64", os: "linux" } },
        { digest: D(4), platform: { architecture: "arm64", os: "linux", variant: "v8" } },
        { digest: D(5), platform: { architecture: "arm", os: "linux", variant: "v7" } },
    ],
});

describe("platforms", () => {
    it("an index is told by its media type", () => {
        assert.equal(isIndex("application/vnd.oci.image.index.v1+json"), true);
        assert.equal(isIndex("application/vnd.docker.distribution.manifest.list.v2+json"), true);
        assert.equal(isIndex("application/vnd.oci.image.manifest.v1+json"), false);
        assert.equal(isIndex(undefined), false);
    });

    it("a buildx push: the image, not its attestation manifest", () => {
        assert.deepEqual(platformImages(BUILDX), [{ platform: "linux/amd64", imageDigest: D(1) }]);
    });

    it("an attestation is skipped by its annotation even on a real platform, and unknown/unknown without one", () => {
        const odd = JSON.stringify({
            manifests: [
                { digest: D(1), platform: { os: "linux", architecture: "amd64" }, annotations: { "vnd.docker.reference.type": "attestation-manifest" } },
                { digest: D(2), platform: { os: "unknown", architecture: "unknown" } },
                { digest: D(3) },
                { digest: D(4), platform: { os: "linux", architecture: "s390x" } },
            ],
        });
        assert.deepEqual(platformImages(odd), [{ platform: "linux/s390x", imageDigest: D(4) }]);
    });

    it("a manifest list: every platform, in index order, with its variant", () => {
        assert.deepEqual(
            platformImages(MULTI).map((i) => i.platform),
            ["linux/amd64", "linux/arm64/v8", "linux/arm/v7"],
        );
    });

    it("arm64 is arm64/v8 and arm is arm/v7, as docker reads them", () => {
        assert.ok(samePlatform("linux/arm64", "linux/arm64/v8"));
        assert.ok(samePlatform("linux/arm", "linux/arm/v7"));
        assert.ok(!samePlatform("linux/arm/v6", "linux/arm/v7"));
        assert.ok(!samePlatform("linux/amd64", "linux/arm64"));
    });

    it("platforms narrows, in index order; a platform the index lacks is named", () => {
        const all = platformImages(MULTI);
        assert.deepEqual(selectPlatforms(all, undefined), { images: all });
        assert.deepEqual(selectPlatforms(all, ["linux/arm/v7", "linux/arm64"]), { images: [all[1], all[2]] });
        assert.deepEqual(selectPlatforms(all, ["linux/amd64", "windows/amd64", "linux/ppc64le"]), { missing: ["windows/amd64", "linux/ppc64le"] });
    });
});
