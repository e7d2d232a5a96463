// The ECR wrapper: error classification by name, pagination, and the retry strategy
// that never retries the quota error (checked with the real SDK client on loopback).

import { strict as assert } from "assert";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { Ecr, isTransient, sdkTransport, sharedClients } from "../provider/ecr";
import { EcrRequestError, PaceAbortError } from "../provider/errors";
import { awsError, DIGEST, networkError, scanStatus, sdkError, stubTransport } from "./support/stub";

const image = { repositoryName: "web", region: "eu-west-1", imageDigest: DIGEST };

/** A loopback server that answers every ECR call with one JSON answer, and records when each came. */
async function answeringServer(status: number, answer: object) {
    const arrivals: number[] = [];
    const server = http.createServer((req, res) => {
        req.resume();
        req.on("end", () => {
            arrivals.push(performance.now());
            res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
            res.end(JSON.stringify(answer));
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        requests: () => arrivals.length,
        arrivals,
        close: () => new Promise<void>((r) => server.close(() => r())),
    };
}

/** A loopback server that answers every ECR call with one JSON error, and counts. */
function errorServer(code: string, status = 400) {
    return answeringServer(status, { __type: code, message: `injected ${code}` });
}

describe("ecr", () => {
    before(() => {
        process.env.AWS_ACCESS_KEY_ID = "AKIATEST";
        process.env.AWS_SECRET_ACCESS_KEY = "test";
        process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
    });

    it("LimitExceededException from StartImageScan is sent once and means quota", async () => {
        const server = await errorServer("LimitExceededException");
        try {
            const ecr = new Ecr(sdkTransport({ region: "eu-west-1", endpoint: server.url }), image);
            assert.deepEqual(await ecr.startScan(DIGEST), { kind: "quota" });
            assert.equal(server.requests(), 1);
        } finally {
            await server.close();
        }
    });

    it("ThrottlingException is still retried by the SDK (3 attempts)", async () => {
        const server = await errorServer("ThrottlingException");
        try {
            const ecr = new Ecr(sdkTransport({ region: "eu-west-1", endpoint: server.url }), image);
            await assert.rejects(ecr.startScan(DIGEST), (e: Error) => e.name === "EcrRequestError" && /ThrottlingException/.test(e.message));
            assert.equal(server.requests(), 3);
        } finally {
            await server.close();
        }
    });

    describe("transient or not (spec: Errors)", () => {
        const cases: [string, Error, boolean][] = [
            ["ThrottlingException (400)", awsError("ThrottlingException", "Rate exceeded"), true],
            ["TooManyRequestsException (429)", awsError("TooManyRequestsException", "slow down", 429), true],
            ["HTTP 500", awsError("ServerException", "oops", 500), true],
            ["HTTP 503", awsError("ServiceUnavailableException", "busy", 503), true],
            ["connection reset", networkError("ECONNRESET"), true],
            ["connection refused", networkError("ECONNREFUSED"), true],
            ["connection timed out", networkError("ETIMEDOUT"), true],
            ["request timeout (SDK)", sdkError("TimeoutError", "request timed out"), true],
            ["DNS try again", networkError("EAI_AGAIN"), true],
            ["AccessDeniedException", awsError("AccessDeniedException", "not authorized"), false],
            ["ValidationException", awsError("ValidationException", "bad"), false],
            ["ExpiredTokenException", awsError("ExpiredTokenException", "expired"), false],
            ["UnrecognizedClientException", awsError("UnrecognizedClientException", "bad token"), false],
            ["no credentials", sdkError("CredentialsProviderError", "Could not load credentials from any providers"), false],
            ["expired SSO", sdkError("CredentialsProviderError", "The SSO session has expired. To refresh this SSO session run 'aws sso login'"), false],
            ["no region", sdkError("Error", "Region is missing"), false],
            ["TLS: wrong version", networkError("EPROTO", "write EPROTO ssl3_get_record:wrong version number"), false],
            ["TLS: self-signed", networkError("DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate"), false],
            ["unknown host", networkError("ENOTFOUND", "getaddrinfo ENOTFOUND ecr.example.invalid"), false],
            ["malformed answer", Object.assign(sdkError("SyntaxError", "Unexpected token"), { $metadata: { httpStatusCode: 200 } }), false],
            ["our own deadline", sdkError("AbortError", "aborted"), false],
            ["a plain Error", new Error("boom"), false],
        ];
        for (const [what, error, transient] of cases) {
            it(`${what} -> ${transient ? "transient" : "fails at once"}`, async () => {
                assert.equal(isTransient(error), transient);
                const stub = stubTransport({ describeImages: [error] });
                await assert.rejects(new Ecr(stub.factory({}), image).resolveImage(), (e: Error) => {
                    assert.equal(e.name, "EcrRequestError");
                    assert.equal((e as EcrRequestError).transient, transient);
                    assert.equal((e as EcrRequestError).cause, error);
                    return true;
                });
            });
        }
        it("a transient cause deeper in the chain counts", () => {
            assert.equal(isTransient(Object.assign(new Error("wrapped"), { cause: networkError("ECONNRESET") })), true);
        });
    });

    describe("errors that no retry fixes, from the real SDK, say what to do", function () {
        this.timeout(20_000);
        const saved = { ...process.env };
        let home: string;
        let server: http.Server;
        let url: string;
        before(async () => {
            // A home with one SSO profile whose cached token expired long ago.
            home = fs.mkdtempSync(path.join(os.tmpdir(), "imagescan-aws-home-"));
            fs.mkdirSync(path.join(home, ".aws/sso/cache"), { recursive: true });
            fs.writeFileSync(
                path.join(home, ".aws/config"),
                "[profile corp-sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Dev\nregion = eu-west-1\n" +
                    "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n",
            );
            server = http.createServer((_req, res) => res.end("not ECR"));
            await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
            url = `127.0.0.1:${(server.address() as AddressInfo).port}`;
        });
        beforeEach(() => {
            for (const k of Object.keys(process.env).filter((k) => k.startsWith("AWS_"))) {
                delete process.env[k];
            }
            process.env.HOME = home;
            process.env.AWS_EC2_METADATA_DISABLED = "true";
            process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
        });
        after(() => {
            process.env = saved;
            server.close();
            fs.rmSync(home, { recursive: true, force: true });
        });

        async function fails(target: Parameters<typeof sdkTransport>[0], expect: { transient: boolean; says: RegExp[]; profile?: string }) {
            const ecr = new Ecr(sdkTransport(target), { ...image, endpoint: target.endpoint }, expect.profile);
            await assert.rejects(ecr.resolveImage(), (e: Error) => {
                assert.equal(e.name, "EcrRequestError");
                assert.equal((e as EcrRequestError).transient, expect.transient, e.message);
                for (const re of expect.says) {
                    assert.match(e.message, re);
                }
                return true;
            });
        }

        it("no credentials at all", async () => {
            await fails({ region: "eu-west-1", endpoint: `http://${url}` }, { transient: false, says: [/CredentialsProviderError/, /No AWS credentials could be loaded/, /Nothing was retried/] });
        });
        it("a profile that does not exist", async () => {
            await fails({ region: "eu-west-1", endpoint: `http://${url}`, profile: "no-such-profile" }, { transient: false, profile: "no-such-profile", says: [/profile "no-such-profile"/, /~\/\.aws\/config/] });
        });
        it("an expired SSO session", async () => {
            await fails({ region: "eu-west-1", endpoint: `http://${url}`, profile: "corp-sso" }, { transient: false, profile: "corp-sso", says: [/SSO session/, /aws sso login --profile corp-sso/] });
        });
        it("no region", async () => {
            process.env.AWS_ACCESS_KEY_ID = "AKIATEST";
            process.env.AWS_SECRET_ACCESS_KEY = "test";
            await fails({ endpoint: `http://${url}` }, { transient: false, says: [/No AWS region is set/, /aws:region/] });
        });
        it("TLS spoken to a server that does not", async () => {
            process.env.AWS_ACCESS_KEY_ID = "AKIATEST";
            process.env.AWS_SECRET_ACCESS_KEY = "test";
            await fails({ region: "eu-west-1", endpoint: `https://${url}` }, { transient: false, says: [/EPROTO/, /TLS failed/] });
        });
        it("a connection refused is transient", async () => {
            process.env.AWS_ACCESS_KEY_ID = "AKIATEST";
            process.env.AWS_SECRET_ACCESS_KEY = "test";
            await fails({ region: "eu-west-1", endpoint: "http://127.0.0.1:9" }, { transient: true, says: [/ECONNREFUSED/] });
        });
    });

    it("classifies StartImageScan answers by error name", async () => {
        const cases: [Error, string][] = [
            [awsError("LimitExceededException"), "quota"],
            [awsError("UnsupportedImageTypeException", "index"), "unsupported"],
            [awsError("ValidationException", "This feature is disabled"), "enhanced"],
            [awsError("ImageArchivedException", "The image is archived"), "archived"],
        ];
        for (const [error, kind] of cases) {
            const stub = stubTransport({ startImageScan: [error] });
            const outcome = await new Ecr(stub.factory({}), image).startScan(DIGEST);
            assert.equal(outcome.kind, kind, error.name);
        }
        const other = stubTransport({ startImageScan: [awsError("ValidationException", "imageId is invalid")] });
        await assert.rejects(new Ecr(other.factory({}), image).startScan(DIGEST), /EcrRequestError|StartImageScan failed/);
        const repo = stubTransport({ startImageScan: [awsError("RepositoryNotFoundException")] });
        await assert.rejects(new Ecr(repo.factory({}), image).startScan(DIGEST), (e: Error) => e.name === "RepositoryNotFoundError");
    });

    it("readScan: ScanNotFoundException is no scan; ImageNotFoundException is a typed error", async () => {
        const none = stubTransport({ describeImageScanFindings: [awsError("ScanNotFoundException")] });
        assert.equal(await new Ecr(none.factory({}), image).readScan(DIGEST), undefined);
        const gone = stubTransport({ describeImageScanFindings: [awsError("ImageNotFoundException")] });
        await assert.rejects(new Ecr(gone.factory({}), image).readScan(DIGEST), (e: Error) => e.name === "ImageNotFoundError");
    });

    it("readScan lists every page of findings, one call per page", async () => {
        const page = (names: string[], nextToken?: string) =>
            scanStatus("COMPLETE", {
                nextToken,
                imageScanFindings: {
                    findingSeverityCounts: { HIGH: 3 },
                    findings: names.map((name) => ({ name, severity: "HIGH", attributes: [{ key: "package_name", value: "pkg" }] })),
                },
            });
        const stub = stubTransport({ describeImageScanFindings: [page(["A", "B"], "t1"), page(["C"])] });
        const result = await new Ecr(stub.factory({}), image).readScan(DIGEST);
        assert.deepEqual(result?.findings.map((f) => f.name), ["A", "B", "C"]);
        assert.equal(result?.findings[0].packageName, "pkg");
        assert.deepEqual(result?.findingSeverityCounts, { HIGH: 3 });
        assert.equal(stub.calls.length, 2);
    });

    it("findImage returns undefined for a missing repository or image, and rethrows others", async () => {
        for (const name of ["RepositoryNotFoundException", "ImageNotFoundException"]) {
            const stub = stubTransport({ describeImages: [awsError(name)] });
            assert.equal(await new Ecr(stub.factory({}), image).findImage(), undefined);
        }
        const denied = stubTransport({ describeImages: [awsError("AccessDeniedException")] });
        await assert.rejects(new Ecr(denied.factory({}), image).findImage(), (e: Error) => e.name === "EcrRequestError");
    });
});

describe("ecr: requests, answers and what a user reads", () => {
    const tagged = { repositoryName: "web", registryId: "123456789012", region: "eu-west-1", imageTag: "v1" };

    describe("DescribeImages", () => {
        it("asks by digest when there is one, else by tag, in the given registry", async () => {
            const byDigest = stubTransport({ describeImages: [{ imageDetails: [{ imageDigest: DIGEST, registryId: "123456789012" }] }] });
            await new Ecr(byDigest.factory({}), { ...tagged, imageDigest: DIGEST }).resolveImage();
            const byTag = stubTransport({ describeImages: [{ imageDetails: [{ imageDigest: DIGEST, imageManifestMediaType: "application/vnd.oci.image.index.v1+json" }] }] });
            const found = await new Ecr(byTag.factory({}), tagged).resolveImage();
            assert.deepEqual([byDigest.inputs, byTag.inputs], [
                [{ repositoryName: "web", registryId: "123456789012", imageIds: [{ imageDigest: DIGEST }] }],
                [{ repositoryName: "web", registryId: "123456789012", imageIds: [{ imageTag: "v1" }] }],
            ]);
            // A registry ECR leaves out is the one asked; the media type tells an index.
            assert.deepEqual(found, { imageDigest: DIGEST, registryId: "123456789012", mediaType: "application/vnd.oci.image.index.v1+json" });
            const none = stubTransport({ describeImages: [{ imageDetails: [{ imageDigest: DIGEST }] }] });
            assert.equal((await new Ecr(none.factory({}), image).resolveImage()).registryId, "");
        });

        it("an answer without the image is ImageNotFoundError, saying so", async () => {
            for (const answer of [{}, { imageDetails: [] }, { imageDetails: [{ registryId: "123456789012" }] }]) {
                const stub = stubTransport({ describeImages: [answer] });
                await assert.rejects(new Ecr(stub.factory({}), tagged).resolveImage(), (e: Error) => {
                    assert.equal(e.name, "ImageNotFoundError");
                    assert.match(e.message, /^Image tag "v1" was not found in ECR repository "web": 123456789012\/web:v1 \(eu-west-1\) \(Error: DescribeImages returned no image\)/);
                    return true;
                });
            }
        });

        it("not found errors keep ECR's answer as cause, and in the message", async () => {
            for (const [name, typed] of [["RepositoryNotFoundException", "RepositoryNotFoundError"], ["ImageNotFoundException", "ImageNotFoundError"]]) {
                const error = awsError(name, "gone");
                const stub = stubTransport({ describeImages: [error] });
                await assert.rejects(new Ecr(stub.factory({}), tagged).resolveImage(), (e: Error) => {
                    assert.equal(e.name, typed);
                    assert.equal(e.cause, error);
                    assert.match(e.message, new RegExp(`\\(${name}: gone\\)`));
                    return true;
                });
            }
        });

        it("other errors name the operation and, for credentials, the profile", async () => {
            const stub = stubTransport({ describeImages: [sdkError("CredentialsProviderError", "Could not load credentials")] });
            await assert.rejects(new Ecr(stub.factory({}), tagged, "dev").resolveImage(), (e: Error) => {
                assert.match(e.message, /^ECR DescribeImages failed for image 123456789012\/web:v1 \(eu-west-1\): CredentialsProviderError: Could not load credentials\. No AWS credentials could be loaded from profile "dev"/);
                return true;
            });
        });
    });

    describe("BatchGetImage", () => {
        it("asks for the digest with the accepted media types, and returns the manifest", async () => {
            const stub = stubTransport({ batchGetImage: [{ images: [{ imageManifest: '{"manifests":[]}' }] }] });
            assert.equal(await new Ecr(stub.factory({}), tagged).readManifest(DIGEST, ["a/b"]), '{"manifests":[]}');
            assert.deepEqual(stub.inputs, [{ repositoryName: "web", registryId: "123456789012", imageIds: [{ imageDigest: DIGEST }], acceptedMediaTypes: ["a/b"] }]);
        });

        it("no manifest is ImageNotFoundError with ECR's failure, if it gave one", async () => {
            const failed = stubTransport({ batchGetImage: [{ images: [], failures: [{ failureCode: "ImageNotFound", failureReason: "Requested image not found" }] }] });
            await assert.rejects(new Ecr(failed.factory({}), tagged).readManifest(DIGEST, []), (e: Error) => {
                assert.equal(e.name, "ImageNotFoundError");
                assert.match(e.message, /\(Error: BatchGetImage returned no manifest \(ImageNotFound: Requested image not found\)\)/);
                return true;
            });
            const empty = stubTransport({ batchGetImage: [{}] });
            await assert.rejects(new Ecr(empty.factory({}), tagged).readManifest(DIGEST, []), /\(Error: BatchGetImage returned no manifest\)\. Push the image first/);
        });

        it("errors are classified, naming BatchGetImage", async () => {
            const stub = stubTransport({ batchGetImage: [awsError("AccessDeniedException", "no")] });
            await assert.rejects(new Ecr(stub.factory({}), tagged).readManifest(DIGEST, []), /^EcrRequestError: ECR BatchGetImage failed for image 123456789012\/web:v1 \(eu-west-1\): AccessDeniedException: no\./);
            const repo = stubTransport({ batchGetImage: [awsError("RepositoryNotFoundException")] });
            await assert.rejects(new Ecr(repo.factory({}), tagged).readManifest(DIGEST, []), (e: Error) => e.name === "RepositoryNotFoundError");
        });
    });

    describe("StartImageScan", () => {
        it("asks for the digest, and reports ECR's status, IN_PROGRESS when it gives none", async () => {
            const stub = stubTransport({ startImageScan: [{ imageScanStatus: { status: "PENDING", description: "queued" } }, {}] });
            const ecr = new Ecr(stub.factory({}), tagged);
            assert.deepEqual(await ecr.startScan(DIGEST), { kind: "started", status: "PENDING", description: "queued" });
            assert.deepEqual(await ecr.startScan(DIGEST), { kind: "started", status: "IN_PROGRESS", description: undefined });
            assert.deepEqual(stub.inputs[0], { repositoryName: "web", registryId: "123456789012", imageId: { imageDigest: DIGEST } });
        });

        it("keeps ECR's words for an unsupported or archived image", async () => {
            const unsupported = stubTransport({ startImageScan: [awsError("UnsupportedImageTypeException", "cannot be scanned")] });
            assert.deepEqual(await new Ecr(unsupported.factory({}), tagged).startScan(DIGEST), { kind: "unsupported", description: "cannot be scanned" });
            const archived = stubTransport({ startImageScan: [awsError("ImageArchivedException", "is archived")] });
            assert.deepEqual(await new Ecr(archived.factory({}), tagged).startScan(DIGEST), { kind: "archived", description: "is archived" });
        });

        it("enhanced scanning is told by a ValidationException that says so, in any case; not by other errors saying it", async () => {
            const cases: [Error, string][] = [
                [awsError("ValidationException", "Enhanced scanning is on"), "enhanced"],
                [awsError("ValidationException", "This Feature Is Disabled"), "enhanced"],
                [awsError("AccessDeniedException", "enhanced scanning requires inspector2 permissions"), "AccessDeniedException"],
            ];
            for (const [error, expected] of cases) {
                const stub = stubTransport({ startImageScan: [error] });
                const got = await new Ecr(stub.factory({}), tagged).startScan(DIGEST).then(
                    (o) => o.kind,
                    (e: Error) => (e.message.startsWith("ECR StartImageScan failed") ? (e.cause as Error).name : e.message),
                );
                assert.equal(got, expected);
            }
        });
    });

    describe("DescribeImageScanFindings", () => {
        it("pages with ECR's token, and takes counts and times from the first page, the status from the last", async () => {
            const stub = stubTransport({
                describeImageScanFindings: [
                    scanStatus("IN_PROGRESS", {
                        nextToken: "t1",
                        imageScanFindings: {
                            imageScanCompletedAt: new Date("2026-11-29T10:00:00Z"),
                            vulnerabilitySourceUpdatedAt: new Date("2026-11-28T00:00:00Z"),
                            findingSeverityCounts: { HIGH: 2, LOW: undefined as never },
                            findings: [{ name: "A", severity: "HIGH", uri: "https://cve/A", attributes: [{ key: "package_version", value: "1.0" }, { key: "package_name", value: "openssl" }] }],
                        },
                    }),
                    scanStatus("COMPLETE", { imageScanFindings: { findingSeverityCounts: { HIGH: 9 }, findings: [{}] } }),
                ],
            });
            const result = await new Ecr(stub.factory({}), tagged).readScan(DIGEST);
            assert.deepEqual(stub.inputs, [
                { repositoryName: "web", registryId: "123456789012", imageId: { imageDigest: DIGEST }, maxResults: 1000 },
                { repositoryName: "web", registryId: "123456789012", imageId: { imageDigest: DIGEST }, maxResults: 1000, nextToken: "t1" },
            ]);
            assert.deepEqual(result, {
                scanStatus: "COMPLETE",
                scanStatusDescription: "stub COMPLETE",
                scanType: "BASIC",
                scanCompletedAt: "2026-11-29T10:00:00.000Z",
                vulnerabilitySourceUpdatedAt: "2026-11-28T00:00:00.000Z",
                findingSeverityCounts: { HIGH: 2 },
                findings: [
                    { name: "A", severity: "HIGH", uri: "https://cve/A", packageName: "openssl", packageVersion: "1.0" },
                    { name: "(unnamed)", severity: "UNDEFINED" },
                ],
                complete: true,
            });
        });

        it("with firstPageOnly, one call, and says the findings are not complete", async () => {
            const stub = stubTransport({ describeImageScanFindings: [scanStatus("COMPLETE", { nextToken: "t1", imageScanFindings: { findings: [{ name: "A", severity: "LOW" }] } })] });
            const result = await new Ecr(stub.factory({}), tagged).readScan(DIGEST, { firstPageOnly: true });
            assert.deepEqual([stub.calls.length, result?.complete, result?.findings.length, result?.findingSeverityCounts], [1, false, 1, {}]);
        });

        it("an answer without a status or findings is UNKNOWN with none", async () => {
            const stub = stubTransport({ describeImageScanFindings: [{}] });
            assert.deepEqual(await new Ecr(stub.factory({}), tagged).readScan(DIGEST), {
                scanStatus: "UNKNOWN",
                scanStatusDescription: undefined,
                scanType: "BASIC",
                scanCompletedAt: undefined,
                vulnerabilitySourceUpdatedAt: undefined,
                findingSeverityCounts: {},
                findings: [],
                complete: true,
            });
        });

        it("Inspector's findings: ACTIVE ones (or with no status), named by the vulnerability, else the title", async () => {
            const stub = stubTransport({
                describeImageScanFindings: [
                    scanStatus("COMPLETE", {
                        imageScanFindings: {
                            enhancedFindings: [
                                { status: "ACTIVE", severity: "HIGH", title: "t1", packageVulnerabilityDetails: { vulnerabilityId: "CVE-1", sourceUrl: "https://cve/1", vulnerablePackages: [{ name: "zlib", version: "1.2" }] } },
                                { severity: "LOW", title: "CVE-2 - title" },
                                { status: "SUPPRESSED", severity: "CRITICAL", title: "CVE-3" },
                                { status: "CLOSED", severity: "CRITICAL", title: "CVE-4" },
                                {},
                            ],
                        },
                    }),
                ],
            });
            const result = await new Ecr(stub.factory({}), tagged).readScan(DIGEST);
            assert.equal(result?.scanType, "ENHANCED");
            assert.deepEqual(result?.findings, [
                { name: "CVE-1", severity: "HIGH", uri: "https://cve/1", packageName: "zlib", packageVersion: "1.2" },
                { name: "CVE-2 - title", severity: "LOW" },
                { name: "(unnamed)", severity: "UNDEFINED" },
            ]);
        });

        it("ACTIVE and SCAN_ELIGIBILITY_EXPIRED are enhanced scanning's statuses, even with no findings", async () => {
            for (const [status, type] of [["ACTIVE", "ENHANCED"], ["SCAN_ELIGIBILITY_EXPIRED", "ENHANCED"], ["COMPLETE", "BASIC"], ["FAILED", "BASIC"]]) {
                const stub = stubTransport({ describeImageScanFindings: [scanStatus(status)] });
                assert.equal((await new Ecr(stub.factory({}), tagged).readScan(DIGEST))?.scanType, type, status);
            }
        });

        it("an archived image on the first page is IMAGE_ARCHIVED, in ECR's words", async () => {
            const stub = stubTransport({ describeImageScanFindings: [awsError("ImageArchivedException", "The image is archived")] });
            assert.deepEqual(await new Ecr(stub.factory({}), tagged).readScan(DIGEST), {
                scanStatus: "IMAGE_ARCHIVED",
                scanStatusDescription: "The image is archived",
                scanType: "BASIC",
                findingSeverityCounts: {},
                findings: [],
                complete: true,
            });
        });

        it("an error on a later page is an error, whatever its name", async () => {
            for (const name of ["ScanNotFoundException", "ImageArchivedException", "ThrottlingException"]) {
                const stub = stubTransport({ describeImageScanFindings: [scanStatus("COMPLETE", { nextToken: "t1" }), awsError(name, "later")] });
                await assert.rejects(new Ecr(stub.factory({}), tagged).readScan(DIGEST), (e: Error) => {
                    assert.match(e.message, new RegExp(`^ECR DescribeImageScanFindings failed for image .*: ${name}: later\\.`));
                    return true;
                });
            }
        });
    });

    describe("isTransient: bounds", () => {
        it("HTTP 500 to 599 are server faults; 499 and 600 are not", () => {
            for (const [status, transient] of [[499, false], [500, true], [599, true], [600, false]] as const) {
                assert.equal(isTransient(awsError("SomeError", "x", status)), transient, String(status));
            }
        });

        it("an abort is our own deadline, never retried, whatever lies under it", () => {
            assert.equal(isTransient(Object.assign(sdkError("AbortError", "aborted"), { code: "ECONNRESET", cause: networkError("ECONNRESET") })), false);
        });

        it("a cause up to five wrappers deep counts; deeper, or a cycle, does not", () => {
            const wrap = (e: Error, n: number): Error => (n === 0 ? e : wrap(Object.assign(new Error(`wrapper ${n}`), { cause: e }), n - 1));
            assert.equal(isTransient(wrap(networkError("ECONNRESET"), 5)), true);
            assert.equal(isTransient(wrap(networkError("ECONNRESET"), 6)), false);
            const cyclic: Error & { cause?: unknown } = new Error("loop");
            cyclic.cause = cyclic;
            assert.equal(isTransient(cyclic), false);
        });
    });
});

describe("ecr: the SDK client", () => {
    /** A loopback server that accepts requests and never answers them. */
    async function silentServer() {
        const server = http.createServer(() => undefined);
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        return {
            url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
            close: () => {
                server.closeAllConnections();
                return new Promise<void>((r) => server.close(() => r()));
            },
        };
    }
    const saved = { ...process.env };
    before(() => {
        process.env.AWS_ACCESS_KEY_ID = "AKIATEST";
        process.env.AWS_SECRET_ACCESS_KEY = "test";
    });
    after(() => {
        process.env = saved;
    });

    it("silences the SDK's Node-version warning unless the user set it", () => {
        delete process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
        sdkTransport({ region: "eu-west-1" });
        assert.equal(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED, "true");
        process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "false";
        sdkTransport({ region: "eu-west-1" });
        assert.equal(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED, "false");
    });

    it("shares one client per region, endpoint, profile and pace, however many ImageScans ask", () => {
        const before = sharedClients();
        for (let i = 0; i < 50; i++) {
            sdkTransport({ region: "eu-central-2", endpoint: "http://127.0.0.1:1" });
        }
        assert.equal(sharedClients(), before + 1);
        sdkTransport({ region: "eu-central-2", endpoint: "http://127.0.0.1:2" });
        sdkTransport({ region: "eu-south-2", endpoint: "http://127.0.0.1:1" });
        assert.equal(sharedClients(), before + 3);
        process.env.IMAGESCAN_ECR_REQUESTS_PER_SECOND = "7";
        try {
            sdkTransport({ region: "eu-central-2", endpoint: "http://127.0.0.1:1" });
            assert.equal(sharedClients(), before + 4);
        } finally {
            delete process.env.IMAGESCAN_ECR_REQUESTS_PER_SECOND;
        }
    });

    it("a call whose operation is aborted while it waits for its turn leaves at once, and does not use up a later call's turn", async function () {
        this.timeout(10_000);
        const server = await answeringServer(200, { imageDetails: [{ imageDigest: DIGEST, registryId: "123456789012" }] });
        const { arrivals } = server;
        // One call per 2 s, burst 1.
        process.env.IMAGESCAN_ECR_REQUESTS_PER_SECOND = "0.5";
        try {
            const target = { region: "eu-west-1", endpoint: server.url };
            const input = { repositoryName: "web", imageIds: [{ imageTag: "v1" }] };
            await sdkTransport(target).describeImages(input);
            const controller = new AbortController();
            const gone = sdkTransport({ ...target, signal: controller.signal }).describeImages(input);
            setTimeout(() => controller.abort(), 50);
            await assert.rejects(gone, (e: Error) => e instanceof PaceAbortError);
            await sdkTransport(target).describeImages(input);
            assert.equal(arrivals.length, 2, "the aborted call never reached ECR");
            // Its turn (at 2 s) went to the next call; had it kept it, the next would wait to 4 s.
            assert.ok(arrivals[1] - arrivals[0] < 3000, `${arrivals[1] - arrivals[0]} ms`);
        } finally {
            delete process.env.IMAGESCAN_ECR_REQUESTS_PER_SECOND;
            await server.close();
        }
    });

    it("a retry waits for its turn too: at 1 request/s, three attempts are a second apart", async function () {
        this.timeout(10_000);
        // A 5xx, not throttling: the adaptive mode's own limiter does not slow down for it.
        const server = await errorServer("ServerException", 500);
        const { arrivals } = server;
        process.env.IMAGESCAN_ECR_REQUESTS_PER_SECOND = "1";
        try {
            await assert.rejects(new Ecr(sdkTransport({ region: "eu-west-1", endpoint: server.url }), image).resolveImage(), { name: "EcrRequestError" });
            assert.equal(arrivals.length, 3);
            // The SDK's own backoff is under 0.5 s for these attempts; the pacer's turn is 1 s.
            assert.ok(arrivals[1] - arrivals[0] >= 900, `${arrivals[1] - arrivals[0]} ms`);
            assert.ok(arrivals[2] - arrivals[1] >= 900, `${arrivals[2] - arrivals[1]} ms`);
        } finally {
            delete process.env.IMAGESCAN_ECR_REQUESTS_PER_SECOND;
            await server.close();
        }
    });

    it("reports the region it was built for", async () => {
        assert.equal(await sdkTransport({ region: "ap-southeast-2" }).region(), "ap-southeast-2");
    });

    it("a call with no answer fails as a transient timeout after requestTimeoutMs, not later", async function () {
        const server = await silentServer();
        try {
            const transport = sdkTransport({ region: "eu-west-1", endpoint: server.url }, { requestTimeoutMs: 300, maxAttempts: 1 });
            await assert.rejects(new Ecr(transport, image).resolveImage(), (e: Error) => {
                assert.equal(e.name, "EcrRequestError");
                assert.equal((e as EcrRequestError).transient, true, e.message);
                assert.equal((e.cause as Error).name, "TimeoutError");
                return true;
            });
        } finally {
            await server.close();
        }
    });

    it("the operation's abort signal ends a call in flight, as our deadline, not retried", async function () {
        const server = await silentServer();
        const controller = new AbortController();
        try {
            const transport = sdkTransport({ region: "eu-west-1", endpoint: server.url, signal: controller.signal }, { requestTimeoutMs: 5000, maxAttempts: 1 });
            const call = new Ecr(transport, { ...image, endpoint: server.url }).resolveImage();
            setTimeout(() => controller.abort(), 50);
            await assert.rejects(call, (e: Error) => {
                assert.equal((e as EcrRequestError).transient, false);
                assert.equal((e.cause as Error).name, "AbortError");
                assert.match(e.message, /got no answer from http:\/\/127\.0\.0\.1:\d+ before timeoutSeconds ran out/);
                return true;
            });
        } finally {
            await server.close();
        }
    });
});
