// Many ImageScans in one stack: one per tag `${tagPrefix}<n>` of one repository, for
// n = offset, offset + 1, … (count of them), wrapping around after `wrap` images. The
// load tests and the benchmark run it with count 1 to 500; the fleet test runs ten
// stacks of it at once, on overlapping images.
//
//   pulumi config set repositoryName web
//   pulumi config set count 10
//   pulumi config set tagPrefix img-        # optional, default "img-"
//   pulumi config set offset 5              # optional, default 0
//   pulumi config set wrap 30               # optional: tags go round after this many images
//   pulumi up
//
// Region and endpoint come from aws:region and aws:endpoints, as in the main example.

import * as pulumi from "@pulumi/pulumi";
import { ImageScan } from "pulumi-ecr-imagescan";

const config = new pulumi.Config();
const repositoryName = config.require("repositoryName");
const count = config.requireNumber("count");
const tagPrefix = config.get("tagPrefix") ?? "img-";
const offset = config.getNumber("offset") ?? 0;
const wrap = config.getNumber("wrap") ?? offset + count;

for (const [name, n] of Object.entries({ count, offset, wrap })) {
    if (!Number.isInteger(n) || n < 0) {
        throw new Error(`${name} must be a whole number, 0 or more; got ${n}`);
    }
}

const scans = Array.from({ length: count }, (_, i) => new ImageScan(`scan-${i}`, { repositoryName, imageTag: `${tagPrefix}${(offset + i) % Math.max(wrap, 1)}` }));

/** Per scan, in order: ECR's scan status, the scanned digest, and whether the scan was adopted. */
export const statuses = pulumi.all(scans.map((s) => s.scanStatus));
export const digests = pulumi.all(scans.map((s) => s.imageDigest));
export const adopted = pulumi.all(scans.map((s) => s.adoptedExistingScan));
