// A loopback HTTP proxy between the provider and moto_server. It records each ECR
// operation (from the X-Amz-Target header), and can inject faults per operation.

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
}

export interface RecordingProxy {
    url: string;
    calls: Call[];
    /** Operations seen since the last reset, e.g. ["DescribeImages", "StartImageScan"]. */
    count(operation: string): number;
    reset(): void;
    /** Faults to apply to the next calls of an operation, in order. */
    inject(operation: string, ...faults: Fault[]): void;
    close(): Promise<void>;
}

export async function startProxy(target: string): Promise<RecordingProxy> {
    const calls: Call[] = [];
    const faults = new Map<string, Fault[]>();
    const upstream = new URL(target);

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
            const call: Call = { operation, status: 0, body };
            calls.push(call);

            const fault = faults.get(operation)?.shift();
            if (fault?.kind === "reset") {
                call.status = -1;
                req.socket.destroy();
                return;
            }
            if (fault?.kind === "status") {
                call.status = fault.status;
                res.writeHead(fault.status, { "content-type": "application/x-amz-json-1.1" });
                res.end(JSON.stringify({ __type: fault.code ?? "InternalFailure", message: fault.message ?? "injected" }));
                return;
            }
            if (fault?.kind === "malformed") {
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
                        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
                        upRes.pipe(res);
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
        },
        inject: (operation, ...f) => faults.set(operation, [...(faults.get(operation) ?? []), ...f]),
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
