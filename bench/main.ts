// npm run bench: ImageScan against the AWS CLI on a local ECR API, the poll schedule
// against the AWS waiters, and the program start cost; writes BENCHMARKS.md (or, with
// --smoke, a temp file). Exits 1 if anything did not behave as expected.
//
// Run through scripts/bench.sh, which installs the AWS CLI and puts `pulumi` on PATH.

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "./args";
import { measureBaseline } from "./baseline";
import { REPO_ROOT } from "../tests/support/pulumi";
import { AWS_CLI, DYNAMIC, Lab, MANY, NOSCAN, openLab } from "./lab";
import { loadAverage, machine } from "./machine";
import { measureIndexes } from "./indexes";
import { measureImageScan, measurePinned } from "./measure";
import { scalePlot } from "./plot";
import { measureSerializer } from "./serializer";
import { BenchResults, renderReport } from "./report";
import { measureSchedule, ScheduleResult } from "./schedule";
import { measureStartup } from "./startup";
import { fixed } from "./stats";

/** The scale runs' engine parallelism and scan duration (see run()). */
const SCALE_PARALLEL = 64;
const SCALE_HOLD_MS = 20_000;

/** Spec limits the measured schedule must respect, with slack for loopback and CPU noise. */
const FIRST_POLL_LIMIT_S = 2 + 0.5;
const CAP_LIMIT_S = 30 + 2;

function log(line: string): void {
    console.error(`bench: ${line}`);
}

function scheduleProblems(s: ScheduleResult): string[] {
    const out: string[] = [];
    for (const x of s.samples) {
        const what = `schedule T=${x.holdS} s, ${x.method}`;
        if (x.problem) {
            out.push(`${what}: ${x.problem}`);
        }
        if (x.method !== "imagescan") {
            continue;
        }
        if (x.firstPollS === undefined || x.firstPollS > FIRST_POLL_LIMIT_S) {
            out.push(`${what}: first poll ${fixed(x.firstPollS, 2)} s after the start (spec: within 2 s)`);
        }
        if (x.delayS !== undefined && x.delayS > CAP_LIMIT_S) {
            out.push(`${what}: noticed completion ${fixed(x.delayS, 1)} s late, more than the 30 s cap allows`);
        }
        // DescribeImages, the lookup and StartImageScan, then only polls.
        if (x.calls !== x.polls + 3) {
            out.push(`${what}: ${x.calls} ECR calls for ${x.polls} polls, expected polls + 3`);
        }
    }
    return out;
}

/** Stack config files in the program directories: the bench keeps its own out of the repo. */
function stackFiles(): string[] {
    return [REPO_ROOT, MANY, NOSCAN, DYNAMIC].flatMap((dir) => fs.readdirSync(dir).filter((f) => /^Pulumi\..+\.yaml$/.test(f)).map((f) => path.join(dir, f)));
}

async function run(lab: Lab, results: BenchResults): Promise<void> {
    const o = results.options;
    results.machine = machine(AWS_CLI);
    if (o.parts.includes("imagescan")) {
        for (const n of o.ns) {
            for (let runNo = 1; runNo <= o.runs; runNo++) {
                const is = await measureImageScan(lab, n, runNo);
                results.imagescan.push(is);
                results.problems.push(...is.problems.map((p) => `N=${n} run ${runNo}: ${p}`));
                const bl = await measureBaseline(lab, n, runNo);
                results.baseline.push(bl);
                results.problems.push(...bl.problems.map((p) => `N=${n} run ${runNo}: ${p}`));
                log(
                    `N=${n} run ${runNo}/${o.runs}: up ${fixed(is.up.seconds)} s, no-op up ${fixed(is.noop.seconds)} s, ` +
                        `preview ${fixed(is.preview.seconds)} s; AWS CLI loop ${fixed(bl.seconds)} s`,
                );
            }
        }
        results.pinned = await measurePinned(lab);
        results.problems.push(...results.pinned.problems);
        log("pinned-digest no-op up and preview done");
    }
    if (o.parts.includes("scale")) {
        results.scale = [];
        // Like a large CI runner: the engine runs 64 resources at once (4 x 16 cores), and
        // each scan takes SCALE_HOLD_MS, so that polls overlap as they do against ECR. At
        // the largest N also without a fixed pace (the SDK's adaptive mode alone).
        const variants: [number, string | undefined][] = o.scale.map((n): [number, string | undefined] => [n, undefined]);
        if (!o.smoke) {
            variants.push([Math.max(...o.scale), "0"]);
        }
        for (const [n, pacing] of variants) {
            const x = await measureImageScan(lab, n, 1, { pacing, parallel: SCALE_PARALLEL, holdMs: o.smoke ? 2_000 : SCALE_HOLD_MS });
            results.scale.push(x);
            results.problems.push(...x.problems.map((p) => `scale N=${n}${pacing === undefined ? "" : ` pacing ${pacing}`}: ${p}`));
            log(`scale N=${n}${pacing === undefined ? "" : ` (pacing ${pacing})`}: up ${fixed(x.up.seconds)} s, ${x.up.throttled} throttled; no-op up ${fixed(x.noop.seconds)} s; preview ${fixed(x.preview.seconds)} s`);
        }
        const svg = path.join(path.dirname(o.out), o.smoke ? `imagescan-bench-scale-${Date.now()}.svg` : "BENCHMARKS-scale.svg");
        fs.writeFileSync(svg, await scalePlot(results.scale));
        results.plot = path.relative(path.dirname(o.out), svg);
        log(`scale plot: ${svg}`);
    }
    if (o.parts.includes("indexes")) {
        results.indexes = await measureIndexes(lab, o.indexes);
        results.problems.push(...results.indexes.problems);
        log(`indexes N=${o.indexes}: up ${fixed(results.indexes.up.seconds)} s; rebuild ${fixed(results.indexes.rebuild.seconds)} s, ${results.indexes.rebuild.calls.StartImageScan ?? 0} StartImageScan`);
    }
    if (o.parts.includes("serializer")) {
        results.serializer = measureSerializer();
        log("closure serializer measured");
    }
    if (o.parts.includes("schedule")) {
        log(`poll schedule: T = ${o.holds.join(", ")} s, ${o.scheduleRuns} image(s) per method and T, concurrently (takes a little over the longest T plus the SDK waiter's last step)`);
        results.schedule = await measureSchedule(lab, o.holds, o.scheduleRuns);
        results.problems.push(...scheduleProblems(results.schedule));
        log(`poll schedule done in ${fixed(results.schedule.seconds)} s`);
    }
    if (o.parts.includes("startup")) {
        results.startup = await measureStartup(lab, o.startupRuns, Math.max(...o.ns), !o.smoke);
        results.problems.push(...results.startup.flatMap((x) => x.problems));
        log("program start cost done");
    }
}

async function main(): Promise<number> {
    const options = parseArgs(process.argv.slice(2));
    if (options.render) {
        const earlier = JSON.parse(fs.readFileSync(options.render, "utf8")) as BenchResults;
        fs.writeFileSync(options.out, renderReport(earlier));
        log(`report: ${options.out}, from ${options.render}`);
        return 0;
    }
    const started = Date.now();
    const results: BenchResults = {
        options,
        command: ["npm run bench", ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : [])].join(" "),
        imagescan: [],
        baseline: [],
        problems: [],
        seconds: 0,
    };
    log(`N = ${options.ns.join(", ")}, ${options.runs} run(s) each; parts: ${options.parts.join(", ")}${options.smoke ? " (smoke)" : ""}`);
    const stackFilesBefore = stackFiles();
    const lab = await openLab({ handleSignals: true });
    try {
        await run(lab, results);
    } catch (e) {
        results.problems.push(`the bench stopped early: ${(e as Error).stack ?? e}`);
    } finally {
        await lab.close();
    }
    results.seconds = (Date.now() - started) / 1000;
    results.loadAtEnd = loadAverage();
    const left = stackFiles().filter((f) => !stackFilesBefore.includes(f));
    if (left.length > 0) {
        results.problems.push(`stack files left in the repository: ${left.map((f) => path.relative(REPO_ROOT, f)).join(", ")}`);
    }

    fs.mkdirSync(path.dirname(options.out), { recursive: true });
    fs.writeFileSync(options.out, renderReport(results));
    const raw = path.join(os.tmpdir(), `imagescan-bench-${Date.now()}.json`);
    fs.writeFileSync(raw, JSON.stringify(results, null, 2));
    log(`report: ${options.out}; raw results: ${raw}; ${fixed(results.seconds / 60, 1)} min`);
    if (results.problems.length > 0) {
        log(`${results.problems.length} problem(s):`);
        for (const p of results.problems) {
            console.error(`  - ${p}`);
        }
        return 1;
    }
    return 0;
}

main().then(
    (code) => process.exit(code),
    (e) => {
        console.error(e);
        process.exit(1);
    },
);
