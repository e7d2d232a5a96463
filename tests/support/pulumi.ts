// Runs the real Pulumi CLI on a program directory, with a local file backend in a
// temp dir, for the end-to-end tests and the demo.

import { spawn } from "child_process";
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
    /** The stack's config file, kept in the temp dir so the repo stays clean. */
    configFile(stack: string): string;
    /** `pulumi stack init`, with the stack's config file moved out of the program dir. */
    initStack(stack: string, cwd?: string): Promise<void>;
    cleanup(): void;
}

/**
 * A workspace: file backend under a new temp dir; AWS variables from `awsEnv`.
 * The caller's PATH must already hold `pulumi` (scripts/pulumi-cli.sh).
 */
export function workspace(awsEnv: Record<string, string>, opts: { dir?: string; keep?: boolean } = {}): Workspace {
    const keep = opts.keep ?? false;
    const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "imagescan-pulumi-"));
    const stateDir = path.join(dir, "state");
    fs.mkdirSync(stateDir, { recursive: true });
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...awsEnv,
        PULUMI_BACKEND_URL: `file://${stateDir}`,
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

    return {
        dir,
        stateDir,
        env,
        run,
        ok,
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
