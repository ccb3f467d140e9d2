// The logger lives in core so functions that do not serve HTTP (worker, DLQ) need not load the API.
export { jsonLogger, LOG_LEVELS, type LogLevel, logLevelFrom } from '@genledger/adapters/json-logger';
