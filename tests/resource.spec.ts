// The resource in a program, under Pulumi's mocks: wiring with @pulumi/aws, defaults
// from the AWS provider's config, and what the serialized provider carries into state.

import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ImageScanInputs } from "../provider/index";

const KEY_ID = "AKIAMOCKSDONOTLEAK01";
const SECRET = "mocks/secret/value/that-must-never-reach-state";
const TOKEN = "mocks-session-token-never-in-state";

interface Registered {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
}

type RegisterResource = (req: { getName(): string; getDependenciesList(): string[] }, callback: unknown) => void;

describe("resource (pulumi mocks)", function () {
    this.timeout(60_000);
    const registered: Registered[] = [];
    /** Resource name -> the URNs it was registered as depending on. */
    const dependencies = new Map<string, string[]>();

    before(async function () {
        this.timeout(120_000);
        // The serialized provider loads the package by name, that is provider/dist: build
        // it first if the sources are newer, so that these tests never run stale code.
        execFileSync("bash", ["-c", "source scripts/deps.sh && ensure_package_built resource.spec"], { cwd: path.resolve(__dirname, ".."), stdio: "inherit" });
        process.env.AWS_ACCESS_KEY_ID = KEY_ID;
        process.env.AWS_SECRET_ACCESS_KEY = SECRET;
        process.env.AWS_SESSION_TOKEN = TOKEN;
        pulumi.runtime.setAllConfig({
            "aws:region": "eu-central-1",
            "aws:endpoints": JSON.stringify([{ ecr: "http://127.0.0.1:4566" }]),
        });
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => {
                    registered.push({ type: args.type, name: args.name, inputs: args.inputs });
                    const state: Record<string, unknown> = { ...args.inputs };
                    if (args.type === "aws:ecr/repository:Repository") {
                        state.repositoryUrl = `123456789012.dkr.ecr.eu-central-1.amazonaws.com/${args.inputs.name}`;
                        state.registryId = "123456789012";
                    }
                    if (args.type === "pulumi-nodejs:dynamic/imagescan:ImageScan") {
                        Object.assign(state, { scanStatus: "COMPLETE", findingsTotal: 0, imageDigest: "sha256:" + "c".repeat(64) });
                    }
                    return { id: `${args.name}-id`, state };
                },
                call: (args) => args.inputs,
            },
            "imagescan-test",
            "dev",
            false,
        );
        // The mocks do not pass a registration's dependencies on: read them off the
        // requests the program sends the (mock) monitor.
        const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: RegisterResource };
        const register = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req, callback) => {
            dependencies.set(req.getName(), req.getDependenciesList());
            register(req, callback);
        };
    });

    it("wires aws.ecr.Repository -> ImageScan -> a consumer that dependsOn the scan", async () => {
        const { program } = await import("./support/wiring");
        const out = program();
        const [digest, status, consumerValue] = await new Promise<[string, string, string]>((resolve) =>
            pulumi.all([out.scan.imageDigest, out.scan.scanStatus, out.release.value]).apply((v) => resolve(v as [string, string, string])),
        );
        assert.equal(status, "COMPLETE");
        assert.equal(digest, "sha256:" + "c".repeat(64));
        assert.equal(consumerValue, digest);
        // The consumer waits for the scan (and so for its gate) before it is created.
        assert.ok(dependencies.get("web-release")?.some((urn) => urn.endsWith("::web-scan")), JSON.stringify([...dependencies]));
        assert.ok(!dependencies.get("web-scan")?.some((urn) => urn.endsWith("::web-release")));

        const scan = registered.find((r) => r.type === "pulumi-nodejs:dynamic/imagescan:ImageScan");
        assert.ok(scan, registered.map((r) => r.type).join(", "));
        assert.equal(scan.inputs.repositoryName, "web");
        // Defaults from the AWS provider's own config.
        assert.equal(scan.inputs.region, "eu-central-1");
        assert.equal(scan.inputs.endpoint, "http://127.0.0.1:4566");
    });

    it("the serialized provider, twice per resource in state, is at most 4 KiB; it captures no module and holds no credential", async () => {
        const scan = registered.find((r) => r.type === "pulumi-nodejs:dynamic/imagescan:ImageScan");
        assert.ok(scan);
        const serialized = scan.inputs.__provider;
        assert.equal(typeof serialized, "string");
        const text = serialized as string;
        const bytes = Buffer.byteLength(text);
        console.log(`      __provider: ${bytes} bytes`);
        // The host copies it into the outputs too: both copies count.
        assert.ok(2 * bytes <= 4 * 1024, `__provider is ${bytes} bytes, twice`);
        for (const secret of [KEY_ID, SECRET, TOKEN]) {
            assert.ok(!text.includes(secret), "a credential reached __provider");
            assert.ok(!JSON.stringify(scan.inputs).includes(secret), "a credential reached the inputs");
        }
        // The implementation is loaded by package name when a method runs: no module is
        // captured (a hoisted require would run, and fail, as soon as the text loads).
        assert.deepEqual(text.match(/require\("[^"]*"\)/g), ['require("pulumi-ecr-imagescan/runtime")']);
        assert.doesNotMatch(text, /ECRClient|@aws-sdk/);
    });

    /** The serialized text, loaded the way the dynamic provider host loads it, from `dir`. */
    function load(dir?: string): Required<pulumi.dynamic.ResourceProvider> {
        const scan = registered.find((r) => r.type === "pulumi-nodejs:dynamic/imagescan:ImageScan");
        assert.ok(scan);
        // The host: requireFromString(text).handler(), resolving `require` from its cwd.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const requireFromString = require("require-from-string") as (code: string, filename?: string) => { handler: () => Required<pulumi.dynamic.ResourceProvider> };
        return requireFromString(scan.inputs.__provider as string, dir && path.join(dir, "index.js")).handler();
    }

    it("the serialized provider runs when loaded the way the provider host loads it", async () => {
        const provider = load();
        const ok = await provider.check({} as ImageScanInputs, { repositoryName: "web", imageTag: "v1" } as ImageScanInputs);
        assert.deepEqual(ok.failures ?? [], []);
        assert.equal(ok.inputs?.timeoutSeconds, 1200);
        const bad = await provider.check({} as ImageScanInputs, { repositoryName: "web", imageTag: "v1", imageTga: "x" } as unknown as ImageScanInputs);
        assert.deepEqual(bad.failures?.map((f: { property: string }) => f.property), ["imageTga"]);

        const inputs = {
            ...(ok.inputs as ImageScanInputs),
            region: "us-east-1",
            endpoint: "http://127.0.0.1:9",
            // Refused connections are retried until the deadline: keep it short.
            timeoutSeconds: 2,
            imageDigest: "sha256:" + "d".repeat(64),
        };
        await assert.rejects(provider.create(inputs), (e: Error) => {
            assert.equal(e.name, "EcrRequestError");
            assert.match(String(e.message), /ECR DescribeImages failed for image web:v1@sha256:d+ \(us-east-1, endpoint http:\/\/127.0.0.1:9\)/);
            return true;
        });
    });

    it("with the package gone from the program: destroy still works, everything else says what to install", async () => {
        const empty = fs.mkdtempSync(path.join(os.tmpdir(), "imagescan-no-package-"));
        try {
            const provider = load(empty);
            // The host skips a delete the provider does not have: a scan cannot be deleted.
            assert.equal(provider.delete, undefined);
            const calls: [string, () => Promise<unknown>][] = [
                ["check", () => provider.check({}, { repositoryName: "web", imageTag: "v1" })],
                ["diff", () => provider.diff("id", {}, {})],
                ["create", () => provider.create({})],
                ["update", () => provider.update("id", {}, {})],
                ["read", () => provider.read("id", { imageDigest: "sha256:" + "d".repeat(64) })],
            ];
            for (const [method, call] of calls) {
                await assert.rejects(call(), (e: Error) => {
                    assert.equal(e.name, "PackageLoadError", method);
                    assert.match(e.message, /^ImageScan could not load pulumi-ecr-imagescan in \S+: Cannot find module 'pulumi-ecr-imagescan\/runtime'.*\. Install it or fix that; plain pulumi destroy works without it\.$/);
                    assert.equal(e.stack, "");
                    return true;
                });
            }
        } finally {
            fs.rmSync(empty, { recursive: true, force: true });
        }
    });

    it("a package that fails to load (a dependency missing) is a clear error without stack frames", async () => {
        const broken = fs.mkdtempSync(path.join(os.tmpdir(), "imagescan-broken-package-"));
        try {
            const pkg = path.join(broken, "node_modules", "pulumi-ecr-imagescan");
            fs.mkdirSync(pkg, { recursive: true });
            fs.writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: "pulumi-ecr-imagescan", exports: { "./runtime": "./runtime.js" } }));
            fs.writeFileSync(path.join(pkg, "runtime.js"), 'require("@aws-sdk/no-such-client");');
            const provider = load(broken);
            for (const call of [() => provider.check({}, {}), () => provider.diff("id", {}, {}), () => provider.read("id", {})]) {
                await assert.rejects(call(), (e: Error) => {
                    assert.equal(e.name, "PackageLoadError");
                    assert.match(e.message, /could not load pulumi-ecr-imagescan in .*: Cannot find module '@aws-sdk\/no-such-client'/);
                    assert.equal(e.stack, "");
                    return true;
                });
            }
        } finally {
            fs.rmSync(broken, { recursive: true, force: true });
        }
    });
});
