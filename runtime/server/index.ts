/**
 * The server's public entry: start a gateway for a graph, the HTTP engine in
 * use, and the log interface.
 */
export { InvalidGraphError, startGateway, type Gateway, type GatewayOptions } from "./app.js";
export { httpEngine, type HttpEngineInfo } from "./uws.js";
export { jsonLogger, silentLogger, type AccessEntry, type Logger, type LogFields } from "../observe/log.js";
