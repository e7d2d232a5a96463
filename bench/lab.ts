// The bench's surroundings: one moto_server, a recording proxy in front of it, a Pulumi
// workspace with a file backend, fresh images per run, and the processes it starts,
// which it always stops (also on Ctrl-C).

import { ChildProcess } from "child_process";
import { randomBytes } from "crypto";
import * as path from "path";
import * as fx from "../tests/support/ecr";
import { Moto, startMoto } from "../tests/support/moto";
import { Call, RecordingProxy, startProxy } from "../tests/support/proxy";
import { CliResult, killTree, processTree, REPO_ROOT, Workspace, workspace } from "../tests/support/pulumi";
import { watchTree } from "./procs";

export const MANY = path.join(REPO_ROOT, "examples/many");
export const NOSCAN = path.join(REPO_ROOT, "bench/noscan");
export const AWS_CLI = path.join(REPO_ROOT, ".tools/venv/bin/aws");

export interface CliRun extends CliResult {
    /** Peak VmHWM of the dynamic provider host, KiB (undefined if none ran). */
    providerPeakKiB?: number;
    /** ECR calls seen at the proxy while it ran. */
    calls: Call[];
    /** Processes it started that were still running after it exited (then killed). */
    leftovers: number;
}

export interface Lab {
    moto: Moto;
    proxy: RecordingProxy;
    ws: Workspace;
    /** Dummy credentials and region, for the CLI and the AWS CLI. */
    awsEnv: Record<string, string>;
    /** A new, empty repository with a unique name. */
    newRepository(label: string): Promise<string>;
    /** Pushes `count` distinct new images tagged `${tagPrefix}0…`; returns their digests. */
    pushImages(repository: string, count: number, tagPrefix?: string): Promise<string[]>;
    /** A new stack of `cwd`'s program, configured for moto through the proxy. */
    stack(name: string, cwd: string, config: Record<string, string>): Promise<void>;
    /** `pulumi <args>`: timed, the provider host's memory sampled, ECR calls recorded. */
    pulumi(args: string[], opts: { cwd: string; stack: string; timeoutMs?: number }): Promise<CliRun>;
    /** Registers a child process to be killed (with its tree) if the bench is aborted. */
    track(child: ChildProcess): () => void;
    /** Runs `fn` when the lab closes (also on Ctrl-C), before moto stops. */
    defer(fn: () => Promise<void> | void): void;
    close(): Promise<void>;
}

export async function openLab(): Promise<Lab> {
    fx.useDummyCredentials();
    const awsEnv = { AWS_ACCESS_KEY_ID: fx.DUMMY_KEY_ID, AWS_SECRET_ACCESS_KEY: fx.DUMMY_SECRET, AWS_REGION: fx.REGION, AWS_DEFAULT_REGION: fx.REGION };
    const running = new Set<ChildProcess>();
    const closers: (() => Promise<void> | void)[] = [];
    const killAll = () => {
        for (const child of running) {
            if (child.pid) {
                killTree(processTree(child.pid), "SIGKILL");
            }
        }
        running.clear();
    };
    let closed = false;
    const close = async () => {
        if (closed) {
            return;
        }
        closed = true;
        killAll();
        for (const c of closers.reverse()) {
            await c();
        }
    };
    const onSignal = (signal: NodeJS.Signals) => {
        console.error(`bench: ${signal}, stopping what it started`);
        void close().finally(() => process.exit(130));
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    closers.push(() => {
        process.removeListener("SIGINT", onSignal);
        process.removeListener("SIGTERM", onSignal);
    });

    const moto = await startMoto();
    closers.push(() => moto.stop());
    const proxy = await startProxy(moto.url);
    closers.push(() => proxy.close());
    const ws = workspace(awsEnv);
    closers.push(() => ws.cleanup());

    const runId = randomBytes(4).toString("hex");
    let repos = 0;
    const track = (child: ChildProcess) => {
        running.add(child);
        const untrack = () => running.delete(child);
        child.once("close", untrack);
        return untrack;
    };

    return {
        moto,
        proxy,
        ws,
        awsEnv,
        track,
        close,
        defer: (fn) => {
            closers.push(fn);
        },
        newRepository: async (label) => {
            const name = `bench-${label}-${++repos}`;
            await fx.createRepository(moto.url, name);
            return name;
        },
        pushImages: async (repository, count, tagPrefix = "img-") => {
            const digests: string[] = [];
            for (let i = 0; i < count; i++) {
                // Pushed straight to moto: setup is not measured. New seeds give new images,
                // so moto's one-scan-per-image-per-day quota never bites.
                digests.push(await fx.pushImage(moto.url, repository, `${tagPrefix}${i}`, `${runId}/${repository}/${i}`));
            }
            if (new Set(digests).size !== count) {
                throw new Error(`pushImages: ${count} images in ${repository} are not all distinct`);
            }
            return digests;
        },
        stack: async (name, cwd, config) => {
            await ws.initStack(name, cwd);
            const all = { "aws:region": fx.REGION, ...config };
            for (const [k, v] of Object.entries(all)) {
                await ws.ok(["config", "set", k, v], { cwd, stack: name });
            }
            await ws.ok(["config", "set", "--path", "aws:endpoints[0].ecr", proxy.url], { cwd, stack: name });
        },
        pulumi: async (args, opts) => {
            proxy.reset();
            const cli = ws.start(args, { cwd: opts.cwd, stack: opts.stack });
            const pid = cli.child.pid as number;
            const untrack = track(cli.child);
            const tree = watchTree(pid);
            let timedOut = false;
            const timer = setTimeout(() => {
                timedOut = true;
                killTree(processTree(pid), "SIGKILL");
            }, opts.timeoutMs ?? 900_000);
            try {
                const r = await cli.done;
                const { peakKiB, leftovers } = tree.stop();
                // Plugins run in process groups of their own: none may outlive the CLI.
                killTree(leftovers, "SIGKILL");
                const calls = [...proxy.calls];
                proxy.reset();
                const output = timedOut ? `${r.output}\n(bench: killed after ${opts.timeoutMs} ms)` : r.output;
                return { ...r, code: timedOut && r.code === 0 ? -1 : r.code, output, providerPeakKiB: peakKiB, calls, leftovers: leftovers.length };
            } finally {
                clearTimeout(timer);
                tree.stop();
                untrack();
            }
        },
    };
}

/** ECR calls by operation, e.g. { DescribeImages: 10, StartImageScan: 10 }. */
export function byOperation(calls: Call[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of calls) {
        out[c.operation] = (out[c.operation] ?? 0) + 1;
    }
    return out;
}
