// @tooz/driver-postgres: work in progress.
export {};
