// The ImageScan resource: what a Pulumi program declares.

import * as awsConfig from "@pulumi/aws/config";
import * as pulumi from "@pulumi/pulumi";
import { shim } from "./shim";
import { FindingSummary, IgnoredFinding, ImageEntry, Severity } from "./types";

/** One accepted finding: it does not count for the gate until `until` passes. */
export interface IgnoreFindingArgs {
    name: pulumi.Input<string>;
    /** ISO-8601 date or date-time; after it the finding counts again (with a warning). */
    until?: pulumi.Input<string>;
    reason?: pulumi.Input<string>;
}

export interface ImageScanArgs {
    /**
     * The image as a URI: `<account>.dkr.ecr.<region>.amazonaws.com/<repository>` then
     * `:<tag>`, `@<digest>` or `:<tag>@<digest>`, as awsx.ecr.Image.imageUri,
     * docker-build.Image.ref and `docker push` give it. Stands for registryId, region,
     * repositoryName, imageTag and imageDigest.
     */
    imageUri?: pulumi.Input<string>;
    /** The ECR repository, e.g. "web" or "team/web". Required unless imageUri is given. */
    repositoryName?: pulumi.Input<string>;
    /** `sha256:…`. Picks the image; with imageTag also set, the tag is only recorded. */
    imageDigest?: pulumi.Input<string>;
    /** Resolved to a digest at create; a moved tag replaces the resource. */
    imageTag?: pulumi.Input<string>;
    /** 12 digits; defaults to the caller's registry. */
    registryId?: pulumi.Input<string>;
    /** Defaults to `aws:region`, then the SDK default (AWS_REGION, profile). */
    region?: pulumi.Input<string>;
    /** Defaults to the `ecr` entry of `aws:endpoints`, then the SDK default. */
    endpoint?: pulumi.Input<string>;
    /** Defaults to `aws:profile`, then the SDK default chain. */
    profile?: pulumi.Input<string>;
    /** Wait for a terminal scan status (default true). */
    waitForCompletion?: pulumi.Input<boolean>;
    /** How long to wait, 1–86400 (default 1200). */
    timeoutSeconds?: pulumi.Input<number>;
    /** Rescan the same digest after this many hours (at least 24). Unset: never. */
    rescanAfterHours?: pulumi.Input<number>;
    /** Fail create/update on findings at or above this severity. Unset: never. */
    failOnSeverity?: pulumi.Input<Severity>;
    /** Findings the gate leaves out: names, or {name, until?, reason?}. */
    ignoreFindings?: pulumi.Input<pulumi.Input<string | IgnoreFindingArgs>[]>;
    /** For an image index (a multi-platform image, or a buildx push): which platform images to scan, e.g. ["linux/amd64"]. Unset: all. */
    platforms?: pulumi.Input<pulumi.Input<string>[]>;
}


/** The `ecr` entry of the AWS provider's `aws:endpoints` config, if any. */
function configuredEcrEndpoint(): string | undefined {
    for (const entry of awsConfig.endpoints ?? []) {
        if (entry.ecr) {
            return entry.ecr;
        }
    }
    return undefined;
}

/**
 * Scans an ECR image when it is created and when its digest changes, within ECR's
 * quota of one scan per image per 24 hours, and exposes status and findings.
 */
export class ImageScan extends pulumi.dynamic.Resource {
    /** The image that was scanned, pinned by digest: what a deployment should pull. */
    public readonly imageUri!: pulumi.Output<string>;
    public readonly repositoryName!: pulumi.Output<string>;
    public readonly registryId!: pulumi.Output<string>;
    public readonly region!: pulumi.Output<string>;
    public readonly imageDigest!: pulumi.Output<string>;
    public readonly imageTag!: pulumi.Output<string | undefined>;
    public readonly scanStatus!: pulumi.Output<string>;
    public readonly scanStatusDescription!: pulumi.Output<string | undefined>;
    public readonly scanType!: pulumi.Output<"BASIC" | "ENHANCED">;
    public readonly scanStartedAt!: pulumi.Output<string>;
    public readonly nextScanAllowedAt!: pulumi.Output<string>;
    public readonly scanCompletedAt!: pulumi.Output<string | undefined>;
    public readonly vulnerabilitySourceUpdatedAt!: pulumi.Output<string | undefined>;
    public readonly findingSeverityCounts!: pulumi.Output<Record<string, number>>;
    public readonly findingsTotal!: pulumi.Output<number>;
    public readonly topFindings!: pulumi.Output<FindingSummary[]>;
    public readonly adoptedExistingScan!: pulumi.Output<boolean>;
    /** Every finding at or above failOnSeverity that an ignoreFindings entry left out. */
    public readonly ignoredFindings!: pulumi.Output<IgnoredFinding[]>;
    /** One entry per image scanned: the image, or each platform image of an index. */
    public readonly images!: pulumi.Output<ImageEntry[]>;

    constructor(name: string, args: ImageScanArgs, opts?: pulumi.CustomResourceOptions) {
        const props = {
            ...args,
            // imageUri names its region; aws:region must not contradict it.
            region: args.region ?? (args.imageUri === undefined ? awsConfig.region : undefined),
            profile: args.profile ?? awsConfig.profile,
            endpoint: args.endpoint ?? configuredEcrEndpoint(),
            // Outputs: declared so the engine fills them in.
            imageUri: args.imageUri,
            repositoryName: args.repositoryName,
            registryId: args.registryId,
            imageDigest: args.imageDigest,
            imageTag: args.imageTag,
            scanStatus: undefined,
            scanStatusDescription: undefined,
            scanType: undefined,
            scanStartedAt: undefined,
            nextScanAllowedAt: undefined,
            scanCompletedAt: undefined,
            vulnerabilitySourceUpdatedAt: undefined,
            findingSeverityCounts: undefined,
            findingsTotal: undefined,
            topFindings: undefined,
            adoptedExistingScan: undefined,
            ignoredFindings: undefined,
            images: undefined,
        };
        // One object for all resources: the engine serializes it once per program run and
        // reuses the text (it caches by object).
        super(shim, name, props, opts, "imagescan", "ImageScan");
    }
}
