// Every path settles, and every failure reads well, under the real engine:
// - a second `pulumi up` after a successful one plans nothing (`--expect-no-changes`),
//   on enhanced scanning with rescanAfterHours and on an image ECR cannot scan
//   (UNSUPPORTED_IMAGE), and a setting change on the latter does not wait for a scan;
// - a preview whose inputs are not known yet neither fails nor calls ECR with them;
// - the failures of diff and read (which the Pulumi host prints with `e.stack`) show the
//   cause and the next step, and no stack frames.
//
// Needs `pulumi` on PATH: `npm test` puts it there (scripts/pulumi-cli.sh).

import { strict as assert } from "assert";
import * as path from "path";
import { SCAN_TYPE, useLab } from "../support/lab";
import { RecordingProxy } from "../support/proxy";
import { REPO_ROOT, resourcesOf, Workspace } from "../support/pulumi";

/** A line of a JavaScript or TypeScript stack trace, e.g. "    at run (x.js:12:3)". */
const STACK_LINE = /^\s+at .+(:\d+(:\d+)?\)?|\(native\)|<anonymous>\)?)\s*$/m;
const UNKNOWN_PROGRAM = path.join(REPO_ROOT, "tests/e2e/programs/unknown");
const DAY = 24 * 3600_000;

describe("end to end: every path settles, every failure reads well", function () {
    this.timeout(600_000);
    const lab = useLab();
    let proxy: RecordingProxy;
    let ws: Workspace;
    before(() => {
        ({ proxy, ws } = lab());
    });

    async function outputs(stack: string, cwd = REPO_ROOT): Promise<Record<string, unknown>> {
        return JSON.parse((await ws.ok(["stack", "output", "--json"], { stack, cwd })).stdout) as Record<string, unknown>;
    }

    it("enhanced scanning with rescanAfterHours: up, then up --expect-no-changes; no StartImageScan", async () => {
        // Inspector last scanned this repository's images two days ago.
        const repo = await lab().repository("enhanced", {
            enhanced: { scannedAt: new Date(Date.now() - 2 * DAY), findings: [{ vulnerabilityId: "CVE-2026-7777", severity: "MEDIUM", packageName: "libfoo" }] },
        });
        await lab().pushImage(repo, "v1");
        const stack = "paths-enhanced";
        await lab().stack(stack, REPO_ROOT, { repositoryName: repo, imageTag: "v1", rescanAfterHours: "24", failOnSeverity: "HIGH" });
        proxy.reset();
        await ws.ok(["up", "--yes", "--skip-preview"], { stack });
        const out = await outputs(stack);
        assert.equal(out.scanType, "ENHANCED");
        assert.equal(out.scanStatus, "ACTIVE");
        assert.equal(out.adoptedExistingScan, false);
        assert.deepEqual(out.findingSeverityCounts, { MEDIUM: 1 });

        const again = await ws.run(["up", "--yes", "--expect-no-changes", "--skip-preview"], { stack });
        assert.equal(again.code, 0, `the second up planned a change:\n${again.output}`);
        assert.equal(proxy.count("StartImageScan"), 0, "ECR refuses manual scans on enhanced registries: none sent");
    });

    it("an artifact ECR cannot scan: UNSUPPORTED_IMAGE; the next up plans nothing; a setting change updates without waiting", async () => {
        const repo = await lab().repository("chart");
        await lab().pushArtifact(repo, "1.0.0");
        const stack = "paths-unsupported";
        await lab().stack(stack, REPO_ROOT, { repositoryName: repo, imageTag: "1.0.0" });
        proxy.reset();
        await ws.ok(["up", "--yes", "--skip-preview"], { stack });
        const out = await outputs(stack);
        assert.equal(out.scanStatus, "UNSUPPORTED_IMAGE");
        assert.equal(proxy.calls.filter((c) => c.emulated === "unsupported").length, 1, "the lab refused the scan as ECR does");

        await ws.ok(["up", "--yes", "--expect-no-changes", "--skip-preview"], { stack });

        // A setting change: an update that re-reads, and finds no scan record to wait for.
        await ws.ok(["config", "set", "rescanAfterHours", "48"], { stack });
        proxy.reset();
        const update = await ws.run(["up", "--yes", "--skip-preview"], { stack });
        assert.equal(update.code, 0, update.output);
        assert.match(update.output, /updated/);
        assert.equal((await outputs(stack)).scanStatus, "UNSUPPORTED_IMAGE");
        assert.deepEqual(proxy.calls.map((c) => c.operation), ["DescribeImages", "DescribeImageScanFindings"]);
    });

    it("inputs a preview cannot know yet: the preview plans a replace, shows no sentinel, and sends ECR nothing", async () => {
        const repo = await lab().repository("unknown");
        await lab().pushImage(repo, "v1");
        await lab().pushImage(repo, "v2");
        const stack = "paths-unknown";
        await lab().stack(stack, UNKNOWN_PROGRAM, { repositoryName: repo, imageTag: "v1" });
        await ws.ok(["up", "--yes", "--skip-preview"], { stack, cwd: UNKNOWN_PROGRAM });

        // The tag's source is replaced: in the preview, tag, until and timeoutSeconds are unknown.
        await ws.ok(["config", "set", "imageTag", "v2"], { stack, cwd: UNKNOWN_PROGRAM });
        proxy.reset();
        const preview = await ws.run(["preview", "--diff"], { stack, cwd: UNKNOWN_PROGRAM });
        assert.equal(preview.code, 0, preview.output);
        assert.match(preview.output, /\+-.*scan|replace/);
        assert.doesNotMatch(preview.output, /04da6b54-80e4-46f7-96ec-b56ff0331ba9/);
        assert.doesNotMatch(preview.output, STACK_LINE);
        assert.equal(proxy.calls.length, 0, "no ECR call in the preview");

        await ws.ok(["up", "--yes", "--skip-preview"], { stack, cwd: UNKNOWN_PROGRAM });
        const exported = resourcesOf((await ws.ok(["stack", "export"], { stack, cwd: UNKNOWN_PROGRAM })).stdout).filter((r) => r.type === SCAN_TYPE);
        assert.equal(exported[0].outputs?.imageTag, "v2");
        await ws.ok(["destroy", "--yes", "--skip-preview"], { stack, cwd: UNKNOWN_PROGRAM });
    });

    describe("failures of diff and read show the cause and no stack frames", () => {
        const stack = "paths-failures";
        before(async () => {
            const repo = await lab().repository("failures");
            await lab().pushImage(repo, "v1");
            await lab().stack(stack, REPO_ROOT, { repositoryName: repo, imageTag: "v1" });
            await ws.ok(["up", "--yes", "--skip-preview"], { stack });
        });
        after(async () => {
            await ws.run(["config", "rm", "aws:profile"], { stack });
            await ws.run(["destroy", "--yes", "--skip-preview"], { stack });
        });

        it("preview: access denied on the tag lookup", async () => {
            proxy.reset();
            proxy.inject("DescribeImages", { kind: "status", status: 400, code: "AccessDeniedException", message: "User is not authorized to perform: ecr:DescribeImages" });
            const r = await ws.run(["preview"], { stack });
            assert.notEqual(r.code, 0);
            assert.match(r.output, /AccessDeniedException: User is not authorized to perform: ecr:DescribeImages/);
            assert.match(r.output, /lacks an IAM permission/);
            assert.doesNotMatch(r.output, STACK_LINE);
            assert.equal(proxy.count("DescribeImages"), 1, "not retried");
        });

        it("preview: a profile that does not exist fails at once, naming it", async () => {
            await ws.ok(["config", "set", "aws:profile", "no-such-profile"], { stack });
            proxy.reset();
            const r = await ws.run(["preview"], { stack });
            await ws.ok(["config", "rm", "aws:profile"], { stack });
            assert.notEqual(r.code, 0);
            assert.match(r.output, /profile "no-such-profile"/);
            assert.doesNotMatch(r.output, STACK_LINE);
            assert.equal(proxy.calls.length, 0);
        });

        it("refresh: access denied on the image lookup", async () => {
            proxy.reset();
            proxy.inject("DescribeImages", { kind: "status", status: 400, code: "AccessDeniedException", message: "User is not authorized to perform: ecr:DescribeImages" });
            const r = await ws.run(["refresh", "--yes", "--skip-preview"], { stack });
            assert.notEqual(r.code, 0);
            assert.match(r.output, /AccessDeniedException/);
            assert.doesNotMatch(r.output, STACK_LINE);
        });

        it("preview after the lab's checks: a valid preview still passes (the failures were the inputs')", async () => {
            proxy.reset();
            const r = await ws.ok(["preview", "--expect-no-changes"], { stack });
            assert.doesNotMatch(r.output, STACK_LINE);
        });
    });
});
