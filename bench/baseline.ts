// The baseline: bench/baseline.sh (the AWS CLI in a loop) on N fresh images, timed,
// with its ECR calls counted at the same proxy.

import { spawn } from "child_process";
import * as path from "path";
import { REPO_ROOT } from "../tests/support/pulumi";
import { AWS_CLI, byOperation, Lab } from "./lab";
import { callProblems } from "./measure";

const SCRIPT = path.join(REPO_ROOT, "bench/baseline.sh");

export interface BaselineRun {
    n: number;
    run: number;
    seconds: number;
    calls: Record<string, number>;
    problems: string[];
}

/** Runs a command with the AWS CLI first on PATH; resolves with exit code and output. */
export function runWithAwsCli(
    lab: Lab,
    args: string[],
    env: Record<string, string>,
    timeoutMs: number,
): Promise<{ code: number; output: string; seconds: number }> {
    return new Promise((resolve, reject) => {
        const started = Date.now();
        const child = spawn(args[0], args.slice(1), {
            env: { ...process.env, ...lab.awsEnv, ...env, PATH: `${path.dirname(AWS_CLI)}:${process.env.PATH}`, AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null" },
            stdio: ["ignore", "pipe", "pipe"],
        });
        lab.track(child);
        let output = "";
        child.stdout.on("data", (c: Buffer) => (output += c));
        child.stderr.on("data", (c: Buffer) => (output += c));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code: code ?? -1, output, seconds: (Date.now() - started) / 1000 });
        });
    });
}

export async function measureBaseline(lab: Lab, n: number, run: number): Promise<BaselineRun> {
    const repositoryName = await lab.repository(`cli-n${n}`);
    await lab.pushImages(repositoryName, n);
    lab.proxy.reset();
    const r = await runWithAwsCli(lab, ["bash", SCRIPT, repositoryName, String(n)], { ENDPOINT: lab.proxy.url }, 60_000 + n * 60_000);
    const calls = byOperation(lab.proxy.calls);
    lab.proxy.reset();
    const problems: string[] = [];
    if (r.code !== 0) {
        problems.push(`baseline (AWS CLI loop) exited ${r.code}:\n${r.output.slice(-3000)}`);
    }
    // Per image: StartImageScan, one waiter poll (moto is COMPLETE at once), one listing.
    problems.push(...callProblems("baseline", calls, { StartImageScan: n, DescribeImageScanFindings: 2 * n }));
    return { n, run, seconds: r.seconds, calls, problems };
}
