// What the figures were measured on.

import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";

export interface Machine {
    date: string;
    cpus: number;
    cpuModel: string;
    memGiB: number;
    kernel: string;
    node: string;
    pulumi: string;
    awsCli: string;
    moto: string;
    /** /proc/loadavg's 1-minute figure when the bench started; other work skews the timings. */
    loadAtStart: number;
}

function version(cmd: string, args: string[], env?: NodeJS.ProcessEnv): string {
    try {
        return execFileSync(cmd, args, { encoding: "utf8", env, stdio: ["ignore", "pipe", "pipe"] }).trim().split("\n")[0];
    } catch (e) {
        return `unknown (${(e as Error).message.split("\n")[0]})`;
    }
}

/** The 1-minute load average. */
export function loadAverage(): number {
    return Number(fs.readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
}

export function machine(awsCli: string): Machine {
    const cpuinfo = fs.readFileSync("/proc/cpuinfo", "utf8");
    const meminfo = fs.readFileSync("/proc/meminfo", "utf8");
    const memKiB = Number(/MemTotal:\s+(\d+)/.exec(meminfo)?.[1] ?? 0);
    return {
        date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
        cpus: Number(version("nproc", [])) || os.cpus().length,
        cpuModel: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown",
        memGiB: Math.round((memKiB / 1024 / 1024) * 10) / 10,
        kernel: `${os.type()} ${os.release()}`,
        node: process.version,
        pulumi: version("pulumi", ["version"]),
        awsCli: version(awsCli, ["--version"]),
        moto: version("python3", ["-c", "import moto; print(moto.__version__)"]),
        loadAtStart: loadAverage(),
    };
}
