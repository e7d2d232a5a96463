// Command-line options of `npm run bench -- …`.

import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../tests/support/pulumi";

export type Part = "imagescan" | "scale" | "indexes" | "serializer" | "schedule" | "startup";
export const PARTS: Part[] = ["imagescan", "scale", "indexes", "serializer", "schedule", "startup"];

export interface BenchOptions {
    /** Image counts for the per-N measurements against the AWS CLI. */
    ns: number[];
    /** Image counts for the scale runs (one stack each, ECR's rate limits on). */
    scale: number[];
    /** Image indexes for the index runs (2 platform images each). */
    indexes: number;
    /** Runs per N (medians over these). */
    runs: number;
    /** Hold times T (s) for the poll-schedule comparison. */
    holds: number[];
    /** Runs per method and T in the schedule comparison (they run concurrently). */
    scheduleRuns: number;
    /** Runs per variant of the program start measurement. */
    startupRuns: number;
    parts: Part[];
    smoke: boolean;
    /** Where the report goes. */
    out: string;
    /** Only re-render the report from this raw results file of an earlier run. */
    render?: string;
}

export const USAGE = `usage: npm run bench -- [options]
  --n 1,10,50          image counts against the AWS CLI loop (default 1,10,50)
  --scale 1,10,100,500 image counts of the scale runs, ECR's rate limits on (default 1,10,100,500)
  --indexes 10         image indexes (2 platforms + attestations each) for the index runs (default 10)
  --runs 3             runs per N; medians over them (default 3)
  --holds 5,30,120     scan durations T in seconds for the poll schedule (default 5,30,120)
  --schedule-runs 7    images per method and T, all run concurrently (default 7)
  --startup-runs 3     runs per program variant for the start-up cost (default: --runs)
  --only a,b           parts to run: ${PARTS.join(", ")} (default all)
  --out FILE           report path (default BENCHMARKS.md; with --smoke a temp file)
  --smoke              CI smoke test: N=1 everywhere, 1 run, T=5 only, report and plot to a temp dir
  --render RAW.json    measure nothing: write the report from an earlier run's raw results`;

function numbers(flag: string, value: string | undefined): number[] {
    const xs = (value ?? "").split(",").map((s) => Number(s.trim()));
    if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x < 1)) {
        throw new Error(`${flag} wants whole numbers ≥ 1, comma-separated; got ${JSON.stringify(value)}\n${USAGE}`);
    }
    return xs;
}

export function parseArgs(argv: string[]): BenchOptions {
    const given = new Map<string, string | undefined>();
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--help" || arg === "-h") {
            console.log(USAGE);
            process.exit(0);
        }
        if (arg === "--smoke") {
            given.set(arg, undefined);
            continue;
        }
        const eq = arg.indexOf("=");
        const [flag, value] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, argv[++i]];
        if (!["--n", "--scale", "--indexes", "--runs", "--holds", "--schedule-runs", "--startup-runs", "--only", "--out", "--render"].includes(flag)) {
            throw new Error(`unknown option ${arg}\n${USAGE}`);
        }
        given.set(flag, value);
    }
    const smoke = given.has("--smoke");
    const runs = given.has("--runs") ? numbers("--runs", given.get("--runs"))[0] : smoke ? 1 : 3;
    const parts = given.has("--only") ? (given.get("--only") ?? "").split(",").map((s) => s.trim()) : PARTS;
    for (const p of parts) {
        if (!PARTS.includes(p as Part)) {
            throw new Error(`--only: unknown part ${JSON.stringify(p)}\n${USAGE}`);
        }
    }
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const out = given.get("--out") ?? (smoke ? path.join(os.tmpdir(), `imagescan-bench-smoke-${stamp}.md`) : path.join(REPO_ROOT, "BENCHMARKS.md"));
    return {
        ns: given.has("--n") ? numbers("--n", given.get("--n")) : smoke ? [1] : [1, 10, 50],
        scale: given.has("--scale") ? numbers("--scale", given.get("--scale")) : smoke ? [1] : [1, 10, 100, 500],
        indexes: given.has("--indexes") ? numbers("--indexes", given.get("--indexes"))[0] : smoke ? 1 : 10,
        runs,
        holds: given.has("--holds") ? numbers("--holds", given.get("--holds")) : smoke ? [5] : [5, 30, 120],
        scheduleRuns: given.has("--schedule-runs") ? numbers("--schedule-runs", given.get("--schedule-runs"))[0] : smoke ? 1 : 7,
        startupRuns: given.has("--startup-runs") ? numbers("--startup-runs", given.get("--startup-runs"))[0] : runs,
        parts: parts as Part[],
        smoke,
        out: path.resolve(out),
        render: given.get("--render"),
    };
}
