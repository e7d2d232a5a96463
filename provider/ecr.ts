// A narrow wrapper over the ECR client: the three calls ImageScan makes, with AWS
// errors classified by `name` into outcomes or typed errors.
//
// The client is built per call site from a plain EcrTarget. Nothing here is held by the
// provider object, which Pulumi serializes into state.

import {
    DescribeImageScanFindingsCommand,
    DescribeImageScanFindingsCommandInput,
    DescribeImageScanFindingsCommandOutput,
    DescribeImagesCommand,
    DescribeImagesCommandInput,
    DescribeImagesCommandOutput,
    ECRClient,
    StartImageScanCommand,
    StartImageScanCommandInput,
    StartImageScanCommandOutput,
} from "@aws-sdk/client-ecr";
import { isServerError, isThrottlingError, isTransientError, StandardRetryStrategy } from "@smithy/core/retry";
import { RetryErrorInfo, RetryStrategyV2, StandardRetryToken } from "@smithy/types";
import { EcrRequestError, ImageNotFoundError, RepositoryNotFoundError } from "./errors";
import { ImageRef } from "./image";
import { dropUndefined, FindingSummary, ScanResult, ScanType } from "./types";

/** Where to send ECR calls, and when to give up on them. */
export interface EcrTarget {
    region?: string;
    endpoint?: string;
    profile?: string;
    /** Aborts calls in flight when the operation's deadline passes. */
    signal?: AbortSignal;
}

/** Client limits. A hung connection must not outlive timeoutSeconds. */
export interface EcrTuning {
    connectionTimeoutMs?: number;
    requestTimeoutMs?: number;
    maxAttempts?: number;
}

/** The raw calls. The SDK implements it; tests stub it for paths moto cannot produce. */
export interface EcrTransport {
    describeImages(input: DescribeImagesCommandInput): Promise<DescribeImagesCommandOutput>;
    startImageScan(input: StartImageScanCommandInput): Promise<StartImageScanCommandOutput>;
    describeImageScanFindings(input: DescribeImageScanFindingsCommandInput): Promise<DescribeImageScanFindingsCommandOutput>;
    /** The region the client resolved (input, else the SDK default chain). */
    region(): Promise<string>;
}

export type TransportFactory = (target: EcrTarget) => EcrTransport;

/**
 * The SDK's standard retry strategy treats LimitExceededException as throttling and
 * retries it. For StartImageScan that only burns time: the quota answer is final.
 */
export class QuotaAwareRetryStrategy implements RetryStrategyV2 {
    readonly mode = "standard";
    private readonly inner: StandardRetryStrategy;
    constructor(maxAttempts?: number) {
        this.inner = new StandardRetryStrategy(maxAttempts ?? 3);
    }
    acquireInitialRetryToken(scope: string): Promise<StandardRetryToken> {
        return this.inner.acquireInitialRetryToken(scope);
    }
    refreshRetryTokenForRetry(token: StandardRetryToken, errorInfo: RetryErrorInfo): Promise<StandardRetryToken> {
        if (errorInfo.error?.name === "LimitExceededException") {
            // Throwing here makes the SDK surface the original error at once.
            return Promise.reject(errorInfo.error);
        }
        return this.inner.refreshRetryTokenForRetry(token, errorInfo);
    }
    recordSuccess(token: StandardRetryToken): void {
        this.inner.recordSuccess(token);
    }
}

/** The real transport: an ECRClient built for this target. */
export function sdkTransport(target: EcrTarget, tuning: EcrTuning = {}): EcrTransport {
    // The SDK warns once per process that its 2027 releases need Node 22. It is not
    // actionable per resource, so it stays quiet unless the user chose otherwise.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    const client = new ECRClient({
        region: target.region,
        endpoint: target.endpoint,
        profile: target.profile,
        retryStrategy: new QuotaAwareRetryStrategy(tuning.maxAttempts),
        requestHandler: {
            connectionTimeout: tuning.connectionTimeoutMs ?? 5_000,
            requestTimeout: tuning.requestTimeoutMs ?? 20_000,
        },
    });
    const options = { abortSignal: target.signal };
    return {
        describeImages: (input) => client.send(new DescribeImagesCommand(input), options),
        startImageScan: (input) => client.send(new StartImageScanCommand(input), options),
        describeImageScanFindings: (input) => client.send(new DescribeImageScanFindingsCommand(input), options),
        region: () => client.config.region(),
    };
}

export type StartOutcome =
    /** ECR accepted the scan. */
    | { kind: "started"; status: string; description?: string }
    /** LimitExceededException: a scan already ran inside the 24 h window. */
    | { kind: "quota" }
    /** Enhanced (Inspector) scanning: manual scans are refused, scanning is continuous. */
    | { kind: "enhanced" }
    /** UnsupportedImageTypeException, e.g. a multi-arch image index. */
    | { kind: "unsupported"; description: string };

export interface ResolvedImage {
    imageDigest: string;
    registryId: string;
    imageTags: string[];
}

const PAGE_SIZE = 1000;

function errorName(e: unknown): string {
    return e instanceof Error ? e.name : "";
}

/**
 * Worth another try later (the SDK already retried it): throttling, 5xx, timeouts and
 * connection errors. Not an abort: that is our own deadline.
 */
function isTransient(e: unknown): boolean {
    if (!(e instanceof Error) || e.name === "AbortError") {
        return false;
    }
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    const status = err.$metadata?.httpStatusCode;
    if (status === undefined) {
        // No HTTP answer at all: reset, refused, timed out.
        return true;
    }
    return isThrottlingError(err as never) || isTransientError(err as never) || isServerError(err as never);
}

function iso(d: Date | undefined): string | undefined {
    return d ? d.toISOString() : undefined;
}

/** The calls ImageScan makes, for one image. Classifies AWS errors by name. */
export class Ecr {
    constructor(
        private readonly transport: EcrTransport,
        private readonly image: ImageRef,
    ) {}

    private classify(operation: string, e: unknown): Error {
        switch (errorName(e)) {
            case "RepositoryNotFoundException":
                return new RepositoryNotFoundError(this.image, { cause: e });
            case "ImageNotFoundException":
                return new ImageNotFoundError(this.image, { cause: e });
            default:
                return new EcrRequestError(operation, this.image, { cause: e, transient: isTransient(e) });
        }
    }

    /** DescribeImages by digest, else by tag. Undefined when the image or repository is gone. */
    async findImage(): Promise<ResolvedImage | undefined> {
        try {
            return await this.resolveImage();
        } catch (e) {
            if (e instanceof RepositoryNotFoundError || e instanceof ImageNotFoundError) {
                return undefined;
            }
            throw e;
        }
    }

    /** DescribeImages by digest, else by tag. Throws a typed not-found error. */
    async resolveImage(): Promise<ResolvedImage> {
        const imageId = this.image.imageDigest ? { imageDigest: this.image.imageDigest } : { imageTag: this.image.imageTag };
        let out: DescribeImagesCommandOutput;
        try {
            out = await this.transport.describeImages({
                repositoryName: this.image.repositoryName,
                registryId: this.image.registryId,
                imageIds: [imageId],
            });
        } catch (e) {
            throw this.classify("DescribeImages", e);
        }
        const detail = out.imageDetails?.[0];
        if (!detail?.imageDigest) {
            throw new ImageNotFoundError(this.image, { cause: new Error("DescribeImages returned no image") });
        }
        return {
            imageDigest: detail.imageDigest,
            registryId: detail.registryId ?? this.image.registryId ?? "",
            imageTags: detail.imageTags ?? [],
        };
    }

    async startScan(imageDigest: string): Promise<StartOutcome> {
        try {
            const out = await this.transport.startImageScan({
                repositoryName: this.image.repositoryName,
                registryId: this.image.registryId,
                imageId: { imageDigest },
            });
            return {
                kind: "started",
                status: out.imageScanStatus?.status ?? "IN_PROGRESS",
                description: out.imageScanStatus?.description,
            };
        } catch (e) {
            const name = errorName(e);
            if (name === "LimitExceededException") {
                return { kind: "quota" };
            }
            if (name === "UnsupportedImageTypeException") {
                return { kind: "unsupported", description: (e as Error).message };
            }
            // With enhanced scanning on, ECR answers a manual scan with
            // ValidationException "This feature is disabled".
            if (name === "ValidationException" && /feature is disabled|enhanced/i.test((e as Error).message)) {
                return { kind: "enhanced" };
            }
            throw this.classify("StartImageScan", e);
        }
    }

    /**
     * The latest scan's status and, when it has finished, every finding (one call per
     * page of 1000). Undefined when ECR has no scan for the image (ScanNotFoundException).
     */
    async readScan(imageDigest: string): Promise<ScanResult | undefined> {
        const request = {
            repositoryName: this.image.repositoryName,
            registryId: this.image.registryId,
            imageId: { imageDigest },
            maxResults: PAGE_SIZE,
        };
        let page: DescribeImageScanFindingsCommandOutput;
        try {
            page = await this.transport.describeImageScanFindings(request);
        } catch (e) {
            if (errorName(e) === "ScanNotFoundException") {
                return undefined;
            }
            throw this.classify("DescribeImageScanFindings", e);
        }
        const first = page.imageScanFindings;
        const findings: FindingSummary[] = [];
        let scanType: ScanType = "BASIC";
        for (;;) {
            const f = page.imageScanFindings;
            for (const b of f?.findings ?? []) {
                findings.push(basicFinding(b));
            }
            for (const en of f?.enhancedFindings ?? []) {
                scanType = "ENHANCED";
                findings.push(enhancedFinding(en));
            }
            if (!page.nextToken) {
                break;
            }
            try {
                page = await this.transport.describeImageScanFindings({ ...request, nextToken: page.nextToken });
            } catch (e) {
                throw this.classify("DescribeImageScanFindings", e);
            }
        }
        const status = page.imageScanStatus?.status ?? "UNKNOWN";
        // Enhanced scanning reports ACTIVE and continuous statuses; basic never does.
        if (status === "ACTIVE" || status === "SCAN_ELIGIBILITY_EXPIRED") {
            scanType = "ENHANCED";
        }
        const counts: Record<string, number> = {};
        for (const [k, v] of Object.entries(first?.findingSeverityCounts ?? {})) {
            if (typeof v === "number") {
                counts[k] = v;
            }
        }
        return {
            scanStatus: status,
            scanStatusDescription: page.imageScanStatus?.description,
            scanType,
            scanCompletedAt: iso(first?.imageScanCompletedAt),
            vulnerabilitySourceUpdatedAt: iso(first?.vulnerabilitySourceUpdatedAt),
            findingSeverityCounts: counts,
            findings,
        };
    }
}

function attribute(f: { attributes?: { key?: string; value?: string }[] }, key: string): string | undefined {
    return f.attributes?.find((a) => a.key === key)?.value;
}

function basicFinding(f: NonNullable<NonNullable<DescribeImageScanFindingsCommandOutput["imageScanFindings"]>["findings"]>[number]): FindingSummary {
    return dropUndefined({
        name: f.name ?? "(unnamed)",
        severity: f.severity ?? "UNDEFINED",
        uri: f.uri,
        packageName: attribute(f, "package_name"),
        packageVersion: attribute(f, "package_version"),
    });
}

function enhancedFinding(
    f: NonNullable<NonNullable<DescribeImageScanFindingsCommandOutput["imageScanFindings"]>["enhancedFindings"]>[number],
): FindingSummary {
    const details = f.packageVulnerabilityDetails;
    const pkg = details?.vulnerablePackages?.[0];
    return dropUndefined({
        name: details?.vulnerabilityId ?? f.title ?? "(unnamed)",
        severity: f.severity ?? "UNDEFINED",
        uri: details?.sourceUrl,
        packageName: pkg?.name,
        packageVersion: pkg?.version,
    });
}
