// Typed errors. Each has a literal `name` (so callers and tests can tell them apart
// without instanceof across module copies), keeps the AWS error as `cause`, and says
// which image, which region, and what to do next.

import { fullLabel, ImageRef } from "./image";

/** The AWS error in one line: the SDK appends hints for developers on later lines. */
function awsPart(cause: unknown): string {
    if (!(cause instanceof Error)) {
        return String(cause);
    }
    const code = (cause as { code?: unknown }).code;
    const name = cause.name === "Error" && typeof code === "string" ? code : cause.name;
    return `${name}: ${cause.message.split("\n")[0]}`;
}

/**
 * The base of ImageScan's errors. In the provider process the class runs as the closure
 * serializer rewrote it, where `super(message)` becomes `Error.call(this, message)` and
 * sets nothing: so message and cause are set here by hand. The Pulumi host prints
 * `${e}: ${e.stack}` for an error thrown from check, diff or read: an empty stack keeps
 * frames (which mean nothing to a user) out of that line.
 */
abstract class ImageScanBaseError extends Error {
    constructor(message: string, options?: { cause?: unknown }) {
        super(message);
        this.message = message;
        this.stack = "";
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
            image.platform !== undefined
                ? `The image index ${image.imageTag ? `"${image.imageTag}" ` : ""}lists a ${image.platform} image, ${image.imageDigest}, which ECR repository ` +
                      `"${image.repositoryName}" does not have (${awsPart(options?.cause)}; ${image.region}): deleted by a lifecycle rule, or pushed to ` +
                      `another repository? Push the image again, or leave that platform out with platforms.`
                : `Image ${which} was not found in ECR repository "${image.repositoryName}": ${fullLabel(image)} (${awsPart(options?.cause)}). ` +
                      `Push the image first, or point imageTag/imageDigest at an existing image.`,
            options,
        );
    }
}

/** `platforms` names a platform the image index does not have. No scan was started. */
export class PlatformNotFoundError extends ImageScanBaseError {
    readonly name = "PlatformNotFoundError" as const;
    constructor(
        readonly image: ImageRef,
        readonly missing: string[],
        readonly available: string[],
    ) {
        super(
            `The image index ${fullLabel(image)} has no image for platform(s) ${missing.join(", ")}: it has ${available.join(", ") || "none"}. ` +
                `Fix platforms (or leave it unset to scan every platform image). No scan was started.`,
        );
    }
}

/** An image index with no platform image in it (only attestations, say): nothing to scan. */
export class EmptyIndexError extends ImageScanBaseError {
    readonly name = "EmptyIndexError" as const;
    constructor(
        readonly image: ImageRef,
        entries: number,
    ) {
        super(
            `The image index ${fullLabel(image)} has no platform image to scan: its ${entries} manifest(s) are attestations or name no platform. ` +
                `Point ImageScan at the image that was built, or push an index that holds it. No scan was started.`,
        );
    }
}

/** A setting from the environment that ImageScan cannot use. */
export class EnvironmentError extends ImageScanBaseError {
    readonly name = "EnvironmentError" as const;
}

/**
 * An ECR call whose operation was aborted (timeoutSeconds ran out) while it waited for
 * its turn at the pacer (pace.ts): ECR never saw it. Named AbortError, as the SDK and
 * `isTransient` know an abort.
 */
export class PaceAbortError extends Error {
    readonly name = "AbortError" as const;
    readonly waitedForTurn = true as const;
    constructor() {
        super("The operation was aborted while it waited for its turn to call ECR");
    }
}

/** TLS failures carry OpenSSL's codes, not an AWS error name. */
const TLS_CODES = /^(EPROTO|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET|VERIFY)|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH)/;

/**
 * What to do about an error that no retry fixes, in words, or undefined when the AWS
 * error says it well enough itself.
 */
export function nextStep(cause: unknown, image: ImageRef, profile?: string): string | undefined {
    if (!(cause instanceof Error)) {
        return undefined;
    }
    const code = String((cause as { code?: unknown }).code ?? "");
    const text = cause.message;
    const which = profile ? `profile "${profile}"` : "the default credential chain";
    if (cause.name === "CredentialsProviderError" || cause.name === "TokenProviderError") {
        if (/\bSSO\b/i.test(text)) {
            return `The AWS SSO session for ${which} has expired or was never started: run \`aws sso login${profile ? ` --profile ${profile}` : ""}\`, then \`pulumi up\` again.`;
        }
        return (
            `No AWS credentials could be loaded from ${which}. Check that ${profile ? `the profile exists in ~/.aws/config or ~/.aws/credentials` : "AWS_PROFILE, AWS_ACCESS_KEY_ID or an SSO login is set up"}, ` +
            `or set aws:profile / the profile input.`
        );
    }
    if (/^(ExpiredToken|ExpiredTokenException|RequestExpired|TokenRefreshRequired)$/.test(cause.name)) {
        return "The AWS credentials have expired: refresh them (for SSO, `aws sso login`), then `pulumi up` again.";
    }
    if (/^(UnrecognizedClientException|InvalidSignatureException|SignatureDoesNotMatch|InvalidClientTokenId)$/.test(cause.name)) {
        return "AWS does not accept these credentials: check the access key, or the profile they come from.";
    }
    if (cause.name === "AccessDeniedException" || cause.name === "AccessDenied") {
        return "The caller lacks an IAM permission this needs (see the README's IAM section).";
    }
    if (/Region is missing/i.test(text)) {
        return "No AWS region is set: set the region input, `pulumi config set aws:region <region>`, or AWS_REGION.";
    }
    if (TLS_CODES.test(code)) {
        return `TLS failed talking to ${image.endpoint ?? `the ECR endpoint of ${image.region}`}: check that the endpoint's scheme and certificate are right (NODE_EXTRA_CA_CERTS adds a CA).`;
    }
    if (code === "ENOTFOUND") {
        return `The host of ${image.endpoint ?? `the ECR endpoint of ${image.region}`} does not resolve: check the endpoint and region.`;
    }
    return undefined;
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
        options?: { cause?: unknown; transient?: boolean; profile?: string },
    ) {
        const cause = options?.cause;
        const step = nextStep(cause, image, options?.profile);
        super(
            cause instanceof PaceAbortError
                ? `ECR ${operation} for image ${fullLabel(image)} was still waiting for its turn to call ECR when timeoutSeconds ran out: ` +
                      `ImageScan paces the ECR calls of every ImageScan in this deployment (IMAGESCAN_ECR_REQUESTS_PER_SECOND, ` +
                      `default 20 per second). Raise timeoutSeconds or the pace; the next \`pulumi up\` adopts any scan that started.`
                : cause instanceof Error && cause.name === "AbortError"
                ? `ECR ${operation} for image ${fullLabel(image)} got no answer from ` +
                      `${image.endpoint ?? `the ECR endpoint of ${image.region}`} before timeoutSeconds ran out. ` +
                      `Check the endpoint and the network, or raise timeoutSeconds; the next \`pulumi up\` adopts any scan that started.`
                : `ECR ${operation} failed for image ${fullLabel(image)}: ${awsPart(cause)}. ` +
                      (step
                          ? `${step} Nothing was retried: waiting would not fix this.`
                          : `Check credentials, region and endpoint, then run \`pulumi up\` again; a scan that already started is adopted, not started twice.`),
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

/**
 * A failure that is not one of the above: a bug, or an answer nothing expected. It
 * keeps the original as `cause`, and, like the others, shows no stack frames.
 */
export class UnexpectedError extends ImageScanBaseError {
    readonly name = "UnexpectedError" as const;
    constructor(step: string, cause: unknown) {
        super(
            `ImageScan ${step} failed: ${awsPart(cause)}. This is unexpected; please report it with the command you ran. ` +
                `Nothing was changed in state.`,
            { cause },
        );
    }
}

export type ImageScanError =
    | RepositoryNotFoundError
    | ImageNotFoundError
    | PlatformNotFoundError
    | EmptyIndexError
    | EnvironmentError
    | EcrRequestError
    | ScanTimeoutError
    | GateFailedError
    | UnexpectedError;

const NAMES = ["RepositoryNotFoundError", "ImageNotFoundError", "PlatformNotFoundError", "EmptyIndexError", "EnvironmentError", "EcrRequestError", "ScanTimeoutError", "GateFailedError", "UnexpectedError"];

/** Errors as the user sees them: ImageScan's own pass through; anything else is wrapped. */
export function userFacing(step: string, e: unknown): Error {
    return e instanceof Error && NAMES.includes(e.name) ? e : new UnexpectedError(step, e);
}
