// @tooz/driver-zookeeper: work in progress.
export {};
