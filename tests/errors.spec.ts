// The errors a user reads: each names the image, the AWS error (one line of it) and the
// next step, carries no stack frames, and keeps the AWS error as `cause`.

import { strict as assert } from "assert";
import {
    EcrRequestError,
    EmptyIndexError,
    EnvironmentError,
    GateFailedError,
    ImageNotFoundError,
    nextStep,
    PaceAbortError,
    PlatformNotFoundError,
    RepositoryNotFoundError,
    ScanTimeoutError,
    UnexpectedError,
    userFacing,
} from "../provider/errors";
import { isTransient } from "../provider/ecr";
import { ImageRef } from "../provider/image";
import { awsError, networkError, sdkError } from "./support/stub";

const DIGEST = "sha256:" + "ab".repeat(32);
const IMAGE: ImageRef = { repositoryName: "web", registryId: "123456789012", region: "eu-west-1", imageDigest: DIGEST };
const LABEL = `123456789012/web@${DIGEST} (eu-west-1)`;
const TAGGED: ImageRef = { repositoryName: "web", region: "eu-west-1", imageTag: "v1" };
const AT_ENDPOINT: ImageRef = { ...IMAGE, endpoint: "http://127.0.0.1:5000" };

describe("errors", () => {
    describe("not found", () => {
        it("a missing repository names it, the image and the AWS error, and says what to check", () => {
            const cause = awsError("RepositoryNotFoundException", "The repository with name 'web' does not exist\nhint for developers");
            const e = new RepositoryNotFoundError(IMAGE, { cause });
            assert.equal(e.name, "RepositoryNotFoundError");
            assert.equal(
                e.message,
                `ECR repository "web" was not found for image ${LABEL} (RepositoryNotFoundException: The repository with name 'web' does not exist). ` +
                    "Check repositoryName, registryId and region, or create the repository first.",
            );
            assert.equal(e.cause, cause);
            assert.equal(e.stack, "");
        });

        it("a missing image names the digest, or the tag when there is no digest", () => {
            const cause = awsError("ImageNotFoundException", "not there");
            assert.equal(
                new ImageNotFoundError(IMAGE, { cause }).message,
                `Image digest ${DIGEST} was not found in ECR repository "web": ${LABEL} (ImageNotFoundException: not there). ` +
                    "Push the image first, or point imageTag/imageDigest at an existing image.",
            );
            assert.match(new ImageNotFoundError(TAGGED, { cause }).message, /^Image tag "v1" was not found in ECR repository "web": web:v1 \(eu-west-1\) /);
        });

        it("a platform image an index lists but the repository lacks: says so, and how to go on", () => {
            const cause = awsError("ImageNotFoundException", "not there");
            const platformImage = { ...TAGGED, imageDigest: DIGEST, platform: "linux/arm64" };
            assert.equal(
                new ImageNotFoundError(platformImage, { cause }).message,
                `The image index "v1" lists a linux/arm64 image, ${DIGEST}, which ECR repository "web" does not have (ImageNotFoundException: not there; eu-west-1): ` +
                    "deleted by a lifecycle rule, or pushed to another repository? Push the image again, or leave that platform out with platforms.",
            );
            assert.match(new ImageNotFoundError({ ...platformImage, imageTag: undefined }, { cause }).message, /^The image index lists a linux\/arm64 image, /);
        });

        it("without a cause, the message says undefined for it and the error has no cause property", () => {
            const e = new ImageNotFoundError(TAGGED);
            assert.match(e.message, /\(undefined\)/);
            assert.equal("cause" in e, false);
        });

        it("a platform the index lacks lists the missing ones and those it has", () => {
            const e = new PlatformNotFoundError(IMAGE, ["linux/s390x", "linux/ppc64le"], ["linux/amd64", "linux/arm64"]);
            assert.equal(e.name, "PlatformNotFoundError");
            assert.equal(
                e.message,
                `The image index ${LABEL} has no image for platform(s) linux/s390x, linux/ppc64le: it has linux/amd64, linux/arm64. ` +
                    "Fix platforms (or leave it unset to scan every platform image). No scan was started.",
            );
            assert.match(new PlatformNotFoundError(IMAGE, ["linux/amd64"], []).message, /: it has none\. /);
            assert.deepEqual([e.missing, e.available], [["linux/s390x", "linux/ppc64le"], ["linux/amd64", "linux/arm64"]]);
        });

        it("an index with nothing to scan says how many manifests it has", () => {
            const e = new EmptyIndexError(IMAGE, 2);
            assert.equal(e.name, "EmptyIndexError");
            assert.equal(
                e.message,
                `The image index ${LABEL} has no platform image to scan: its 2 manifest(s) are attestations or name no platform. ` +
                    "Point ImageScan at the image that was built, or push an index that holds it. No scan was started.",
            );
        });

        it("an unusable environment setting is an EnvironmentError with the message given", () => {
            const e = new EnvironmentError("IMAGESCAN_X is bad");
            assert.deepEqual([e.name, e.message, e.stack], ["EnvironmentError", "IMAGESCAN_X is bad", ""]);
        });
    });

    describe("nextStep: what to do about an error no retry fixes", () => {
        const cases: [string, unknown, string | undefined, RegExp | undefined][] = [
            ["not an Error", "boom", undefined, undefined],
            ["an error it has no advice for", awsError("ValidationException", "bad"), undefined, undefined],
            ["no credentials, default chain", sdkError("CredentialsProviderError", "Could not load credentials"), undefined,
                /^No AWS credentials could be loaded from the default credential chain\. Check that AWS_PROFILE, AWS_ACCESS_KEY_ID or an SSO login is set up, or set aws:profile \/ the profile input\.$/],
            ["no credentials, a profile", sdkError("CredentialsProviderError", "Could not load credentials"), "dev",
                /^No AWS credentials could be loaded from profile "dev"\. Check that the profile exists in ~\/\.aws\/config or ~\/\.aws\/credentials, or set/],
            ["expired SSO, default chain", sdkError("TokenProviderError", "The SSO session has expired"), undefined,
                /^The AWS SSO session for the default credential chain has expired or was never started: run `aws sso login`, then `pulumi up` again\.$/],
            ["expired SSO, a profile", sdkError("CredentialsProviderError", "sso token expired"), "corp",
                /^The AWS SSO session for profile "corp" has expired or was never started: run `aws sso login --profile corp`, then/],
            ["SSO only as a word", sdkError("CredentialsProviderError", "Could not load from ssooidc"), undefined, /^No AWS credentials could be loaded/],
            ...["ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"].map(
                (name): [string, unknown, string | undefined, RegExp] => [name, awsError(name), undefined, /^The AWS credentials have expired: refresh them \(for SSO, `aws sso login`\), then `pulumi up` again\.$/],
            ),
            ["a name that ends in ExpiredToken", awsError("NotExpiredToken"), undefined, undefined],
            ["a name that starts with ExpiredToken", awsError("ExpiredTokenish"), undefined, undefined],
            ...["UnrecognizedClientException", "InvalidSignatureException", "SignatureDoesNotMatch", "InvalidClientTokenId"].map(
                (name): [string, unknown, string | undefined, RegExp] => [name, awsError(name), undefined, /^AWS does not accept these credentials: check the access key, or the profile they come from\.$/],
            ),
            ["a name that starts with InvalidClientTokenId", awsError("InvalidClientTokenIdX"), undefined, undefined],
            ["a name that ends in InvalidClientTokenId", awsError("XInvalidClientTokenId"), undefined, undefined],
            ...["AccessDeniedException", "AccessDenied"].map(
                (name): [string, unknown, string | undefined, RegExp] => [name, awsError(name), undefined, /^The caller lacks an IAM permission this needs \(see the README's IAM section\)\.$/],
            ),
            ["no region", sdkError("Error", "Region is missing"), undefined, /^No AWS region is set: set the region input, `pulumi config set aws:region <region>`, or AWS_REGION\.$/],
            ["no region, lowercase", sdkError("Error", "region is MISSING somewhere"), undefined, /^No AWS region is set/],
            ["TLS", networkError("EPROTO", "wrong version number"), undefined,
                /^TLS failed talking to the ECR endpoint of eu-west-1: check that the endpoint's scheme and certificate are right \(NODE_EXTRA_CA_CERTS adds a CA\)\.$/],
            ...["CERT_HAS_EXPIRED", "SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "UNABLE_TO_GET_ISSUER_CERT", "ERR_TLS_CERT_ALTNAME_INVALID", "ERR_SSL_WRONG_VERSION_NUMBER", "HOSTNAME_MISMATCH", "DEPTH_ZERO_SELF_SIGNED_CERT"].map(
                (code): [string, unknown, string | undefined, RegExp] => [`TLS ${code}`, networkError(code, "tls"), undefined, /^TLS failed talking to/],
            ),
            ["a TLS-like code not at the start", networkError("X_CERT_", "tls"), undefined, undefined],
            ["unknown host", networkError("ENOTFOUND", "getaddrinfo ENOTFOUND"), undefined, /^The host of the ECR endpoint of eu-west-1 does not resolve: check the endpoint and region\.$/],
        ];
        for (const [what, cause, profile, expected] of cases) {
            it(`${what} -> ${expected ? "advice" : "none"}`, () => {
                const step = nextStep(cause, IMAGE, profile);
                if (expected) {
                    assert.match(String(step), expected);
                } else {
                    assert.equal(step, undefined);
                }
            });
        }

        it("names the endpoint, when there is one, for TLS and DNS failures", () => {
            assert.match(String(nextStep(networkError("EPROTO", "x"), AT_ENDPOINT)), /^TLS failed talking to http:\/\/127\.0\.0\.1:5000: /);
            assert.match(String(nextStep(networkError("ENOTFOUND", "x"), AT_ENDPOINT)), /^The host of http:\/\/127\.0\.0\.1:5000 does not resolve/);
        });
    });

    describe("EcrRequestError", () => {
        it("with advice: the operation, the image, the AWS error in one line, the step, and that nothing was retried", () => {
            const cause = awsError("AccessDeniedException", "User is not authorized\nmore lines for developers");
            const e = new EcrRequestError("StartImageScan", IMAGE, { cause });
            assert.equal(e.name, "EcrRequestError");
            assert.equal(
                e.message,
                `ECR StartImageScan failed for image ${LABEL}: AccessDeniedException: User is not authorized. ` +
                    "The caller lacks an IAM permission this needs (see the README's IAM section). Nothing was retried: waiting would not fix this.",
            );
            assert.equal(e.transient, false);
            assert.equal(e.cause, cause);
            assert.equal(e.stack, "");
            assert.equal(e.operation, "StartImageScan");
        });

        it("without advice: what to check, and that a started scan is adopted", () => {
            const e = new EcrRequestError("DescribeImages", IMAGE, { cause: awsError("ServerException", "oops", 500), transient: true });
            assert.equal(
                e.message,
                `ECR DescribeImages failed for image ${LABEL}: ServerException: oops. ` +
                    "Check credentials, region and endpoint, then run `pulumi up` again; a scan that already started is adopted, not started twice.",
            );
            assert.equal(e.transient, true);
        });

        it("names a node error by its code, and the profile in credential advice", () => {
            const e = new EcrRequestError("DescribeImages", IMAGE, { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) });
            assert.match(e.message, /: ECONNREFUSED: connect ECONNREFUSED\. Check credentials/);
            const creds = new EcrRequestError("DescribeImages", IMAGE, { cause: sdkError("CredentialsProviderError", "none"), profile: "dev" });
            assert.match(creds.message, /: CredentialsProviderError: none\. No AWS credentials could be loaded from profile "dev"\./);
            const named = new EcrRequestError("DescribeImages", IMAGE, { cause: Object.assign(sdkError("TypeError", "bad"), { code: "ERR_X" }) });
            assert.match(named.message, /: TypeError: bad\. /);
            const plain = new EcrRequestError("DescribeImages", IMAGE, { cause: Object.assign(new Error("odd"), { code: 42 }) });
            assert.match(plain.message, /: Error: odd\. /);
            assert.match(new EcrRequestError("DescribeImages", IMAGE, { cause: "a string" }).message, /: a string\. Check credentials/);
        });

        it("an abort while the call waited for its turn says so, and names the pace's setting", () => {
            assert.equal(
                new EcrRequestError("DescribeImageScanFindings", AT_ENDPOINT, { cause: new PaceAbortError() }).message,
                `ECR DescribeImageScanFindings for image 123456789012/web@${DIGEST} (eu-west-1, endpoint http://127.0.0.1:5000) was still waiting for its turn to call ECR ` +
                    "when timeoutSeconds ran out: ImageScan paces the ECR calls of every ImageScan in this deployment (IMAGESCAN_ECR_REQUESTS_PER_SECOND, " +
                    "default 20 per second). Raise timeoutSeconds or the pace; the next `pulumi up` adopts any scan that started.",
            );
            const e = new PaceAbortError();
            assert.equal(e.name, "AbortError");
            assert.equal(isTransient(new EcrRequestError("StartImageScan", IMAGE, { cause: e }).cause), false);
        });

        it("an abort at the deadline says no answer came before timeoutSeconds, naming the endpoint or the region", () => {
            const abort = sdkError("AbortError", "This operation was aborted");
            assert.equal(
                new EcrRequestError("DescribeImageScanFindings", AT_ENDPOINT, { cause: abort }).message,
                `ECR DescribeImageScanFindings for image 123456789012/web@${DIGEST} (eu-west-1, endpoint http://127.0.0.1:5000) got no answer from ` +
                    "http://127.0.0.1:5000 before timeoutSeconds ran out. " +
                    "Check the endpoint and the network, or raise timeoutSeconds; the next `pulumi up` adopts any scan that started.",
            );
            assert.match(new EcrRequestError("StartImageScan", IMAGE, { cause: abort }).message, /got no answer from the ECR endpoint of eu-west-1 before/);
        });
    });

    it("ScanTimeoutError names the image, the last status and the wait, the last ECR error if any, and that the next up adopts", () => {
        const e = new ScanTimeoutError(IMAGE, "IN_PROGRESS", 1200);
        assert.equal(e.name, "ScanTimeoutError");
        assert.equal(
            e.message,
            `Timed out waiting for the ECR scan of ${LABEL}: last status IN_PROGRESS after 1200 s. The scan goes on in ECR; raise ` +
                "timeoutSeconds to wait longer. The next `pulumi up` adopts the same scan without starting a new one.",
        );
        const withCause = new ScanTimeoutError(IMAGE, "PENDING", 30, { cause: awsError("ThrottlingException", "Rate exceeded") });
        assert.match(withCause.message, /last status PENDING after 30 s \(last ECR error: ThrottlingException: Rate exceeded\)\. The scan goes on/);
    });

    it("GateFailedError carries the gate's message and the image", () => {
        const e = new GateFailedError(IMAGE, "ImageScan gate failed for web");
        assert.deepEqual([e.name, e.message, e.stack, e.image], ["GateFailedError", "ImageScan gate failed for web", "", IMAGE]);
    });

    describe("userFacing", () => {
        it("passes ImageScan's own errors through unchanged", () => {
            const own = [
                new RepositoryNotFoundError(IMAGE),
                new ImageNotFoundError(IMAGE),
                new PlatformNotFoundError(IMAGE, ["a/b"], []),
                new EmptyIndexError(IMAGE, 0),
                new EnvironmentError("x"),
                new EcrRequestError("DescribeImages", IMAGE),
                new ScanTimeoutError(IMAGE, "PENDING", 1),
                new GateFailedError(IMAGE, "x"),
                new UnexpectedError("diff", new Error("x")),
            ];
            for (const e of own) {
                assert.equal(userFacing("create", e), e, e.name);
            }
        });

        it("wraps anything else as UnexpectedError: the step, the error in one line, no stack, the original as cause", () => {
            const bug = new TypeError("Cannot read properties of undefined (reading 'x')\n    at frame");
            const e = userFacing("diff", bug);
            assert.equal(e.name, "UnexpectedError");
            assert.equal(
                e.message,
                "ImageScan diff failed: TypeError: Cannot read properties of undefined (reading 'x'). This is unexpected; please report it with the command you ran. " +
                    "Nothing was changed in state.",
            );
            assert.equal(e.stack, "");
            assert.equal(e.cause, bug);
            assert.match(userFacing("read", "thrown string").message, /^ImageScan read failed: thrown string\. This is unexpected/);
            assert.equal(userFacing("read", { name: "GateFailedError" }).name, "UnexpectedError");
        });
    });
});
