// Which image a call is about, and how messages name it.

export interface ImageRef {
    repositoryName: string;
    registryId?: string;
    region: string;
    imageDigest?: string;
    imageTag?: string;
    endpoint?: string;
    /** For a platform image of an index: its platform (the digest is the platform image's). */
    platform?: string;
}

/** `web@sha256:1a2b3c4d…` (short digest) or `web:latest`, for progress lines; then the platform. */
export function shortLabel(ref: Pick<ImageRef, "repositoryName" | "imageDigest" | "imageTag" | "platform">): string {
    const image = ref.imageDigest ? `${ref.repositoryName}@${ref.imageDigest.slice(0, 15)}…` : `${ref.repositoryName}:${ref.imageTag ?? "?"}`;
    return ref.platform ? `${image} ${ref.platform}` : image;
}

/** The full name for error messages: registry, repository, tag and digest, region. */
export function fullLabel(ref: ImageRef): string {
    const registry = ref.registryId ? `${ref.registryId}/` : "";
    const tag = ref.imageTag ? `:${ref.imageTag}` : "";
    const digest = ref.imageDigest ? `@${ref.imageDigest}` : "";
    const where = ref.endpoint ? `${ref.region}, endpoint ${ref.endpoint}` : ref.region;
    const platform = ref.platform ? ` [${ref.platform} image of the index]` : "";
    return `${registry}${ref.repositoryName}${tag}${digest}${platform} (${where})`;
}
