// Example program: scan one ECR image and export what the scan found.
//
//   pulumi config set repositoryName web
//   pulumi config set imageTag latest          # or imageDigest sha256:…
//   pulumi config set failOnSeverity HIGH      # optional gate
//   pulumi config set --path 'platforms[0]' linux/arm64   # optional: an index's platforms
//   pulumi up
//
// Region, profile and endpoint come from the AWS provider's own config (aws:region,
// aws:profile, aws:endpoints), so one stack config serves both.

import * as pulumi from "@pulumi/pulumi";
import { ImageScan, IgnoreFindingArgs, Severity } from "pulumi-ecr-imagescan";

const config = new pulumi.Config();

const scan = new ImageScan("image-scan", {
    repositoryName: config.require("repositoryName"),
    imageTag: config.get("imageTag"),
    imageDigest: config.get("imageDigest"),
    failOnSeverity: config.get("failOnSeverity") as Severity | undefined,
    rescanAfterHours: config.getNumber("rescanAfterHours"),
    ignoreFindings: config.getObject<(string | IgnoreFindingArgs)[]>("ignoreFindings"),
    platforms: config.getObject<string[]>("platforms"),
});

export const imageUri = scan.imageUri;
export const imageDigest = scan.imageDigest;
export const scanStatus = scan.scanStatus;
export const scanType = scan.scanType;
export const findingSeverityCounts = scan.findingSeverityCounts;
export const findingsTotal = scan.findingsTotal;
export const topFindings = scan.topFindings;
export const scanCompletedAt = scan.scanCompletedAt;
export const nextScanAllowedAt = scan.nextScanAllowedAt;
export const adoptedExistingScan = scan.adoptedExistingScan;
export const ignoredFindings = scan.ignoredFindings;
// One entry per image scanned: the image, or each platform image of an index.
export const images = scan.images;
