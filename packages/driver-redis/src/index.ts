// @tooz/driver-redis: work in progress.
export {};
