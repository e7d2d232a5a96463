// Plain data types shared by the provider modules. Args (pulumi.Input fields) live in
// resource.ts; these are what check returns (resolved inputs) and what create, update
// and read return (outputs).

/** Severities ECR reports, most severe first. */
export const SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** One entry of `ignoreFindings`, after check normalized the plain-string form. */
export interface IgnoreEntry {
    name: string;
    /** ISO-8601; after this instant the entry no longer counts. */
    until?: string;
    reason?: string;
}

/** Inputs after check: validated, defaults filled, imageUri taken apart. */
export interface ImageScanInputs {
    /** As given; repositoryName, registryId, region, imageTag and imageDigest hold its parts. */
    imageUri?: string;
    repositoryName: string;
    imageDigest?: string;
    imageTag?: string;
    registryId?: string;
    region?: string;
    endpoint?: string;
    profile?: string;
    waitForCompletion: boolean;
    timeoutSeconds: number;
    rescanAfterHours?: number;
    failOnSeverity?: Severity;
    ignoreFindings: IgnoreEntry[];
    /** For an image index: which platform images to scan (`linux/amd64`); unset: all. */
    platforms?: string[];
}

/** A finding as kept in outputs. */
export interface FindingSummary {
    name: string;
    severity: string;
    uri?: string;
    packageName?: string;
    packageVersion?: string;
    /** For an image index: the platforms whose images have the finding. */
    platforms?: string[];
}

/** A finding the gate left out because of an `ignoreFindings` entry: the audit trail. */
export interface IgnoredFinding {
    name: string;
    severity: string;
    until?: string;
    reason?: string;
}

export type ScanType = "BASIC" | "ENHANCED";

/**
 * One image that was scanned: the image itself, or one platform image of an index.
 * What the resource's outputs say of the whole, entry by entry.
 */
export interface ImageEntry {
    /** `os/arch[/variant]`, for a platform image of an index; absent for a plain image. */
    platform?: string;
    imageDigest: string;
    scanStatus: string;
    scanStatusDescription?: string;
    scanStartedAt: string;
    nextScanAllowedAt: string;
    scanCompletedAt?: string;
    findingSeverityCounts: Record<string, number>;
    findingsTotal: number;
    adoptedExistingScan: boolean;
}

/** The result of a scan, as read from ECR. */
export interface ScanResult {
    scanStatus: string;
    scanStatusDescription?: string;
    scanType: ScanType;
    scanCompletedAt?: string;
    vulnerabilitySourceUpdatedAt?: string;
    findingSeverityCounts: Record<string, number>;
    /**
     * Every finding listed, not only the top ones: the gate needs all of them. For
     * enhanced scanning, only Inspector's ACTIVE findings (not SUPPRESSED or CLOSED).
     */
    findings: FindingSummary[];
}

export interface ImageScanOutputs {
    /** The scanned image pinned by digest: `<registry>.dkr.ecr.<region>.amazonaws.com/<repo>@<digest>`. */
    imageUri: string;
    repositoryName: string;
    registryId: string;
    region: string;
    imageDigest: string;
    imageTag?: string;
    endpoint?: string;
    profile?: string;
    waitForCompletion: boolean;
    timeoutSeconds: number;
    rescanAfterHours?: number;
    failOnSeverity?: Severity;
    ignoreFindings: IgnoreEntry[];
    platforms?: string[];

    scanStatus: string;
    scanStatusDescription?: string;
    scanType: ScanType;
    scanStartedAt: string;
    nextScanAllowedAt: string;
    scanCompletedAt?: string;
    vulnerabilitySourceUpdatedAt?: string;
    findingSeverityCounts: Record<string, number>;
    findingsTotal: number;
    topFindings: FindingSummary[];
    adoptedExistingScan: boolean;
    /** Absent in state written before it existed: diff then falls back to topFindings. */
    ignoredFindings: IgnoredFinding[];
    /** One per image scanned. Absent in state written before it existed: the outputs are the one image. */
    images: ImageEntry[];
}

/** The engine cannot marshal undefined values: leave such keys out. */
export function dropUndefined<T extends object>(value: T): T {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
