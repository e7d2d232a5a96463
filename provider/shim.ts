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

export const shim: dynamic.ResourceProvider = {
    async check(olds, news) {
        return (load() as Provider).check(olds, news);
    },
    async diff(id, olds, news) {
        return (load() as Provider).diff(id, olds, news);
    },
    async create(inputs) {
        return (load() as Provider).create(inputs);
    },
    async update(id, olds, news) {
        return (load() as Provider).update(id, olds, news);
    },
    // Without the package, refresh keeps what state holds rather than failing: the
    // program no longer uses ImageScan, and `pulumi destroy --refresh` must go through.
    async read(id, props) {
        const runtime = load(true) as Provider | undefined;
        if (!runtime) {
            console.log(`warning: ImageScan ${id}: the package pulumi-ecr-imagescan is not installed; refresh kept the recorded scan result.`);
            return { id, props };
        }
        return runtime.read(id, props);
    },
    // A scan cannot be deleted: deleting the resource only forgets it. No AWS call, and
    // no need for the package.
    async delete() {},
};

/** The implementation; undefined (if `optional`) or a clear error when the package is gone. */
function load(optional?: boolean): unknown {
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require("pulumi-ecr-imagescan/runtime").provider;
    } catch (e) {
        const err = e as Error & { code?: string };
        if (err.code !== "MODULE_NOT_FOUND" || !err.message.includes("pulumi-ecr-imagescan/runtime")) {
            throw e;
        }
        if (optional) {
            return undefined;
        }
        throw Object.assign(
            new Error(
                `ImageScan needs the package pulumi-ecr-imagescan, which is not installed where this program runs (${process.cwd()}). ` +
                    "Run `npm install pulumi-ecr-imagescan` there, then run the command again. `pulumi destroy` and `pulumi refresh` work without it.",
            ),
            { name: "PackageMissingError", stack: "" },
        );
    }
}
