// Credentials never leak: not into exported state (inputs, outputs, `__provider`), not
// into the CLI output of preview, up, refresh, and not into error messages. Each channel
// has its own recognisable dummy values:
//   (a) environment variables AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN;
//   (b) a shared credentials file and a named profile (`aws:profile`), with no
//       credential variables in the environment;
//   (c) user:password in the ECR endpoint (`aws:endpoints[0].ecr`), which check refuses.
// A header-sniffing hop in front of the recording proxy shows which access key signed
// each request, so the test knows the channel was really used (moto accepts any).
//
// Needs `pulumi` on PATH: `npm test` puts it there (scripts/pulumi-cli.sh).

import { strict as assert } from "assert";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import * as fx from "../support/ecr";
import { useLab } from "../support/lab";
import { Moto } from "../support/moto";
import { RecordingProxy } from "../support/proxy";
import { CliResult, REPO_ROOT, resourcesOf, Workspace, workspace } from "../support/pulumi";

const SCAN_TYPE = "pulumi-nodejs:dynamic/imagescan:ImageScan";

const ENV = {
    keyId: "AKIAENVCHANNELKEY0001",
    secret: "env/channel/secret/do-not-leak-AAAA1111",
    token: "env-channel-session-token-do-not-leak-BBBB2222",
};
const PROFILE = {
    name: "imagescan-e2e-profile",
    keyId: "AKIAPROFILECHANNEL002",
    secret: "profile/channel/secret/do-not-leak-CCCC3333",
    token: "profile-channel-session-token-do-not-leak-DDDD4444",
};
const ENDPOINT_PASSWORD = "endpoint-userinfo-password-do-not-leak-EEEE5555";

/** Every credential value any channel uses, plus the fixtures' own dummy ones. */
const ALL_SECRETS: Record<string, string> = {
    "env key id": ENV.keyId,
    "env secret": ENV.secret,
    "env session token": ENV.token,
    "profile key id": PROFILE.keyId,
    "profile secret": PROFILE.secret,
    "profile session token": PROFILE.token,
    "endpoint password": ENDPOINT_PASSWORD,
    "fixture key id": fx.DUMMY_KEY_ID,
    "fixture secret": fx.DUMMY_SECRET,
};

const CREDENTIAL_VARS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"];

function assertNoSecret(text: string, where: string): void {
    for (const [label, value] of Object.entries(ALL_SECRETS)) {
        assert.ok(!text.includes(value), `the ${label} appears in ${where}`);
    }
}

/** A loopback hop that notes the access key and session token each request carries. */
interface Sniffer {
    url: string;
    seen: { keyId?: string; token?: string }[];
    close(): Promise<void>;
}

async function startSniffer(target: string): Promise<Sniffer> {
    const upstream = new URL(target);
    const seen: Sniffer["seen"] = [];
    const server = http.createServer((req, res) => {
        const auth = String(req.headers.authorization ?? "");
        const token = req.headers["x-amz-security-token"];
        seen.push({ keyId: /Credential=([^/,\s]+)\//.exec(auth)?.[1], token: typeof token === "string" ? token : undefined });
        const up = http.request(
            { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
            (upRes) => {
                res.writeHead(upRes.statusCode ?? 502, upRes.headers);
                upRes.pipe(res);
            },
        );
        up.on("error", () => res.destroy());
        req.pipe(up);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        seen,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

describe("end to end: credentials never leak", function () {
    this.timeout(600_000);
    const lab = useLab();
    let moto: Moto;
    let proxy: RecordingProxy;
    let sniffer: Sniffer;
    const suiteStart = Date.now();
    const workspaces: Workspace[] = [];

    before(async () => {
        ({ moto, proxy } = lab());
        sniffer = await startSniffer(proxy.url);
    });
    after(async () => {
        for (const ws of workspaces) {
            ws.cleanup();
        }
        await sniffer?.close();
        console.log(`      secrets e2e suite: ${((Date.now() - suiteStart) / 1000).toFixed(1)} s`);
    });

    /** A workspace with no AWS credential variables and no ~/.aws files at all. */
    function bareWorkspace(): Workspace {
        const ws = workspace({ AWS_REGION: fx.REGION });
        workspaces.push(ws);
        for (const name of CREDENTIAL_VARS) {
            delete ws.env[name];
        }
        ws.env.AWS_SHARED_CREDENTIALS_FILE = path.join(ws.dir, "no-credentials");
        ws.env.AWS_CONFIG_FILE = path.join(ws.dir, "no-config");
        delete ws.env.AWS_ENDPOINT_URL_ECR;
        delete ws.env.AWS_ENDPOINT_URL;
        return ws;
    }

    interface Channel {
        name: string;
        keyId: string;
        token: string;
        /** Sets the channel up in a fresh workspace and stack. */
        setup(ws: Workspace, stack: string): Promise<void>;
    }

    const channels: Channel[] = [
        {
            name: "(a) environment variables",
            keyId: ENV.keyId,
            token: ENV.token,
            setup: async (ws) => {
                ws.env.AWS_ACCESS_KEY_ID = ENV.keyId;
                ws.env.AWS_SECRET_ACCESS_KEY = ENV.secret;
                ws.env.AWS_SESSION_TOKEN = ENV.token;
            },
        },
        {
            name: "(b) a shared credentials file and aws:profile",
            keyId: PROFILE.keyId,
            token: PROFILE.token,
            setup: async (ws, stack) => {
                const credentials = path.join(ws.dir, "aws-credentials");
                const config = path.join(ws.dir, "aws-config");
                fs.writeFileSync(
                    credentials,
                    `[${PROFILE.name}]\naws_access_key_id = ${PROFILE.keyId}\naws_secret_access_key = ${PROFILE.secret}\n` +
                        `aws_session_token = ${PROFILE.token}\n`,
                );
                fs.writeFileSync(config, `[profile ${PROFILE.name}]\nregion = ${fx.REGION}\n`);
                ws.env.AWS_SHARED_CREDENTIALS_FILE = credentials;
                ws.env.AWS_CONFIG_FILE = config;
                // Only the profile can supply credentials here.
                for (const name of CREDENTIAL_VARS) {
                    assert.equal(ws.env[name], undefined, `${name} is set`);
                }
                await ws.ok(["config", "set", "aws:profile", PROFILE.name], { stack });
            },
        },
    ];

    for (const channel of channels) {
        describe(channel.name, () => {
            let ws: Workspace;
            const stack = `e2e-secrets-${channel === channels[0] ? "env" : "profile"}`;
            const repo = `${stack}-web`;
            let digest: string;

            /** Runs a CLI command and checks its output for every credential. */
            async function cli(args: string[], expectOk = true): Promise<CliResult> {
                const r = await ws.run(args, { stack });
                if (expectOk) {
                    assert.equal(r.code, 0, `pulumi ${args.join(" ")} failed:\n${r.output}`);
                }
                assertNoSecret(r.output, `the output of pulumi ${args.join(" ")}`);
                return r;
            }

            before(async () => {
                await fx.createRepository(moto.url, repo);
                digest = await fx.pushImage(moto.url, repo, "v1", `${repo}-1`);
                ws = bareWorkspace();
                await ws.initStack(stack);
                await ws.ok(["config", "set", "aws:region", fx.REGION], { stack });
                await ws.ok(["config", "set", "--path", "aws:endpoints[0].ecr", sniffer.url], { stack });
                await ws.ok(["config", "set", "repositoryName", repo], { stack });
                await ws.ok(["config", "set", "imageTag", "v1"], { stack });
                await channel.setup(ws, stack);
            });
            after(async () => {
                await ws?.run(["destroy", "--yes", "--skip-preview"], { stack });
            });

            it("preview --diff, up --diff and refresh --diff print no credential; ECR saw this channel's key", async () => {
                sniffer.seen.length = 0;
                await cli(["preview", "--diff"]);
                const up = await cli(["up", "--yes", "--skip-preview", "--diff"]);
                assert.match(up.output, /created/);
                await cli(["refresh", "--yes", "--skip-preview", "--diff"]);
                await cli(["preview", "--diff", "--expect-no-changes"]);

                // The channel really signed the requests: every one with its key and token.
                assert.ok(sniffer.seen.length >= 3, `only ${sniffer.seen.length} ECR requests`);
                assert.deepEqual([...new Set(sniffer.seen.map((s) => s.keyId))], [channel.keyId]);
                assert.deepEqual([...new Set(sniffer.seen.map((s) => s.token))], [channel.token]);
            });

            it("exported state (--show-secrets), stack outputs and __provider hold no credential", async () => {
                const exported = (await ws.ok(["stack", "export", "--show-secrets"], { stack })).stdout;
                assertNoSecret(exported, "the exported state");
                const scans = resourcesOf(exported).filter((r) => r.type === SCAN_TYPE);
                assert.equal(scans.length, 1);
                assert.equal(scans[0].outputs?.imageDigest, digest);
                const serialized = scans[0].inputs?.__provider;
                assert.equal(typeof serialized, "string");
                assertNoSecret(serialized as string, "__provider");
                assertNoSecret(JSON.stringify(scans[0].inputs), "the inputs in state");
                assertNoSecret(JSON.stringify(scans[0].outputs), "the outputs in state");
                if (channel.name.startsWith("(b)")) {
                    // The profile's name is the input, never what it holds.
                    assert.equal(scans[0].outputs?.profile, PROFILE.name);
                }
                const outputs = (await ws.ok(["stack", "output", "--json", "--show-secrets"], { stack })).stdout;
                assertNoSecret(outputs, "the stack outputs");
            });

            it("a repository that does not exist: the error names it and holds no credential", async () => {
                await ws.ok(["config", "set", "repositoryName", "no-such-repo-secrets"], { stack });
                try {
                    const up = await cli(["up", "--yes", "--skip-preview", "--diff"], false);
                    assert.notEqual(up.code, 0);
                    assert.match(up.output, /no-such-repo-secrets/);
                    assert.match(up.output, /RepositoryNotFound/);
                } finally {
                    await ws.ok(["config", "set", "repositoryName", repo], { stack });
                }
            });

            it("a failing gate: the error lists the finding and holds no credential", async () => {
                await ws.ok(["config", "set", "failOnSeverity", "HIGH"], { stack });
                try {
                    // moto's default result has one HIGH finding, CVE-9999-9999.
                    const up = await cli(["up", "--yes", "--skip-preview", "--diff"], false);
                    assert.notEqual(up.code, 0);
                    assert.match(up.output, /CVE-9999-9999/);
                } finally {
                    await ws.ok(["config", "rm", "failOnSeverity"], { stack });
                }
                const exported = (await ws.ok(["stack", "export", "--show-secrets"], { stack })).stdout;
                assertNoSecret(exported, "the exported state after the errors");
            });
        });
    }

    describe("(c) user:password in aws:endpoints", () => {
        let ws: Workspace;
        const stack = "e2e-secrets-endpoint";

        before(async () => {
            ws = bareWorkspace();
            ws.env.AWS_ACCESS_KEY_ID = ENV.keyId;
            ws.env.AWS_SECRET_ACCESS_KEY = ENV.secret;
            await ws.initStack(stack);
            await ws.ok(["config", "set", "aws:region", fx.REGION], { stack });
            const u = new URL(sniffer.url);
            await ws.ok(["config", "set", "--path", "aws:endpoints[0].ecr", `http://imagescan:${ENDPOINT_PASSWORD}@${u.host}`], { stack });
            await ws.ok(["config", "set", "repositoryName", "e2e-secrets-endpoint"], { stack });
            await ws.ok(["config", "set", "imageTag", "v1"], { stack });
        });

        // The engine prints a check failure as "property <p> value <inputs[p]> has a
        // problem: <reason>" (pkg/resource/deploy/step_generator.go, issueCheckFailures),
        // so the raw input reaches the output unless the provider avoids that.
        it("preview fails naming endpoint, with the password masked, and no ECR call", async () => {
            sniffer.seen.length = 0;
            const preview = await ws.run(["preview", "--diff"], { stack });
            assert.notEqual(preview.code, 0);
            assert.match(preview.output, /endpoint/);
            assert.match(preview.output, /\*\*\*/);
            assert.equal(sniffer.seen.length, 0);
            assertNoSecret(preview.output, "the output of pulumi preview");
        });
    });

    // In a describe of its own so that it runs after the channels' describes.
    describe("afterwards", () => {
        it("leaves no stack files in the repository", () => {
            assert.deepEqual(fs.readdirSync(REPO_ROOT).filter((f) => /^Pulumi\..+\.yaml$/.test(f)), []);
        });
    });
});
