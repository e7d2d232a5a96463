// Test fixtures on the local ECR API: repositories, images pushed with PutImage, and
// canned scan findings through moto's API.

import {
    BatchDeleteImageCommand,
    BatchGetImageCommand,
    CreateRepositoryCommand,
    DeleteRepositoryCommand,
    ECRClient,
    PutImageCommand,
} from "@aws-sdk/client-ecr";
import { createHash } from "crypto";

export const REGION = "us-east-1";
export const ACCOUNT = "123456789012";

/** Dummy credentials for moto; recognisable so tests can assert they never leak. */
export const DUMMY_KEY_ID = "AKIAIMAGESCANTESTKEY1";
export const DUMMY_SECRET = "imagescan/test/secret/do-not-leak-0123456789";

export function useDummyCredentials(): void {
    process.env.AWS_ACCESS_KEY_ID = DUMMY_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = DUMMY_SECRET;
    process.env.AWS_REGION = REGION;
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_ENDPOINT_URL_ECR;
    delete process.env.AWS_ENDPOINT_URL;
}

export function ecrClient(endpoint: string): ECRClient {
    return new ECRClient({ region: REGION, endpoint, credentials: { accessKeyId: DUMMY_KEY_ID, secretAccessKey: DUMMY_SECRET } });
}

export async function createRepository(endpoint: string, name: string): Promise<void> {
    await ecrClient(endpoint).send(new CreateRepositoryCommand({ repositoryName: name }));
}

export async function deleteRepository(endpoint: string, name: string): Promise<void> {
    await ecrClient(endpoint).send(new DeleteRepositoryCommand({ repositoryName: name, force: true }));
}

/**
 * Pushes an image manifest under a tag and returns its digest. moto derives the digest
 * from the layer digests, so a distinct `seed` gives a distinct, stable image.
 */
export async function pushImage(endpoint: string, repositoryName: string, tag: string, seed: string): Promise<string> {
    const layer = "sha256:" + createHash("sha256").update(seed).digest("hex");
    const manifest = {
        schemaVersion: 2,
        mediaType: "application/vnd.docker.distribution.manifest.v2+json",
        config: { mediaType: "application/vnd.docker.container.image.v1+json", size: 1000, digest: layer },
        layers: [{ mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", size: 1000, digest: layer }],
    };
    const out = await ecrClient(endpoint).send(
        new PutImageCommand({ repositoryName, imageTag: tag, imageManifest: JSON.stringify(manifest) }),
    );
    return out.image?.imageId?.imageDigest as string;
}

/**
 * Pushes an OCI artifact that is not a container image (a Helm chart: its config is not
 * an image config) under a tag; returns its digest. ECR stores it and cannot scan it.
 */
export async function pushArtifact(endpoint: string, repositoryName: string, tag: string, seed: string): Promise<string> {
    const blob = (what: string) => "sha256:" + createHash("sha256").update(`${seed}/${what}`).digest("hex");
    const manifest = {
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.cncf.helm.config.v1+json", size: 200, digest: blob("config") },
        layers: [{ mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip", size: 3000, digest: blob("chart") }],
    };
    const out = await ecrClient(endpoint).send(new PutImageCommand({ repositoryName, imageTag: tag, imageManifest: JSON.stringify(manifest) }));
    return out.image?.imageId?.imageDigest as string;
}

/** A platform of an image index, as buildx and `docker manifest` write it. */
export interface Platform {
    os: string;
    architecture: string;
    variant?: string;
}

/** `linux/arm/v7`: how ImageScan (and docker) write a platform. */
export function platformName(p: Platform): string {
    return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

export const MEDIA = {
    ociIndex: "application/vnd.oci.image.index.v1+json",
    ociManifest: "application/vnd.oci.image.manifest.v1+json",
    ociConfig: "application/vnd.oci.image.config.v1+json",
    dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
    dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
    dockerConfig: "application/vnd.docker.container.image.v1+json",
} as const;

const sha256 = (text: string) => "sha256:" + createHash("sha256").update(text).digest("hex");

/** Puts a manifest by its content digest (as a registry does), with or without a tag. */
async function putManifest(endpoint: string, repositoryName: string, manifest: string, mediaType: string, tag?: string): Promise<string> {
    const imageDigest = sha256(manifest);
    const client = ecrClient(endpoint);
    // moto answers a second PutImage of the same manifest without a tag by deleting
    // untagged images: push each platform image once.
    const known = await client.send(new BatchGetImageCommand({ repositoryName, imageIds: [{ imageDigest }] }));
    if (tag === undefined && known.images?.length) {
        return imageDigest;
    }
    await client.send(new PutImageCommand({ repositoryName, imageManifest: manifest, imageManifestMediaType: mediaType, imageDigest, imageTag: tag }));
    return imageDigest;
}

export interface PushedIndex {
    /** The index's digest: what the tag points at. */
    digest: string;
    /** The platform images, in index order. */
    images: { platform: string; digest: string }[];
    /** The attestation manifests buildx added, if any. */
    attestations: string[];
}

/**
 * Pushes an image index under `tag`, shaped like a real push:
 * - `oci` with `attestations`: what `docker buildx build --push` writes since buildx 0.10,
 *   an OCI index of the platform images and, for each, a provenance attestation manifest
 *   (platform unknown/unknown, annotated `vnd.docker.reference.type: attestation-manifest`);
 * - `docker`: a Docker manifest list, as `docker manifest push` writes for multi-arch.
 * Each platform image's content comes from `seed` and its platform, so the same seed
 * gives the same platform images; `attestationSeed` changes only the attestations (a
 * rebuild whose images did not change). Platform images are pushed by digest, untagged.
 */
export async function pushIndex(
    endpoint: string,
    repositoryName: string,
    tag: string,
    opts: { format: "oci" | "docker"; platforms: Platform[]; seed: string; attestations?: boolean; attestationSeed?: string },
): Promise<PushedIndex> {
    const oci = opts.format === "oci";
    const images: PushedIndex["images"] = [];
    const entries: Record<string, unknown>[] = [];
    const attestations: string[] = [];
    for (const platform of opts.platforms) {
        const name = platformName(platform);
        const blob = (what: string) => sha256(`${opts.seed}/${name}/${what}`);
        const manifest = JSON.stringify({
            schemaVersion: 2,
            mediaType: oci ? MEDIA.ociManifest : MEDIA.dockerManifest,
            config: { mediaType: oci ? MEDIA.ociConfig : MEDIA.dockerConfig, size: 1470, digest: blob("config") },
            layers: [{ mediaType: oci ? "application/vnd.oci.image.layer.v1.tar+gzip" : "application/vnd.docker.image.rootfs.diff.tar.gzip", size: 3_145_728, digest: blob("layer") }],
        });
        const digest = await putManifest(endpoint, repositoryName, manifest, oci ? MEDIA.ociManifest : MEDIA.dockerManifest);
        images.push({ platform: name, digest });
        entries.push({ mediaType: oci ? MEDIA.ociManifest : MEDIA.dockerManifest, digest, size: manifest.length, platform });
    }
    if (opts.attestations) {
        for (const image of images) {
            const blob = (what: string) => sha256(`${opts.attestationSeed ?? opts.seed}/${image.digest}/${what}`);
            const manifest = JSON.stringify({
                schemaVersion: 2,
                mediaType: MEDIA.ociManifest,
                config: { mediaType: MEDIA.ociConfig, size: 167, digest: blob("config") },
                layers: [
                    { mediaType: "application/vnd.in-toto+json", size: 1450, digest: blob("provenance"), annotations: { "in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2" } },
                ],
            });
            const digest = await putManifest(endpoint, repositoryName, manifest, MEDIA.ociManifest);
            attestations.push(digest);
            entries.push({
                mediaType: MEDIA.ociManifest,
                digest,
                size: manifest.length,
                annotations: { "vnd.docker.reference.digest": image.digest, "vnd.docker.reference.type": "attestation-manifest" },
                platform: { architecture: "unknown", os: "unknown" },
            });
        }
    }
    const mediaType = oci ? MEDIA.ociIndex : MEDIA.dockerList;
    const index = JSON.stringify({ schemaVersion: 2, mediaType, manifests: entries });
    return { digest: await putManifest(endpoint, repositoryName, index, mediaType, tag), images, attestations };
}

export async function deleteImage(endpoint: string, repositoryName: string, imageDigest: string): Promise<void> {
    await ecrClient(endpoint).send(new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageDigest }] }));
}

export interface CannedFinding {
    name: string;
    severity: string;
    packageName?: string;
    packageVersion?: string;
}

/** Makes moto answer DescribeImageScanFindings for this image with these findings. */
export async function setCannedFindings(
    motoUrl: string,
    repositoryName: string,
    imageDigest: string,
    findings: CannedFinding[],
    status = "COMPLETE",
): Promise<void> {
    const counts: Record<string, number> = {};
    for (const f of findings) {
        counts[f.severity] = (counts[f.severity] ?? 0) + 1;
    }
    const result = {
        registryId: ACCOUNT,
        repositoryName,
        // moto matches a canned result by tag or digest, and an untagged image (a platform
        // image of an index) has tag None, which a result without a tag matches too: give
        // one that no image has, so that only the digest matches.
        imageId: { imageDigest, imageTag: "imagescan-canned-for-digest-only" },
        imageScanStatus: { status, description: "canned by the test" },
        imageScanFindings: {
            imageScanCompletedAt: new Date().toISOString(),
            vulnerabilitySourceUpdatedAt: new Date().toISOString(),
            findingSeverityCounts: counts,
            findings: findings.map((f) => ({
                name: f.name,
                severity: f.severity,
                uri: `https://cve.example/${f.name}`,
                attributes: [
                    ...(f.packageName ? [{ key: "package_name", value: f.packageName }] : []),
                    ...(f.packageVersion ? [{ key: "package_version", value: f.packageVersion }] : []),
                ],
            })),
        },
    };
    const res = await fetch(`${motoUrl}/moto-api/static/ecr/scan-finding-results`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ results: [result], region: REGION }),
    });
    if (!res.ok) {
        throw new Error(`moto refused canned findings: ${res.status} ${await res.text()}`);
    }
}
