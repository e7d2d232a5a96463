// The ECR wrapper: error classification by name, pagination, and the retry strategy
// that never retries the quota error (checked with the real SDK client on loopback).

import { strict as assert } from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import { Ecr, sdkTransport } from "../provider/ecr";
import { awsError, DIGEST, scanStatus, stubTransport } from "./support/stub";

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

    it("classifies StartImageScan answers by error name", async () => {
        const cases: [Error, string][] = [
            [awsError("LimitExceededException"), "quota"],
            [awsError("UnsupportedImageTypeException", "index"), "unsupported"],
            [awsError("ValidationException", "This feature is disabled"), "enhanced"],
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
