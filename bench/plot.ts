// The scale plot: wall time and ECR calls against N, from the bench's own numbers, as
// Vega-Lite rendered to SVG (no native build, no browser).

import { ImageScanRun } from "./measure";

// vega and vega-lite ship as ES modules only: load them with a real import().
const esm = new Function("m", "return import(m)") as (m: string) => Promise<Record<string, unknown>>;

export async function scalePlot(runs: ImageScanRun[]): Promise<string> {
    const vl = (await esm("vega-lite")) as { compile: (spec: unknown) => { spec: unknown } };
    const vega = (await esm("vega")) as { View: new (runtime: unknown, opts: unknown) => { toSVG: () => Promise<string> }; parse: (spec: unknown) => unknown };
    // The default pacing only; the adaptive-only run is one point, in the report's table.
    const defaults = runs.filter((r) => r.pacing === undefined);
    const total = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);
    const time = defaults.flatMap((r) => [
        { N: r.n, step: "create pulumi up", seconds: r.up.seconds },
        { N: r.n, step: "no-op pulumi up", seconds: r.noop.seconds },
        { N: r.n, step: "pulumi preview", seconds: r.preview.seconds },
    ]);
    const calls = defaults.flatMap((r) => [
        { N: r.n, step: "create pulumi up", calls: total(r.up.calls) + r.up.throttled },
        { N: r.n, step: "no-op pulumi up", calls: total(r.noop.calls) + r.noop.throttled },
        { N: r.n, step: "pulumi preview", calls: total(r.preview.calls) + r.preview.throttled },
    ]);
    const log = { type: "log" };
    const panel = (values: unknown[], field: string, title: string) => ({
        width: 320,
        height: 240,
        title,
        data: { values },
        mark: { type: "line", point: true },
        encoding: {
            x: { field: "N", type: "quantitative", scale: log, title: "ImageScans in the stack (N)" },
            y: { field, type: "quantitative", scale: log, title: field === "seconds" ? "wall time (s)" : "ECR calls (incl. throttled)" },
            color: { field: "step", type: "nominal", title: null },
        },
    });
    const spec = {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        title: "ImageScan at scale: one stack of N ImageScans, ECR's rate limits emulated",
        hconcat: [panel(time, "seconds", "Wall time"), panel(calls, "calls", "ECR calls")],
        config: { legend: { orient: "bottom" } },
    };
    const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
    return view.toSVG();
}
