// Load: one `pulumi up` of 50 ImageScans on 50 images (examples/many) while ECR
// throttles one request in five. Every scan must complete, and each image must get
// exactly one successful StartImageScan: throttling must never cost a second scan.
//
// Needs `pulumi` on PATH: `npm test` puts it there (scripts/pulumi-cli.sh).

import { strict as assert } from "assert";
import * as fs from "fs";
import { MANY, useLab } from "../support/lab";
import { Call, callTable, RecordingProxy, successfulStarts } from "../support/proxy";
import { CliResult, Workspace } from "../support/pulumi";
const IMAGES = 50;
const THROTTLE_EVERY = 5;

describe("end to end: load", function () {
    this.timeout(900_000);
    const lab = useLab();
    let proxy: RecordingProxy;
    let ws: Workspace;
    before(() => {
        ({ proxy, ws } = lab());
    });

    const stack = "load";
    let digests: string[] = [];
    /** Every ECR call of every `pulumi up` of this stack. */
    const calls: Call[] = [];

    async function up(label: string): Promise<CliResult> {
        proxy.reset();
        proxy.throttleEvery(THROTTLE_EVERY);
        const r = await ws.run(["up", "--yes", "--skip-preview"], { cwd: MANY, stack, timeoutMs: 800_000 });
        calls.push(...proxy.calls);
        console.log(`      ${label}: exit ${r.code}, ${r.seconds.toFixed(1)} s wall; ECR calls (HTTP status: count):`);
        for (const line of callTable(proxy.calls)) {
            console.log(`        ${line}`);
        }
        proxy.reset();
        return r;
    }

    before(async () => {
        const repo = await lab().repository("load-many");
        digests = await lab().pushImages(repo, IMAGES);
        await lab().stack(stack, MANY, { repositoryName: repo, count: String(IMAGES) });
    });

    it(`one pulumi up of ${IMAGES} ImageScans, 1 in ${THROTTLE_EVERY} ECR requests throttled, succeeds`, async () => {
        const r = await up(`pulumi up, ${IMAGES} ImageScans, 1 in ${THROTTLE_EVERY} ECR requests throttled`);
        assert.ok(calls.some((c) => c.status === 400), "the proxy throttled some requests");
        assert.doesNotMatch(r.output, /\n\s+at .*\.js:\d+/, "no stack trace");
        const errors = r.output.split("\n").filter((l) => /^\s+error: ECR /.test(l));
        assert.equal(r.code, 0, `pulumi up failed (${errors.length} resource error(s)):\n${errors.slice(0, 5).join("\n")}`);
    });

    it("every image ends COMPLETE with exactly one successful StartImageScan (re-running up if the first failed)", async () => {
        // What the error message tells a user: run `pulumi up` again. Throttling goes on.
        for (let run = 2; run <= 4; run++) {
            const out = await ws.run(["stack", "output", "--json"], { cwd: MANY, stack });
            const statuses = out.code === 0 ? (JSON.parse(out.stdout) as { statuses?: string[] }).statuses : undefined;
            if (statuses?.length === IMAGES) {
                break;
            }
            await up(`pulumi up, run ${run}`);
        }
        const out = JSON.parse((await ws.ok(["stack", "output", "--json"], { cwd: MANY, stack })).stdout) as {
            statuses: string[];
            digests: string[];
        };
        assert.deepEqual(out.statuses, Array(IMAGES).fill("COMPLETE"));
        assert.deepEqual(out.digests, digests);

        const starts = successfulStarts(calls);
        const twice = [...starts.entries()].filter(([, n]) => n > 1);
        assert.deepEqual(twice, [], "an image was scanned more than once");
        assert.deepEqual([...starts.keys()].sort(), [...digests].sort(), "every image got exactly one successful StartImageScan");
    });

    it("leaves no stack files in examples/many", () => {
        assert.deepEqual(fs.readdirSync(MANY).filter((f) => /^Pulumi\..+\.yaml$/.test(f)), []);
    });
});
