# Builds tun.node: the N-API addon that opens Linux TUN devices and moves packets in batches (uv_poll).
{
  "targets": [
    {
      "target_name": "tun",
      "sources": ["tun.c", "tcp-coalesce.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror=implicit-function-declaration"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
