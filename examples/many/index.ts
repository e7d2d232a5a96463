// Many ImageScans in one stack: one per tag `${tagPrefix}0` … `${tagPrefix}${count - 1}`
// of one repository. The load tests and the benchmark run it with count 1, 10 and 50.
//
//   pulumi config set repositoryName web
//   pulumi config set count 10
//   pulumi config set tagPrefix img-        # optional, default "img-"
//   pulumi up
//
// Region and endpoint come from aws:region and aws:endpoints, as in the main example.

import * as pulumi from "@pulumi/pulumi";
import { ImageScan } from "pulumi-ecr-imagescan";

const config = new pulumi.Config();
const repositoryName = config.require("repositoryName");
const count = config.requireNumber("count");
const tagPrefix = config.get("tagPrefix") ?? "img-";

if (!Number.isInteger(count) || count < 0) {
    throw new Error(`count must be a whole number, 0 or more; got ${count}`);
}

const scans = Array.from({ length: count }, (_, i) => new ImageScan(`scan-${i}`, { repositoryName, imageTag: `${tagPrefix}${i}` }));

/** Per tag, in order: ECR's scan status and the scanned digest. */
export const statuses = pulumi.all(scans.map((s) => s.scanStatus));
export const digests = pulumi.all(scans.map((s) => s.imageDigest));
export const adopted = pulumi.all(scans.map((s) => s.adoptedExistingScan));
