/** Types of nodeVersion.cjs (plain CommonJS so that it runs on the Node versions it refuses). */
/** The supported LTS major: the lowest major `range` accepts (">=24" gives 24). */
export declare function supportedMajor(range: string): number;
/** Why `version` cannot run this project, or undefined when it can; `ci` requires the supported LTS major exactly. */
export declare function nodeVersionError(version: string, range: string, options?: { readonly ci?: boolean }): string | undefined;
