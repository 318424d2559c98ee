/** The generated validator module's text (scripts/gen-graph-validator.mjs). */
export declare function generate(): string;
