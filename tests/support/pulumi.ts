// Runs the real Pulumi CLI on a program directory, with a local file backend in a
// temp dir, for the end-to-end tests and the demo.

import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const REPO_ROOT = path.resolve(__dirname, "../..");
export const PASSPHRASE = "imagescan-local-passphrase";

export interface CliResult {
    code: number;
    stdout: string;
    stderr: string;
    /** stdout and stderr together, as a person would read them. */
    output: string;
    seconds: number;
}

export interface Workspace {
    /** The temp dir that holds state and stack config. */
    dir: string;
    stateDir: string;
    env: NodeJS.ProcessEnv;
    /** Runs `pulumi <args>` in `cwd` (default: the repo root, the example program). */
    run(args: string[], opts?: { cwd?: string; stack?: string; echo?: boolean; timeoutMs?: number }): Promise<CliResult>;
    /** Like run, but throws with the CLI's output when it exits non-zero. */
    ok(args: string[], opts?: { cwd?: string; stack?: string; echo?: boolean }): Promise<CliResult>;
    /**
     * Starts `pulumi <args>` like run, without waiting: for tests that interrupt it. The
     * CLI leads a new process group (as a shell's foreground job does), so
     * `process.kill(-child.pid, "SIGINT")` is what a user's Ctrl-C sends. Pulumi puts
     * its plugins in process groups of their own: use processTree/killTree for those.
     */
    start(args: string[], opts?: { cwd?: string; stack?: string; echo?: boolean }): RunningCli;
    /** The stack's config file, kept in the temp dir so the repo stays clean. */
    configFile(stack: string): string;
    /** `pulumi stack init`, with the stack's config file moved out of the program dir. */
    initStack(stack: string, cwd?: string): Promise<void>;
    cleanup(): void;
}

/** A CLI started by Workspace.start. */
export interface RunningCli {
    child: ChildProcess;
    /** stdout and stderr so far, interleaved. */
    output(): string;
    /** Settles when the CLI exits (code -1 when a signal ended it). */
    done: Promise<CliResult & { signal: NodeJS.Signals | null }>;
}

/** pid and all its living descendants (from /proc; Linux), parents first. */
export function processTree(pid: number): number[] {
    const children = new Map<number, number[]>();
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) {
            continue;
        }
        try {
            const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
            // "pid (comm) state ppid …"; comm may hold spaces and parentheses.
            const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
            children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
        } catch {
            // exited meanwhile
        }
    }
    const out: number[] = [];
    const visit = (p: number) => {
        out.push(p);
        for (const c of children.get(p) ?? []) {
            visit(c);
        }
    };
    visit(pid);
    return out.filter((p) => alive(p));
}

/** Running, and not a zombie (in a container, nothing may reap an orphan). */
export function alive(pid: number): boolean {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
    } catch {
        return false;
    }
}

/** Sends `signal` to each of these pids that is still alive. */
export function killTree(pids: number[], signal: NodeJS.Signals = "SIGKILL"): void {
    for (const pid of pids) {
        try {
            process.kill(pid, signal);
        } catch {
            // already gone
        }
    }
}

/**
 * A workspace: file backend under a new temp dir; AWS variables from `awsEnv`.
 * The caller's PATH must already hold `pulumi` (scripts/pulumi-cli.sh).
 */
export function workspace(awsEnv: Record<string, string>, opts: { dir?: string; keep?: boolean; backend?: string } = {}): Workspace {
    const keep = opts.keep ?? false;
    const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "imagescan-pulumi-"));
    const stateDir = path.join(dir, "state");
    fs.mkdirSync(stateDir, { recursive: true });
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...awsEnv,
        PULUMI_BACKEND_URL: opts.backend ?? `file://${stateDir}`,
        PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        // @pulumi/aws is a dependency, but only its config module is used: no plugin.
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_SKIP_CONFIRMATIONS: "true",
        PULUMI_HOME: path.join(dir, "home"),
        NO_COLOR: "1",
    };
    delete env.PULUMI_ACCESS_TOKEN;

    const configFile = (stack: string) => path.join(dir, `Pulumi.${stack}.yaml`);

    const run: Workspace["run"] = (args, opts = {}) =>
        new Promise((resolve, reject) => {
            const full = [...args, "--non-interactive", "--color", "never"];
            if (opts.stack) {
                full.push("--stack", opts.stack);
                if (usesConfig(args[0])) {
                    full.push("--config-file", configFile(opts.stack));
                }
            }
            const started = Date.now();
            const child = spawn("pulumi", full, { cwd: opts.cwd ?? REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
            let stdout = "";
            let stderr = "";
            let output = "";
            child.stdout.on("data", (c: Buffer) => {
                stdout += c;
                output += c;
                if (opts.echo) {
                    process.stdout.write(c);
                }
            });
            child.stderr.on("data", (c: Buffer) => {
                stderr += c;
                output += c;
                if (opts.echo) {
                    process.stderr.write(c);
                }
            });
            const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 300_000);
            child.on("error", reject);
            child.on("close", (code) => {
                clearTimeout(timer);
                resolve({ code: code ?? -1, stdout, stderr, output, seconds: (Date.now() - started) / 1000 });
            });
        });

    const ok: Workspace["ok"] = async (args, opts) => {
        const r = await run(args, opts);
        if (r.code !== 0) {
            throw new Error(`pulumi ${args.join(" ")} exited ${r.code}:\n${r.output}`);
        }
        return r;
    };

    const start: Workspace["start"] = (args, opts = {}) => {
        const full = [...args, "--non-interactive", "--color", "never"];
        if (opts.stack) {
            full.push("--stack", opts.stack);
            if (usesConfig(args[0])) {
                full.push("--config-file", configFile(opts.stack));
            }
        }
        const started = Date.now();
        const child = spawn("pulumi", full, { cwd: opts.cwd ?? REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
        let stdout = "";
        let stderr = "";
        let output = "";
        child.stdout?.on("data", (c: Buffer) => {
            stdout += c;
            output += c;
            if (opts.echo) {
                process.stdout.write(c);
            }
        });
        child.stderr?.on("data", (c: Buffer) => {
            stderr += c;
            output += c;
            if (opts.echo) {
                process.stderr.write(c);
            }
        });
        const done = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolve, reject) => {
            child.on("error", reject);
            child.on("close", (code, signal) => {
                resolve({ code: code ?? -1, signal, stdout, stderr, output, seconds: (Date.now() - started) / 1000 });
            });
        });
        return { child, output: () => output, done };
    };

    return {
        dir,
        stateDir,
        env,
        run,
        ok,
        start,
        configFile,
        initStack: async (stack, cwd = REPO_ROOT) => {
            await ok(["stack", "init", stack], { cwd });
            // The passphrase provider writes its salt to Pulumi.<stack>.yaml beside the
            // program; keep it with the rest of this workspace instead.
            const written = path.join(cwd, `Pulumi.${stack}.yaml`);
            if (fs.existsSync(written)) {
                fs.renameSync(written, configFile(stack));
            }
        },
        cleanup: () => {
            if (!keep) {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        },
    };
}

function usesConfig(command: string): boolean {
    return ["up", "preview", "refresh", "destroy", "config"].includes(command);
}

/** Checkpoint resources of `pulumi stack export`, by type. */
export interface ExportedResource {
    urn: string;
    type: string;
    id?: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
}

export function resourcesOf(exported: string): ExportedResource[] {
    const parsed = JSON.parse(exported) as { deployment?: { resources?: ExportedResource[] } };
    return parsed.deployment?.resources ?? [];
}
