// ImageScan under the real Pulumi engine: `pulumi up`, preview, refresh, destroy,
// stack outputs, StackReference and exported state, on the repo's own example program
// against moto_server. ECR calls are counted at a recording proxy.
//
// Needs `pulumi` on PATH: `npm test` puts it there (scripts/pulumi-cli.sh).

import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as fx from "../support/ecr";
import { SCAN_TYPE, useLab } from "../support/lab";
import { Moto } from "../support/moto";
import { RecordingProxy } from "../support/proxy";
import { REPO_ROOT, resourcesOf, Workspace } from "../support/pulumi";

describe("end to end: the Pulumi engine", function () {
    this.timeout(600_000);
    const TOKEN = "imagescan-dummy-session-token-do-not-leak";
    const lab = useLab({ awsEnv: { AWS_SESSION_TOKEN: TOKEN } });
    let moto: Moto;
    let proxy: RecordingProxy;
    let ws: Workspace;
    const suiteStart = Date.now();

    before(() => {
        ({ moto, proxy, ws } = lab());
    });
    after(() => {
        console.log(`      end-to-end suite: ${((Date.now() - suiteStart) / 1000).toFixed(1)} s`);
    });

    /** A stack of the example program, configured for moto through the proxy. */
    async function exampleStack(stack: string, repo: string, config: Record<string, string>): Promise<void> {
        await lab().stack(stack, REPO_ROOT, { repositoryName: repo, ...config });
    }

    async function outputs(stack: string, cwd?: string): Promise<Record<string, unknown>> {
        const r = await ws.ok(["stack", "output", "--json", "--show-secrets"], { stack, cwd });
        return JSON.parse(r.stdout) as Record<string, unknown>;
    }

    describe("the example stack", () => {
        const stack = "e2e";
        const repo = "e2e-web";
        let firstDigest: string;

        before(async () => {
            await fx.createRepository(moto.url, repo);
            firstDigest = await fx.pushImage(moto.url, repo, "prod", "e2e-web-1");
            await exampleStack(stack, repo, { imageTag: "prod" });
        });

        it("1. pulumi up creates the scan; the stack outputs hold digest, COMPLETE and counts", async () => {
            proxy.reset();
            const up = await ws.ok(["up", "--yes", "--skip-preview"], { stack });
            assert.match(up.output, /\+ .*image-scan .*created/);
            const out = await outputs(stack);
            assert.equal(out.imageDigest, firstDigest);
            assert.equal(out.scanStatus, "COMPLETE");
            assert.deepEqual(out.findingSeverityCounts, { HIGH: 1 });
            assert.equal(out.findingsTotal, 1);
            assert.ok(typeof out.nextScanAllowedAt === "string");
            assert.equal(proxy.count("StartImageScan"), 1);
            // A clean up prints no stack trace and no SDK warning.
            assert.doesNotMatch(up.output, /NodeVersionSupportWarning|\n\s+at .*\.js:\d+/);
        });

        it("2. a second pulumi up --expect-no-changes succeeds and sends no StartImageScan", async () => {
            proxy.reset();
            const up = await ws.ok(["up", "--yes", "--expect-no-changes", "--skip-preview"], { stack });
            assert.match(up.output, /unchanged/);
            assert.equal(proxy.count("StartImageScan"), 0);
            // Tag-only: one DescribeImages to see whether the tag moved, nothing else.
            assert.deepEqual(proxy.calls.map((c) => c.operation), ["DescribeImages"]);
        });

        it("3. a new image on the same tag: preview shows a replace, up scans the new digest", async () => {
            const moved = await fx.pushImage(moto.url, repo, "prod", "e2e-web-2");
            proxy.reset();
            const preview = await ws.ok(["preview", "--diff"], { stack });
            assert.match(preview.output, /\+-.*image-scan|replace/);
            assert.equal(proxy.count("StartImageScan"), 0, "preview never scans");

            proxy.reset();
            await ws.ok(["up", "--yes", "--skip-preview"], { stack });
            const out = await outputs(stack);
            assert.equal(out.imageDigest, moved);
            assert.notEqual(moved, firstDigest);
            assert.equal(proxy.count("StartImageScan"), 1);
        });

        it("4. a failing gate makes up exit non-zero naming the finding; an ignore then passes with no second scan", async () => {
            const gated = await fx.pushImage(moto.url, repo, "prod", "e2e-web-3");
            await fx.setCannedFindings(moto.url, repo, gated, [{ name: "CVE-2026-4242", severity: "CRITICAL", packageName: "openssl" }]);
            await ws.ok(["config", "set", "failOnSeverity", "HIGH"], { stack });
            proxy.reset();
            const failed = await ws.run(["up", "--yes", "--skip-preview"], { stack });
            assert.notEqual(failed.code, 0);
            assert.match(failed.output, /CVE-2026-4242/);
            assert.match(failed.output, /CRITICAL: 1/);
            assert.match(failed.output, /ignoreFindings/);
            assert.doesNotMatch(failed.output, /\n\s+at .*\.js:\d+/, "no stack trace");
            assert.equal(proxy.count("StartImageScan"), 1);
            // Nothing was stored: the outputs still describe the previous image.
            assert.notEqual((await outputs(stack)).imageDigest, gated);

            await ws.ok(["config", "set", "--path", "ignoreFindings[0].name", "CVE-2026-4242"], { stack });
            await ws.ok(["config", "set", "--path", "ignoreFindings[0].reason", "not reachable in this service"], { stack });
            proxy.reset();
            await ws.ok(["up", "--yes", "--skip-preview"], { stack });
            const out = await outputs(stack);
            assert.equal(out.imageDigest, gated);
            assert.deepEqual(out.findingSeverityCounts, { CRITICAL: 1 });
            assert.equal(proxy.count("StartImageScan"), 0, "the same scan is adopted");
        });

        it("6. a downstream stack reads the outputs through StackReference", async () => {
            const cwd = path.join(REPO_ROOT, "examples/downstream");
            const down = "e2e-downstream";
            await ws.initStack(down, cwd);
            await ws.ok(["config", "set", "scanStack", `organization/imagescan-example/${stack}`], { cwd, stack: down });
            await ws.ok(["config", "set", "maxSeverity", "HIGH"], { cwd, stack: down });
            proxy.reset();
            await ws.ok(["up", "--yes", "--skip-preview"], { cwd, stack: down });
            const out = await outputs(down, cwd);
            const scan = await outputs(stack);
            assert.equal(out.scannedDigest, scan.imageDigest);
            // The CRITICAL finding is accepted by the scan stack (ignoreFindings): the
            // downstream stack reads ignoredFindings and agrees.
            assert.deepEqual(scan.ignoredFindings, [{ name: "CVE-2026-4242", severity: "CRITICAL", reason: "not reachable in this service" }]);
            assert.deepEqual(out.acceptedFindings, ["CVE-2026-4242"]);
            assert.equal(out.blockingFindings, 0);
            assert.equal(out.deployable, true);
            assert.equal(proxy.calls.length, 0, "reading outputs makes no ECR call");
            await ws.ok(["destroy", "--yes", "--skip-preview"], { cwd, stack: down });
        });

        it("7. exported state holds no credential, and __provider is at most 4 KiB", async () => {
            const exported = (await ws.ok(["stack", "export", "--show-secrets"], { stack })).stdout;
            for (const secret of [fx.DUMMY_KEY_ID, fx.DUMMY_SECRET, TOKEN]) {
                assert.ok(!exported.includes(secret), "a credential reached the state");
            }
            const scans = resourcesOf(exported).filter((r) => r.type === SCAN_TYPE);
            assert.equal(scans.length, 1);
            const serialized = scans[0].inputs?.__provider;
            assert.equal(typeof serialized, "string");
            const bytes = Buffer.byteLength(serialized as string);
            console.log(`      __provider in exported state: ${bytes} bytes`);
            assert.ok(bytes <= 4 * 1024, `__provider is ${bytes} bytes`);
            assert.equal(scans[0].outputs?.__provider, serialized, "outputs carry the same small provider");
            assert.equal(scans[0].outputs?.scanStatus, "COMPLETE");
        });

        it("5b. pulumi destroy succeeds with no ECR call", async () => {
            proxy.reset();
            const destroy = await ws.ok(["destroy", "--yes", "--skip-preview"], { stack });
            assert.match(destroy.output, /deleted/);
            assert.equal(proxy.calls.length, 0);
        });
    });

    it("5. pulumi refresh after the image is deleted removes the resource; destroy then needs no ECR call", async () => {
        const stack = "e2e-refresh";
        const repo = "e2e-refresh";
        await fx.createRepository(moto.url, repo);
        const digest = await fx.pushImage(moto.url, repo, "v1", "e2e-refresh-1");
        await exampleStack(stack, repo, { imageDigest: digest });
        await ws.ok(["up", "--yes", "--skip-preview"], { stack });

        await fx.deleteImage(moto.url, repo, digest);
        const refresh = await ws.ok(["refresh", "--yes", "--skip-preview"], { stack });
        assert.match(refresh.output, /deleted/);
        const exported = (await ws.ok(["stack", "export"], { stack })).stdout;
        assert.equal(resourcesOf(exported).filter((r) => r.type === SCAN_TYPE).length, 0);

        proxy.reset();
        await ws.ok(["destroy", "--yes", "--skip-preview"], { stack });
        assert.equal(proxy.calls.length, 0);
        assert.ok(fs.existsSync(ws.stateDir));
    });

    it("leaves no stack files in the repository", () => {
        for (const dir of [REPO_ROOT, path.join(REPO_ROOT, "examples/downstream")]) {
            assert.deepEqual(fs.readdirSync(dir).filter((f) => /^Pulumi\..+\.yaml$/.test(f)), []);
        }
    });
});
