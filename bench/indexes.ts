// Image indexes: one stack of N indexes as `docker buildx build --platform
// linux/amd64,linux/arm64 --push` writes them (2 platform images and 2 attestations
// each), beside the same stack of N plain images; then a rebuild of every index that
// changed only the attestations, which must start no scan.

import { BUILDX_TWO } from "../tests/support/lab";
import { resourcesOf } from "../tests/support/pulumi";
import { byOperation, Lab, MANY } from "./lab";
import { Phase } from "./measure";

export interface IndexRun {
    n: number;
    platforms: number;
    /** Creating N indexes. */
    up: Phase;
    /** The same N ImageScans on plain images. */
    plain: Phase;
    /** After a rebuild that changed only the attestations: N replaces. */
    rebuild: Phase;
    problems: string[];
}

async function stackOf(lab: Lab, label: string, n: number, push: (repo: string, tag: string, i: number) => Promise<unknown>): Promise<string> {
    const repositoryName = await lab.repository(label);
    for (let i = 0; i < n; i++) {
        await push(repositoryName, `img-${i}`, i);
    }
    const stack = `${label}-n${n}`;
    await lab.stack(stack, MANY, { repositoryName, count: String(n) });
    return stack;
}

function phase(r: Awaited<ReturnType<Lab["pulumi"]>>): Phase {
    return { seconds: r.seconds, code: r.code, calls: byOperation(r.calls.filter((c) => !c.throttled)), throttled: r.calls.filter((c) => c.throttled).length, providerPeakKiB: r.providerPeakKiB };
}

export async function measureIndexes(lab: Lab, n: number): Promise<IndexRun> {
    const problems: string[] = [];
    const timeoutMs = 120_000 + n * 30_000;
    const indexed = await stackOf(lab, "indexes", n, (repo, tag, i) => lab.pushIndex(repo, tag, { ...BUILDX_TWO, seed: `bench-index-${i}`, attestationSeed: "build-1" }));
    const up = await lab.pulumi(["up", "--yes", "--skip-preview"], { cwd: MANY, stack: indexed, timeoutMs });
    if (up.code !== 0) {
        problems.push(`indexes: pulumi up exited ${up.code}:\n${up.output.slice(-2000)}`);
    }
    const plainStack = await stackOf(lab, "plain", n, (repo, tag) => lab.pushImage(repo, tag));
    const plain = await lab.pulumi(["up", "--yes", "--skip-preview"], { cwd: MANY, stack: plainStack, timeoutMs });
    if (plain.code !== 0) {
        problems.push(`plain: pulumi up exited ${plain.code}`);
    }

    // The rebuild: same platform images, new attestations, so each index digest moves.
    const exported = resourcesOf((await lab.ws.ok(["stack", "export"], { cwd: MANY, stack: indexed })).stdout);
    const repositoryName = String(exported.find((r) => r.outputs?.repositoryName)?.outputs?.repositoryName);
    for (let i = 0; i < n; i++) {
        await lab.pushIndex(repositoryName, `img-${i}`, { ...BUILDX_TWO, seed: `bench-index-${i}`, attestationSeed: "build-2" });
    }
    const rebuild = await lab.pulumi(["up", "--yes", "--skip-preview"], { cwd: MANY, stack: indexed, timeoutMs });
    if (rebuild.code !== 0) {
        problems.push(`rebuild: pulumi up exited ${rebuild.code}`);
    }
    const starts = phase(rebuild).calls.StartImageScan ?? 0;
    if (starts !== 0) {
        problems.push(`rebuild that changed only the attestations: ${starts} StartImageScan, expected 0`);
    }
    const created = phase(up).calls;
    const expected = { DescribeImages: n, BatchGetImage: n, StartImageScan: 2 * n, DescribeImageScanFindings: 4 * n };
    for (const [op, count] of Object.entries(expected)) {
        if ((created[op] ?? 0) !== count) {
            problems.push(`indexes: ${created[op] ?? 0} ${op} for ${n} creates, expected ${count}`);
        }
    }
    return { n, platforms: 2, up: phase(up), plain: phase(plain), rebuild: phase(rebuild), problems };
}
