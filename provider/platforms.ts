// Image indexes: multi-platform images, and the single-platform pushes that buildx has
// wrapped in an index since 0.10 to carry a provenance attestation. ECR refuses to scan
// an index; ImageScan scans its platform images instead.

/** Media types of an image index, as DescribeImages reports them. */
export const INDEX_MEDIA_TYPES = ["application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"];

export function isIndex(mediaType: string | undefined): boolean {
    return mediaType !== undefined && INDEX_MEDIA_TYPES.includes(mediaType);
}

/** A platform image of an index: `linux/amd64`, `linux/arm/v7`. */
export interface PlatformImage {
    platform: string;
    imageDigest: string;
}

interface IndexEntry {
    mediaType?: unknown;
    digest?: unknown;
    platform?: { os?: unknown; architecture?: unknown; variant?: unknown };
    annotations?: Record<string, unknown>;
}

/** `os/arch[/variant]`, in lowercase letters and digits. */
export const PLATFORM_PATTERN = /^[a-z0-9]+\/[a-z0-9_]+(?:\/[a-z0-9]+)?$/;

/**
 * The same platform however it is written: arm64's default variant is v8, arm's is v7
 * (as docker and containerd read them).
 */
export function samePlatform(a: string, b: string): boolean {
    const norm = (p: string) => p.replace(/^([^/]+\/arm64)\/v8$/, "$1").replace(/^([^/]+\/arm)$/, "$1/v7");
    return norm(a) === norm(b);
}

/** Two `platforms` inputs that pick the same platform images (order and spelling aside). */
export function samePlatforms(a: string[] | undefined, b: string[] | undefined): boolean {
    if (a === undefined || b === undefined) {
        return a === b;
    }
    return a.every((x) => b.some((y) => samePlatform(x, y))) && b.every((y) => a.some((x) => samePlatform(x, y)));
}

/**
 * The platform images of an index manifest, in index order: the entries with a platform,
 * less attestation manifests (annotated `vnd.docker.reference.type:
 * attestation-manifest`, or on platform unknown/unknown) and nested indexes.
 */
export function platformImages(manifest: string): PlatformImage[] {
    const parsed = JSON.parse(manifest) as { manifests?: IndexEntry[] };
    const out: PlatformImage[] = [];
    for (const entry of parsed.manifests ?? []) {
        const p = entry.platform;
        if (!p || typeof p.os !== "string" || typeof p.architecture !== "string" || typeof entry.digest !== "string") {
            continue;
        }
        if (entry.annotations?.["vnd.docker.reference.type"] === "attestation-manifest" || (p.os === "unknown" && p.architecture === "unknown")) {
            continue;
        }
        // An index inside the index: no image of its own to scan (buildx writes none).
        if (typeof entry.mediaType === "string" && INDEX_MEDIA_TYPES.includes(entry.mediaType)) {
            continue;
        }
        const platform = [p.os, p.architecture, typeof p.variant === "string" && p.variant ? p.variant : undefined].filter(Boolean).join("/");
        out.push({ platform, imageDigest: entry.digest });
    }
    return out;
}

/**
 * The platform images `wanted` names (all when unset), in index order, or the wanted
 * platforms the index lacks.
 */
export function selectPlatforms(all: PlatformImage[], wanted: string[] | undefined): { images: PlatformImage[] } | { missing: string[] } {
    if (!wanted) {
        return { images: all };
    }
    const missing = wanted.filter((w) => !all.some((i) => samePlatform(i.platform, w)));
    return missing.length > 0 ? { missing } : { images: all.filter((i) => wanted.some((w) => samePlatform(i.platform, w))) };
}
