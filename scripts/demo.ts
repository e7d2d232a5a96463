// The demo's steps: see scripts/demo.sh, which installs what is missing and runs this.

import * as fs from "fs";
import * as path from "path";
import * as fx from "../tests/support/ecr";
import { openLab } from "../tests/support/lab";
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
    const calls = () => `ECR calls: ${["DescribeImages", "StartImageScan", "DescribeImageScanFindings"].map((op) => `${op} ${proxy.count(op)}`).join(", ")}`;
    const echo = { echo: true };

    try {
        step("Pushing a sample image: web:prod");
        await fx.createRepository(moto.url, "web");
        console.log(`web:prod -> ${await fx.pushImage(moto.url, "web", "prod", "demo-web-1")}`);

        step("Configuring the example stack 'dev' (index.ts): one ImageScan of web:prod");
        await ws.initStack("dev");
        const stack = { stack: "dev", ...echo };
        await ws.ok(["config", "set", "aws:region", fx.REGION], stack);
        await ws.ok(["config", "set", "--path", "aws:endpoints[0].ecr", proxy.url], stack);
        await ws.ok(["config", "set", "repositoryName", "web"], stack);
        await ws.ok(["config", "set", "imageTag", "prod"], stack);

        step("pulumi up: scans the image and waits for the result");
        proxy.reset();
        await ws.ok(["up", "--yes"], stack);
        console.log(calls());
        await ws.ok(["stack", "output", "--json"], stack);

        step("Pushing a new image to the same tag: the digest behind web:prod moves");
        console.log(`web:prod -> ${await fx.pushImage(moto.url, "web", "prod", "demo-web-2")}`);
        step("pulumi preview: a new digest means a replace, and so a new scan");
        await ws.ok(["preview", "--diff"], stack);
        step("pulumi up: scans the new digest");
        proxy.reset();
        await ws.ok(["up", "--yes", "--skip-preview"], stack);
        console.log(calls());
        await ws.ok(["stack", "output", "--json"], stack);

        step("pulumi up again, inside the 24 h window: nothing to do, no scan");
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
