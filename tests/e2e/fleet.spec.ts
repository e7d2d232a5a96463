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
// The two runs meet the race differently. On files, the proxy hides each stack's first
// look at each image (raceLookups): every stack finds no scan and calls StartImageScan,
// so all ten race for each image and ECR's quota decides (one start, the rest
// LimitExceededException, adopted). On S3, the stacks race as timing has it: most find
// the scan another stack started and adopt it without calling StartImageScan.
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

/**
 * How long after the last of its images' scans completed a stack may still run: its
 * next poll (the backoff is still short, the scans take HOLD_MS) and the engine's end
 * on a busy 2-core machine (measured: 0.4 to 15 s). It fails a stack that waits a
 * minute or more for nothing: a fixed retry delay, a lost scan, a longer poll cap.
 */
const AFTER_LAST_SCAN_MS = 60_000;

interface Fleet {
    digests: string[];
    results: (CliResult & { endedAt: number })[];
    calls: Call[];
    raced: boolean;
}

/** Ten stacks of examples/many on one repository of 30 images, `pulumi up` all at once. */
async function deployFleet(lab: Lab, ws: Workspace, label: string, raced: boolean): Promise<Fleet> {
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
    lab.proxy.raceLookups(raced);
    const mark = lab.proxy.calls.length;
    const started = Date.now();
    const results = await Promise.all(
        stacks.map((stack) => ws.run(["up", "--yes", "--skip-preview"], { cwd: MANY, stack, timeoutMs: 900_000 }).then((r) => ({ ...r, endedAt: Date.now() }))),
    );
    const calls = lab.proxy.calls.slice(mark);
    lab.proxy.holdInProgress(0);
    lab.proxy.raceLookups(false);
    console.log(`      ${label}: ${STACKS} concurrent pulumi up, ${STACKS * PER_STACK} ImageScans over ${IMAGES} images: ${((Date.now() - started) / 1000).toFixed(1)} s wall`);
    for (const [k, r] of results.entries()) {
        console.log(`        ${stacks[k]}: exit ${r.code}, ${r.seconds.toFixed(1)} s`);
    }
    for (const line of callTable(calls)) {
        console.log(`        ${line}`);
    }
    return { digests, results, calls, raced };
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
    const refused = fleet.calls.filter((c) => c.operation === "StartImageScan" && c.error === "LimitExceededException").length;
    console.log(`        StartImageScan: ${IMAGES} started, ${refused} refused by the quota (LimitExceededException)`);
    if (fleet.raced) {
        // Every stack called StartImageScan for each of its images: ECR's quota refused
        // all but the first, and the provider adopted that scan instead of failing.
        assert.equal(refused, STACKS * PER_STACK - IMAGES, "StartImageScan refused by the quota");
        assert.equal(fleet.calls.filter((c) => c.emulated === "race").length, STACKS * PER_STACK, "every stack's first look at every image was hidden");
    }

    // Every other ImageScan of an image adopted that scan.
    let adopted = 0;
    for (let k = 0; k < STACKS; k++) {
        const out = JSON.parse((await ws.ok(["stack", "output", "--json"], { cwd: MANY, stack: `${label}-${k}` })).stdout) as { statuses: string[]; digests: string[]; adopted: boolean[] };
        assert.deepEqual(out.statuses, Array(PER_STACK).fill("COMPLETE"), `${label}-${k}`);
        assert.deepEqual(out.digests, Array.from({ length: PER_STACK }, (_, i) => fleet.digests[(3 * k + i) % IMAGES]));
        adopted += out.adopted.filter(Boolean).length;
    }
    assert.equal(adopted, STACKS * PER_STACK - IMAGES, "all but one ImageScan per image adopted");

    // No stack waits past the time its own scans need: each ends soon after the last
    // scan of its images completed (HOLD_MS after its successful StartImageScan).
    const startedAt = new Map<string, number>();
    for (const c of fleet.calls) {
        const digest = (c.body.imageId as { imageDigest?: string } | undefined)?.imageDigest;
        if (c.operation === "StartImageScan" && c.status === 200 && digest && !startedAt.has(digest)) {
            startedAt.set(digest, c.answeredAt ?? (c.at as number));
        }
    }
    const slack: number[] = [];
    const late: string[] = [];
    for (const [k, r] of fleet.results.entries()) {
        const mine = Array.from({ length: PER_STACK }, (_, i) => fleet.digests[(3 * k + i) % IMAGES]);
        const lastDone = Math.max(...mine.map((d) => (startedAt.get(d) as number) + HOLD_MS));
        slack.push(r.endedAt - lastDone);
        if (r.endedAt - lastDone > AFTER_LAST_SCAN_MS) {
            late.push(`${label}-${k} ended ${((r.endedAt - lastDone) / 1000).toFixed(1)} s after the last scan of its images completed`);
        }
    }
    console.log(`        each stack ended ${(Math.min(...slack) / 1000).toFixed(1)}–${(Math.max(...slack) / 1000).toFixed(1)} s after the last scan of its images completed`);
    assert.deepEqual(late, []);
    // Reported, not asserted: the README's Teams section quotes it.
    const throttled = fleet.calls.filter((c) => c.throttled).length;
    console.log(`        throttled by the rate limit: ${throttled} of ${fleet.calls.length} calls (${((throttled / fleet.calls.length) * 100).toFixed(1)} %)`);
}

describe("end to end: a fleet of stacks at once", function () {
    this.timeout(1_800_000);
    const lab = useLab();

    it(`${STACKS} concurrent pulumi up, file backend, all racing for every image: every stack succeeds, one scan per image, the rest adopt`, async () => {
        const ws = lab().workspace();
        const fleet = await deployFleet(lab(), ws, "file", true);
        await assertFleet(fleet, ws, "file");
    });

    describe("team state in S3", () => {
        const BUCKET = "imagescan-team-state";
        let ws: Workspace;
        before(async () => {
            const url = await lab().stateBucket(BUCKET);
            ws = lab().workspace({}, url);
            // As a team member would: log in once, then every command uses the bucket.
            await ws.ok(["login", url]);
            assert.match((await ws.ok(["whoami", "--verbose"])).stdout, new RegExp(`Backend URL: s3://${BUCKET}\\?`));
        });

        it(`${STACKS} concurrent pulumi up with the state in S3: the same guarantees`, async () => {
            const fleet = await deployFleet(lab(), ws, "s3", false);
            await assertFleet(fleet, ws, "s3");
            const keys = await lab().bucketKeys(BUCKET);
            for (let k = 0; k < STACKS; k++) {
                assert.ok(keys.includes(`.pulumi/stacks/imagescan-many/s3-${k}.json`), `s3-${k}'s state is in the bucket: ${keys.join(", ")}`);
            }
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

        it("two pulumi up of one stack at once: the second is refused by the lock, calls ECR not once, and nothing is lost", async () => {
            const repo = await lab().repository("s3-lock");
            const digests = await lab().pushImages(repo, 5);
            await lab().stack("locked", MANY, { repositoryName: repo, count: "5" }, ws);
            const endpoint = (client: string) => ws.ok(["config", "set", "--path", "aws:endpoints[0].ecr", `${lab().proxy.url}/c/${client}`], { cwd: MANY, stack: "locked" });
            await endpoint("first");
            // The first run's scans stay IN_PROGRESS until the second run has ended.
            lab().proxy.holdInProgress(3_600_000);
            const first = ws.start(["up", "--yes", "--skip-preview"], { cwd: MANY, stack: "locked" });
            // The second starts once the first holds the lock: its scans are under way.
            const mark = Date.now();
            while (!lab().proxy.calls.some((c) => c.operation === "StartImageScan" && c.client === "first" && (c.at ?? 0) >= mark) && Date.now() - mark < 120_000) {
                await new Promise((r) => setTimeout(r, 100));
            }
            const locks = (await lab().bucketKeys(BUCKET)).filter((k) => k.startsWith(".pulumi/locks/"));
            // The first run has read its config: the second, alone, calls ECR as "second".
            await endpoint("second");
            const second = await ws.run(["up", "--yes", "--skip-preview"], { cwd: MANY, stack: "locked" });
            const firstStillRunning = first.child.exitCode === null;
            lab().proxy.holdInProgress(0);
            const one = await first.done;
            assert.ok(firstStillRunning, "the first run was still waiting for its scans when the second ended");
            assert.equal(locks.length, 1, `one lock object in the bucket while the first run held it: ${locks.join(", ")}`);
            assert.notEqual(second.code, 0);
            assert.match(second.output, /the stack is currently locked/);
            assert.equal(lab().proxy.calls.filter((c) => c.client === "second").length, 0, "the refused run called ECR");
            assert.equal(one.code, 0, one.output);
            assert.deepEqual((await lab().bucketKeys(BUCKET)).filter((k) => k.startsWith(".pulumi/locks/")), [], "the lock is released");
            const out = JSON.parse((await ws.ok(["stack", "output", "--json"], { cwd: MANY, stack: "locked" })).stdout) as { statuses: string[]; digests: string[] };
            assert.deepEqual(out.statuses, Array(5).fill("COMPLETE"));
            assert.deepEqual(out.digests, digests);
            // The endpoint "second" does reach the proxy once a run gets the lock: an
            // update in place of the endpoint, which reads each scan again and starts none.
            const again = await ws.ok(["up", "--yes", "--skip-preview"], { cwd: MANY, stack: "locked" });
            const seconds = lab().proxy.calls.filter((c) => c.client === "second");
            assert.ok(seconds.length >= 5, `the run with the endpoint "second" made ${seconds.length} ECR calls:\n${again.output}`);
            assert.equal(seconds.filter((c) => c.operation === "StartImageScan").length, 0);
            await ws.ok(["up", "--yes", "--skip-preview", "--expect-no-changes"], { cwd: MANY, stack: "locked" });
        });
    });
});
