// Peak resident memory of the dynamic provider host while a Pulumi CLI runs.
//
// The engine starts `pulumi-resource-pulumi-nodejs`, a shell script that execs
// `node …/@pulumi/pulumi/cmd/dynamic-provider …`. We walk the CLI's process tree every
// `everyMs`, find that node process by its command line, and keep the largest VmHWM
// (the kernel's own peak-RSS counter, so short spikes between samples still count).

import * as fs from "fs";
import * as path from "path";
import { alive, processTree } from "./pulumi";

function argv(pid: number): string[] {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    } catch {
        return [];
    }
}

/** node running @pulumi/pulumi's cmd/dynamic-provider (not the `node -e require.resolve(…)` probe). */
export function isDynamicProviderHost(args: string[]): boolean {
    return args.length >= 2 && path.basename(args[0]).startsWith("node") && /cmd[/\\]dynamic-provider/.test(args[1]);
}

function vmHwmKiB(pid: number): number | undefined {
    try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
        return m ? Number(m[1]) : undefined;
    } catch {
        return undefined;
    }
}

export interface TreeWatch {
    /**
     * Stops sampling. peakKiB: the largest VmHWM over every provider host seen; hosts: how
     * many there were; leftovers: descendants seen while sampling that still run now, with
     * the same command line (e.g. a plugin that outlived its CLI).
     */
    stop(): { peakKiB: number | undefined; hosts: number; leftovers: number[] };
}

/** Samples the process tree under `rootPid` every `everyMs`. */
export function watchTree(rootPid: number, everyMs = 200): TreeWatch {
    const peaks = new Map<number, number>();
    const seen = new Map<number, string>();
    const sample = () => {
        for (const pid of processTree(rootPid)) {
            if (pid === rootPid) {
                continue;
            }
            if (!seen.has(pid)) {
                seen.set(pid, argv(pid).join(" "));
            }
            if (peaks.has(pid) || isDynamicProviderHost(argv(pid))) {
                const hwm = vmHwmKiB(pid);
                if (hwm !== undefined) {
                    peaks.set(pid, Math.max(peaks.get(pid) ?? 0, hwm));
                }
            }
        }
    };
    const timer = setInterval(sample, everyMs);
    sample();
    return {
        stop: () => {
            clearInterval(timer);
            const values = [...peaks.values()];
            const leftovers = [...seen.entries()].filter(([pid, cmd]) => alive(pid) && argv(pid).join(" ") === cmd).map(([pid]) => pid);
            return { peakKiB: values.length ? Math.max(...values) : undefined, hosts: values.length, leftovers };
        },
    };
}
