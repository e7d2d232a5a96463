// Starts a real moto_server on a free loopback port for a test run, and stops it.

import { ChildProcess, spawn } from "child_process";
import * as net from "net";

export interface Moto {
    url: string;
    port: number;
    stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address() as net.AddressInfo;
            server.close(() => resolve(address.port));
        });
    });
}

async function waitUntilUp(url: string, child: ChildProcess, output: () => string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
        if (child.exitCode !== null) {
            throw new Error(`moto_server exited with ${child.exitCode}: ${output()}`);
        }
        try {
            const res = await fetch(`${url}/moto-api/`);
            if (res.ok) {
                return;
            }
        } catch {
            // not listening yet
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`moto_server did not answer at ${url} within 30 s: ${output()}`);
}

export async function startMoto(): Promise<Moto> {
    const port = await freePort();
    const child = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], {
        stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    const keep = (chunk: Buffer) => {
        log = (log + chunk.toString()).slice(-4000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    const url = `http://127.0.0.1:${port}`;
    try {
        await waitUntilUp(url, child, () => log);
    } catch (e) {
        child.kill("SIGKILL");
        throw e;
    }
    return {
        url,
        port,
        stop: () =>
            new Promise<void>((resolve) => {
                if (child.exitCode !== null) {
                    resolve();
                    return;
                }
                child.once("exit", () => resolve());
                child.kill("SIGTERM");
                setTimeout(() => child.kill("SIGKILL"), 3000).unref();
            }),
    };
}
