// What Pulumi's closure serializer writes into state for ImageScan's provider, measured
// where a user's program would load it from: the package installed into node_modules
// (a real copy, from the `npm pack` tarball), and the same package reached through a
// symlink (npm workspaces, `file:` dependencies, `npm link`). For each: the object
// ImageScan hands to Pulumi (shim.ts), and, for comparison, the whole provider class the
// way ImageScan 0.1 handed it over.

import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../tests/support/pulumi";

export interface SerializedSize {
    install: string;
    object: string;
    bytes: number;
    /** The `require(...)` calls in the text: what it loads by name. */
    requires: string[];
    /** When the serializer refused. */
    error?: string;
}

// Run inside the consumer directory, so that resolution and real paths are a user's.
const PROBE = `
const pulumi = require("@pulumi/pulumi");
(async () => {
    const pkg = require.resolve("pulumi-ecr-imagescan");
    const dist = require("path").dirname(pkg);
    const objects = {
        "ImageScan's provider object (shim.ts)": require(dist + "/shim.js").shim,
        "the whole ImageScanProvider, by value (as in 0.1)": new (require(dist + "/provider.js").ImageScanProvider)(),
    };
    const out = [];
    for (const [object, value] of Object.entries(objects)) {
        try {
            const text = (await pulumi.runtime.serializeFunction(() => value, {})).text;
            out.push({ object, bytes: Buffer.byteLength(text), requires: [...new Set(text.match(/require\\("[^"$]+"\\)/g) || [])] });
        } catch (e) {
            out.push({ object, bytes: 0, requires: [], error: String(e.message).split("\\n")[0] });
        }
    }
    console.log(JSON.stringify(out));
})();
`;

export function measureSerializer(): SerializedSize[] {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "imagescan-serializer-"));
    try {
        const packed = JSON.parse(execFileSync("npm", ["pack", "./provider", "--pack-destination", dir, "--json", "--loglevel=error"], { cwd: REPO_ROOT, encoding: "utf8" })) as { filename: string }[];
        const results: SerializedSize[] = [];
        for (const install of ["installed from the tarball (a copy in node_modules)", "linked (a symlink into node_modules)"]) {
            const consumer = fs.mkdtempSync(path.join(dir, "consumer-"));
            const linked = install.startsWith("linked");
            const dependency = linked ? `file:${path.join(REPO_ROOT, "provider")}` : `file:${path.join(dir, packed[0].filename)}`;
            fs.writeFileSync(path.join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, dependencies: { "@pulumi/pulumi": "3.248.0", "pulumi-ecr-imagescan": dependency } }));
            execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", "--install-links=false"], { cwd: consumer, stdio: ["ignore", "ignore", "inherit"] });
            const isLink = fs.lstatSync(path.join(consumer, "node_modules/pulumi-ecr-imagescan")).isSymbolicLink();
            const probe = path.join(consumer, "probe.js");
            fs.writeFileSync(probe, PROBE);
            const out = JSON.parse(execFileSync("node", [probe], { cwd: consumer, encoding: "utf8" }).trim().split("\n").pop() as string) as Omit<SerializedSize, "install">[];
            results.push(...out.map((x) => ({ ...x, install: `${install}${isLink === linked ? "" : " (?)"}` })));
        }
        return results;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
