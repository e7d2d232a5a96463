// imageUri in (what awsx, docker-build and `docker push` print), pinned by digest out.

import { strict as assert } from "assert";
import { parseImageUri, pinnedImageUri } from "../provider/uri";

const DIGEST = "sha256:" + "0123456789abcdef".repeat(4);
const HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";

describe("uri", () => {
    describe("parseImageUri: the parts", () => {
        const cases: [string, string, object][] = [
            ["a tag", `${HOST}/web:1.4.2`, { registryId: "123456789012", region: "eu-west-1", repositoryName: "web", imageTag: "1.4.2" }],
            ["a digest", `${HOST}/team/web@${DIGEST}`, { registryId: "123456789012", region: "eu-west-1", repositoryName: "team/web", imageDigest: DIGEST }],
            ["a tag and a digest", `${HOST}/web:v1@${DIGEST}`, { registryId: "123456789012", region: "eu-west-1", repositoryName: "web", imageTag: "v1", imageDigest: DIGEST }],
            ["a China region", `123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/web:v1`, { registryId: "123456789012", region: "cn-north-1", repositoryName: "web", imageTag: "v1" }],
            ["a GovCloud region", `123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/a.b-c_d/e:v1`, { registryId: "123456789012", region: "us-gov-west-1", repositoryName: "a.b-c_d/e", imageTag: "v1" }],
            ["a 300-character tag", `${HOST}/web:${"t".repeat(300)}`, { registryId: "123456789012", region: "eu-west-1", repositoryName: "web", imageTag: "t".repeat(300) }],
            ["a 2-character repository", `${HOST}/ab:v1`, { registryId: "123456789012", region: "eu-west-1", repositoryName: "ab", imageTag: "v1" }],
            ["a 256-character repository", `${HOST}/${"r".repeat(256)}:v1`, { registryId: "123456789012", region: "eu-west-1", repositoryName: "r".repeat(256), imageTag: "v1" }],
        ];
        for (const [what, uri, parts] of cases) {
            it(what, () => assert.deepEqual(parseImageUri(uri), parts));
        }
    });

    describe("parseImageUri: what is wrong, in words", () => {
        const HOST_PROBLEM = 'it must start with an ECR registry host, "<account>.dkr.ecr.<region>.amazonaws.com/", then the repository.';
        const DIGEST_PROBLEM = 'the digest after "@" must be "sha256:" followed by 64 lowercase hex characters.';
        const REPO_PROBLEM = 'after the host comes the repository (lowercase, e.g. "team/web"), then ":<tag>", "@<digest>" or ":<tag>@<digest>".';
        const cases: [string, string, string][] = [
            ["Docker Hub", "docker.io/library/nginx:latest", HOST_PROBLEM],
            ["an 11-digit account", "12345678901.dkr.ecr.eu-west-1.amazonaws.com/web:v1", HOST_PROBLEM],
            ["a host with a suffix", `${HOST}.evil.example/web:v1`, HOST_PROBLEM],
            ["a prefix before the account", `x${HOST}/web:v1`, HOST_PROBLEM],
            ["nothing at all", "", HOST_PROBLEM],
            ["a short digest", `${HOST}/web@sha256:abc`, DIGEST_PROBLEM],
            ["an uppercase digest", `${HOST}/web@sha256:${"A".repeat(64)}`, DIGEST_PROBLEM],
            ["a digest with more after it", `${HOST}/web@${DIGEST}x`, DIGEST_PROBLEM],
            ["an uppercase repository", `${HOST}/Web:v1`, REPO_PROBLEM],
            ["an uppercase repository with a good digest", `${HOST}/Web@${DIGEST}`, REPO_PROBLEM],
            ["a region that is not one", "123456789012.dkr.ecr.europe.amazonaws.com/web:v1", REPO_PROBLEM],
            ["a 301-character tag", `${HOST}/web:${"t".repeat(301)}`, REPO_PROBLEM],
            ["a China host without .cn region form", `123456789012.dkr.ecr.cn-north-1.amazonaws.com.cnx/web:v1`, HOST_PROBLEM],
            ["a China region on the global domain", "123456789012.dkr.ecr.cn-north-1.amazonaws.com/web:v1", "the host ends in .amazonaws.com.cn in the China regions (cn-…) only, and in .amazonaws.com elsewhere; cn-north-1 is one."],
            ["another region on the China domain", "123456789012.dkr.ecr.eu-west-1.amazonaws.com.cn/web:v1", "the host ends in .amazonaws.com.cn in the China regions (cn-…) only, and in .amazonaws.com elsewhere; eu-west-1 is not one."],
            ["a repository of one character", `${HOST}/w:v1`, "the repository must be 2 to 256 characters long (it has 1)."],
            ["a repository of 257 characters", `${HOST}/${"r".repeat(257)}:v1`, "the repository must be 2 to 256 characters long (it has 257)."],
            ["no tag or digest", `${HOST}/web`, 'it names no image: add ":<tag>", "@<digest>" or both, e.g. ".../web:1.4.2".'],
        ];
        for (const [what, uri, problem] of cases) {
            it(what, () => assert.deepEqual(parseImageUri(uri), { problem }));
        }
    });

    describe("pinnedImageUri", () => {
        it("pins the image by digest, on the region's domain", () => {
            assert.equal(pinnedImageUri("123456789012", "eu-west-1", "team/web", DIGEST), `123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web@${DIGEST}`);
            assert.equal(pinnedImageUri("123456789012", "cn-north-1", "web", DIGEST), `123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/web@${DIGEST}`);
            // Only a region that starts with cn- is in China.
            assert.equal(pinnedImageUri("123456789012", "us-cn-1", "web", DIGEST), `123456789012.dkr.ecr.us-cn-1.amazonaws.com/web@${DIGEST}`);
        });

        it("round-trips: a pinned URI parses back to the same parts", () => {
            const uri = pinnedImageUri("123456789012", "cn-northwest-1", "team/web", DIGEST);
            assert.deepEqual(parseImageUri(uri), { registryId: "123456789012", region: "cn-northwest-1", repositoryName: "team/web", imageDigest: DIGEST });
        });
    });
});
