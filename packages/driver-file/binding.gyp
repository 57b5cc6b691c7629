{
  "targets": [
    {
      "target_name": "tooz_file",
      "sources": ["native/tooz_file.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-O2"],
      "libraries": ["-lpthread"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
