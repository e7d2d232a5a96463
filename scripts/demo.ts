// The demo's steps: see scripts/demo.sh, which installs what is missing and runs this.

import * as fs from "fs";
import * as path from "path";
import * as fx from "../tests/support/ecr";
import { BUILDX_TWO, openLab } from "../tests/support/lab";
import { REPO_ROOT } from "../tests/support/pulumi";

const DEMO_DIR = path.join(REPO_ROOT, ".demo");

function step(text: string): void {
    console.log(`\n=== ${text}`);
}

async function main(): Promise<void> {
    // A fresh start each run: moto's data lives only as long as the demo.
    fs.rmSync(DEMO_DIR, { recursive: true, force: true });

    step("Starting a local ECR API (moto_server on loopback)");
    const lab = await openLab({ handleSignals: true, workspaceDir: DEMO_DIR });
    const { moto, proxy, ws } = lab;
    console.log(`moto_server at ${moto.url}; ECR calls are counted at ${proxy.url}`);
    const calls = () => `ECR calls: ${["DescribeImages", "BatchGetImage", "StartImageScan", "DescribeImageScanFindings"].map((op) => `${op} ${proxy.count(op)}`).join(", ")}`;
    const echo = { echo: true };

    try {
        step("Pushing web:prod as `docker buildx build --platform linux/amd64,linux/arm64 --push` does");
        await fx.createRepository(moto.url, "web");
        const first = await lab.pushIndex("web", "prod", { ...BUILDX_TWO, seed: "demo-web", attestationSeed: "build-1" });
        console.log(`web:prod -> an OCI image index ${first.digest}`);
        for (const image of first.images) {
            console.log(`  ${image.platform.padEnd(12)} ${image.digest}`);
        }
        console.log(`  and ${first.attestations.length} provenance attestation manifests (ECR cannot scan the index itself)`);
        // What the scanner finds in each platform image (moto's canned findings).
        await lab.setFindings("web", first.images[0].digest, [{ name: "CVE-2026-1111", severity: "HIGH", packageName: "openssl", packageVersion: "3.0.1" }]);
        await lab.setFindings("web", first.images[1].digest, [
            { name: "CVE-2026-1111", severity: "HIGH", packageName: "openssl", packageVersion: "3.0.1" },
            { name: "CVE-2026-2222", severity: "MEDIUM", packageName: "zlib", packageVersion: "1.2.13" },
        ]);

        step("Configuring the example stack 'dev' (index.ts): one ImageScan of web:prod");
        await ws.initStack("dev");
        const stack = { stack: "dev", ...echo };
        await ws.ok(["config", "set", "aws:region", fx.REGION], stack);
        await ws.ok(["config", "set", "--path", "aws:endpoints[0].ecr", proxy.url], stack);
        await ws.ok(["config", "set", "repositoryName", "web"], stack);
        await ws.ok(["config", "set", "imageTag", "prod"], stack);

        step("pulumi up: scans each platform image, in parallel, and waits for the results");
        proxy.reset();
        await ws.ok(["up", "--yes"], stack);
        console.log(calls());
        const out = JSON.parse((await ws.ok(["stack", "output", "--json"], { stack: "dev" })).stdout) as { images: { platform: string; scanStatus: string; findingSeverityCounts: Record<string, number> }[] };
        console.log("Per platform image (the images output):");
        for (const i of out.images) {
            console.log(`  ${i.platform.padEnd(12)} ${i.scanStatus}  ${JSON.stringify(i.findingSeverityCounts)}`);
        }
        console.log("Together (findingSeverityCounts counts CVE-2026-1111 once; topFindings names the platforms):");
        await ws.ok(["stack", "output", "findingSeverityCounts"], stack);
        await ws.ok(["stack", "output", "topFindings", "--json"], stack);

        step("A rebuild: same images, new provenance attestation: the index digest behind web:prod moves");
        const second = await lab.pushIndex("web", "prod", { ...BUILDX_TWO, seed: "demo-web", attestationSeed: "build-2" });
        console.log(`web:prod -> ${second.digest} (platform images unchanged)`);
        step("pulumi preview: a new digest means a replace");
        await ws.ok(["preview", "--diff"], stack);
        step("pulumi up: the platform images were scanned within 24 h, so they are adopted: no scan");
        proxy.reset();
        await ws.ok(["up", "--yes", "--skip-preview"], stack);
        console.log(calls());

        step("pulumi up again: nothing to do");
        proxy.reset();
        await ws.ok(["up", "--yes", "--expect-no-changes", "--skip-preview"], stack);
        console.log(calls());

        step("A downstream stack reads the scan through StackReference (examples/downstream)");
        const cwd = path.join(REPO_ROOT, "examples/downstream");
        await ws.initStack("dev-downstream", cwd);
        const down = { stack: "dev-downstream", cwd, ...echo };
        await ws.ok(["config", "set", "scanStack", "organization/imagescan-example/dev"], down);
        await ws.ok(["up", "--yes", "--skip-preview"], down);
        await ws.ok(["stack", "output", "--json"], down);
    } finally {
        await lab.close();
    }

    step("Done");
    console.log(`moto_server is stopped; nothing of the demo is left running.`);
    console.log(`Pulumi state (file backend) and stack config live in ${DEMO_DIR} (git-ignored).`);
    console.log(`To look around: PULUMI_BACKEND_URL=file://${ws.stateDir} PULUMI_CONFIG_PASSPHRASE=${"imagescan-local-passphrase"} pulumi stack ls --all`);
}

main().catch((e: Error) => {
    console.error(`\ndemo failed: ${e.message}`);
    process.exit(1);
});
