// The test lab: the one place that sets up what the tests, the demo and the benchmark
// run against. A real moto_server on loopback; the recording proxy in front of it, which
// plays ECR's part where moto differs; fixtures (repositories, images, artifacts,
// findings); a Pulumi workspace with a file backend; and the processes it starts, which
// it always stops.
//
//   const lab = useLab();              // in a mocha describe: opened before, closed after
//   const repo = await lab().repository("web");
//   const digest = await lab().pushImage(repo, "v1");

import { ChildProcess } from "child_process";
import { randomBytes } from "crypto";
import * as path from "path";
import { strict as assert } from "assert";
import { ImageScanInputs, ImageScanProvider, ImageScanProviderOptions } from "../../provider/index";
import * as fx from "./ecr";
import { Moto, startMoto } from "./moto";
import { watchTree } from "./procs";
import { Call, EnhancedScan, RecordingProxy, startProxy } from "./proxy";
import { CliResult, killTree, processTree, REPO_ROOT, Workspace, workspace } from "./pulumi";

export const MANY = path.join(REPO_ROOT, "examples/many");
export const DOWNSTREAM = path.join(REPO_ROOT, "examples/downstream");
export const SCAN_TYPE = "pulumi-nodejs:dynamic/imagescan:ImageScan";

/** The shape of an image index fixture. */
export interface IndexShape {
    format: "oci" | "docker";
    platforms: fx.Platform[];
    attestations: boolean;
}

/** `docker buildx build --push` for one platform (buildx >= 0.10): an OCI index, image + provenance. */
export const BUILDX_SINGLE: IndexShape = { format: "oci", platforms: [{ os: "linux", architecture: "amd64" }], attestations: true };
/** A multi-arch Docker manifest list (`docker manifest push`): amd64, arm64, arm/v7; no attestations. */
export const MULTI_ARCH: IndexShape = {
    format: "docker",
    platforms: [
        { os: "linux", architecture: "amd64" },
        { os: "linux", architecture: "arm64", variant: "v8" },
        { os: "linux", architecture: "arm", variant: "v7" },
    ],
    attestations: false,
};
/** `docker buildx build --platform linux/amd64,linux/arm64 --push`: two images, two attestations. */
export const BUILDX_TWO: IndexShape = {
    format: "oci",
    platforms: [
        { os: "linux", architecture: "amd64" },
        { os: "linux", architecture: "arm64" },
    ],
    attestations: true,
};

export interface CliRun extends CliResult {
    /** Peak VmHWM of the dynamic provider host, KiB (undefined if none ran). */
    providerPeakKiB?: number;
    /** ECR calls seen at the proxy while it ran. */
    calls: Call[];
    /** Processes it started that were still running after it exited (then killed). */
    leftovers: number;
}

export interface LabOptions {
    /** More environment for the Pulumi CLI (e.g. a session token to check for leaks). */
    awsEnv?: Record<string, string>;
    /** Stop what the lab started on SIGINT/SIGTERM (the demo and the bench; mocha has its own). */
    handleSignals?: boolean;
    /** Keep the workspace in this directory after close (the demo). */
    workspaceDir?: string;
}

export interface Lab {
    moto: Moto;
    proxy: RecordingProxy;
    ws: Workspace;
    /** Dummy credentials and region, for the CLI and the AWS CLI. */
    awsEnv: Record<string, string>;
    /** Progress and warning lines of providers made by provider(). */
    logs: string[];
    /** A new, empty repository with a unique name; `enhanced` puts it on Inspector scanning. */
    repository(label: string, opts?: { enhanced?: EnhancedScan }): Promise<string>;
    /** Pushes one image under `tag`; a new seed (default: unique) gives a new digest. */
    pushImage(repository: string, tag: string, seed?: string): Promise<string>;
    /** Pushes `count` distinct new images tagged `${tagPrefix}0…`; returns their digests. */
    pushImages(repository: string, count: number, tagPrefix?: string): Promise<string[]>;
    /**
     * Pushes an image index under `tag` (see fx.pushIndex): by default what `docker
     * buildx build --push` writes for one platform, the image and its attestation.
     */
    pushIndex(repository: string, tag: string, opts?: Partial<IndexShape> & { seed?: string; attestationSeed?: string }): Promise<fx.PushedIndex>;
    /** Pushes an OCI artifact that is not a container image (a Helm chart): ECR cannot scan it. */
    pushArtifact(repository: string, tag: string): Promise<string>;
    /** Canned basic-scan findings for one image (moto's API). */
    setFindings(repository: string, digest: string, findings: fx.CannedFinding[], status?: string): Promise<void>;
    deleteImage(repository: string, digest: string): Promise<void>;
    deleteRepository(repository: string): Promise<void>;
    /** A provider against this lab's ECR: real SDK, short sleeps, logs kept in `logs`. */
    provider(options?: ImageScanProviderOptions): ImageScanProvider;
    /** `check`, with the lab's endpoint; fails the test on any failure. */
    inputs(provider: ImageScanProvider, raw: Record<string, unknown>): Promise<ImageScanInputs>;
    /** Another workspace (its own PULUMI_HOME, and state unless `backend` says where), e.g. with another PATH. */
    workspace(env?: Record<string, string>, backend?: string): Workspace;
    /**
     * A new S3 bucket on moto's S3 (the same loopback server), and the backend URL with
     * which Pulumi keeps its state there: `s3://<bucket>?endpoint=…&use_path_style=true&region=…`.
     */
    stateBucket(name: string): Promise<string>;
    /** The keys in a bucket on moto's S3 (the first 1000). */
    bucketKeys(name: string): Promise<string[]>;
    /** A new stack of `cwd`'s program, configured for this lab's ECR (in `ws`, default the lab's). */
    stack(name: string, cwd: string, config?: Record<string, string>, ws?: Workspace): Promise<void>;
    /** `pulumi <args>`: timed, the provider host's memory sampled, ECR calls recorded. */
    pulumi(args: string[], opts: { cwd?: string; stack: string; timeoutMs?: number; echo?: boolean }): Promise<CliRun>;
    /** Registers a child process to be killed (with its tree) if the lab closes first. */
    track(child: ChildProcess): () => void;
    /** Runs `fn` when the lab closes, before moto stops. */
    defer(fn: () => Promise<void> | void): void;
    close(): Promise<void>;
}

export async function openLab(opts: LabOptions = {}): Promise<Lab> {
    fx.useDummyCredentials();
    const awsEnv = {
        AWS_ACCESS_KEY_ID: fx.DUMMY_KEY_ID,
        AWS_SECRET_ACCESS_KEY: fx.DUMMY_SECRET,
        AWS_REGION: fx.REGION,
        AWS_DEFAULT_REGION: fx.REGION,
        ...opts.awsEnv,
    };
    const running = new Set<ChildProcess>();
    const closers: (() => Promise<void> | void)[] = [];
    let closed = false;
    const close = async () => {
        if (closed) {
            return;
        }
        closed = true;
        for (const child of running) {
            if (child.pid) {
                killTree(processTree(child.pid), "SIGKILL");
            }
        }
        running.clear();
        for (const c of closers.reverse()) {
            await c();
        }
    };
    if (opts.handleSignals) {
        const onSignal = (signal: NodeJS.Signals) => {
            console.error(`${signal}: stopping what the lab started`);
            void close().finally(() => process.exit(130));
        };
        process.once("SIGINT", onSignal);
        process.once("SIGTERM", onSignal);
        closers.push(() => {
            process.removeListener("SIGINT", onSignal);
            process.removeListener("SIGTERM", onSignal);
        });
    }

    const moto = await startMoto();
    closers.push(() => moto.stop());
    const proxy = await startProxy(moto.url);
    closers.push(() => proxy.close());
    const ws = workspace(awsEnv, { dir: opts.workspaceDir, keep: opts.workspaceDir !== undefined });
    closers.push(() => ws.cleanup());

    const runId = randomBytes(4).toString("hex");
    let seq = 0;
    const logs: string[] = [];
    const track = (child: ChildProcess) => {
        running.add(child);
        const untrack = () => running.delete(child);
        child.once("close", untrack);
        return untrack;
    };
    const pushImage = (repository: string, tag: string, seed = `${runId}/${repository}/${tag}/${++seq}`) => fx.pushImage(moto.url, repository, tag, seed);

    return {
        moto,
        proxy,
        ws,
        awsEnv,
        logs,
        track,
        close,
        defer: (fn) => {
            closers.push(fn);
        },
        repository: async (label, o = {}) => {
            const name = `${label}-${++seq}`;
            await fx.createRepository(moto.url, name);
            if (o.enhanced) {
                proxy.enhanced(name, o.enhanced);
            }
            return name;
        },
        pushImage,
        pushImages: async (repository, count, tagPrefix = "img-") => {
            const digests: string[] = [];
            for (let i = 0; i < count; i++) {
                digests.push(await pushImage(repository, `${tagPrefix}${i}`));
            }
            assert.equal(new Set(digests).size, count, `pushImages: ${count} images in ${repository} are not all distinct`);
            return digests;
        },
        pushIndex: (repository, tag, o = {}) =>
            fx.pushIndex(moto.url, repository, tag, { ...BUILDX_SINGLE, ...o, seed: o.seed ?? `${runId}/${repository}/${tag}/${++seq}` }),
        pushArtifact: (repository, tag) => fx.pushArtifact(moto.url, repository, tag, `${runId}/${repository}/${tag}/${++seq}`),
        setFindings: (repository, digest, findings, status) => fx.setCannedFindings(moto.url, repository, digest, findings, status),
        deleteImage: (repository, digest) => fx.deleteImage(moto.url, repository, digest),
        deleteRepository: (repository) => fx.deleteRepository(moto.url, repository),
        provider: (options = {}) =>
            new ImageScanProvider({
                // Backoff is unit-tested; against moto only ECR's answers matter.
                sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))),
                log: (line) => logs.push(line),
                ...options,
            }),
        inputs: async (provider, raw) => {
            const result = await provider.check({} as ImageScanInputs, { endpoint: proxy.url, ...raw } as unknown as ImageScanInputs);
            assert.deepEqual(result.failures ?? [], []);
            return result.inputs as ImageScanInputs;
        },
        workspace: (env = {}, backend) => {
            const other = workspace({ ...awsEnv, ...env }, { backend });
            closers.push(() => other.cleanup());
            return other;
        },
        stateBucket: async (name) => {
            const res = await fetch(`${moto.url}/${name}`, { method: "PUT" });
            assert.equal(res.status, 200, `moto refused the bucket ${name}: ${await res.text()}`);
            return `s3://${name}?endpoint=${encodeURIComponent(moto.url)}&use_path_style=true&region=${fx.REGION}`;
        },
        bucketKeys: async (name) => {
            const res = await fetch(`${moto.url}/${name}?list-type=2`);
            const xml = await res.text();
            assert.equal(res.status, 200, `moto could not list ${name}: ${xml}`);
            return [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]);
        },
        stack: async (name, cwd, config = {}, into = ws) => {
            await into.initStack(name, cwd);
            const all = { "aws:region": fx.REGION, ...config };
            for (const [k, v] of Object.entries(all)) {
                await into.ok(["config", "set", k, v], { cwd, stack: name });
            }
            await into.ok(["config", "set", "--path", "aws:endpoints[0].ecr", proxy.url], { cwd, stack: name });
        },
        pulumi: async (args, o) => {
            const before = proxy.calls.length;
            const cli = ws.start(args, { cwd: o.cwd, stack: o.stack, echo: o.echo });
            const pid = cli.child.pid as number;
            const untrack = track(cli.child);
            const tree = watchTree(pid);
            let timedOut = false;
            const timer = setTimeout(() => {
                timedOut = true;
                killTree(processTree(pid), "SIGKILL");
            }, o.timeoutMs ?? 900_000);
            try {
                const r = await cli.done;
                const { peakKiB, leftovers } = tree.stop();
                // Plugins run in process groups of their own: none may outlive the CLI.
                killTree(leftovers, "SIGKILL");
                const calls = proxy.calls.slice(before);
                const output = timedOut ? `${r.output}\n(lab: killed after ${o.timeoutMs} ms)` : r.output;
                return { ...r, code: timedOut && r.code === 0 ? -1 : r.code, output, providerPeakKiB: peakKiB, calls, leftovers: leftovers.length };
            } finally {
                clearTimeout(timer);
                tree.stop();
                untrack();
            }
        },
    };
}

/** A lab for the enclosing mocha describe: opened before its tests, closed after. */
export function useLab(opts: LabOptions = {}): () => Lab {
    let lab: Lab | undefined;
    before(async function () {
        this.timeout(60_000);
        lab = await openLab(opts);
    });
    after(async () => {
        await lab?.close();
    });
    return () => {
        assert.ok(lab, "the lab is not open yet: use it inside a test or hook");
        return lab;
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
