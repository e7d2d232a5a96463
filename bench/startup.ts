// Program start cost: `pulumi preview` of a new stack (no state, so check runs and no
// ECR call is made) for programs with and without ImageScan.

import { REPO_ROOT } from "../tests/support/pulumi";
import { byOperation, DYNAMIC, Lab, MANY, NOSCAN } from "./lab";

export interface StartupVariant {
    key: string;
    label: string;
    cwd: string;
    config: Record<string, string>;
}

export interface StartupResult {
    variant: StartupVariant;
    seconds: number[];
    problems: string[];
}

export function startupVariants(repositoryName: string, maxN: number): StartupVariant[] {
    return [
        { key: "noscan", label: "bench/noscan: the example's config and exports, no ImageScan", cwd: NOSCAN, config: { repositoryName, imageTag: "img-0" } },
        { key: "dynamic", label: "bench/dynamic: the same, with one trivial dynamic resource", cwd: DYNAMIC, config: { repositoryName, imageTag: "img-0" } },
        { key: "example", label: "index.ts: the example program, 1 ImageScan (tag)", cwd: REPO_ROOT, config: { repositoryName, imageTag: "img-0" } },
        { key: "many0", label: "examples/many, count 0: imports ImageScan, declares none", cwd: MANY, config: { repositoryName, count: "0" } },
        { key: `many${maxN}`, label: `examples/many, count ${maxN}: ${maxN} ImageScans (tags)`, cwd: MANY, config: { repositoryName, count: String(maxN) } },
    ];
}

export async function measureStartup(lab: Lab, runs: number, maxN: number, warmUp: boolean): Promise<StartupResult[]> {
    const repositoryName = await lab.repository("startup");
    await lab.pushImages(repositoryName, maxN);
    const results: StartupResult[] = [];
    for (const variant of startupVariants(repositoryName, maxN)) {
        const stack = `startup-${variant.key}`;
        await lab.stack(stack, variant.cwd, variant.config);
        const problems: string[] = [];
        const seconds: number[] = [];
        for (let i = warmUp ? -1 : 0; i < runs; i++) {
            const r = await lab.pulumi(["preview"], { cwd: variant.cwd, stack, timeoutMs: 300_000 });
            if (r.code !== 0) {
                problems.push(`startup ${variant.key}: pulumi preview exited ${r.code}:\n${r.output.slice(-2000)}`);
            }
            if (r.calls.length > 0) {
                problems.push(`startup ${variant.key}: preview of a new stack made ECR calls ${JSON.stringify(byOperation(r.calls))}`);
            }
            if (i >= 0) {
                seconds.push(r.seconds);
            }
        }
        results.push({ variant, seconds, problems });
    }
    return results;
}
