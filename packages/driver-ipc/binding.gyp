{
  "targets": [
    {
      "target_name": "tooz_ipc",
      "sources": ["native/tooz_ipc.c", "native/groups.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-O2"],
      "libraries": ["-lpthread"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
