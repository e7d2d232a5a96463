// A platform team's fleet: ten stacks deployed at once from CI, 20 ImageScans each, over
// 30 images, so that most images are shared by several stacks and the stacks race for
// each image's one scan a day. ECR's rate limits are on (the lab's default), and every
// scan takes a while (the proxy holds it IN_PROGRESS). Counted at the proxy, which tells
// the stacks apart by their endpoint (`${proxy}/c/<stack>`).
//
// Once with the state in files, once in S3 (moto's S3, through Pulumi's own S3
// backend), where a downstream stack reads outputs through StackReference and two
// `pulumi up` of one stack at once meet the backend's lock.
//
// Needs `pulumi` on PATH: `npm test` puts it there (scripts/pulumi-cli.sh).

import { strict as assert } from "assert";
import { DOWNSTREAM, Lab, MANY, useLab } from "../support/lab";
import { Call, callTable, successfulStarts } from "../support/proxy";
import { CliResult, REPO_ROOT, Workspace } from "../support/pulumi";

const STACKS = 10;
const PER_STACK = 20;
const IMAGES = 30;
const HOLD_MS = 5_000;

interface Fleet {
    digests: string[];
    results: CliResult[];
    calls: Call[];
}

/** Ten stacks of examples/many on one repository of 30 images, `pulumi up` all at once. */
async function deployFleet(lab: Lab, ws: Workspace, label: string): Promise<Fleet> {
    const repo = await lab.repository(`fleet-${label}`);
    const digests = await lab.pushImages(repo, IMAGES);
    const stacks = Array.from({ length: STACKS }, (_, k) => `${label}-${k}`);
    for (const [k, stack] of stacks.entries()) {
        // Stack k scans images 3k … 3k+19 (mod 30): each image is in six or seven stacks.
        await lab.stack(stack, MANY, { repositoryName: repo, count: String(PER_STACK), offset: String(3 * k), wrap: String(IMAGES) }, ws);
        await ws.ok(["config", "set", "--path", "aws:endpoints[0].ecr", `${lab.proxy.url}/c/${stack}`], { cwd: MANY, stack });
    }
    lab.proxy.reset();
    lab.proxy.holdInProgress(HOLD_MS);
    const mark = lab.proxy.calls.length;
    const started = Date.now();
    const results = await Promise.all(stacks.map((stack) => ws.run(["up", "--yes", "--skip-preview"], { cwd: MANY, stack, timeoutMs: 900_000 })));
    const calls = lab.proxy.calls.slice(mark);
    lab.proxy.holdInProgress(0);
    console.log(`      ${label}: ${STACKS} concurrent pulumi up, ${STACKS * PER_STACK} ImageScans over ${IMAGES} images: ${((Date.now() - started) / 1000).toFixed(1)} s wall`);
    for (const [k, r] of results.entries()) {
        console.log(`        ${stacks[k]}: exit ${r.code}, ${r.seconds.toFixed(1)} s`);
    }
    for (const line of callTable(calls)) {
        console.log(`        ${line}`);
    }
    return { digests, results, calls };
}

/** The fleet's invariants, whatever backend holds the state. */
async function assertFleet(fleet: Fleet, ws: Workspace, label: string): Promise<void> {
    const failed = fleet.results.map((r, k) => [k, r] as const).filter(([, r]) => r.code !== 0);
    assert.deepEqual(
        failed.map(([k]) => k),
        [],
        `stacks failed:\n${failed.map(([k, r]) => `${label}-${k}:\n${r.output.split("\n").filter((l) => /error/.test(l)).slice(0, 5).join("\n")}`).join("\n")}`,
    );

    // Every image: exactly one successful StartImageScan, whichever stack won the race.
    const starts = successfulStarts(fleet.calls);
    assert.deepEqual(
        fleet.digests.map((d) => starts.get(d) ?? 0),
        fleet.digests.map(() => 1),
        "one successful StartImageScan per image",
    );

    // Every other ImageScan of an image adopted that scan.
    let adopted = 0;
    for (let k = 0; k < STACKS; k++) {
        const out = JSON.parse((await ws.ok(["stack", "output", "--json"], { cwd: MANY, stack: `${label}-${k}` })).stdout) as { statuses: string[]; digests: string[]; adopted: boolean[] };
        assert.deepEqual(out.statuses, Array(PER_STACK).fill("COMPLETE"), `${label}-${k}`);
        assert.deepEqual(out.digests, Array.from({ length: PER_STACK }, (_, i) => fleet.digests[(3 * k + i) % IMAGES]));
        adopted += out.adopted.filter(Boolean).length;
    }
    assert.equal(adopted, STACKS * PER_STACK - IMAGES, "all but one ImageScan per image adopted");

    // No stack waits past the time its own scans need: once a stack has seen an image's
    // scan COMPLETE, it asks ECR nothing more about that image.
    const late: string[] = [];
    for (let k = 0; k < STACKS; k++) {
        const mine = fleet.calls.filter((c) => c.client === `${label}-${k}` && c.operation === "DescribeImageScanFindings");
        for (const digest of fleet.digests) {
            const polls = mine.filter((c) => (c.body.imageId as { imageDigest?: string } | undefined)?.imageDigest === digest);
            const done = polls.findIndex((c) => c.status === 200 && c.scanStatus === "COMPLETE");
            if (done >= 0 && done < polls.length - 1) {
                late.push(`${label}-${k} asked ${polls.length - 1 - done} more time(s) about ${digest.slice(0, 15)}… after it was COMPLETE`);
            }
        }
    }
    assert.deepEqual(late, []);
    // Under ECR's rate limits, what the provider paces stays clear of most throttling.
    const throttled = fleet.calls.filter((c) => c.throttled).length;
    console.log(`        throttled by the rate limit: ${throttled} of ${fleet.calls.length} calls`);
}

describe("end to end: a fleet of stacks at once", function () {
    this.timeout(1_800_000);
    const lab = useLab();

    it(`${STACKS} concurrent pulumi up, file backend: every stack succeeds, one scan per image, the rest adopt`, async () => {
        const ws = lab().workspace();
        const fleet = await deployFleet(lab(), ws, "file");
        await assertFleet(fleet, ws, "file");
    });

    describe("team state in S3", () => {
        let ws: Workspace;
        before(async () => {
            ws = lab().workspace({}, await lab().stateBucket("imagescan-team-state"));
        });

        it(`${STACKS} concurrent pulumi up with the state in S3: the same guarantees`, async () => {
            const fleet = await deployFleet(lab(), ws, "s3");
            await assertFleet(fleet, ws, "s3");
        });

        it("a downstream stack on the same backend reads outputs through StackReference", async () => {
            const repo = await lab().repository("s3-downstream");
            await lab().pushImage(repo, "v1");
            await lab().stack("scanned", REPO_ROOT, { repositoryName: repo, imageTag: "v1" }, ws);
            await ws.ok(["up", "--yes", "--skip-preview"], { stack: "scanned" });
            await lab().stack("reader", DOWNSTREAM, { scanStack: "organization/imagescan-example/scanned" }, ws);
            await ws.ok(["up", "--yes", "--skip-preview"], { stack: "reader", cwd: DOWNSTREAM });
            const out = JSON.parse((await ws.ok(["stack", "output", "--json"], { stack: "reader", cwd: DOWNSTREAM })).stdout) as Record<string, unknown>;
            const scanned = JSON.parse((await ws.ok(["stack", "output", "--json"], { stack: "scanned" })).stdout) as Record<string, unknown>;
            assert.equal(out.scannedDigest, scanned.imageDigest);
            assert.equal(typeof out.deployable, "boolean");
        });

        it("two pulumi up of one stack at once: the second is refused by the lock, and nothing is lost", async () => {
            const repo = await lab().repository("s3-lock");
            const digests = await lab().pushImages(repo, 5);
            await lab().stack("locked", MANY, { repositoryName: repo, count: "5" }, ws);
            lab().proxy.holdInProgress(3_000);
            const first = ws.start(["up", "--yes", "--skip-preview"], { cwd: MANY, stack: "locked" });
            // The second starts once the first holds the lock: its scans are under way.
            const mark = Date.now();
            while (!lab().proxy.calls.some((c) => c.operation === "StartImageScan" && (c.at ?? 0) >= mark) && Date.now() - mark < 120_000) {
                await new Promise((r) => setTimeout(r, 100));
            }
            const second = await ws.run(["up", "--yes", "--skip-preview"], { cwd: MANY, stack: "locked" });
            const one = await first.done;
            lab().proxy.holdInProgress(0);
            assert.equal(one.code, 0, one.output);
            assert.notEqual(second.code, 0);
            assert.match(second.output, /the stack is currently locked/);
            const out = JSON.parse((await ws.ok(["stack", "output", "--json"], { cwd: MANY, stack: "locked" })).stdout) as { statuses: string[]; digests: string[] };
            assert.deepEqual(out.statuses, Array(5).fill("COMPLETE"));
            assert.deepEqual(out.digests, digests);
            await ws.ok(["up", "--yes", "--skip-preview", "--expect-no-changes"], { cwd: MANY, stack: "locked" });
        });
    });
});
