// The poll schedule, measured. moto finishes a scan at once, so a proxy holds each
// image's scan IN_PROGRESS for T seconds after its StartImageScan (holdInProgress), one
// proxy per T. On each, three methods scan their own images concurrently:
//   - ImageScan: ImageScanProvider.create (real clock, default backoff);
//   - the AWS SDK v3 waiter: StartImageScan, then waitUntilImageScanComplete (defaults);
//   - the AWS CLI: `aws ecr start-image-scan`, then `aws ecr wait image-scan-complete`.
// From the proxy's log, per image: the delay from the end of the hold to the answer
// that first said COMPLETE, and the polls (DescribeImageScanFindings after the start).

import { ECRClient, StartImageScanCommand, waitUntilImageScanComplete } from "@aws-sdk/client-ecr";
import * as fs from "fs";
import * as path from "path";
import { ImageScanInputs, ImageScanProvider } from "../provider/index";
import * as fx from "../tests/support/ecr";
import { Call, startProxy } from "../tests/support/proxy";
import { REPO_ROOT } from "../tests/support/pulumi";
import { runWithAwsCli } from "./baseline";
import { AWS_CLI, Lab } from "./lab";

export type Method = "imagescan" | "sdk" | "cli";
export const METHODS: Method[] = ["imagescan", "sdk", "cli"];
export const METHOD_NAMES: Record<Method, string> = { imagescan: "ImageScan", sdk: "AWS SDK v3 waiter", cli: "AWS CLI waiter" };

export interface Sample {
    method: Method;
    holdS: number;
    /** From the end of the hold to the first COMPLETE answer; undefined if none came. */
    delayS?: number;
    /** DescribeImageScanFindings after the StartImageScan. */
    polls: number;
    /** From the StartImageScan answer to the first poll. */
    firstPollS?: number;
    /** Every ECR call for this image, lookups before the start included. */
    calls: number;
    problem?: string;
}

export interface WaiterDefaults {
    sdk: { minDelay: number; maxDelay: number; source: string };
    cli: { delay: number; maxAttempts: number; source: string };
}

/** The waiters' settings, read from the installed packages rather than assumed. */
export function waiterDefaults(): WaiterDefaults {
    const sdkFile = require.resolve("@aws-sdk/client-ecr");
    const m = /waitUntilImageScanComplete = async \(params, input\) => \{\s*const serviceDefaults = \{ minDelay: (\d+), maxDelay: (\d+) \}/.exec(fs.readFileSync(sdkFile, "utf8"));
    if (!m) {
        throw new Error(`could not find waitUntilImageScanComplete's defaults in ${sdkFile}`);
    }
    const site = path.join(path.dirname(path.dirname(AWS_CLI)), "lib");
    const candidates: string[] = [];
    for (const py of fs.existsSync(site) ? fs.readdirSync(site) : []) {
        for (const pkg of ["awscli/botocore", "botocore"]) {
            const dir = path.join(site, py, "site-packages", pkg, "data/ecr");
            for (const version of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
                candidates.push(path.join(dir, version, "waiters-2.json"));
            }
        }
    }
    const cliFile = candidates.find((f) => fs.existsSync(f));
    if (!cliFile) {
        throw new Error(`no ECR waiters-2.json under ${site}: is the AWS CLI installed in .tools/venv?`);
    }
    const w = (JSON.parse(fs.readFileSync(cliFile, "utf8")) as { waiters: Record<string, { delay: number; maxAttempts: number }> }).waiters.ImageScanComplete;
    return {
        sdk: { minDelay: Number(m[1]), maxDelay: Number(m[2]), source: path.relative(REPO_ROOT, sdkFile) },
        cli: { delay: w.delay, maxAttempts: w.maxAttempts, source: path.relative(REPO_ROOT, cliFile) },
    };
}

/** The image a call is about: `imageId` (scan calls) or the first of `imageIds` (DescribeImages). */
function digestOf(c: Call): string | undefined {
    const id = (c.body.imageId ?? (c.body.imageIds as unknown[] | undefined)?.[0]) as { imageDigest?: string } | undefined;
    return id?.imageDigest;
}

/** One image's story at the proxy. */
export function analyse(method: Method, holdS: number, digest: string, calls: Call[]): Sample {
    const mine = calls.filter((c) => digestOf(c) === digest);
    const start = mine.find((c) => c.operation === "StartImageScan" && c.status === 200);
    if (!start?.answeredAt || start.at === undefined) {
        return { method, holdS, polls: 0, calls: mine.length, problem: "no successful StartImageScan" };
    }
    const polls = mine.filter((c) => c.operation === "DescribeImageScanFindings" && (c.at as number) >= (start.at as number));
    const done = polls.find((c) => c.status === 200 && !c.held);
    const sample: Sample = {
        method,
        holdS,
        polls: polls.length,
        calls: mine.length,
        firstPollS: polls[0] ? ((polls[0].at as number) - start.answeredAt) / 1000 : undefined,
    };
    if (!done?.answeredAt) {
        return { ...sample, problem: "no COMPLETE answer seen" };
    }
    return { ...sample, delayS: (done.answeredAt - (start.answeredAt + holdS * 1000)) / 1000 };
}

async function imageScan(repositoryName: string, imageDigest: string, endpoint: string): Promise<void> {
    const provider = new ImageScanProvider({ log: () => undefined });
    const checked = await provider.check({} as ImageScanInputs, { repositoryName, imageDigest, region: fx.REGION, endpoint } as ImageScanInputs);
    if (checked.failures?.length) {
        throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
    }
    const { outs } = await provider.create(checked.inputs as ImageScanInputs);
    if (outs?.scanStatus !== "COMPLETE") {
        throw new Error(`ImageScan ended with ${outs?.scanStatus}`);
    }
}

async function sdkWaiter(repositoryName: string, imageDigest: string, endpoint: string): Promise<void> {
    const client: ECRClient = fx.ecrClient(endpoint);
    const imageId = { imageDigest };
    await client.send(new StartImageScanCommand({ repositoryName, imageId }));
    await waitUntilImageScanComplete({ client, maxWaitTime: 900 }, { repositoryName, imageId });
}

async function cliWaiter(lab: Lab, repositoryName: string, imageDigest: string, endpoint: string): Promise<void> {
    const image = `imageDigest=${imageDigest}`;
    const script = [
        `aws ecr start-image-scan --endpoint-url "$ENDPOINT" --repository-name "$REPO" --image-id "$IMAGE" >/dev/null`,
        `aws ecr wait image-scan-complete --endpoint-url "$ENDPOINT" --repository-name "$REPO" --image-id "$IMAGE"`,
    ].join(" && ");
    const r = await runWithAwsCli(lab, ["bash", "-c", script], { ENDPOINT: endpoint, REPO: repositoryName, IMAGE: image }, 900_000);
    if (r.code !== 0) {
        throw new Error(`AWS CLI exited ${r.code}: ${r.output.slice(-1000)}`);
    }
}

export interface ScheduleResult {
    samples: Sample[];
    defaults: WaiterDefaults;
    seconds: number;
}

/** All holds and methods at once; `runs` images per method and hold. */
export async function measureSchedule(lab: Lab, holds: number[], runs: number, staggerMs = 300): Promise<ScheduleResult> {
    const started = Date.now();
    const defaults = waiterDefaults();
    const repositoryName = await lab.repository("schedule");
    const digests = await lab.pushImages(repositoryName, holds.length * METHODS.length * runs, "sched-");
    const proxies = await Promise.all(holds.map(() => startProxy(lab.moto.url)));
    lab.defer(() => Promise.all(proxies.map((p) => p.close())).then(() => undefined));
    holds.forEach((T, i) => proxies[i].holdInProgress(T * 1000));

    interface Job {
        method: Method;
        hold: number;
        proxy: number;
        digest: string;
    }
    const jobs: Job[] = [];
    let next = 0;
    for (let r = 0; r < runs; r++) {
        holds.forEach((hold, proxy) => {
            for (const method of METHODS) {
                jobs.push({ method, hold, proxy, digest: digests[next++] });
            }
        });
    }
    // Staggered, so that the AWS CLI's Python start-ups do not all land at once.
    const failures = new Map<Job, string>();
    await Promise.all(
        jobs.map(async (job, k) => {
            await new Promise((r) => setTimeout(r, k * staggerMs));
            const endpoint = proxies[job.proxy].url;
            try {
                if (job.method === "imagescan") {
                    await imageScan(repositoryName, job.digest, endpoint);
                } else if (job.method === "sdk") {
                    await sdkWaiter(repositoryName, job.digest, endpoint);
                } else {
                    await cliWaiter(lab, repositoryName, job.digest, endpoint);
                }
            } catch (e) {
                failures.set(job, (e as Error).message);
            }
        }),
    );
    const samples = jobs.map((job) => {
        const sample = analyse(job.method, job.hold, job.digest, proxies[job.proxy].calls);
        const failure = failures.get(job);
        return failure ? { ...sample, problem: [sample.problem, failure].filter(Boolean).join("; ") } : sample;
    });
    await Promise.all(proxies.map((p) => p.close()));
    return { samples, defaults, seconds: (Date.now() - started) / 1000 };
}
