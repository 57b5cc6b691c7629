// The real-server fixtures of @tooz/testing that this package's tests use.
export * from '@tooz/testing';
