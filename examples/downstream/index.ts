// A downstream stack: reads the scan stack's outputs through StackReference and
// exports whether the image may be deployed.
//
//   pulumi config set scanStack organization/imagescan-example/dev
//   pulumi config set maxSeverity HIGH     # optional: findings at or above this block
//   pulumi up

import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const scanStack = new pulumi.StackReference(config.require("scanStack"));
const order = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"];
const maxSeverity = config.get("maxSeverity") ?? "HIGH";
const blockingSeverities = order.slice(0, order.indexOf(maxSeverity) + 1);

const imageDigest = scanStack.requireOutput("imageDigest") as pulumi.Output<string>;
const scanStatus = scanStack.requireOutput("scanStatus") as pulumi.Output<string>;
const counts = scanStack.requireOutput("findingSeverityCounts") as pulumi.Output<Record<string, number>>;

export const scannedDigest = imageDigest;
export const blockingFindings = counts.apply((c) => blockingSeverities.reduce((n, s) => n + (c[s] ?? 0), 0));
export const deployable = pulumi
    .all([scanStatus, blockingFindings])
    .apply(([status, blocking]) => status === "COMPLETE" && blocking === 0);
