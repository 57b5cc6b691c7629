// @tooz/driver-file: work in progress.
export {};
