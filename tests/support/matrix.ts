// The versions ImageScan is tested with (SPEC.md, "Supported versions"): each leg is a
// Node.js, an @pulumi/pulumi and a Pulumi CLI. The scripts install or build what a leg
// needs the first time, into the git-ignored .tools/, and reuse it after that.

import { execFileSync } from "child_process";
import * as path from "path";
import { REPO_ROOT } from "./pulumi";

export interface Leg {
    name: string;
    /** Directories to put first on PATH: the leg's `node`, then its `pulumi`. */
    path: string[];
    /** The @pulumi/pulumi a program of this leg installs. */
    sdk: string;
    node: string;
    cli: string;
}

/** The last line a script prints: the bin directory it provides. */
function binDir(script: string, args: string[]): string {
    const out = execFileSync("bash", [path.join(REPO_ROOT, "scripts", script), ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    return out.trim().split("\n").pop() as string;
}

/** Node 20 with @pulumi/pulumi 3.248 (the newest it runs), and Node 24 with the newest of both. */
export function legs(): Leg[] {
    const node = (dir?: string) => execFileSync(dir ? path.join(dir, "node") : "node", ["--version"], { encoding: "utf8" }).trim();
    const cli = (dir: string) => execFileSync(path.join(dir, "pulumi"), ["version"], { encoding: "utf8" }).trim();
    const cli248 = binDir("pulumi-cli.sh", ["3.248.0"]);
    const cli276 = binDir("pulumi-cli.sh", ["3.276.0"]);
    const node24 = binDir("node.sh", ["24"]);
    return [
        { name: "Node 20, @pulumi/pulumi 3.248.0, CLI 3.248.0", path: [cli248], sdk: "3.248.0", node: node(), cli: cli(cli248) },
        { name: "Node 24, @pulumi/pulumi 3.276.0, CLI 3.276.0", path: [node24, cli276], sdk: "3.276.0", node: node(node24), cli: cli(cli276) },
    ];
}
