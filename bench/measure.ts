// ImageScan under the real Pulumi CLI, per N: a `pulumi up` that creates N scans
// (examples/many), a no-op `pulumi up`, a `pulumi preview` of the N tag-only resources,
// ECR calls per operation at the proxy, the provider host's peak RSS, and state size.

import { REPO_ROOT, resourcesOf } from "../tests/support/pulumi";
import { byOperation, CliRun, Lab, MANY } from "./lab";

const SCAN_TYPE = "pulumi-nodejs:dynamic/imagescan:ImageScan";
/** SPEC.md, "Performance budget": installed from the package. */
export const PROVIDER_BUDGET_BYTES = 4 * 1024;

export interface Phase {
    seconds: number;
    code: number;
    /** The most calls of one operation in any one second (all answers), by operation. */
    peakPerSecond?: Record<string, number>;
    /** ECR calls by operation, not counting those ECR's rate limit (the lab's) refused. */
    calls: Record<string, number>;
    /** Calls the rate limit answered ThrottlingException. */
    throttled: number;
    providerPeakKiB?: number;
}

export interface ImageScanRun {
    n: number;
    run: number;
    up: Phase;
    noop: Phase;
    preview: Phase;
    /** Bytes of `__provider` (in the resource's inputs) per ImageScan in state. */
    providerBytes: number[];
    /** How many times each ImageScan's `__provider` is in state (inputs, outputs). */
    providerCopies: number;
    /** Bytes of `pulumi stack export`. */
    stateBytes: number;
    /** Bytes of each ImageScan's entry in the exported state (its inputs and outputs). */
    resourceBytes: number[];
    /** IMAGESCAN_ECR_REQUESTS_PER_SECOND for the run; undefined: the default. */
    pacing?: string;
    parallel?: number;
    holdMs?: number;
    /** What went wrong; empty when the run behaved as expected. */
    problems: string[];
}

/** The most calls of each operation that arrived within any one second. */
function peaks(calls: CliRun["calls"]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const op of new Set(calls.map((c) => c.operation))) {
        const times = calls.filter((c) => c.operation === op && c.at !== undefined).map((c) => c.at as number).sort((a, b) => a - b);
        let best = 0;
        for (let i = 0, j = 0; i < times.length; i++) {
            while (times[i] - times[j] >= 1000) {
                j++;
            }
            best = Math.max(best, i - j + 1);
        }
        out[op] = best;
    }
    return out;
}

export function phase(r: CliRun): Phase {
    return {
        seconds: r.seconds,
        code: r.code,
        calls: byOperation(r.calls.filter((c) => !c.throttled)),
        throttled: r.calls.filter((c) => c.throttled).length,
        peakPerSecond: peaks(r.calls),
        providerPeakKiB: r.providerPeakKiB,
    };
}

/** Differences between the calls seen and the calls expected, as readable lines. */
export function callProblems(what: string, seen: Record<string, number>, expected: Record<string, number>): string[] {
    const ops = new Set([...Object.keys(seen), ...Object.keys(expected)]);
    return [...ops].filter((op) => (seen[op] ?? 0) !== (expected[op] ?? 0)).map((op) => `${what}: ${seen[op] ?? 0} ${op} calls, expected ${expected[op] ?? 0}`);
}

function cliProblems(what: string, r: CliRun): string[] {
    const out: string[] = [];
    if (r.code !== 0) {
        out.push(`${what} exited ${r.code}:\n${r.output.slice(-3000)}`);
    }
    if (r.leftovers > 0) {
        out.push(`${what} left ${r.leftovers} process(es) running after it exited`);
    }
    return out;
}

/**
 * N ImageScans in one stack: create, no-op up, preview, state. `pacing` sets
 * IMAGESCAN_ECR_REQUESTS_PER_SECOND for the provider ("0": the SDK's adaptive mode alone).
 */
export interface ScaleOptions {
    /** IMAGESCAN_ECR_REQUESTS_PER_SECOND for the provider; undefined: the default. */
    pacing?: string;
    /** `pulumi up --parallel`: how many resources the engine runs at once. */
    parallel?: number;
    /** How long each scan stays IN_PROGRESS at the proxy (real ECR takes a while). */
    holdMs?: number;
}

export async function measureImageScan(lab: Lab, n: number, run: number, opts: ScaleOptions = {}): Promise<ImageScanRun> {
    const { pacing, parallel, holdMs = 0 } = opts;
    const repositoryName = await lab.repository(`n${n}`);
    const digests = await lab.pushImages(repositoryName, n);
    const stack = `n${n}-r${run}${pacing === undefined ? "" : `-p${pacing}`}${parallel === undefined ? "" : `-j${parallel}`}`;
    if (pacing === undefined) {
        delete lab.ws.env.IMAGESCAN_ECR_REQUESTS_PER_SECOND;
    } else {
        lab.ws.env.IMAGESCAN_ECR_REQUESTS_PER_SECOND = pacing;
    }
    const cwd = MANY;
    await lab.stack(stack, cwd, { repositoryName, count: String(n) });
    const problems: string[] = [];
    const timeoutMs = 120_000 + n * 20_000;

    const par = parallel === undefined ? [] : ["--parallel", String(parallel)];
    lab.proxy.holdInProgress(holdMs);
    const up = await lab.pulumi(["up", "--yes", "--skip-preview", ...par], { cwd, stack, timeoutMs: timeoutMs + n * holdMs });
    lab.proxy.holdInProgress(0);
    problems.push(...cliProblems("pulumi up", up));
    // Per create: DescribeImages, the lookup for an existing scan, StartImageScan, and the
    // polls (one, whose answer is the only page of findings, when moto finishes at once).
    const created = phase(up).calls;
    if (holdMs > 0) {
        problems.push(...callProblems("pulumi up", { DescribeImages: created.DescribeImages ?? 0, StartImageScan: created.StartImageScan ?? 0 }, { DescribeImages: n, StartImageScan: n }));
    } else {
        problems.push(...callProblems("pulumi up", created, { DescribeImages: n, DescribeImageScanFindings: 2 * n, StartImageScan: n }));
    }
    if (up.code === 0) {
        const out = JSON.parse((await lab.ws.ok(["stack", "output", "--json"], { cwd, stack })).stdout) as { statuses?: string[]; digests?: string[] };
        if (JSON.stringify(out.statuses) !== JSON.stringify(Array(n).fill("COMPLETE"))) {
            problems.push(`pulumi up: statuses ${JSON.stringify(out.statuses)}, expected ${n} COMPLETE`);
        }
        if (JSON.stringify(out.digests) !== JSON.stringify(digests)) {
            problems.push("pulumi up: the scanned digests are not the pushed images");
        }
    }

    const noop = await lab.pulumi(["up", "--yes", "--skip-preview", "--expect-no-changes", ...par], { cwd, stack, timeoutMs });
    problems.push(...cliProblems("no-op pulumi up", noop));
    problems.push(...callProblems("no-op pulumi up", phase(noop).calls, { DescribeImages: n }));

    const preview = await lab.pulumi(["preview", "--expect-no-changes", ...par], { cwd, stack, timeoutMs });
    problems.push(...cliProblems("pulumi preview", preview));
    problems.push(...callProblems("pulumi preview", phase(preview).calls, { DescribeImages: n }));

    const exported = (await lab.ws.ok(["stack", "export"], { cwd, stack })).stdout;
    const scans = resourcesOf(exported).filter((r) => r.type === SCAN_TYPE);
    const providerBytes = scans.map((r) => Buffer.byteLength(String(r.inputs?.__provider ?? ""), "utf8"));
    if (scans.length !== n) {
        problems.push(`state holds ${scans.length} ImageScans, expected ${n}`);
    }
    const over = providerBytes.filter((b) => b > PROVIDER_BUDGET_BYTES);
    if (over.length > 0) {
        problems.push(`__provider over ${PROVIDER_BUDGET_BYTES} bytes in ${over.length} resource(s): ${Math.max(...over)} bytes`);
    }
    const copies = scans.length ? scans.reduce((a, r) => a + Number(r.inputs?.__provider !== undefined) + Number(r.outputs?.__provider !== undefined), 0) / scans.length : 0;
    const resourceBytes = scans.map((r) => Buffer.byteLength(JSON.stringify(r), "utf8"));
    delete lab.ws.env.IMAGESCAN_ECR_REQUESTS_PER_SECOND;
    return { n, run, up: phase(up), noop: phase(noop), preview: phase(preview), providerBytes, providerCopies: copies, stateBytes: Buffer.byteLength(exported, "utf8"), resourceBytes, pacing, parallel, holdMs, problems };
}

export interface PinnedRun {
    noop: Phase;
    preview: Phase;
    problems: string[];
}

/** The budget's other no-op case: one ImageScan with a pinned digest (the example program). */
export async function measurePinned(lab: Lab): Promise<PinnedRun> {
    const repositoryName = await lab.repository("pinned");
    const [imageDigest] = await lab.pushImages(repositoryName, 1);
    const stack = "pinned";
    const cwd = REPO_ROOT;
    await lab.stack(stack, cwd, { repositoryName, imageDigest });
    const problems: string[] = [];
    const up = await lab.pulumi(["up", "--yes", "--skip-preview"], { cwd, stack, timeoutMs: 180_000 });
    problems.push(...cliProblems("pinned: pulumi up", up));
    const noop = await lab.pulumi(["up", "--yes", "--skip-preview", "--expect-no-changes"], { cwd, stack, timeoutMs: 180_000 });
    problems.push(...cliProblems("pinned: no-op pulumi up", noop), ...callProblems("pinned: no-op pulumi up", byOperation(noop.calls), {}));
    const preview = await lab.pulumi(["preview", "--expect-no-changes"], { cwd, stack, timeoutMs: 180_000 });
    problems.push(...cliProblems("pinned: pulumi preview", preview), ...callProblems("pinned: pulumi preview", byOperation(preview.calls), {}));
    return { noop: phase(noop), preview: phase(preview), problems };
}
