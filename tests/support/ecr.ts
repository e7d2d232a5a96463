// Test fixtures on the local ECR API: repositories, images pushed with PutImage, and
// canned scan findings through moto's API.

import {
    BatchDeleteImageCommand,
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
        imageId: { imageDigest },
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
