// Image URIs: what awsx.ecr.Image.imageUri, docker-build.Image.ref and `docker push`
// print, `<registryId>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>` followed by
// `:<tag>`, `@<digest>` or `:<tag>@<digest>`. Parsed into the inputs they stand for; the
// `imageUri` output is always pinned by digest.

export interface ImageUriParts {
    registryId: string;
    region: string;
    repositoryName: string;
    imageTag?: string;
    imageDigest?: string;
}

// Repository: ECR's pattern. Tag: no whitespace, ":" or "@" (we split on them).
const IMAGE_URI = /^(\d{12})\.dkr\.ecr\.([a-z]{2}(?:-[a-z]+)+-\d{1,2})\.amazonaws\.com(?:\.cn)?\/((?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)(?::([^\s:@]{1,300}))?(?:@(sha256:[0-9a-f]{64}))?$/;

/** The parts of an ECR image URI, or a reason it is not one (for check's message). */
export function parseImageUri(uri: string): ImageUriParts | { problem: string } {
    const m = IMAGE_URI.exec(uri);
    if (!m) {
        const [host] = uri.split("/");
        if (!/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(host ?? "")) {
            return { problem: 'it must start with an ECR registry host, "<account>.dkr.ecr.<region>.amazonaws.com/", then the repository.' };
        }
        if (/@sha256:/.test(uri) && !/@sha256:[0-9a-f]{64}$/.test(uri)) {
            return { problem: 'the digest after "@" must be "sha256:" followed by 64 lowercase hex characters.' };
        }
        return { problem: 'after the host comes the repository (lowercase, e.g. "team/web"), then ":<tag>", "@<digest>" or ":<tag>@<digest>".' };
    }
    const [, registryId, region, repositoryName, imageTag, imageDigest] = m;
    if (uri.split("/")[0].endsWith(".cn") !== region.startsWith("cn-")) {
        return { problem: `the host ends in .amazonaws.com.cn in the China regions (cn-…) only, and in .amazonaws.com elsewhere; ${region} is ${region.startsWith("cn-") ? "" : "not "}one.` };
    }
    if (repositoryName.length < 2 || repositoryName.length > 256) {
        return { problem: `the repository must be 2 to 256 characters long (it has ${repositoryName.length}).` };
    }
    if (imageTag === undefined && imageDigest === undefined) {
        return { problem: 'it names no image: add ":<tag>", "@<digest>" or both, e.g. ".../web:1.4.2".' };
    }
    const parts: ImageUriParts = { registryId, region, repositoryName };
    if (imageTag !== undefined) {
        parts.imageTag = imageTag;
    }
    if (imageDigest !== undefined) {
        parts.imageDigest = imageDigest;
    }
    return parts;
}

/** The URI that pins an image by digest: what a deployment should pull. */
export function pinnedImageUri(registryId: string, region: string, repositoryName: string, imageDigest: string): string {
    const domain = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
    return `${registryId}.dkr.ecr.${region}.${domain}/${repositoryName}@${imageDigest}`;
}
