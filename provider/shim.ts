// The provider object an ImageScan hands to Pulumi, which serializes it into state, once
// per resource, as `__provider`. The serializer copies functions by their source text and
// the modules they capture by value (or hoists a `require` of them that runs when the
// text loads), so these functions capture nothing: each loads the implementation by
// package name when it is called. That keeps `__provider` under 4 KiB, lets state
// written by one version run with the next, and lets `pulumi destroy` (delete makes no
// AWS call) and `pulumi refresh` run when the package is no longer installed.
//
// `require` here is the provider host's, which resolves from the program's directory.
// Comments stay outside the function bodies: whatever is inside goes into state.

import type * as dynamic from "@pulumi/pulumi/dynamic";

type Provider = Required<dynamic.ResourceProvider>;
type Method = "check" | "diff" | "create" | "update";

export const shim: dynamic.ResourceProvider = {
    check: (...args) => call("check", args),
    diff: (...args) => call("diff", args),
    create: (...args) => call("create", args),
    update: (...args) => call("update", args),
    // Without the package, refresh keeps what state holds rather than failing: the
    // program no longer uses ImageScan, and `pulumi destroy --refresh` must go through.
    async read(id, props) {
        const runtime = load(true);
        if (!runtime) {
            console.log(`warning: ImageScan ${id}: pulumi-ecr-imagescan is not installed; refresh kept the recorded result.`);
            return { id, props };
        }
        return runtime.read(id, props);
    },
    // A scan cannot be deleted: deleting the resource only forgets it. No AWS call, and
    // no need for the package.
    async delete() {},
};

async function call(method: Method, args: unknown[]): Promise<never> {
    return (load() as unknown as Record<Method, (...a: unknown[]) => Promise<never>>)[method](...args);
}

/**
 * The implementation; undefined (if `optional`) or a clear error when the package is
 * gone. `missing` is the package itself, not a module it needs (whose message names the
 * package further down). The host prints the stack of what check, diff and read throw:
 * the error's is empty.
 */
function load(optional?: boolean): Provider | undefined {
    try {
        return require("pulumi-ecr-imagescan/runtime").provider;
    } catch (e) {
        const err = e as Error & { code?: string };
        const missing = err.code === "MODULE_NOT_FOUND" && String(err.message).split("\n")[0].includes("'pulumi-ecr-imagescan/runtime'");
        if (missing && optional) {
            return undefined;
        }
        throw Object.assign(
            new Error(
                missing
                    ? `ImageScan needs the package pulumi-ecr-imagescan, not installed in ${process.cwd()}: npm install it there. ` +
                          "(destroy and refresh work without it.)"
                    : `ImageScan could not load pulumi-ecr-imagescan in ${process.cwd()}: ${String(err.message).split("\n")[0]}. Reinstall it (npm install).`,
            ),
            { name: missing ? "PackageMissingError" : "PackageLoadError", stack: "", cause: e },
        );
    }
}
