# Builds tun.node: the N-API addon that opens Linux TUN devices and moves packets in batches (uv_poll).
# At the package root, where node-gyp-build and prebuildify look (build/Release, prebuilds/<platform>-<arch>).
{
  "targets": [
    {
      "target_name": "tun",
      "sources": ["src/link/native/tun.c", "src/link/native/tcp-coalesce.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror=implicit-function-declaration"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
