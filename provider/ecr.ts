// A narrow wrapper over the ECR client: the four calls ImageScan makes, with AWS
// errors classified by `name` into outcomes or typed errors.
//
// Clients are shared per region, endpoint and profile, and built from a plain EcrTarget
// at call time. Nothing here is held by the provider object, which Pulumi serializes
// into state.

import {
    BatchGetImageCommand,
    DescribeImageScanFindingsCommand,
    DescribeImagesCommand,
    ECRClient,
    StartImageScanCommand,
} from "@aws-sdk/client-ecr";
import { AdaptiveRetryStrategy, isThrottlingError } from "@smithy/core/retry";
import { EcrRequestError, ImageNotFoundError, RepositoryNotFoundError } from "./errors";
import { ImageRef } from "./image";
import { configuredRate, Pacer } from "./pace";
import { BatchGetImageResponse, DescribeImageScanFindingsResponse, DescribeImagesResponse, EcrTarget, EcrTransport, EcrTuning } from "./transport";

export type { EcrTarget, EcrTransport, EcrTuning, TransportFactory } from "./transport";
import { dropUndefined, FindingSummary, ScanResult, ScanType } from "./types";

/**
 * ECR clients shared by every ImageScan in the provider process: one per region,
 * endpoint, profile, tuning and pace, so that they share a connection pool, resolved
 * credentials, the adaptive retry mode's rate limiter and the pacer. A cache in this
 * module, which the provider loads at call time: nothing the serialized provider holds
 * reaches it. It holds one entry per distinct target, a handful in any stack.
 */
const clients = new Map<string, Shared>();

interface Shared {
    client: ECRClient;
    pacer?: Pacer;
}

function shared(target: EcrTarget, tuning: EcrTuning): Shared {
    const rate = configuredRate();
    const key = JSON.stringify([target.region ?? null, target.endpoint ?? null, target.profile ?? null, tuning, rate]);
    let entry = clients.get(key);
    if (!entry) {
        const pacer = rate > 0 ? new Pacer(rate) : undefined;
        // Adaptive: the standard strategy plus a client-side rate limiter that slows down
        // when ECR throttles. Both treat LimitExceededException as throttling and would
        // retry it; for StartImageScan that only burns time, as the quota answer is final.
        // Refusing the retry token makes the SDK surface the original error at once.
        const retryStrategy = new AdaptiveRetryStrategy(tuning.maxAttempts ?? 3);
        const refresh = retryStrategy.refreshRetryTokenForRetry.bind(retryStrategy);
        retryStrategy.refreshRetryTokenForRetry = (token, info) =>
            info.error?.name === "LimitExceededException" ? Promise.reject(info.error) : refresh(token, info);
        const client = new ECRClient({
            region: target.region,
            endpoint: target.endpoint,
            profile: target.profile,
            retryStrategy,
            requestHandler: {
                connectionTimeout: tuning.connectionTimeoutMs ?? 5_000,
                requestTimeout: tuning.requestTimeoutMs ?? 20_000,
                // Without this the handler only logs a warning and keeps waiting.
                throwOnRequestTimeout: true,
            },
        });
        entry = { client, pacer };
        clients.set(key, entry);
    }
    return entry;
}

/** The real transport: the shared client for this target, paced, with this operation's abort signal. */
export function sdkTransport(target: EcrTarget, tuning: EcrTuning = {}): EcrTransport {
    // The SDK warns once per process that its 2027 releases need Node 22. It is not
    // actionable per resource, so it stays quiet unless the user chose otherwise.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    const { client, pacer } = shared(target, tuning);
    const options = { abortSignal: target.signal };
    // Every attempt waits for its turn, retries included (each counts against ECR's
    // limit): a step inside the SDK's retry loop, after its backoff. The wait ends when
    // this operation is aborted, and the turn is not taken.
    const step = (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
        await pacer?.take(target.signal);
        return next(args);
    };
    const paced = <C extends { middlewareStack: PacedStack }>(command: C): C => {
        if (pacer) {
            // `never`: the SDK types a step by the command's input and output; it passes them through.
            command.middlewareStack.addRelativeTo(step as never, { relation: "after", toMiddleware: "retryMiddleware", name: "imageScanPace", override: true });
        }
        return command;
    };
    return {
        describeImages: (input) => client.send(paced(new DescribeImagesCommand(input)), options),
        startImageScan: (input) => client.send(paced(new StartImageScanCommand(input)), options),
        describeImageScanFindings: (input) => client.send(paced(new DescribeImageScanFindingsCommand(input)), options),
        batchGetImage: (input) => client.send(paced(new BatchGetImageCommand(input)), options),
        region: () => client.config.region(),
    };
}

/** The part of a command's middleware stack that pacing uses. */
interface PacedStack {
    addRelativeTo(middleware: never, options: { relation: "after"; toMiddleware: string; name: string; override: boolean }): void;
}

/** How many shared clients the process holds (for tests: one per distinct target). */
export function sharedClients(): number {
    return clients.size;
}

export type StartOutcome =
    /** ECR accepted the scan. */
    | { kind: "started"; status: string; description?: string }
    /** LimitExceededException: a scan already ran inside the 24 h window. */
    | { kind: "quota" }
    /** Enhanced (Inspector) scanning: manual scans are refused, scanning is continuous. */
    | { kind: "enhanced" }
    /** UnsupportedImageTypeException, e.g. a multi-arch image index. */
    | { kind: "unsupported"; description: string }
    /** ImageArchivedException: ECR does not scan an archived image until it is restored. */
    | { kind: "archived"; description: string };

export interface ResolvedImage {
    imageDigest: string;
    registryId: string;
    /** The manifest's media type: an image index's says so (see platforms.ts). */
    mediaType?: string;
}

const PAGE_SIZE = 1000;

// Node's codes for a connection reset or refused, or a request that timed out; and a
// DNS lookup that says "try again". Not ENOTFOUND: a host that does not exist is a
// configuration error, which no wait fixes.
const NETWORK_CODES = ["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "EAI_AGAIN"];
const TIMEOUT_NAMES = ["TimeoutError", "RequestTimeout", "RequestTimeoutException"];

/**
 * Worth another try later (the SDK already retried it): throttling, HTTP 5xx, a
 * connection reset or refused, a timeout. Everything else fails at once: an error with
 * no HTTP answer is as often a missing credential, an expired SSO session, no region or
 * a TLS failure, which waiting only hides. An abort is our own deadline, never retried.
 */
export function isTransient(e: unknown, depth = 0): boolean {
    if (!(e instanceof Error) || e.name === "AbortError" || depth > 5) {
        return false;
    }
    const err = e as Error & { code?: unknown; $metadata?: { httpStatusCode?: number } };
    const status = err.$metadata?.httpStatusCode;
    return (
        isThrottlingError(err as never) ||
        (status !== undefined && status >= 500 && status <= 599) ||
        TIMEOUT_NAMES.includes(err.name) ||
        NETWORK_CODES.includes(String(err.code)) ||
        isTransient(err.cause, depth + 1)
    );
}

/** The calls ImageScan makes, for one image. Classifies AWS errors by name. */
export class Ecr {
    constructor(
        private readonly transport: EcrTransport,
        private readonly image: ImageRef,
        /** Named in credential errors. */
        private readonly profile?: string,
    ) {}

    /** An AWS error as a typed error, by its name. */
    private classify(operation: string, e: unknown): Error {
        const name = e instanceof Error && e.name;
        if (name === "RepositoryNotFoundException") {
            return new RepositoryNotFoundError(this.image, { cause: e });
        }
        if (name === "ImageNotFoundException") {
            return new ImageNotFoundError(this.image, { cause: e });
        }
        return new EcrRequestError(operation, this.image, { cause: e, transient: isTransient(e), profile: this.profile });
    }

    /** DescribeImages by digest, else by tag. Undefined when the image or repository is gone. */
    findImage(): Promise<ResolvedImage | undefined> {
        return this.resolveImage().catch((e) => {
            if (e instanceof RepositoryNotFoundError || e instanceof ImageNotFoundError) {
                return undefined;
            }
            throw e;
        });
    }

    /** DescribeImages by digest, else by tag. Throws a typed not-found error. */
    async resolveImage(): Promise<ResolvedImage> {
        const { repositoryName, registryId, imageDigest, imageTag } = this.image;
        let out: DescribeImagesResponse;
        try {
            out = await this.transport.describeImages({ repositoryName, registryId, imageIds: [imageDigest ? { imageDigest } : { imageTag }] });
        } catch (e) {
            throw this.classify("DescribeImages", e);
        }
        const detail = out.imageDetails?.[0];
        if (!detail?.imageDigest) {
            throw new ImageNotFoundError(this.image, { cause: new Error("DescribeImages returned no image") });
        }
        return { imageDigest: detail.imageDigest, registryId: detail.registryId ?? registryId ?? "", mediaType: detail.imageManifestMediaType };
    }

    /** The manifest of an image index (BatchGetImage), as ECR stores it. */
    async readManifest(imageDigest: string, mediaTypes: string[]): Promise<string> {
        const { repositoryName, registryId } = this.image;
        let out: BatchGetImageResponse;
        try {
            out = await this.transport.batchGetImage({ repositoryName, registryId, imageIds: [{ imageDigest }], acceptedMediaTypes: mediaTypes });
        } catch (e) {
            throw this.classify("BatchGetImage", e);
        }
        const manifest = out.images?.[0]?.imageManifest;
        if (!manifest) {
            const failure = out.failures?.[0];
            throw new ImageNotFoundError(this.image, { cause: new Error(`BatchGetImage returned no manifest${failure ? ` (${failure.failureCode}: ${failure.failureReason})` : ""}`) });
        }
        return manifest;
    }

    async startScan(imageDigest: string): Promise<StartOutcome> {
        const { repositoryName, registryId } = this.image;
        try {
            const out = await this.transport.startImageScan({ repositoryName, registryId, imageId: { imageDigest } });
            return { kind: "started", status: out.imageScanStatus?.status ?? "IN_PROGRESS", description: out.imageScanStatus?.description };
        } catch (e) {
            const name = e instanceof Error && e.name;
            if (name === "LimitExceededException") {
                return { kind: "quota" };
            }
            if (name === "UnsupportedImageTypeException") {
                return { kind: "unsupported", description: (e as Error).message };
            }
            if (name === "ImageArchivedException") {
                return { kind: "archived", description: (e as Error).message };
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
     * Counts and times come from the first page, the status from the last. With
     * `firstPageOnly`, one call: enough for the status and times; `complete` then says
     * whether the findings are all there.
     */
    async readScan(imageDigest: string, opts: { firstPageOnly?: boolean } = {}): Promise<(ScanResult & { complete: boolean }) | undefined> {
        const request = { repositoryName: this.image.repositoryName, registryId: this.image.registryId, imageId: { imageDigest }, maxResults: PAGE_SIZE };
        const findings: FindingSummary[] = [];
        let scanType: ScanType = "BASIC";
        let first: DescribeImageScanFindingsResponse | undefined;
        let page: DescribeImageScanFindingsResponse | undefined;
        do {
            try {
                page = await this.transport.describeImageScanFindings(page ? { ...request, nextToken: page.nextToken } : request);
            } catch (e) {
                const name = e instanceof Error && e.name;
                if (!page && name === "ScanNotFoundException") {
                    return undefined;
                }
                if (!page && name === "ImageArchivedException") {
                    // No findings are served for an archived image; say so as ECR's status does.
                    return { ...noScan("IMAGE_ARCHIVED", (e as Error).message), complete: true };
                }
                throw this.classify("DescribeImageScanFindings", e);
            }
            first ??= page;
            const f = page.imageScanFindings;
            for (const b of f?.findings ?? []) {
                const attribute = (key: string) => b.attributes?.find((a) => a.key === key)?.value;
                findings.push(
                    dropUndefined({
                        name: b.name ?? "(unnamed)",
                        severity: b.severity ?? "UNDEFINED",
                        uri: b.uri,
                        packageName: attribute("package_name"),
                        packageVersion: attribute("package_version"),
                    }),
                );
            }
            for (const en of f?.enhancedFindings ?? []) {
                scanType = "ENHANCED";
                // Inspector keeps findings it has suppressed (a rule) or closed (fixed):
                // neither is a risk to gate on, nor one to show as a top finding.
                if (en.status !== undefined && en.status !== "ACTIVE") {
                    continue;
                }
                const details = en.packageVulnerabilityDetails;
                const pkg = details?.vulnerablePackages?.[0];
                findings.push(
                    dropUndefined({
                        name: details?.vulnerabilityId ?? en.title ?? "(unnamed)",
                        severity: en.severity ?? "UNDEFINED",
                        uri: details?.sourceUrl,
                        packageName: pkg?.name,
                        packageVersion: pkg?.version,
                    }),
                );
            }
        } while (page.nextToken && !opts.firstPageOnly);
        const status = page.imageScanStatus?.status ?? "UNKNOWN";
        // Enhanced scanning reports ACTIVE and continuous statuses; basic never does.
        if (status === "ACTIVE" || status === "SCAN_ELIGIBILITY_EXPIRED") {
            scanType = "ENHANCED";
        }
        const head = first?.imageScanFindings;
        return {
            scanStatus: status,
            scanStatusDescription: page.imageScanStatus?.description,
            scanType,
            scanCompletedAt: head?.imageScanCompletedAt?.toISOString(),
            vulnerabilitySourceUpdatedAt: head?.vulnerabilitySourceUpdatedAt?.toISOString(),
            findingSeverityCounts: Object.fromEntries(Object.entries(head?.findingSeverityCounts ?? {}).filter((e): e is [string, number] => typeof e[1] === "number")),
            findings,
            complete: !page.nextToken,
        };
    }
}

/** A result with no scan behind it: ECR refused or cannot scan the image. */
export function noScan(status: string, description?: string): ScanResult {
    return dropUndefined({ scanStatus: status, scanStatusDescription: description, scanType: "BASIC", findingSeverityCounts: {}, findings: [] });
}
