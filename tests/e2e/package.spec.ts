// The package as users get it: `npm pack ./provider`, `npm install` of the tarball into
// an empty directory (no ts-node, no tsconfig, nothing of this repository), and
// `pulumi up` of a 10-line JavaScript program and of a TypeScript one, against the
// lab's ECR. Once per leg of the version matrix (tests/support/matrix.ts). Then the
// upgrade of a stack that ImageScan 0.1 wrote (its whole provider copied into state).
//
// Needs npm's registry (the programs install @pulumi/pulumi), Go and the Pulumi CLI
// pins: scripts/pulumi-cli.sh and scripts/node.sh provide what is missing.

import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as fx from "../support/ecr";
import { SCAN_TYPE, useLab } from "../support/lab";
import { Leg, legs } from "../support/matrix";
import { RecordingProxy } from "../support/proxy";
import { REPO_ROOT, resourcesOf, Workspace } from "../support/pulumi";

const HOST = `${fx.ACCOUNT}.dkr.ecr.${fx.REGION}.amazonaws.com`;
const STATE_BUDGET = 4 * 1024;

const PROGRAMS: Record<string, { main: string; source: string; dependencies: Record<string, string> }> = {
    JavaScript: {
        main: "index.js",
        dependencies: {},
        source: `const pulumi = require("@pulumi/pulumi");
const { ImageScan } = require("pulumi-ecr-imagescan");

const config = new pulumi.Config();
const scan = new ImageScan("web", { imageUri: config.require("imageUri"), failOnSeverity: "CRITICAL" });

exports.imageUri = scan.imageUri;
exports.scanStatus = scan.scanStatus;
exports.findingSeverityCounts = scan.findingSeverityCounts;
`,
    },
    TypeScript: {
        main: "index.ts",
        dependencies: { typescript: "~5.9.3", "@types/node": "^20.19.0" },
        source: `import * as pulumi from "@pulumi/pulumi";
import { ImageScan } from "pulumi-ecr-imagescan";

const config = new pulumi.Config();
const scan = new ImageScan("web", { imageUri: config.require("imageUri"), failOnSeverity: "CRITICAL" });

export const imageUri: pulumi.Output<string> = scan.imageUri;
export const scanStatus = scan.scanStatus;
export const findingSeverityCounts = scan.findingSeverityCounts;
`,
    },
};

describe("end to end: the package, installed from its tarball", function () {
    this.timeout(1_800_000);
    const lab = useLab();
    let proxy: RecordingProxy;
    let tarball: string;
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "imagescan-package-"));

    before(function () {
        this.timeout(1_200_000);
        proxy = lab().proxy;
        const packed = JSON.parse(execFileSync("npm", ["pack", "./provider", "--pack-destination", scratch, "--json", "--loglevel=error"], { cwd: REPO_ROOT, encoding: "utf8" })) as {
            filename: string;
            size: number;
            files: { path: string }[];
        }[];
        tarball = path.join(scratch, packed[0].filename);
        const files = packed[0].files.map((f) => f.path);
        console.log(`      npm pack ./provider: ${packed[0].filename}, ${packed[0].size} bytes, ${files.length} files`);
        // What a user gets: JavaScript, types and source maps, the README; no sources, no tests.
        assert.ok(files.includes("dist/index.js") && files.includes("dist/index.d.ts") && files.includes("dist/runtime.js") && files.includes("README.md"), files.join(", "));
        assert.ok(files.some((f) => f.endsWith(".js.map")));
        assert.deepEqual(files.filter((f) => /(^|\/)[^/]+(?<!\.d)\.ts$/.test(f) || f.startsWith("tests/")), []);
    });
    after(() => {
        fs.rmSync(scratch, { recursive: true, force: true });
    });

    /** An empty directory with one program, the tarball and @pulumi/pulumi installed. */
    function consumer(leg: Leg, language: string): string {
        const program = PROGRAMS[language];
        const dir = fs.mkdtempSync(path.join(scratch, `${language.toLowerCase()}-`));
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: imagescan-consumer\nruntime: nodejs\n`);
        fs.writeFileSync(
            path.join(dir, "package.json"),
            JSON.stringify({ name: "imagescan-consumer", private: true, main: program.main, dependencies: { "@pulumi/pulumi": leg.sdk, "pulumi-ecr-imagescan": `file:${tarball}`, ...program.dependencies } }, null, 2),
        );
        fs.writeFileSync(path.join(dir, program.main), program.source);
        execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
        assert.ok(!fs.existsSync(path.join(dir, "node_modules/ts-node")), "the program has no ts-node of its own");
        assert.ok(!fs.existsSync(path.join(dir, "tsconfig.json")));
        // A real copy, not a link into this repository: the serializer must see a package.
        assert.ok(!fs.lstatSync(path.join(dir, "node_modules/pulumi-ecr-imagescan")).isSymbolicLink());
        return dir;
    }

    let matrix: Leg[] = [];
    before(function () {
        this.timeout(1_200_000);
        matrix = legs();
    });

    for (const legIndex of [0, 1]) {
        describe(`leg ${legIndex + 1} of the version matrix`, () => {
            let leg: Leg;
            let ws: Workspace;
            before(() => {
                leg = matrix[legIndex];
                console.log(`      ${leg.name}: node ${leg.node}, pulumi ${leg.cli}`);
                ws = lab().workspace({ PATH: [...leg.path, process.env.PATH].join(path.delimiter) });
            });

            for (const language of Object.keys(PROGRAMS)) {
                it(`${language}: pulumi up scans the image, a second up plans nothing, state stays small; without the package, refresh says what failed to load and destroy works`, async () => {
                    const repo = await lab().repository(`pkg-${legIndex}-${language.toLowerCase()}`);
                    const digest = await lab().pushImage(repo, "v1");
                    const cwd = consumer(leg, language);
                    const stack = language.toLowerCase();
                    await lab().stack(stack, cwd, { imageUri: `${HOST}/${repo}:v1` }, ws);
                    proxy.reset();
                    const up = await ws.run(["up", "--yes", "--skip-preview"], { cwd, stack });
                    assert.equal(up.code, 0, up.output);
                    assert.doesNotMatch(up.output, /\n\s+at .+:\d+/, "no stack trace");
                    const out = JSON.parse((await ws.ok(["stack", "output", "--json"], { cwd, stack })).stdout) as Record<string, unknown>;
                    assert.equal(out.imageUri, `${HOST}/${repo}@${digest}`, "pinned by digest");
                    assert.equal(out.scanStatus, "COMPLETE");
                    assert.equal(proxy.count("StartImageScan"), 1);

                    await ws.ok(["up", "--yes", "--skip-preview", "--expect-no-changes"], { cwd, stack });

                    const exported = (await ws.ok(["stack", "export"], { cwd, stack })).stdout;
                    const [scan] = resourcesOf(exported).filter((r) => r.type === SCAN_TYPE);
                    const provider = Buffer.byteLength(String(scan.inputs?.__provider));
                    const perResource = Buffer.byteLength(JSON.stringify(scan));
                    console.log(`      ${language}: __provider ${provider} B; the resource in state ${perResource} B`);
                    // Twice per resource, in the inputs and the outputs: both within the budget.
                    assert.equal(scan.outputs?.__provider, scan.inputs?.__provider);
                    assert.ok(2 * provider <= STATE_BUDGET, `__provider is ${provider} bytes, twice`);

                    // The package removed from the program: refresh says what failed to load, and
                    // destroy still works (a scan cannot be deleted: no code, no AWS call).
                    const installed = path.join(cwd, "node_modules", "pulumi-ecr-imagescan");
                    fs.renameSync(installed, `${installed}.away`);
                    try {
                        const refresh = await ws.run(["refresh", "--yes", "--skip-preview"], { cwd, stack });
                        assert.notEqual(refresh.code, 0, refresh.output);
                        assert.match(refresh.output, /PackageLoadError: ImageScan could not load pulumi-ecr-imagescan in \S+: Cannot find module 'pulumi-ecr-imagescan\/runtime'/);
                        assert.doesNotMatch(refresh.output, /\n\s+at .+:\d+/, "no stack trace");
                        proxy.reset();
                        await ws.ok(["destroy", "--yes", "--skip-preview"], { cwd, stack });
                        assert.equal(proxy.calls.length, 0, "destroy makes no ECR call");
                    } finally {
                        fs.renameSync(`${installed}.away`, installed);
                    }
                });
            }
        });
    }

    describe("a stack written by ImageScan 0.1 (its provider copied into state) upgrades with a plain pulumi up", () => {
        // tests/e2e/fixtures/imagescan-0.1-stack.json: `pulumi stack export` of the example
        // program's stack "legacy" as main at d306690 wrote it, for the image pushed below.
        const FIXTURE = path.join(REPO_ROOT, "tests/e2e/fixtures/imagescan-0.1-stack.json");
        const stack = "legacy";

        it("no replace, no new scan, outputs kept; the provider in state shrinks; the next up plans nothing", async () => {
            const ws = lab().ws;
            const before = JSON.parse(fs.readFileSync(FIXTURE, "utf8")) as { deployment: { resources: { type: string; outputs?: Record<string, unknown> }[] } };
            const old = before.deployment.resources.find((r) => r.type === SCAN_TYPE)?.outputs as Record<string, unknown>;
            assert.ok(Buffer.byteLength(String(old.__provider)) > 50_000, "the fixture holds a by-value provider");

            await fx.createRepository(lab().moto.url, "legacy-web");
            const digest = await lab().pushImage("legacy-web", "v1", "imagescan-0.1-legacy-web-v1");
            assert.equal(digest, old.imageDigest, "the same image as in the fixture");
            await lab().stack(stack, REPO_ROOT, { repositoryName: "legacy-web", imageTag: "v1" });
            // The fixture's endpoint was its own lab's proxy: point it at this one.
            const file = path.join(scratch, "legacy.json");
            fs.writeFileSync(file, fs.readFileSync(FIXTURE, "utf8").split(String(old.endpoint)).join(proxy.url));
            await ws.ok(["stack", "import", "--file", file], { stack });

            proxy.reset();
            const up = await ws.ok(["up", "--yes", "--skip-preview"], { stack });
            assert.match(up.output, /~ .*image-scan .*updated/);
            assert.doesNotMatch(up.output, /replaced|\+-/);
            assert.equal(proxy.count("StartImageScan"), 0, "no new scan");

            const [scan] = resourcesOf((await ws.ok(["stack", "export"], { stack })).stdout).filter((r) => r.type === SCAN_TYPE);
            const outs = scan.outputs as Record<string, unknown>;
            for (const key of ["imageDigest", "scanStatus", "scanStartedAt", "nextScanAllowedAt", "scanCompletedAt", "findingSeverityCounts", "topFindings", "adoptedExistingScan"]) {
                assert.deepEqual(outs[key], old[key], key);
            }
            assert.equal(outs.imageUri, `${HOST}/legacy-web@${digest}`);
            // The upgrade rewrote both copies: inputs and outputs together within the budget.
            const both = Buffer.byteLength(String(scan.inputs?.__provider)) + Buffer.byteLength(String(scan.outputs?.__provider));
            assert.ok(both <= STATE_BUDGET, `__provider: ${both} bytes in inputs and outputs`);
            await ws.ok(["up", "--yes", "--skip-preview", "--expect-no-changes"], { stack });
            await ws.ok(["destroy", "--yes", "--skip-preview"], { stack });
        });
    });
});
