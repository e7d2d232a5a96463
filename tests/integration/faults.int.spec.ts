// Faults between the provider and a real moto_server, injected per ECR operation by
// the proxy: throttling, 5xx, connection resets, slow answers, malformed JSON, the
// quota error, and an endpoint that never answers. Through all of them: no scan runs
// twice, and every failure is an error that names the image.

import { strict as assert } from "assert";
import * as net from "net";
import { ImageScanOutputs, ImageScanProvider, ImageScanProviderOptions } from "../../provider/index";
import { sdkTransport } from "../../provider/ecr";
import * as fx from "../support/ecr";
import { useLab } from "../support/lab";
import { Fault, RecordingProxy } from "../support/proxy";

const OPS = ["DescribeImages", "DescribeImageScanFindings", "StartImageScan"] as const;

const FAULTS: Record<string, Fault> = {
    throttling: { kind: "status", status: 400, code: "ThrottlingException", message: "Rate exceeded" },
    "HTTP 500": { kind: "status", status: 500, code: "InternalServerError", message: "injected" },
    "HTTP 503": { kind: "status", status: 503, code: "ServiceUnavailableException", message: "injected" },
    "connection reset": { kind: "reset" },
    // Longer than the client's request timeout below: the SDK gives up and retries.
    "slow answer": { kind: "delay", ms: 1500 },
};

/** A TCP server that accepts connections and never answers. */
async function blackhole(): Promise<{ url: string; close: () => Promise<void> }> {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => {
        sockets.push(s);
        s.on("error", () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return {
        url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
        close: () =>
            new Promise<void>((r) => {
                sockets.forEach((s) => s.destroy());
                server.close(() => r());
            }),
    };
}

describe("faults between the provider and ECR", function () {
    this.timeout(120_000);
    const lab = useLab();
    let proxy: RecordingProxy;
    const matrix: string[] = [];

    before(() => {
        proxy = lab().proxy;
    });
    after(() => {
        console.log(`\n      fault matrix (fault × operation → outcome):\n${matrix.map((l) => `        ${l}`).join("\n")}`);
    });
    beforeEach(() => proxy.reset());

    // A short client timeout so that "slow answer" exceeds it; short sleeps between polls.
    function provider(extra: ImageScanProviderOptions = {}): ImageScanProvider {
        return lab().provider({ transport: (target) => sdkTransport(target, { requestTimeoutMs: 700 }), ...extra });
    }
    const inputs = (p: ImageScanProvider, raw: Record<string, unknown>) => lab().inputs(p, raw);

    async function image(): Promise<{ repo: string; digest: string }> {
        const repo = await lab().repository("fault");
        return { repo, digest: await lab().pushImage(repo, "v1") };
    }

    /** Successful StartImageScan calls that reached moto, per digest. */
    function successfulStarts(digest: string): number {
        return proxy.calls.filter(
            (c) =>
                c.operation === "StartImageScan" &&
                c.status === 200 &&
                !c.injected &&
                (c.body.imageId as { imageDigest?: string })?.imageDigest === digest,
        ).length;
    }

    for (const [faultName, fault] of Object.entries(FAULTS)) {
        for (const op of OPS) {
            it(`${faultName} on ${op} is retried; create succeeds with one scan`, async () => {
                const { repo, digest } = await image();
                proxy.inject(op, fault);
                const p = provider();
                const outs = (await p.create(await inputs(p, { repositoryName: repo, imageTag: "v1" }))).outs as ImageScanOutputs;

                assert.equal(outs.imageDigest, digest);
                assert.equal(outs.scanStatus, "COMPLETE");
                assert.ok(proxy.count(op) >= 2, `${op} was not retried: ${proxy.count(op)} call(s)`);
                assert.equal(successfulStarts(digest), 1, "exactly one scan reached ECR");
                // A slow StartImageScan may reach moto after the client gave up; the retry
                // then meets the quota and the scan is adopted, never run twice.
                const adopted = outs.adoptedExistingScan ? ", adopted" : "";
                matrix.push(`${faultName} × ${op} → retried (${proxy.count(op)} calls), created${adopted}`);
            });
        }
    }

    for (const op of ["DescribeImages", "StartImageScan"] as const) {
        it(`throttling on ${op} beyond the SDK's 3 attempts is retried until the deadline; one scan`, async () => {
            const { repo, digest } = await image();
            const throttle = FAULTS.throttling;
            proxy.inject(op, throttle, throttle, throttle, throttle);
            const p = provider();
            const outs = (await p.create(await inputs(p, { repositoryName: repo, imageTag: "v1" }))).outs as ImageScanOutputs;
            assert.equal(outs.scanStatus, "COMPLETE");
            assert.equal(proxy.count(op), 5);
            assert.equal(successfulStarts(digest), 1);
            matrix.push(`throttling × 4 in a row × ${op} → SDK's 3 attempts, then the provider's retry; created`);
        });
    }

    it("LimitExceededException on StartImageScan is never retried: the scan is adopted", async () => {
        const { repo, digest } = await image();
        await provider().create(await inputs(provider(), { repositoryName: repo, imageDigest: digest }));
        proxy.reset();
        // Hide the scan from the lookup, so that StartImageScan meets moto's quota.
        proxy.inject("DescribeImageScanFindings", { kind: "status", status: 400, code: "ScanNotFoundException", message: "hidden" });
        const p = provider();
        const outs = (await p.create(await inputs(p, { repositoryName: repo, imageDigest: digest }))).outs as ImageScanOutputs;
        assert.equal(proxy.count("StartImageScan"), 1);
        assert.equal(outs.adoptedExistingScan, true);
        matrix.push("LimitExceededException × StartImageScan → 1 call, not retried, scan adopted");
    });

    for (const op of OPS) {
        it(`malformed JSON from ${op} is a clear error naming the operation and image, not a crash`, async () => {
            const { repo } = await image();
            proxy.inject(op, { kind: "malformed" });
            const p = provider();
            const raw = { repositoryName: repo, imageTag: "v1" };
            await assert.rejects(p.create(await inputs(p, raw)), (e: Error) => {
                assert.equal(e.name, "EcrRequestError");
                assert.match(e.message, new RegExp(`ECR ${op} failed for image (${fx.ACCOUNT}/)?${repo}:v1`));
                assert.match(e.message, /SyntaxError/);
                assert.match(e.message, /us-east-1/);
                return true;
            });
            assert.equal(proxy.count(op), 1, "a malformed answer is not retried");
            // Nothing is broken: the next run succeeds, and scans once at most.
            const outs = (await p.create(await inputs(p, raw))).outs as ImageScanOutputs;
            assert.equal(outs.scanStatus, "COMPLETE");
            assert.equal(successfulStarts(outs.imageDigest), 1);
            matrix.push(`malformed JSON × ${op} → EcrRequestError, not retried; next run creates`);
        });
    }

    it("an endpoint that never answers is given up at the deadline, with an error naming image and endpoint", async () => {
        const hole = await blackhole();
        try {
            const p = new ImageScanProvider({ log: () => undefined });
            const raw = { repositoryName: "web", imageTag: "v1", endpoint: hole.url, timeoutSeconds: 3 };
            const started = Date.now();
            await assert.rejects(p.create(await inputs(p, raw)), (e: Error) => {
                assert.equal(e.name, "EcrRequestError");
                assert.match(e.message, /web:v1/);
                assert.match(e.message, new RegExp(hole.url.replace(/\./g, "\\.")));
                assert.match(e.message, /got no answer from .* before timeoutSeconds ran out/);
                return true;
            });
            // The message is the abort's: the deadline ended it, not the client's own
            // timeouts. The time is reported, never asserted (it is BENCHMARKS.md's job).
            const seconds = (Date.now() - started) / 1000;
            matrix.push(`no answer at all (timeoutSeconds 3) → EcrRequestError after ${seconds.toFixed(1)} s`);
        } finally {
            await hole.close();
        }
    });

    it("ECR stops answering after the scan started: the create times out, and the retry adopts that scan", async () => {
        const { repo, digest } = await image();
        // The lookup answers; every poll after StartImageScan hangs.
        proxy.inject("DescribeImageScanFindings", { kind: "delay", ms: 0 }, ...Array.from({ length: 20 }, () => ({ kind: "delay", ms: 60_000 }) as Fault));
        const p = new ImageScanProvider({ log: () => undefined, transport: (t) => sdkTransport(t, { requestTimeoutMs: 30_000 }) });
        const raw = { repositoryName: repo, imageDigest: digest, timeoutSeconds: 3 };
        const started = Date.now();
        await assert.rejects(p.create(await inputs(p, raw)), (e: Error) => {
            assert.match(e.message, new RegExp(`${repo}@${digest}`));
            assert.match(e.message, /adopts/);
            return true;
        });
        const seconds = (Date.now() - started) / 1000;
        assert.equal(successfulStarts(digest), 1);

        proxy.reset();
        const outs = (await provider().create(await inputs(p, { repositoryName: repo, imageDigest: digest }))).outs as ImageScanOutputs;
        assert.equal(outs.adoptedExistingScan, true);
        assert.equal(outs.scanStatus, "COMPLETE");
        assert.equal(proxy.count("StartImageScan"), 0, "no second StartImageScan");
        matrix.push(`polls hang after the start (timeoutSeconds 3) → error after ${seconds.toFixed(1)} s; retry adopts, 0 new starts`);
    });

    it("a poll that fails after the SDK's retries does not end the wait", async () => {
        const { repo, digest } = await image();
        // The lookup and the first poll's three attempts all fail; the next poll succeeds.
        const unavailable: Fault = { kind: "status", status: 503, code: "ServiceUnavailableException" };
        proxy.inject("DescribeImageScanFindings", { kind: "delay", ms: 0 }, unavailable, unavailable, unavailable);
        const p = provider();
        const outs = (await p.create(await inputs(p, { repositoryName: repo, imageDigest: digest }))).outs as ImageScanOutputs;
        assert.equal(outs.scanStatus, "COMPLETE");
        assert.equal(proxy.count("DescribeImageScanFindings"), 5);
        matrix.push("HTTP 503 × 3 attempts on one poll → the wait goes on; created");
    });
});
