// A loopback HTTP proxy between the provider and moto_server. It records each ECR
// operation (from the X-Amz-Target header), and can inject faults per operation.
//
// Two standing modes model a busy, real ECR (both cleared by reset()):
// - throttleEvery(n, ops?): every n-th matching request is answered 400
//   ThrottlingException instead of being forwarded. The counter is deterministic and
//   shared by all matching requests, in arrival order. A queued `inject` fault takes
//   precedence and does not advance the counter.
// - holdInProgress(ms): moto finishes a scan at once; real ECR takes a while. For `ms`
//   after an image's first successful StartImageScan (per digest, real time), 200
//   answers about that image report status IN_PROGRESS and carry no findings.

import * as http from "http";
import { AddressInfo } from "net";

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
    /** For an error answer: its AWS error type, e.g. "ThrottlingException". */
    error?: string;
    /** Set when the proxy answered itself (an injected fault): moto never saw it. */
    injected?: Fault["kind"];
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
    close(): Promise<void>;
}

export async function startProxy(target: string): Promise<RecordingProxy> {
    const calls: Call[] = [];
    const faults = new Map<string, Fault[]>();
    const upstream = new URL(target);
    let throttle: { every: number; operations?: string[]; seen: number } | undefined;
    let holdMs = 0;
    /** Digest -> when its first successful StartImageScan answered (epoch ms). */
    const startedAt = new Map<string, number>();

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
            const call: Call = { operation, status: 0, body, at: Date.now() };
            calls.push(call);
            res.on("finish", () => {
                call.answeredAt = Date.now();
            });

            const fault = faults.get(operation)?.shift();
            if (!fault && throttle && targetHeader && (!throttle.operations || throttle.operations.includes(operation))) {
                throttle.seen++;
                if (throttle.seen % throttle.every === 0) {
                    call.status = 400;
                    call.error = "ThrottlingException";
                    res.writeHead(400, { "content-type": "application/x-amz-json-1.1" });
                    res.end(JSON.stringify({ __type: "ThrottlingException", message: "Rate exceeded" }));
                    return;
                }
            }
            if (fault?.kind === "reset") {
                call.status = -1;
                req.socket.destroy();
                return;
            }
            if (fault?.kind === "status") {
                call.status = fault.status;
                call.error = fault.code ?? "InternalFailure";
                res.writeHead(fault.status, { "content-type": "application/x-amz-json-1.1" });
                res.end(JSON.stringify({ __type: fault.code ?? "InternalFailure", message: fault.message ?? "injected" }));
                return;
            }
            if (fault?.kind === "malformed") {
                call.injected = "malformed";
                call.status = 200;
                res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
                res.end("{ this is not json");
                return;
            }
            const forward = () => {
                const up = http.request(
                    {
                        host: upstream.hostname,
                        port: upstream.port,
                        method: req.method,
                        path: req.url,
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
            if (fault?.kind === "delay") {
                setTimeout(forward, fault.ms);
            } else {
                forward();
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
        },
        inject: (operation, ...f) => faults.set(operation, [...(faults.get(operation) ?? []), ...f]),
        throttleEvery: (n, operations) => {
            throttle = n > 0 ? { every: Math.floor(n), operations, seen: 0 } : undefined;
        },
        holdInProgress: (ms) => {
            holdMs = ms;
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
