// An interrupted `pulumi up`: the CLI is stopped while ECR scans are running, then the
// user does what Pulumi tells them, and the stack converges without a second scan of
// any image (the quota: one scan per image per 24 h).
//
// The proxy holds each scan IN_PROGRESS for a while after its StartImageScan (moto
// finishes at once), so that the interruption lands mid-scan. Three cases:
// - Ctrl-C once (SIGINT to the CLI's process group, as a terminal sends it);
// - Ctrl-C twice ("terminate immediately"), which leaves pending CREATE operations;
// - SIGKILL of the CLI and all its plugins, as when a CI runner dies.
//
// Needs `pulumi` on PATH: `npm test` puts it there (scripts/pulumi-cli.sh).

import { strict as assert } from "assert";
import { MANY, SCAN_TYPE, useLab } from "../support/lab";
import { callTable, Call, RecordingProxy, successfulStarts } from "../support/proxy";
import { alive, CliResult, killTree, processTree, resourcesOf, RunningCli, Workspace } from "../support/pulumi";

const IMAGES = 3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("end to end: an interrupted pulumi up", function () {
    this.timeout(300_000);
    const lab = useLab();
    let proxy: RecordingProxy;
    let ws: Workspace;
    /** Every process of every CLI started here, for the final sweep. */
    const started: number[] = [];

    before(() => {
        ({ proxy, ws } = lab());
    });
    after(() => {
        killTree(started.filter(alive), "SIGKILL");
    });

    /** A stack of examples/many on IMAGES fresh images; returns their digests. */
    async function manyStack(stack: string): Promise<string[]> {
        const repo = await lab().repository(`interrupted-${stack}`);
        const digests = await lab().pushImages(repo, IMAGES);
        await lab().stack(stack, MANY, { repositoryName: repo, count: String(IMAGES) });
        return digests;
    }

    async function waitFor(what: string, cond: () => boolean, cli: RunningCli, timeoutMs = 60_000): Promise<void> {
        let exited = false;
        void cli.done.then(() => (exited = true));
        const deadline = Date.now() + timeoutMs;
        while (!cond()) {
            if (exited || Date.now() > deadline) {
                throw new Error(`${exited ? "pulumi exited" : "timed out"} before ${what}:\n${cli.output()}`);
            }
            await sleep(100);
        }
    }

    /**
     * Starts `pulumi up` with scans held IN_PROGRESS until the test releases them
     * (holdInProgress(0)), and resolves once ECR has accepted a scan of every image.
     * Returns the CLI and its process tree then.
     */
    async function upUntilScansRun(stack: string, digests: string[]): Promise<{ cli: RunningCli; tree: number[] }> {
        proxy.reset();
        proxy.holdInProgress(Number.POSITIVE_INFINITY);
        const cli = ws.start(["up", "--yes", "--skip-preview"], { cwd: MANY, stack });
        await waitFor("every image's scan started", () => digests.every((d) => successfulStarts(proxy.calls).get(d) === 1), cli);
        const tree = processTree(cli.child.pid as number);
        started.push(...tree);
        return { cli, tree };
    }

    /** Waits up to 15 s for the processes to end; returns (and then kills) those that did not. */
    async function survivors(tree: number[]): Promise<number[]> {
        const deadline = Date.now() + 15_000;
        while (tree.some(alive) && Date.now() < deadline) {
            await sleep(200);
        }
        const left = tree.filter(alive);
        killTree(left, "SIGKILL");
        return left;
    }

    function pendingOps(exported: string): string[] {
        const d = JSON.parse(exported) as { deployment?: { pending_operations?: { type: string; resource: { urn: string } }[] } };
        return (d.deployment?.pending_operations ?? []).map((o) => `${o.type} ${o.resource.urn.split("::").pop()}`);
    }

    async function state(stack: string): Promise<{ scans: number; statuses: unknown[]; pending: string[] }> {
        const exported = (await ws.ok(["stack", "export"], { cwd: MANY, stack })).stdout;
        const scans = resourcesOf(exported).filter((r) => r.type === SCAN_TYPE);
        return { scans: scans.length, statuses: scans.map((r) => r.outputs?.scanStatus), pending: pendingOps(exported) };
    }

    async function outputs(stack: string): Promise<{ statuses: string[]; digests: string[]; adopted: boolean[] }> {
        return JSON.parse((await ws.ok(["stack", "output", "--json"], { cwd: MANY, stack })).stdout);
    }

    /** The quota invariant over a whole case: one successful StartImageScan per image. */
    function assertOneScanEach(calls: Call[], digests: string[]): void {
        const starts = successfulStarts(calls);
        assert.deepEqual(
            digests.map((d) => starts.get(d) ?? 0),
            digests.map(() => 1),
            `successful StartImageScan per image:\n${callTable(calls).join("\n")}`,
        );
    }

    function show(label: string, r: CliResult): void {
        const text = r.output
            .split("\n")
            .filter((l) => l.trim() && !/^@ /.test(l))
            .map((l) => `        | ${l}`)
            .join("\n");
        console.log(`      ${label}: exit ${r.code}, ${r.seconds.toFixed(1)} s\n${text}`);
    }

    it("Ctrl-C once: Pulumi lets the running creates finish and records them; the next up is a no-op", async () => {
        const stack = "ctrl-c";
        const digests = await manyStack(stack);
        const { cli, tree } = await upUntilScansRun(stack, digests);
        process.kill(-(cli.child.pid as number), "SIGINT");
        // The scans run on until ^C has landed, however busy the machine: then they finish.
        await waitFor("Pulumi acknowledged ^C", () => /\^C received; cancelling/.test(cli.output()), cli);
        proxy.holdInProgress(0);
        const first = await cli.done;
        show("pulumi up, Ctrl-C once", first);
        assert.deepEqual(await survivors(tree), [], "a process of the interrupted CLI outlived it");

        assert.notEqual(first.code, 0);
        assert.match(first.output, /\^C received; cancelling/);
        assert.match(first.output, /update canceled/);
        // The engine waited for the scans and stored the resources; nothing is pending.
        assert.deepEqual(await state(stack), { scans: IMAGES, statuses: Array(IMAGES).fill("COMPLETE"), pending: [] });

        const mark = proxy.calls.length;
        const again = await ws.ok(["up", "--yes", "--skip-preview"], { cwd: MANY, stack });
        show("pulumi up again", again);
        assert.match(again.output, /unchanged/);
        assert.doesNotMatch(again.output, /pending operations/);
        assert.deepEqual(
            proxy.calls.slice(mark).map((c) => c.operation),
            Array(IMAGES).fill("DescribeImages"),
            "only the tag lookups of a no-op up",
        );
        const out = await outputs(stack);
        assert.deepEqual(out.statuses, Array(IMAGES).fill("COMPLETE"));
        assert.deepEqual(out.digests, digests);
        assertOneScanEach(proxy.calls, digests);
    });

    it("Ctrl-C twice: pending CREATEs; up warns and adopts the running scans; refresh --clear-pending-creates clears the warning", async () => {
        const stack = "ctrl-c-twice";
        const digests = await manyStack(stack);
        const { cli, tree } = await upUntilScansRun(stack, digests);
        process.kill(-(cli.child.pid as number), "SIGINT");
        await waitFor("Pulumi acknowledged the first ^C", () => /\^C received; cancelling/.test(cli.output()), cli);
        process.kill(-(cli.child.pid as number), "SIGINT");
        const first = await cli.done;
        proxy.holdInProgress(0);
        show("pulumi up, Ctrl-C twice", first);
        const left = await survivors(tree);
        if (left.length > 0) {
            console.log(`      processes still running 15 s after the CLI terminated (killed now): ${left.join(", ")}`);
        }

        assert.notEqual(first.code, 0);
        assert.match(first.output, /\^C received; terminating/);
        assert.match(first.output, /creating \(interrupted\)/);
        // Nothing stored; one pending CREATE per resource.
        const interrupted = await state(stack);
        assert.equal(interrupted.scans, 0);
        assert.deepEqual([...interrupted.pending].sort(), digests.map((_, i) => `creating scan-${i}`));

        // What a user runs next: pulumi up. It warns, creates again, and each create finds
        // the scan still running in ECR and adopts it: no second StartImageScan.
        const mark = proxy.calls.length;
        const again = await ws.ok(["up", "--yes", "--skip-preview"], { cwd: MANY, stack });
        show("pulumi up again", again);
        assert.match(again.output, /Attempting to deploy or update resources with 3 pending operations from previous deployment/);
        assert.match(again.output, /interrupted while creating/);
        const out = await outputs(stack);
        assert.deepEqual(out.statuses, Array(IMAGES).fill("COMPLETE"));
        assert.deepEqual(out.digests, digests);
        assert.deepEqual(out.adopted, Array(IMAGES).fill(true), "the running scans were adopted");
        assert.equal(proxy.calls.slice(mark).filter((c) => c.operation === "StartImageScan").length, 0, "no StartImageScan at all");
        assertOneScanEach(proxy.calls, digests);

        // Pulumi keeps pending CREATEs in state until a refresh clears them, so every up
        // repeats the warning. Non-interactively: refresh --clear-pending-creates.
        let s = await state(stack);
        assert.equal(s.scans, IMAGES);
        assert.equal(s.pending.length, IMAGES, "pending CREATEs survive a successful up");
        const refresh = await ws.ok(["refresh", "--yes", "--skip-preview", "--clear-pending-creates"], { cwd: MANY, stack });
        show("pulumi refresh --clear-pending-creates", refresh);
        s = await state(stack);
        assert.deepEqual(s, { scans: IMAGES, statuses: Array(IMAGES).fill("COMPLETE"), pending: [] });

        const clean = await ws.ok(["up", "--yes", "--skip-preview", "--expect-no-changes"], { cwd: MANY, stack });
        assert.doesNotMatch(clean.output, /pending operations/);
        assertOneScanEach(proxy.calls, digests);
    });

    it("SIGKILL of the CLI and its plugins: the stack stays locked; cancel, refresh --clear-pending-creates, up converge", async () => {
        const stack = "killed";
        const digests = await manyStack(stack);
        const { cli, tree } = await upUntilScansRun(stack, digests);
        killTree(tree, "SIGKILL");
        const first = await cli.done;
        proxy.holdInProgress(0);
        assert.equal(first.signal, "SIGKILL");
        assert.deepEqual(await survivors(tree), []);

        let s = await state(stack);
        assert.equal(s.scans, 0);
        assert.deepEqual([...s.pending].sort(), digests.map((_, i) => `creating scan-${i}`));

        // The next up refuses: the dead CLI's lock is still there.
        const locked = await ws.run(["up", "--yes", "--skip-preview"], { cwd: MANY, stack });
        show("pulumi up after the kill", locked);
        assert.notEqual(locked.code, 0);
        assert.match(locked.output, /the stack is currently locked by 1 lock\(s\)/);
        assert.match(locked.output, /pulumi cancel/);

        const cancel = await ws.ok(["cancel", "--yes"], { cwd: MANY, stack });
        show("pulumi cancel --yes", cancel);
        const refresh = await ws.ok(["refresh", "--yes", "--skip-preview", "--clear-pending-creates"], { cwd: MANY, stack });
        show("pulumi refresh --clear-pending-creates", refresh);
        s = await state(stack);
        assert.deepEqual(s, { scans: 0, statuses: [], pending: [] });

        const mark = proxy.calls.length;
        const up = await ws.ok(["up", "--yes", "--skip-preview"], { cwd: MANY, stack });
        show("pulumi up", up);
        assert.doesNotMatch(up.output, /pending operations/);
        const out = await outputs(stack);
        assert.deepEqual(out.statuses, Array(IMAGES).fill("COMPLETE"));
        assert.deepEqual(out.digests, digests);
        assert.deepEqual(out.adopted, Array(IMAGES).fill(true));
        assert.equal(proxy.calls.slice(mark).filter((c) => c.operation === "StartImageScan").length, 0);
        assertOneScanEach(proxy.calls, digests);
    });
});
