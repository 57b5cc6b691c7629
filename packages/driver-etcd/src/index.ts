// @tooz/driver-etcd: work in progress.
export {};
