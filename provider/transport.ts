// The ECR calls ImageScan makes, as plain types: only the fields it sends and reads. The
// AWS SDK's client implements them (ecr.ts); tests stub them. Kept apart from the SDK's
// own types so that a program's type-check of this package (its .d.ts) does not load the
// SDK's, which cost a TypeScript program about half a second at every start.

/** Where to send ECR calls, and when to give up on them. */
export interface EcrTarget {
    region?: string;
    endpoint?: string;
    profile?: string;
    /** Aborts calls in flight when the operation's deadline passes. */
    signal?: AbortSignal;
}

/** Client limits. A hung connection must not outlive timeoutSeconds. */
export interface EcrTuning {
    connectionTimeoutMs?: number;
    requestTimeoutMs?: number;
    maxAttempts?: number;
}

export interface ImageIdentifier {
    imageDigest?: string;
    imageTag?: string;
}

export interface DescribeImagesRequest {
    repositoryName: string;
    registryId?: string;
    imageIds: ImageIdentifier[];
}

export interface DescribeImagesResponse {
    imageDetails?: { imageDigest?: string; registryId?: string; imageManifestMediaType?: string; imageTags?: string[] }[];
}

export interface BatchGetImageRequest {
    repositoryName: string;
    registryId?: string;
    imageIds: ImageIdentifier[];
    acceptedMediaTypes?: string[];
}

export interface BatchGetImageResponse {
    images?: { imageManifest?: string; imageManifestMediaType?: string }[];
    failures?: { failureCode?: string; failureReason?: string }[];
}

export interface StartImageScanRequest {
    repositoryName: string;
    registryId?: string;
    imageId: ImageIdentifier;
}

export interface ScanStatus {
    status?: string;
    description?: string;
}

export interface StartImageScanResponse {
    imageScanStatus?: ScanStatus;
}

export interface DescribeImageScanFindingsRequest {
    repositoryName: string;
    registryId?: string;
    imageId: ImageIdentifier;
    maxResults?: number;
    nextToken?: string;
}

/** A basic scan's finding. */
export interface BasicFinding {
    name?: string;
    severity?: string;
    uri?: string;
    attributes?: { key?: string; value?: string }[];
}

/** An enhanced (Amazon Inspector) scan's finding. */
export interface EnhancedFinding {
    severity?: string;
    status?: string;
    title?: string;
    packageVulnerabilityDetails?: { vulnerabilityId?: string; sourceUrl?: string; vulnerablePackages?: { name?: string; version?: string }[] };
}

export interface DescribeImageScanFindingsResponse {
    imageScanStatus?: ScanStatus;
    imageScanFindings?: {
        imageScanCompletedAt?: Date;
        vulnerabilitySourceUpdatedAt?: Date;
        findingSeverityCounts?: Partial<Record<string, number>>;
        findings?: BasicFinding[];
        enhancedFindings?: EnhancedFinding[];
    };
    nextToken?: string;
}

/** The raw calls. The SDK implements them; tests stub them for paths moto cannot produce. */
export interface EcrTransport {
    describeImages(input: DescribeImagesRequest): Promise<DescribeImagesResponse>;
    startImageScan(input: StartImageScanRequest): Promise<StartImageScanResponse>;
    describeImageScanFindings(input: DescribeImageScanFindingsRequest): Promise<DescribeImageScanFindingsResponse>;
    batchGetImage(input: BatchGetImageRequest): Promise<BatchGetImageResponse>;
    /** The region the client resolved (input, else the SDK default chain). */
    region(): Promise<string>;
}

export type TransportFactory = (target: EcrTarget) => EcrTransport;
