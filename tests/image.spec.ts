// How messages and progress lines name an image.

import { strict as assert } from "assert";
import { fullLabel, shortLabel } from "../provider/image";

const DIGEST = "sha256:1a2b3c4d" + "e".repeat(56);

describe("image labels", () => {
    describe("shortLabel (progress lines)", () => {
        const cases: [string, Parameters<typeof shortLabel>[0], string][] = [
            ["a digest, shortened", { repositoryName: "web", imageDigest: DIGEST }, "web@sha256:1a2b3c4d…"],
            ["the digest wins over the tag", { repositoryName: "web", imageDigest: DIGEST, imageTag: "v1" }, "web@sha256:1a2b3c4d…"],
            ["a tag only", { repositoryName: "team/web", imageTag: "v1" }, "team/web:v1"],
            ["neither", { repositoryName: "web" }, "web:?"],
            ["a platform image", { repositoryName: "web", imageDigest: DIGEST, platform: "linux/arm64" }, "web@sha256:1a2b3c4d… linux/arm64"],
        ];
        for (const [what, ref, expected] of cases) {
            it(`${what}: ${expected}`, () => assert.equal(shortLabel(ref), expected));
        }
    });

    describe("fullLabel (error messages)", () => {
        const cases: [string, Parameters<typeof fullLabel>[0], string][] = [
            ["repository and region", { repositoryName: "web", region: "eu-west-1" }, "web (eu-west-1)"],
            [
                "registry, tag, digest",
                { repositoryName: "web", registryId: "123456789012", region: "eu-west-1", imageTag: "v1", imageDigest: DIGEST },
                `123456789012/web:v1@${DIGEST} (eu-west-1)`,
            ],
            ["an endpoint", { repositoryName: "web", region: "us-east-1", imageTag: "v1", endpoint: "http://127.0.0.1:5000" }, "web:v1 (us-east-1, endpoint http://127.0.0.1:5000)"],
            [
                "a platform image of an index",
                { repositoryName: "web", region: "eu-west-1", imageDigest: DIGEST, platform: "linux/amd64" },
                `web@${DIGEST} [linux/amd64 image of the index] (eu-west-1)`,
            ],
        ];
        for (const [what, ref, expected] of cases) {
            it(`${what}: ${expected}`, () => assert.equal(fullLabel(ref), expected));
        }
    });
});
