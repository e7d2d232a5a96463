// A scripted EcrTransport for the paths moto cannot produce (enhanced scanning,
// UnsupportedImageTypeException, ACTIVE/PENDING/IMAGE_ARCHIVED, late scans, timeouts).

import {
    BatchGetImageCommandOutput,
    DescribeImageScanFindingsCommandOutput,
    DescribeImagesCommandOutput,
    StartImageScanCommandOutput,
} from "@aws-sdk/client-ecr";
import { EcrTarget, EcrTransport } from "../../provider/ecr";
import { dropUndefined, ImageEntry, ImageScanOutputs } from "../../provider/types";

export const DIGEST = "sha256:" + "ab".repeat(32);
export const REGISTRY = "210987654321";

/**
 * An error shaped like the SDK's for an answer ECR gave: its `name`, and the HTTP status
 * in `$metadata` (400 unless given; 5xx for server faults), as the SDK sets them.
 */
export function awsError(name: string, message = name, httpStatusCode = 400): Error {
    const e = Object.assign(new Error(message), {
        $fault: httpStatusCode >= 500 ? "server" : "client",
        $metadata: { httpStatusCode, attempts: 3, totalRetryDelay: 0 },
    });
    e.name = name;
    return e;
}

/** An error with no HTTP answer, as Node gives it: a code such as ECONNRESET. */
export function networkError(code: string, message = `connect ${code} 127.0.0.1:443`): Error {
    return Object.assign(new Error(message), { code, $metadata: { attempts: 3, totalRetryDelay: 0 } });
}

/** An error the SDK raises before any request: no credentials, no region. No HTTP status. */
export function sdkError(name: string, message: string): Error {
    const e = new Error(message);
    e.name = name;
    return e;
}

/** An answer; a function gets the request, e.g. to answer per image digest. */
type Answer<T> = T | Error | ((input: never) => T | Error);

export interface StubScript {
    batchGetImage?: Answer<Partial<BatchGetImageCommandOutput>>[];
    describeImages?: Answer<Partial<DescribeImagesCommandOutput>>[];
    startImageScan?: Answer<Partial<StartImageScanCommandOutput>>[];
    describeImageScanFindings?: Answer<Partial<DescribeImageScanFindingsCommandOutput>>[];
}

export interface Stub {
    factory: (target: EcrTarget) => EcrTransport;
    calls: string[];
    /** The request of each call, in the order of `calls`. */
    inputs: unknown[];
    targets: EcrTarget[];
}

/** The image exists, with one tag. */
export function imageFound(digest = DIGEST): Partial<DescribeImagesCommandOutput> {
    return { imageDetails: [{ imageDigest: digest, registryId: REGISTRY, imageTags: ["v1"] }] };
}

export function scanStatus(status: string, extra: Partial<DescribeImageScanFindingsCommandOutput> = {}): Partial<DescribeImageScanFindingsCommandOutput> {
    return { imageScanStatus: { status: status as never, description: `stub ${status}` }, ...extra };
}

/**
 * Each operation answers from its list in order; the last answer repeats. An operation
 * with no list fails the test loudly.
 */
export function stubTransport(script: StubScript): Stub {
    const calls: string[] = [];
    const inputs: unknown[] = [];
    const targets: EcrTarget[] = [];
    const index: Record<string, number> = {};
    function next<T>(op: keyof StubScript, input: unknown): Promise<T> {
        calls.push(op);
        inputs.push(input);
        const list = script[op] as Answer<unknown>[] | undefined;
        if (!list || list.length === 0) {
            return Promise.reject(new Error(`stub: unexpected ${op}`));
        }
        const i = Math.min(index[op] ?? 0, list.length - 1);
        index[op] = i + 1;
        const a = list[i];
        const value = typeof a === "function" ? (a as (input: unknown) => unknown)(input) : a;
        return value instanceof Error ? Promise.reject(value) : Promise.resolve(value as T);
    }
    return {
        calls,
        inputs,
        targets,
        factory: (target) => {
            targets.push(target);
            return {
                describeImages: (input) => next("describeImages", input),
                startImageScan: (input) => next("startImageScan", input),
                describeImageScanFindings: (input) => next("describeImageScanFindings", input),
                batchGetImage: (input) => next("batchGetImage", input),
                region: async () => target.region ?? "eu-west-1",
            };
        },
    };
}

/** A fake clock whose sleep advances it: backoff and deadlines run instantly. */
export function fakeClock(start = Date.parse("2026-11-29T10:00:00Z")) {
    let now = start;
    const sleeps: number[] = [];
    return {
        now: () => new Date(now),
        sleep: async (ms: number) => {
            sleeps.push(ms);
            now += ms;
        },
        advance: (ms: number) => {
            now += ms;
        },
        sleeps,
        elapsed: () => now - start,
    };
}

/**
 * Outputs as state holds them after a COMPLETE basic scan of one plain image (DIGEST in
 * web, eu-west-1), with overrides. Its `images` entry follows the top-level fields,
 * unless `images` is given.
 */
export function storedOutputs(over: Partial<ImageScanOutputs> = {}): ImageScanOutputs {
    const o: Omit<ImageScanOutputs, "images"> & Partial<ImageScanOutputs> = {
        imageUri: `${REGISTRY}.dkr.ecr.eu-west-1.amazonaws.com/web@${DIGEST}`,
        repositoryName: "web",
        registryId: REGISTRY,
        region: "eu-west-1",
        imageDigest: DIGEST,
        waitForCompletion: true,
        timeoutSeconds: 1200,
        ignoreFindings: [],
        scanStatus: "COMPLETE",
        scanType: "BASIC",
        scanStartedAt: "2026-11-29T09:00:00.000Z",
        nextScanAllowedAt: "2026-11-30T09:00:00.000Z",
        findingSeverityCounts: {},
        findingsTotal: 0,
        topFindings: [],
        adoptedExistingScan: false,
        ignoredFindings: [],
        ...over,
    };
    const { imageDigest, scanStatus, scanStatusDescription, scanStartedAt, nextScanAllowedAt, scanCompletedAt, findingSeverityCounts, findingsTotal, adoptedExistingScan } = o;
    const entry: ImageEntry = dropUndefined({ imageDigest, scanStatus, scanStatusDescription, scanStartedAt, nextScanAllowedAt, scanCompletedAt, findingSeverityCounts, findingsTotal, adoptedExistingScan });
    return { ...o, images: over.images ?? [entry] };
}

/** ECR's answer for a COMPLETE basic scan with these [name, severity] findings. */
export function completeScan(findings: [string, string][] = [], completedAt = "2026-11-29T10:00:05Z"): Partial<DescribeImageScanFindingsCommandOutput> {
    return scanStatus("COMPLETE", {
        imageScanFindings: {
            imageScanCompletedAt: new Date(completedAt),
            findingSeverityCounts: findings.reduce<Record<string, number>>((c, [, s]) => ({ ...c, [s]: (c[s] ?? 0) + 1 }), {}),
            findings: findings.map(([name, severity]) => ({ name, severity: severity as "HIGH" })),
        },
    });
}
