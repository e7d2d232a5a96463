// Typed errors. Each has a literal `name` (so callers and tests can tell them apart
// without instanceof across module copies), keeps the AWS error as `cause`, and says
// which image, which region, and what to do next.

import { fullLabel, ImageRef } from "./image";

/** The AWS error in one line: the SDK appends hints for developers on later lines. */
function awsPart(cause: unknown): string {
    return cause instanceof Error ? `${cause.name}: ${cause.message.split("\n")[0]}` : String(cause);
}

/**
 * The base of ImageScan's errors. In the provider process the class runs as the closure
 * serializer rewrote it, where `super(message)` becomes `Error.call(this, message)` and
 * sets nothing: so message and cause are set here by hand.
 */
abstract class ImageScanBaseError extends Error {
    constructor(message: string, options?: { cause?: unknown }) {
        super(message);
        this.message = message;
        if (options?.cause !== undefined) {
            this.cause = options.cause;
        }
    }
}

/** The repository does not exist in that registry and region. */
export class RepositoryNotFoundError extends ImageScanBaseError {
    readonly name = "RepositoryNotFoundError" as const;
    constructor(readonly image: ImageRef, options?: { cause?: unknown }) {
        super(
            `ECR repository "${image.repositoryName}" was not found for image ${fullLabel(image)} (${awsPart(options?.cause)}). ` +
                `Check repositoryName, registryId and region, or create the repository first.`,
            options,
        );
    }
}

/** The repository exists but the tag or digest does not. */
export class ImageNotFoundError extends ImageScanBaseError {
    readonly name = "ImageNotFoundError" as const;
    constructor(readonly image: ImageRef, options?: { cause?: unknown }) {
        const which = image.imageDigest ? `digest ${image.imageDigest}` : `tag "${image.imageTag}"`;
        super(
            `Image ${which} was not found in ECR repository "${image.repositoryName}": ${fullLabel(image)} (${awsPart(options?.cause)}). ` +
                `Push the image first, or point imageTag/imageDigest at an existing image.`,
            options,
        );
    }
}

/**
 * Any other ECR failure: names the operation, the image (with region and endpoint) and
 * the AWS error.
 */
export class EcrRequestError extends ImageScanBaseError {
    readonly name = "EcrRequestError" as const;
    /** Throttling, 5xx or a network error: a later call may succeed. */
    readonly transient: boolean;
    constructor(
        readonly operation: string,
        readonly image: ImageRef,
        options?: { cause?: unknown; transient?: boolean },
    ) {
        super(
            options?.cause instanceof Error && options.cause.name === "AbortError"
                ? `ECR ${operation} for image ${fullLabel(image)} got no answer from ` +
                      `${image.endpoint ?? `the ECR endpoint of ${image.region}`} before timeoutSeconds ran out. ` +
                      `Check the endpoint and the network, or raise timeoutSeconds; the next \`pulumi up\` adopts any scan that started.`
                : `ECR ${operation} failed for image ${fullLabel(image)}: ${awsPart(options?.cause)}. Check credentials, region ` +
                      `and endpoint, then run \`pulumi up\` again; a scan that already started is adopted, not started twice.`,
            options,
        );
        this.transient = options?.transient ?? false;
    }
}

/** Waiting for the scan ran past timeoutSeconds. */
export class ScanTimeoutError extends ImageScanBaseError {
    readonly name = "ScanTimeoutError" as const;
    constructor(
        readonly image: ImageRef,
        readonly lastStatus: string,
        readonly waitedSeconds: number,
        options?: { cause?: unknown },
    ) {
        super(
            `Timed out waiting for the ECR scan of ${fullLabel(image)}: last status ${lastStatus} after ${waitedSeconds} s` +
                `${options?.cause ? ` (last ECR error: ${awsPart(options.cause)})` : ""}. The scan goes on in ECR; raise ` +
                `timeoutSeconds to wait longer. The next \`pulumi up\` adopts the same scan without starting a new one.`,
            options,
        );
    }
}

/** The severity gate found findings at or above failOnSeverity, or no completed scan. */
export class GateFailedError extends ImageScanBaseError {
    readonly name = "GateFailedError" as const;
    constructor(
        readonly image: ImageRef,
        message: string,
    ) {
        super(message);
    }
}

export type ImageScanError =
    | RepositoryNotFoundError
    | ImageNotFoundError
    | EcrRequestError
    | ScanTimeoutError
    | GateFailedError;
