/**
 * Each command's usage line, apart from the commands themselves so that the
 * dispatcher can print help, and load only the command it runs (`serve`
 * never loads the compiler into the request process: it compiles on a
 * worker thread).
 */
export const checkUsage = "aigw check [PATHS] [--format human|json|github] [--strict]";
export const compileUsage = "aigw compile PATHS [-o graph.json]";
export const explainUsage = "aigw explain [PATHS] --request FILE|- [--format human|json] [--draw N]";
export const fmtUsage = "aigw fmt [--check] PATHS";
export const keyUsage = "aigw key [--team T] [--user U] [--label name=value]";
export const serveUsage =
  "aigw serve [PATHS] [--port N] [--host H] [--no-access-log] [--log-decisions] [--otlp URL] [--body-timeout D] [--compile-idle D] [--watch | --git REF]";
