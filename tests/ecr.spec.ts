// The ECR wrapper: error classification by name, pagination, and the retry strategy
// that never retries the quota error (checked with the real SDK client on loopback).

import { strict as assert } from "assert";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { Ecr, isTransient, sdkTransport } from "../provider/ecr";
import { EcrRequestError } from "../provider/errors";
import { awsError, DIGEST, networkError, scanStatus, sdkError, stubTransport } from "./support/stub";

const image = { repositoryName: "web", region: "eu-west-1", imageDigest: DIGEST };

/** A loopback server that answers every ECR call with one JSON error, and counts. */
async function errorServer(code: string, status = 400) {
    let requests = 0;
    const server = http.createServer((req, res) => {
        req.resume();
        req.on("end", () => {
            requests++;
            res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
            res.end(JSON.stringify({ __type: code, message: `injected ${code}` }));
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        requests: () => requests,
        close: () => new Promise<void>((r) => server.close(() => r())),
    };
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
