// A loopback HTTP proxy between the provider and moto_server. It records each ECR
// operation (from the X-Amz-Target header), can inject faults per operation, and plays
// ECR's part where moto differs from it (SPEC.md, "The local ECR API").
//
// Where moto differs from ECR, always on:
// - StartImageScan of something ECR cannot scan (an image index, or an OCI artifact
//   whose config is not an image's) is refused with UnsupportedImageTypeException, as
//   ECR refuses it; moto would accept it.
// Modes that model a busy or differently configured ECR (cleared by reset(), except the
// registry's configuration, `enhanced`):
// - throttleEvery(n, ops?): every n-th matching request is answered 400
//   ThrottlingException instead of being forwarded. The counter is deterministic and
//   shared by all matching requests, in arrival order. A queued `inject` fault takes
//   precedence and does not advance the counter.
// - holdInProgress(ms): moto finishes a scan at once; real ECR takes a while. For `ms`
//   after an image's first successful StartImageScan (per digest, real time), 200
//   answers about that image report status IN_PROGRESS and carry no findings.
// - enhanced(repository, scan): the repository is on enhanced (Inspector) scanning:
//   StartImageScan is refused ("This feature is disabled") and DescribeImageScanFindings
//   answers ACTIVE, with `scan`'s findings, as ECR does with continuous scanning.
// - raceLookups(on): each client's first DescribeImageScanFindings of each image is
//   answered ScanNotFoundException, as ECR answers before any scan started. Every
//   client then sees no scan and calls StartImageScan: the race of many stacks that
//   look at one image at the same moment, made certain rather than left to timing.
// - rateLimit({ perSecond, burst }): ECR's API rate limits, a token bucket per
//   operation; past it, 400 ThrottlingException "Rate exceeded", not forwarded. On by
//   default at a conservative 20 requests/s for each operation, burst 20; kept by reset().

import * as http from "http";
import { AddressInfo } from "net";
import { TokenBucket } from "./bucket";

export type Fault =
    | { kind: "status"; status: number; code?: string; message?: string }
    | { kind: "reset" }
    | { kind: "delay"; ms: number }
    | { kind: "malformed" };

export interface Call {
    operation: string;
    status: number;
    body: Record<string, unknown>;
    /** When the request arrived (epoch ms). */
    at?: number;
    /** When the answer was fully written (epoch ms); unset while in flight or if none. */
    answeredAt?: number;
    /** True when holdInProgress rewrote the answer to IN_PROGRESS. */
    held?: boolean;
    /** True when the rate limit answered ThrottlingException. */
    throttled?: boolean;
    /** For an error answer: its AWS error type, e.g. "ThrottlingException". */
    error?: string;
    /** Set when the proxy answered itself (an injected fault): moto never saw it. */
    injected?: Fault["kind"];
    /** Set when the proxy answered as ECR would, where moto differs. */
    emulated?: "unsupported" | "enhanced" | "race";
    /** The caller, when it used an endpoint of `${url}/c/<client>`. */
    client?: string;
    /** The answer's scan status, for DescribeImageScanFindings answered 200. */
    scanStatus?: string;
}

/** A finding of Amazon Inspector, as enhanced scanning reports it. */
export interface EnhancedFinding {
    vulnerabilityId: string;
    severity: string;
    /** Inspector's status; SUPPRESSED and CLOSED findings are still listed. */
    status?: "ACTIVE" | "SUPPRESSED" | "CLOSED";
    packageName?: string;
    packageVersion?: string;
}

export interface EnhancedScan {
    findings: EnhancedFinding[];
    /** When Inspector last scanned the images of the repository. */
    scannedAt: Date;
}

/** The `__type` of an AWS JSON error body, without any namespace prefix. */
function errorType(payload: Buffer): string | undefined {
    try {
        const t = (JSON.parse(payload.toString()) as { __type?: unknown }).__type;
        return typeof t === "string" ? t.split("#").pop() : undefined;
    } catch {
        return undefined;
    }
}

export interface RecordingProxy {
    url: string;
    calls: Call[];
    /** Operations seen since the last reset, e.g. ["DescribeImages", "StartImageScan"]. */
    count(operation: string): number;
    reset(): void;
    /** Faults to apply to the next calls of an operation, in order. */
    inject(operation: string, ...faults: Fault[]): void;
    /**
     * Answers every n-th request (counted across `operations`, default all ECR
     * operations) with HTTP 400 ThrottlingException "Rate exceeded", not forwarded.
     * Recorded with status 400. n <= 0 turns it off.
     */
    throttleEvery(n: number, operations?: string[]): void;
    /**
     * For `ms` after each image's first successful StartImageScan, its successful
     * DescribeImageScanFindings (and StartImageScan) answers say IN_PROGRESS, with no
     * imageScanFindings. After that, moto's real answer passes through.
     */
    holdInProgress(ms: number): void;
    /** Makes every client race for each image's scan (see the header). */
    raceLookups(on: boolean): void;
    /** Puts a repository on enhanced scanning (see the header). */
    enhanced(repository: string, scan: EnhancedScan): void;
    /** ECR's per-operation rate limits (see the header); undefined turns them off. */
    rateLimit(limit: RateLimit | undefined): void;
    close(): Promise<void>;
}

export interface RateLimit {
    perSecond: number;
    burst: number;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { perSecond: 20, burst: 20 };

/** Media types of an image index: ECR scans none of them. */
const INDEX_TYPES = ["application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"];
/** Config media types of a container image: anything else is an artifact ECR cannot scan. */
const IMAGE_CONFIG_TYPES = ["application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json"];

const AWS_JSON = { "content-type": "application/x-amz-json-1.1" };

export async function startProxy(target: string): Promise<RecordingProxy> {
    const calls: Call[] = [];
    const faults = new Map<string, Fault[]>();
    const upstream = new URL(target);
    let throttle: { every: number; operations?: string[]; seen: number } | undefined;
    let holdMs = 0;
    /** Digest -> when its first successful StartImageScan answered (epoch ms). */
    const startedAt = new Map<string, number>();
    const enhancedRepos = new Map<string, EnhancedScan>();
    /** With raceLookups: `${client} ${digest}` pairs whose first lookup was hidden. */
    let raced: Set<string> | undefined;
    let limit: RateLimit | undefined = DEFAULT_RATE_LIMIT;
    const buckets = new Map<string, TokenBucket>();
    const allowed = (operation: string) => {
        if (!limit) {
            return true;
        }
        let bucket = buckets.get(operation);
        if (!bucket) {
            bucket = new TokenBucket(limit.perSecond, limit.burst);
            buckets.set(operation, bucket);
        }
        return bucket.take();
    };
    /** Digest -> why ECR cannot scan it ("" when it can), from its manifest. */
    const unscannable = new Map<string, string>();

    const digestOf = (body: Record<string, unknown>): string | undefined => {
        const id = body.imageId as { imageDigest?: unknown } | undefined;
        return typeof id?.imageDigest === "string" ? id.imageDigest : undefined;
    };
    const held = (digest: string | undefined): boolean => {
        const since = digest === undefined ? undefined : startedAt.get(digest);
        return holdMs > 0 && since !== undefined && Date.now() < since + holdMs;
    };
    /** A moto answer as a real ECR gives it while the scan runs. */
    const inProgress = (raw: Buffer): Buffer => {
        const out = JSON.parse(raw.toString()) as Record<string, unknown>;
        out.imageScanStatus = { status: "IN_PROGRESS", description: "held in progress by the test proxy" };
        delete out.imageScanFindings;
        delete out.nextToken;
        return Buffer.from(JSON.stringify(out));
    };

    /** A request straight to moto, not recorded: the proxy's own look at the registry. */
    const moto = (operation: string, body: unknown, headers: http.IncomingHttpHeaders): Promise<{ status: number; json: Record<string, unknown> }> =>
        new Promise((resolve, reject) => {
            const payload = Buffer.from(JSON.stringify(body));
            const req = http.request(
                {
                    host: upstream.hostname,
                    port: upstream.port,
                    method: "POST",
                    path: "/",
                    headers: {
                        // moto reads the region from the signature's scope: keep the caller's.
                        authorization: headers.authorization ?? "",
                        "x-amz-date": headers["x-amz-date"] ?? "",
                        ...AWS_JSON,
                        "x-amz-target": `AmazonEC2ContainerRegistry_V20150921.${operation}`,
                        "content-length": String(payload.length),
                        host: upstream.host,
                    },
                },
                (res) => {
                    const parts: Buffer[] = [];
                    res.on("data", (c: Buffer) => parts.push(c));
                    res.on("end", () => {
                        try {
                            resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(parts).toString() || "{}") });
                        } catch (e) {
                            reject(e);
                        }
                    });
                },
            );
            req.on("error", reject);
            req.end(payload);
        });

    /** Why ECR would refuse to scan this image, or "" if it would not. */
    const whyUnscannable = async (body: Record<string, unknown>, headers: http.IncomingHttpHeaders): Promise<string> => {
        const digest = digestOf(body);
        if (digest === undefined) {
            return "";
        }
        const known = unscannable.get(digest);
        if (known !== undefined) {
            return known;
        }
        const { json } = await moto("BatchGetImage", { repositoryName: body.repositoryName, registryId: body.registryId, imageIds: [{ imageDigest: digest }] }, headers);
        const image = (json.images as { imageManifest?: string; imageManifestMediaType?: string }[] | undefined)?.[0];
        if (!image?.imageManifest) {
            return ""; // not found: let moto answer as it does
        }
        const manifest = JSON.parse(image.imageManifest) as { mediaType?: string; config?: { mediaType?: string } };
        const mediaType = image.imageManifestMediaType ?? manifest.mediaType ?? "";
        const artifact = INDEX_TYPES.includes(mediaType) ? mediaType : manifest.config?.mediaType && !IMAGE_CONFIG_TYPES.includes(manifest.config.mediaType) ? manifest.config.mediaType : undefined;
        const why = artifact ? `An artifact with media type '${artifact}' cannot be scanned` : "";
        unscannable.set(digest, why);
        return why;
    };

    /** ECR's answer to DescribeImageScanFindings with continuous (enhanced) scanning. */
    const enhancedFindings = (body: Record<string, unknown>, scan: EnhancedScan) => {
        const counts: Record<string, number> = {};
        for (const f of scan.findings) {
            counts[f.severity] = (counts[f.severity] ?? 0) + 1;
        }
        const seconds = scan.scannedAt.getTime() / 1000;
        return {
            registryId: body.registryId ?? "123456789012",
            repositoryName: body.repositoryName,
            imageId: body.imageId,
            imageScanStatus: { status: "ACTIVE", description: "Continuous scan is selected for image." },
            imageScanFindings: {
                imageScanCompletedAt: seconds,
                vulnerabilitySourceUpdatedAt: seconds,
                findingSeverityCounts: counts,
                enhancedFindings: scan.findings.map((f) => ({
                    awsAccountId: "123456789012",
                    severity: f.severity,
                    status: f.status ?? "ACTIVE",
                    title: `${f.vulnerabilityId} - ${f.packageName ?? "package"}`,
                    type: "PACKAGE_VULNERABILITY",
                    firstObservedAt: seconds,
                    lastObservedAt: seconds,
                    packageVulnerabilityDetails: {
                        vulnerabilityId: f.vulnerabilityId,
                        source: "NVD",
                        sourceUrl: `https://nvd.nist.gov/vuln/detail/${f.vulnerabilityId}`,
                        vulnerablePackages: [{ name: f.packageName ?? "package", version: f.packageVersion ?? "1.0" }],
                    },
                })),
            },
        };
    };

    /**
     * The proxy's own answer where ECR differs from moto, or undefined to forward. Runs
     * after faults and throttling, as ECR's checks run after its front door's.
     */
    const emulate = async (operation: string, body: Record<string, unknown>, headers: http.IncomingHttpHeaders, client: string | undefined): Promise<{ status: number; json: unknown; kind: "unsupported" | "enhanced" | "race" } | undefined> => {
        const key = `${client ?? ""} ${digestOf(body) ?? ""}`;
        if (raced && operation === "DescribeImageScanFindings" && !raced.has(key)) {
            raced.add(key);
            const message = `Image scan does not exist for the image with '{imageDigest:${digestOf(body)}}' in the registry with id '123456789012'`;
            return { status: 400, json: { __type: "ScanNotFoundException", message }, kind: "race" };
        }
        const scan = typeof body.repositoryName === "string" ? enhancedRepos.get(body.repositoryName) : undefined;
        if (scan && operation === "StartImageScan") {
            return { status: 400, json: { __type: "ValidationException", message: "This feature is disabled" }, kind: "enhanced" };
        }
        if (scan && operation === "DescribeImageScanFindings") {
            return { status: 200, json: enhancedFindings(body, scan), kind: "enhanced" };
        }
        if (operation === "StartImageScan") {
            const why = await whyUnscannable(body, headers);
            if (why) {
                return { status: 400, json: { __type: "UnsupportedImageTypeException", message: why }, kind: "unsupported" };
            }
        }
        return undefined;
    };

    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const raw = Buffer.concat(chunks);
            const targetHeader = String(req.headers["x-amz-target"] ?? "");
            const operation = targetHeader.split(".").pop() || `${req.method} ${req.url}`;
            let body: Record<string, unknown> = {};
            try {
                body = raw.length ? JSON.parse(raw.toString()) : {};
            } catch {
                body = {};
            }
            // An endpoint of `${url}/c/<name>` tells callers apart (a stack, say): recorded
            // as `client`, and removed before the request goes on.
            const tagged = /^\/c\/([^/]+)(\/.*)?$/.exec(req.url ?? "");
            const path = tagged ? (tagged[2] ?? "/") : req.url;
            const call: Call = { operation, status: 0, body, at: Date.now(), client: tagged?.[1] };
            calls.push(call);
            res.on("finish", () => {
                call.answeredAt = Date.now();
            });
            const answer = (status: number, json: unknown) => {
                call.status = status;
                if (status !== 200) {
                    call.error = (json as { __type?: string }).__type;
                }
                res.writeHead(status, AWS_JSON);
                res.end(JSON.stringify(json));
            };

            const fault = faults.get(operation)?.shift();
            // ECR's front door: the per-operation rate limit, before anything else answers.
            if (!fault && targetHeader && !allowed(operation)) {
                call.throttled = true;
                answer(400, { __type: "ThrottlingException", message: "Rate exceeded" });
                return;
            }
            if (!fault && throttle && targetHeader && (!throttle.operations || throttle.operations.includes(operation))) {
                throttle.seen++;
                if (throttle.seen % throttle.every === 0) {
                    answer(400, { __type: "ThrottlingException", message: "Rate exceeded" });
                    return;
                }
            }
            if (fault?.kind === "reset") {
                call.status = -1;
                req.socket.destroy();
                return;
            }
            if (fault?.kind === "status") {
                call.injected = "status";
                answer(fault.status, { __type: fault.code ?? "InternalFailure", message: fault.message ?? "injected" });
                return;
            }
            if (fault?.kind === "malformed") {
                call.injected = "malformed";
                call.status = 200;
                res.writeHead(200, AWS_JSON);
                res.end("{ this is not json");
                return;
            }
            const forward = () => {
                const up = http.request(
                    {
                        host: upstream.hostname,
                        port: upstream.port,
                        method: req.method,
                        path,
                        headers: { ...req.headers, host: upstream.host },
                    },
                    (upRes) => {
                        call.status = upRes.statusCode ?? 0;
                        // Buffered (answers are small), to record errors and rewrite held scans.
                        const parts: Buffer[] = [];
                        upRes.on("data", (c: Buffer) => parts.push(c));
                        upRes.on("error", () => res.destroy());
                        upRes.on("end", () => {
                            let payload: Buffer = Buffer.concat(parts);
                            const headers = { ...upRes.headers };
                            if (call.status !== 200) {
                                call.error = errorType(payload);
                            } else if (operation === "StartImageScan" || operation === "DescribeImageScanFindings") {
                                const digest = digestOf(body);
                                if (operation === "StartImageScan" && digest && !startedAt.has(digest)) {
                                    startedAt.set(digest, Date.now());
                                }
                                if (held(digest)) {
                                    try {
                                        payload = inProgress(payload);
                                        call.held = true;
                                        delete headers["transfer-encoding"];
                                        delete headers["x-amz-crc32"];
                                        headers["content-length"] = String(payload.length);
                                    } catch {
                                        // not JSON: pass it through unchanged
                                    }
                                }
                            }
                            if (call.status === 200 && operation === "DescribeImageScanFindings") {
                                try {
                                    call.scanStatus = (JSON.parse(payload.toString()) as { imageScanStatus?: { status?: string } }).imageScanStatus?.status;
                                } catch {
                                    // not JSON: no status to note
                                }
                            }
                            res.writeHead(upRes.statusCode ?? 502, headers);
                            res.end(payload);
                        });
                    },
                );
                up.on("error", () => {
                    call.status = 502;
                    res.destroy();
                });
                up.end(raw);
            };
            const proceed = () => {
                emulate(operation, body, req.headers, call.client).then(
                    (own) => {
                        if (own) {
                            call.emulated = own.kind;
                            answer(own.status, own.json);
                        } else {
                            forward();
                        }
                    },
                    () => forward(),
                );
            };
            if (fault?.kind === "delay") {
                setTimeout(proceed, fault.ms);
            } else {
                proceed();
            }
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    return {
        url: `http://127.0.0.1:${port}`,
        calls,
        count: (operation) => calls.filter((c) => c.operation === operation).length,
        reset: () => {
            calls.length = 0;
            faults.clear();
            throttle = undefined;
            holdMs = 0;
            startedAt.clear();
            raced = undefined;
            // Enhanced repositories are the registry's configuration, not a mode: kept.
        },
        inject: (operation, ...f) => faults.set(operation, [...(faults.get(operation) ?? []), ...f]),
        throttleEvery: (n, operations) => {
            throttle = n > 0 ? { every: Math.floor(n), operations, seen: 0 } : undefined;
        },
        holdInProgress: (ms) => {
            holdMs = ms;
        },
        raceLookups: (on) => {
            raced = on ? new Set() : undefined;
        },
        enhanced: (repository, scan) => {
            enhancedRepos.set(repository, scan);
        },
        rateLimit: (l) => {
            limit = l;
            buckets.clear();
        },
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

/**
 * Calls by operation, HTTP status and error type, one line per operation, e.g.
 * `DescribeImages  63 calls (200: 50, 400 ThrottlingException: 13)`.
 */
export function callTable(calls: Call[]): string[] {
    const byOp = new Map<string, Map<string, number>>();
    for (const c of calls) {
        const statuses = byOp.get(c.operation) ?? new Map<string, number>();
        const key = c.error ? `${c.status} ${c.error}` : String(c.status);
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        byOp.set(c.operation, statuses);
    }
    return [...byOp.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([op, statuses]) => {
            const total = [...statuses.values()].reduce((a, b) => a + b, 0);
            const parts = [...statuses.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s}: ${n}`);
            return `${op.padEnd(26)} ${String(total).padStart(4)} calls (${parts.join(", ")})`;
        });
}

/** Successful StartImageScan calls per image digest. */
export function successfulStarts(calls: Call[]): Map<string, number> {
    const starts = new Map<string, number>();
    for (const c of calls) {
        if (c.operation === "StartImageScan" && c.status === 200 && !c.injected) {
            const digest = String((c.body.imageId as { imageDigest?: string } | undefined)?.imageDigest);
            starts.set(digest, (starts.get(digest) ?? 0) + 1);
        }
    }
    return starts;
}
