// tun.node: a Linux TUN device (IFF_TUN | IFF_NO_PI) moving whole IPv4 packets without a threadpool trip per
// packet: uv_poll readiness, non-blocking batched read()s into a JS-owned slab, batched write()s queued on
// EAGAIN; with `offload` (IFF_VNET_HDR) consecutive TCP segments of a flow go out as one GSO write.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>
#include "tcp-coalesce.h"

#define DEFAULT_QUEUE_LIMIT 4096
#define MAX_QUEUE_LIMIT (1u << 20)

typedef struct queued_packet {
  struct queued_packet *next;
  size_t len;
  uint8_t data[];
} queued_packet;

typedef struct tun_dev {
  napi_env env;
  uv_poll_t poll;
  int fd;
  int ctl_fd;        /* AF_INET socket created in the device's namespace, for SIOC[GS]IF* ioctls */
  int refs;          /* 1 for the JS wrapper + 1 while the poll handle is not yet closed */
  int closed;
  int reading;
  int poll_events;   /* events the poll handle is currently started with (0 = stopped) */
  int pinned;        /* self_ref holds the JS object alive while the handle is active */
  int in_callback;   /* > 0 while JS runs from a poll callback: the async context must outlive it */
  size_t vnet_len;   /* bytes of virtio_net_hdr before every packet (IFF_VNET_HDR), 0 without offload */
  int vnet_gso_off;  /* the kernel refused a GSO write once: segments are written one by one from then on */
  char name[IFNAMSIZ];
  napi_ref self_ref;
  napi_ref on_read_ref;
  napi_ref on_error_ref;
  napi_ref slab_ref;
  napi_ref meta_ref;
  napi_async_context async_ctx;
  uint8_t *slab;
  size_t slab_len;
  uint32_t *meta;
  size_t batch_limit;
  size_t max_packet;
  queued_packet *q_head;
  queued_packet *q_tail;
  size_t q_count;
  size_t q_bytes;
  size_t q_limit;
  double packets_in, bytes_in, read_batches, read_eagain, read_errors;
  double packets_out, bytes_out, write_calls, write_eagain, write_errors, write_dropped;
  double queued_total, queue_max;
  double gso_writes, gso_packets;
  int last_write_errno;
} tun_dev;

/* ---------- errors ---------- */

static const char *errno_name(int err) {
  const char *name = uv_err_name(-err);
  return (name && strncmp(name, "Unknown", 7) != 0) ? name : "EUNKNOWN";
}

static napi_value make_errno_error(napi_env env, int err, const char *syscall, const char *what) {
  char msg[256];
  const char *code = errno_name(err);
  snprintf(msg, sizeof msg, "%s %s failed: %s (%s)", syscall, what ? what : "", strerror(err), code);
  napi_value code_v = NULL, msg_v = NULL, error = NULL, num = NULL, sys = NULL;
  if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_v) != napi_ok) return NULL;
  if (napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &msg_v) != napi_ok) return NULL;
  if (napi_create_error(env, code_v, msg_v, &error) != napi_ok) return NULL;
  if (napi_create_int32(env, err, &num) == napi_ok) napi_set_named_property(env, error, "errno", num);
  if (napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys) == napi_ok) napi_set_named_property(env, error, "syscall", sys);
  return error;
}

static napi_value throw_errno(napi_env env, int err, const char *syscall, const char *what) {
  napi_value error = make_errno_error(env, err, syscall, what);
  if (error) napi_throw(env, error);
  else napi_throw_error(env, errno_name(err), syscall);
  return NULL;
}

#define CHECK(env, call)                                                   \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      const napi_extended_error_info *info_ = NULL;                        \
      bool pending_ = false;                                               \
      napi_is_exception_pending((env), &pending_);                         \
      if (!pending_) {                                                     \
        napi_get_last_error_info((env), &info_);                           \
        napi_throw_error((env), "ERR_TUN_NAPI",                           \
                         info_ && info_->error_message ? info_->error_message : #call); \
      }                                                                    \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

/* ---------- lifetime ---------- */

static void dev_unref(tun_dev *dev) {
  if (--dev->refs == 0) free(dev);
}

static void on_poll_closed(uv_handle_t *handle) {
  dev_unref((tun_dev *)handle->data);
}

static void free_queue(tun_dev *dev) {
  queued_packet *p = dev->q_head;
  while (p) {
    queued_packet *next = p->next;
    free(p);
    p = next;
  }
  dev->q_head = dev->q_tail = NULL;
  dev->q_count = dev->q_bytes = 0;
}

static void delete_ref(napi_env env, napi_ref *ref) {
  if (*ref) {
    napi_delete_reference(env, *ref);
    *ref = NULL;
  }
}

static void set_pinned(tun_dev *dev, int pin) {
  uint32_t count = 0;
  if (!dev->self_ref || dev->pinned == pin) return;
  if (pin) napi_reference_ref(dev->env, dev->self_ref, &count);
  else napi_reference_unref(dev->env, dev->self_ref, &count);
  dev->pinned = pin;
}

static void release_read_refs(tun_dev *dev) {
  delete_ref(dev->env, &dev->on_read_ref);
  delete_ref(dev->env, &dev->on_error_ref);
  delete_ref(dev->env, &dev->slab_ref);
  delete_ref(dev->env, &dev->meta_ref);
  dev->slab = NULL;
  dev->meta = NULL;
  dev->slab_len = dev->batch_limit = 0;
}

/* Stops everything and closes the fd; the struct is freed once the poll handle and the wrapper are gone. */
static void dev_close(tun_dev *dev) {
  if (dev->closed) return;
  dev->closed = 1;
  dev->reading = 0;
  if (dev->poll_events) uv_poll_stop(&dev->poll);
  dev->poll_events = 0;
  uv_close((uv_handle_t *)&dev->poll, on_poll_closed);
  if (dev->fd >= 0) close(dev->fd);
  dev->fd = -1;
  if (dev->ctl_fd >= 0) close(dev->ctl_fd);
  dev->ctl_fd = -1;
  free_queue(dev);
  set_pinned(dev, 0);
  release_read_refs(dev);
  if (dev->async_ctx && dev->in_callback == 0) { /* else call_js destroys it once the callback returns */
    napi_async_destroy(dev->env, dev->async_ctx);
    dev->async_ctx = NULL;
  }
}

static void dev_finalize(napi_env env, void *data, void *hint) {
  tun_dev *dev = (tun_dev *)data;
  dev_close(dev);
  delete_ref(env, &dev->self_ref);
  dev_unref(dev);
}

/* ---------- calling JS from libuv callbacks ---------- */

static void call_js(tun_dev *dev, napi_ref fn_ref, size_t argc, napi_value *argv) {
  napi_env env = dev->env;
  napi_value fn = NULL, recv = NULL, result = NULL;
  if (!fn_ref || !dev->async_ctx) return;
  if (napi_get_reference_value(env, fn_ref, &fn) != napi_ok || !fn) return;
  if (napi_get_global(env, &recv) != napi_ok) return;
  dev->in_callback++;
  napi_status status = napi_make_callback(env, dev->async_ctx, recv, fn, argc, argv, &result);
  dev->in_callback--;
  if (dev->closed && dev->in_callback == 0 && dev->async_ctx) { /* close() ran inside the callback */
    napi_async_destroy(env, dev->async_ctx);
    dev->async_ctx = NULL;
  }
  if (status == napi_pending_exception) {
    napi_value exception = NULL;
    if (napi_get_and_clear_last_exception(env, &exception) == napi_ok && exception) napi_fatal_exception(env, exception);
  }
}

static void report_error(tun_dev *dev, int err, const char *syscall) {
  napi_handle_scope scope;
  if (!dev->on_error_ref) return;
  if (napi_open_handle_scope(dev->env, &scope) != napi_ok) return;
  napi_value error = make_errno_error(dev->env, err, syscall, dev->name);
  if (error) call_js(dev, dev->on_error_ref, 1, &error);
  napi_close_handle_scope(dev->env, scope);
}

/* ---------- I/O ---------- */

static void on_poll(uv_poll_t *handle, int status, int events);

static int update_poll(tun_dev *dev) {
  if (dev->closed) return 0;
  int events = (dev->reading ? UV_READABLE : 0) | (dev->q_head ? UV_WRITABLE : 0);
  if (events == dev->poll_events) return 0;
  int rc = events ? uv_poll_start(&dev->poll, events, on_poll) : uv_poll_stop(&dev->poll);
  if (rc != 0) return rc;
  dev->poll_events = events;
  set_pinned(dev, events != 0);
  return 0;
}

/* One packet; with IFF_VNET_HDR behind an all-zero virtio_net_hdr (no offload requested). */
static ssize_t write_packet(tun_dev *dev, const uint8_t *data, size_t len) {
  if (dev->vnet_len == 0) return write(dev->fd, data, len);
  static const uint8_t zero_hdr[sizeof(struct virtio_net_hdr)];
  struct iovec iov[2] = {{(void *)zero_hdr, dev->vnet_len}, {(void *)data, len}};
  return writev(dev->fd, iov, 2);
}

/* Writes queued packets until the queue is empty or the kernel says EAGAIN. */
static void drain_queue(tun_dev *dev) {
  while (dev->q_head && dev->fd >= 0) {
    queued_packet *p = dev->q_head;
    ssize_t n = write_packet(dev, p->data, p->len);
    dev->write_calls++;
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        dev->write_eagain++;
        return;
      }
      dev->write_errors++;
      dev->last_write_errno = errno;
    } else {
      dev->packets_out++;
      dev->bytes_out += (double)p->len;
    }
    dev->q_head = p->next;
    if (!dev->q_head) dev->q_tail = NULL;
    dev->q_count--;
    dev->q_bytes -= p->len;
    free(p);
  }
}

/* Reads until EAGAIN, the batch limit, or the slab cannot hold another maximal packet. */
static void read_batch(tun_dev *dev) {
  size_t count = 0, off = 0;
  int err = 0;
  /* With offload each read starts with the virtio_net_hdr, in the slab just before its packet: one plain
     read() (a readv() splitting header and packet costs ~0.4 µs more per packet). */
  while (count < dev->batch_limit && dev->slab_len - off >= dev->max_packet + dev->vnet_len) {
    ssize_t n = read(dev->fd, dev->slab + off, dev->slab_len - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) dev->read_eagain++;
      else err = errno;
      break;
    }
    if (n == 0) break;
    if ((size_t)n <= dev->vnet_len) continue; /* no packet behind the virtio_net_hdr */
    dev->meta[2 * count] = (uint32_t)(off + dev->vnet_len);
    dev->meta[2 * count + 1] = (uint32_t)((size_t)n - dev->vnet_len);
    off += (size_t)n;
    count++;
  }
  if (count > 0) {
    napi_handle_scope scope;
    dev->packets_in += (double)count;
    dev->bytes_in += (double)(off - count * dev->vnet_len);
    dev->read_batches++;
    if (napi_open_handle_scope(dev->env, &scope) == napi_ok) {
      napi_value arg = NULL;
      if (napi_create_uint32(dev->env, (uint32_t)count, &arg) == napi_ok) call_js(dev, dev->on_read_ref, 1, &arg);
      napi_close_handle_scope(dev->env, scope);
    }
  }
  if (err && !dev->closed) {
    dev->read_errors++;
    dev->reading = 0; /* a hard read error (device deleted: EBADFD) would otherwise spin the loop */
    update_poll(dev);
    report_error(dev, err, "read");
  }
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  tun_dev *dev = (tun_dev *)handle->data;
  if (dev->closed) return;
  if (status < 0) {
    /* libuv stops the handle itself on POLLERR (e.g. the interface was deleted) and reports UV_EBADF. */
    dev->read_errors++;
    dev->reading = 0;
    free_queue(dev);
    update_poll(dev);
    report_error(dev, -status, "poll");
    return;
  }
  if (events & UV_WRITABLE) drain_queue(dev);
  if (!dev->closed && (events & UV_READABLE) && dev->reading) read_batch(dev);
  if (!dev->closed) update_poll(dev);
}

/* ---------- JS methods ---------- */

static tun_dev *unwrap_open(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self = NULL;
  void *data = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, &data) != napi_ok || !data) {
    napi_throw_type_error(env, "ERR_TUN_NAPI", "not a TunDevice");
    return NULL;
  }
  tun_dev *dev = (tun_dev *)data;
  if (dev->closed) {
    throw_errno(env, EBADF, "use of closed device", dev->name);
    return NULL;
  }
  return dev;
}

static int valid_ifname(const char *name, size_t len) {
  if (len == 0 || len >= IFNAMSIZ) return 0;
  if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c == '/' || c == ':' || c <= ' ' || c == 0x7f) return 0;
  }
  return 1;
}

/* Opens the clone device, attaches/creates the TUN and makes the control socket, in the current namespace.
   Returns 0 or an errno; *failed names the failing call. On failure nothing stays open. */
static int open_here(const char *path, struct ifreq *ifr, int vnet, int *fd_out, int *ctl_out, const char **failed) {
  int fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    *failed = "open";
    return errno;
  }
  ifr->ifr_flags = IFF_TUN | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0);
  if (ioctl(fd, TUNSETIFF, ifr) < 0) {
    int err = errno;
    close(fd);
    *failed = "ioctl(TUNSETIFF)";
    return err;
  }
  int hdr_size = (int)sizeof(struct virtio_net_hdr); /* the size is a device property: set it, a persistent TUN may differ */
  if (vnet && ioctl(fd, TUNSETVNETHDRSZ, &hdr_size) < 0) {
    int err = errno;
    close(fd);
    *failed = "ioctl(TUNSETVNETHDRSZ)";
    return err;
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    int err = errno;
    close(fd);
    *failed = "fcntl(O_NONBLOCK)";
    return err;
  }
  int ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (ctl < 0) {
    int err = errno;
    close(fd);
    *failed = "socket(AF_INET)";
    return err;
  }
  *fd_out = fd;
  *ctl_out = ctl;
  return 0;
}

/* The same inside another network namespace: this thread enters it with setns() and comes back before
   returning (the TUN and the control socket stay bound to that namespace). Failing to come back is fatal. */
static int open_in_netns(const char *netns, const char *path, struct ifreq *ifr, int vnet, int *fd_out, int *ctl_out,
                         const char **failed) {
  int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0) {
    *failed = "open(/proc/thread-self/ns/net)";
    return errno;
  }
  int target = open(netns, O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    int err = errno;
    close(home);
    *failed = "open(netns)";
    return err;
  }
  if (setns(target, CLONE_NEWNET) < 0) {
    int err = errno;
    close(target);
    close(home);
    *failed = "setns";
    return err;
  }
  int err = open_here(path, ifr, vnet, fd_out, ctl_out, failed);
  if (setns(home, CLONE_NEWNET) < 0) napi_fatal_error("tun.node", NAPI_AUTO_LENGTH, "cannot return to the original network namespace", NAPI_AUTO_LENGTH);
  close(target);
  close(home);
  return err;
}

/* new TunDevice(name, devicePath[, queueLimit[, netnsPath[, offload]]]) */
static napi_value tun_new(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], self;
  char name[IFNAMSIZ + 1], path[256], netns[256];
  size_t name_len = 0, path_len = 0, netns_len = 0;
  uint32_t queue_limit = DEFAULT_QUEUE_LIMIT;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "TunDevice(name, devicePath[, queueLimit[, netnsPath]])");
    return NULL;
  }
  CHECK(env, napi_get_value_string_utf8(env, argv[0], name, sizeof name, &name_len));
  if (!valid_ifname(name, name_len)) {
    napi_throw_type_error(env, "EINVAL", "interface name must be 1-15 bytes without '/', ':' or whitespace (EINVAL)");
    return NULL;
  }
  CHECK(env, napi_get_value_string_utf8(env, argv[1], path, sizeof path, &path_len));
  if (path_len == 0 || path_len >= sizeof path - 1) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "devicePath must be a non-empty path shorter than 255 bytes");
    return NULL;
  }
  if (argc >= 3) {
    napi_valuetype t;
    CHECK(env, napi_typeof(env, argv[2], &t));
    if (t == napi_number) CHECK(env, napi_get_value_uint32(env, argv[2], &queue_limit));
    if (queue_limit == 0 || queue_limit > MAX_QUEUE_LIMIT) queue_limit = DEFAULT_QUEUE_LIMIT;
  }
  netns[0] = '\0';
  if (argc >= 4) {
    napi_valuetype t;
    CHECK(env, napi_typeof(env, argv[3], &t));
    if (t == napi_string) {
      CHECK(env, napi_get_value_string_utf8(env, argv[3], netns, sizeof netns, &netns_len));
      if (netns_len == 0 || netns_len >= sizeof netns - 1) {
        napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "netnsPath must be a non-empty path shorter than 255 bytes");
        return NULL;
      }
    }
  }

  bool offload = false;
  if (argc >= 5) {
    napi_valuetype t;
    CHECK(env, napi_typeof(env, argv[4], &t));
    if (t == napi_boolean) CHECK(env, napi_get_value_bool(env, argv[4], &offload));
  }

  int fd = -1, ctl_fd = -1;
  const char *failed = "open";
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, name_len); /* name_len < IFNAMSIZ, ifr zeroed: NUL-terminated */
  int err = netns_len ? open_in_netns(netns, path, &ifr, offload, &fd, &ctl_fd, &failed)
                      : open_here(path, &ifr, offload, &fd, &ctl_fd, &failed);
  if (err) {
    const char *what = strcmp(failed, "open") == 0 ? path
                       : (strcmp(failed, "open(netns)") == 0 || strcmp(failed, "setns") == 0) ? netns
                                                                                                 : name;
    return throw_errno(env, err, failed, what);
  }

  tun_dev *dev = calloc(1, sizeof *dev);
  if (!dev) {
    close(fd);
    close(ctl_fd);
    return throw_errno(env, ENOMEM, "calloc", name);
  }
  dev->env = env;
  dev->fd = fd;
  dev->ctl_fd = ctl_fd;
  dev->q_limit = queue_limit;
  dev->vnet_len = offload ? sizeof(struct virtio_net_hdr) : 0;
  memcpy(dev->name, ifr.ifr_name, IFNAMSIZ);
  dev->name[IFNAMSIZ - 1] = '\0';

  uv_loop_t *loop = NULL;
  int rc = napi_get_uv_event_loop(env, &loop) == napi_ok && loop ? uv_poll_init(loop, &dev->poll, fd) : UV_EINVAL;
  if (rc != 0) {
    close(fd);
    close(ctl_fd);
    free(dev);
    return throw_errno(env, -rc, "uv_poll_init", name);
  }
  dev->poll.data = dev;
  dev->refs = 2;

  if (napi_wrap(env, self, dev, dev_finalize, NULL, NULL) != napi_ok) {
    dev_close(dev); /* frees via on_poll_closed once refs reach 0 */
    dev_unref(dev);
    napi_throw_error(env, "ERR_TUN_NAPI", "napi_wrap failed");
    return NULL;
  }
  /* From here the wrapper owns dev: failures below leave cleanup to close()/the finalizer. */
  CHECK(env, napi_create_reference(env, self, 0, &dev->self_ref));
  napi_value resource, resource_name, name_v;
  CHECK(env, napi_create_object(env, &resource));
  CHECK(env, napi_create_string_utf8(env, "TunDevice", NAPI_AUTO_LENGTH, &resource_name));
  CHECK(env, napi_async_init(env, resource, resource_name, &dev->async_ctx));
  CHECK(env, napi_create_string_utf8(env, dev->name, NAPI_AUTO_LENGTH, &name_v));
  napi_property_descriptor prop = {"name", NULL, NULL, NULL, NULL, name_v, napi_enumerable, NULL};
  CHECK(env, napi_define_properties(env, self, 1, &prop));
  return self;
}

/* start(slab: Uint8Array, meta: Uint32Array, maxPacket: number, onRead(count), onError(err)) */
static napi_value tun_start(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  tun_dev *dev = unwrap_open(env, info, &argc, argv);
  if (!dev) return NULL;
  if (argc < 5) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "start(slab, meta, maxPacket, onRead, onError)");
    return NULL;
  }
  bool is_ta = false;
  napi_typedarray_type type;
  size_t length = 0, meta_len = 0, byte_offset = 0;
  void *data = NULL, *meta = NULL;
  napi_value ab;
  CHECK(env, napi_is_typedarray(env, argv[0], &is_ta));
  if (is_ta) CHECK(env, napi_get_typedarray_info(env, argv[0], &type, &length, &data, &ab, &byte_offset));
  if (!is_ta || type != napi_uint8_array || !data) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "slab must be a Uint8Array");
    return NULL;
  }
  CHECK(env, napi_is_typedarray(env, argv[1], &is_ta));
  if (is_ta) CHECK(env, napi_get_typedarray_info(env, argv[1], &type, &meta_len, &meta, &ab, &byte_offset));
  if (!is_ta || type != napi_uint32_array || !meta || meta_len < 2) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "meta must be a Uint32Array of at least 2 entries");
    return NULL;
  }
  uint32_t max_packet = 0;
  CHECK(env, napi_get_value_uint32(env, argv[2], &max_packet));
  if (max_packet < 68 || max_packet > length || length > UINT32_MAX) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "maxPacket must be >= 68 and <= slab.byteLength (< 4 GiB)");
    return NULL;
  }
  napi_valuetype t1, t2;
  CHECK(env, napi_typeof(env, argv[3], &t1));
  CHECK(env, napi_typeof(env, argv[4], &t2));
  if (t1 != napi_function || t2 != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "onRead and onError must be functions");
    return NULL;
  }
  if (dev->reading) {
    napi_throw_error(env, "ERR_TUN_ALREADY_READING", "start() called twice");
    return NULL;
  }
  release_read_refs(dev);
  CHECK(env, napi_create_reference(env, argv[0], 1, &dev->slab_ref));
  CHECK(env, napi_create_reference(env, argv[1], 1, &dev->meta_ref));
  CHECK(env, napi_create_reference(env, argv[3], 1, &dev->on_read_ref));
  CHECK(env, napi_create_reference(env, argv[4], 1, &dev->on_error_ref));
  dev->slab = data;
  dev->slab_len = length;
  dev->meta = meta;
  dev->batch_limit = meta_len / 2;
  dev->max_packet = max_packet;
  dev->reading = 1;
  int rc = update_poll(dev);
  if (rc != 0) {
    dev->reading = 0;
    release_read_refs(dev);
    return throw_errno(env, -rc, "uv_poll_start", dev->name);
  }
  return NULL;
}

/* stop(): stops reading (queued writes still drain). */
static napi_value tun_stop(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  tun_dev *dev = unwrap_open(env, info, &argc, NULL);
  if (!dev) return NULL;
  dev->reading = 0;
  int rc = update_poll(dev);
  if (rc != 0) return throw_errno(env, -rc, "uv_poll_stop", dev->name);
  return NULL;
}

static int enqueue(tun_dev *dev, const uint8_t *data, size_t len) {
  if (dev->q_count >= dev->q_limit) {
    dev->write_dropped++;
    return 0;
  }
  queued_packet *p = malloc(sizeof *p + len);
  if (!p) {
    dev->write_dropped++;
    return 0;
  }
  p->next = NULL;
  p->len = len;
  memcpy(p->data, data, len);
  if (dev->q_tail) dev->q_tail->next = p;
  else dev->q_head = p;
  dev->q_tail = p;
  dev->q_count++;
  dev->q_bytes += len;
  dev->queued_total++;
  if ((double)dev->q_count > dev->queue_max) dev->queue_max = (double)dev->q_count;
  return 1;
}

/* Writes one coalesce run (n >= 2 segments) as one GSO packet: virtio_net_hdr, merged header, payloads. */
static ssize_t write_gso(tun_dev *dev, const packet_ref *run, size_t n) {
  uint8_t header[COALESCE_MAX_HEADER], vnet[sizeof(struct virtio_net_hdr)];
  struct iovec iov[COALESCE_MAX_SEGMENTS + 2];
  size_t hl = 0;
  coalesce_header(run, n, header, &hl, vnet);
  iov[0].iov_base = vnet;
  iov[0].iov_len = dev->vnet_len;
  iov[1].iov_base = header;
  iov[1].iov_len = hl;
  for (size_t i = 0; i < n; i++) {
    iov[i + 2].iov_base = (void *)(run[i].data + hl);
    iov[i + 2].iov_len = run[i].len - hl;
  }
  ssize_t r;
  do r = writev(dev->fd, iov, (int)n + 2);
  while (r < 0 && errno == EINTR);
  return r;
}

/* Writes one packet now or queues it (EAGAIN); returns 1 when written. */
static int write_one(tun_dev *dev, const uint8_t *data, size_t len) {
  for (;;) {
    ssize_t n = write_packet(dev, data, len);
    dev->write_calls++;
    if (n >= 0) {
      dev->packets_out++;
      dev->bytes_out += (double)len;
      return 1;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      dev->write_eagain++;
      enqueue(dev, data, len);
    } else {
      dev->write_errors++;
      dev->last_write_errno = errno;
    }
    return 0;
  }
}

#define STACK_REFS 64

/* writeBatch(packets: Uint8Array[]) -> number of packets written now (the rest is queued or counted as dropped/error).
   With offload, runs of consecutive segments of one TCP flow are written as one GSO packet each. */
static napi_value tun_write_batch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  tun_dev *dev = unwrap_open(env, info, &argc, argv);
  if (!dev) return NULL;
  bool is_array = false;
  uint32_t count = 0, written = 0;
  if (argc < 1 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "writeBatch expects an array of Uint8Array");
    return NULL;
  }
  CHECK(env, napi_get_array_length(env, argv[0], &count));
  packet_ref stack_refs[STACK_REFS];
  packet_ref *refs = count <= STACK_REFS ? stack_refs : malloc(count * sizeof *refs);
  if (!refs) return throw_errno(env, ENOMEM, "malloc", dev->name);
  for (uint32_t i = 0; i < count; i++) {
    napi_value el, ab;
    bool is_ta = false;
    napi_typedarray_type type;
    size_t len = 0, byte_offset = 0;
    void *data = NULL;
    napi_status st = napi_get_element(env, argv[0], i, &el);
    if (st == napi_ok) st = napi_is_typedarray(env, el, &is_ta);
    if (st == napi_ok && is_ta) st = napi_get_typedarray_info(env, el, &type, &len, &data, &ab, &byte_offset);
    if (st != napi_ok || !is_ta || type != napi_uint8_array) {
      if (refs != stack_refs) free(refs);
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (pending) return NULL;
      char msg[96];
      snprintf(msg, sizeof msg, "writeBatch: packets[%u] is not a Uint8Array", i);
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
      return NULL;
    }
    refs[i].data = data;
    refs[i].len = data ? len : 0;
  }
  for (uint32_t i = 0; i < count;) {
    const uint8_t *data = refs[i].data;
    size_t len = refs[i].len;
    if (len == 0) {
      dev->write_errors++;
      dev->last_write_errno = EINVAL;
      i++;
      continue;
    }
    if (dev->q_head) {
      enqueue(dev, data, len);
      i++;
      continue;
    }
    size_t run = dev->vnet_len && !dev->vnet_gso_off ? coalesce_run(refs + i, count - i) : 1;
    if (run >= 2) {
      ssize_t n = write_gso(dev, refs + i, run);
      dev->write_calls++;
      if (n >= 0 || errno == EAGAIN || errno == EWOULDBLOCK) {
        if (n >= 0) {
          dev->gso_writes++;
          dev->gso_packets += (double)run;
          dev->packets_out += (double)run;
          written += (uint32_t)run;
        } else {
          dev->write_eagain++;
        }
        for (size_t k = 0; k < run; k++) {
          if (n >= 0) dev->bytes_out += (double)refs[i + k].len;
          else enqueue(dev, refs[i + k].data, refs[i + k].len);
        }
        i += (uint32_t)run;
        continue;
      }
      /* The kernel refused the GSO packet: send the run's segments one by one, stop offloading. */
      dev->last_write_errno = errno;
      dev->vnet_gso_off = 1;
    }
    written += (uint32_t)write_one(dev, data, len);
    i++;
  }
  if (refs != stack_refs) free(refs);
  if (dev->q_head) {
    int rc = update_poll(dev);
    if (rc != 0) return throw_errno(env, -rc, "uv_poll_start", dev->name);
  }
  napi_value result;
  CHECK(env, napi_create_uint32(env, written, &result));
  return result;
}

static int ifreq_ioctl(tun_dev *dev, unsigned long request, struct ifreq *ifr) {
  memcpy(ifr->ifr_name, dev->name, IFNAMSIZ);
  ifr->ifr_name[IFNAMSIZ - 1] = '\0';
  return ioctl(dev->ctl_fd, request, ifr) < 0 ? errno : 0;
}

/* setMtu(mtu) via SIOCSIFMTU */
static napi_value tun_set_mtu(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  tun_dev *dev = unwrap_open(env, info, &argc, argv);
  if (!dev) return NULL;
  uint32_t mtu = 0;
  if (argc < 1 || napi_get_value_uint32(env, argv[0], &mtu) != napi_ok || mtu < 68 || mtu > 65535) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "mtu must be an integer in 68..65535");
    return NULL;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_mtu = (int)mtu;
  int err = ifreq_ioctl(dev, SIOCSIFMTU, &ifr);
  if (err) return throw_errno(env, err, "ioctl(SIOCSIFMTU)", dev->name);
  return NULL;
}

/* getMtu() via SIOCGIFMTU */
static napi_value tun_get_mtu(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  tun_dev *dev = unwrap_open(env, info, &argc, NULL);
  if (!dev) return NULL;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  int err = ifreq_ioctl(dev, SIOCGIFMTU, &ifr);
  if (err) return throw_errno(env, err, "ioctl(SIOCGIFMTU)", dev->name);
  napi_value result;
  CHECK(env, napi_create_int32(env, ifr.ifr_mtu, &result));
  return result;
}

/* setUp(up: boolean) via SIOCGIFFLAGS/SIOCSIFFLAGS */
static napi_value tun_set_up(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  tun_dev *dev = unwrap_open(env, info, &argc, argv);
  if (!dev) return NULL;
  bool up = true;
  if (argc >= 1) CHECK(env, napi_get_value_bool(env, argv[0], &up));
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  int err = ifreq_ioctl(dev, SIOCGIFFLAGS, &ifr);
  if (err) return throw_errno(env, err, "ioctl(SIOCGIFFLAGS)", dev->name);
  if (up) ifr.ifr_flags |= IFF_UP;
  else ifr.ifr_flags &= ~IFF_UP;
  err = ifreq_ioctl(dev, SIOCSIFFLAGS, &ifr);
  if (err) return throw_errno(env, err, "ioctl(SIOCSIFFLAGS)", dev->name);
  return NULL;
}

static napi_status set_num(napi_env env, napi_value obj, const char *key, double value) {
  napi_value v;
  napi_status s = napi_create_double(env, value, &v);
  return s == napi_ok ? napi_set_named_property(env, obj, key, v) : s;
}

/* stats() -> counters (works after close too). */
static napi_value tun_stats(napi_env env, napi_callback_info info) {
  napi_value self, obj;
  void *data = NULL;
  size_t argc = 0;
  CHECK(env, napi_get_cb_info(env, info, &argc, NULL, &self, NULL));
  CHECK(env, napi_unwrap(env, self, &data));
  tun_dev *dev = (tun_dev *)data;
  CHECK(env, napi_create_object(env, &obj));
  CHECK(env, set_num(env, obj, "packetsIn", dev->packets_in));
  CHECK(env, set_num(env, obj, "bytesIn", dev->bytes_in));
  CHECK(env, set_num(env, obj, "readBatches", dev->read_batches));
  CHECK(env, set_num(env, obj, "readEagain", dev->read_eagain));
  CHECK(env, set_num(env, obj, "readErrors", dev->read_errors));
  CHECK(env, set_num(env, obj, "packetsOut", dev->packets_out));
  CHECK(env, set_num(env, obj, "bytesOut", dev->bytes_out));
  CHECK(env, set_num(env, obj, "writeCalls", dev->write_calls));
  CHECK(env, set_num(env, obj, "writeEagain", dev->write_eagain));
  CHECK(env, set_num(env, obj, "writeErrors", dev->write_errors));
  CHECK(env, set_num(env, obj, "writeDropped", dev->write_dropped));
  CHECK(env, set_num(env, obj, "writeQueued", dev->queued_total));
  CHECK(env, set_num(env, obj, "writeQueueMax", dev->queue_max));
  CHECK(env, set_num(env, obj, "writeQueueLength", (double)dev->q_count));
  CHECK(env, set_num(env, obj, "lastWriteErrno", (double)dev->last_write_errno));
  CHECK(env, set_num(env, obj, "gsoWrites", dev->gso_writes));
  CHECK(env, set_num(env, obj, "gsoPackets", dev->gso_packets));
  return obj;
}

/* close(): idempotent. */
static napi_value tun_close(napi_env env, napi_callback_info info) {
  napi_value self;
  void *data = NULL;
  size_t argc = 0;
  CHECK(env, napi_get_cb_info(env, info, &argc, NULL, &self, NULL));
  CHECK(env, napi_unwrap(env, self, &data));
  dev_close((tun_dev *)data);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor methods[] = {
      {"start", NULL, tun_start, NULL, NULL, NULL, napi_default, NULL},
      {"stop", NULL, tun_stop, NULL, NULL, NULL, napi_default, NULL},
      {"writeBatch", NULL, tun_write_batch, NULL, NULL, NULL, napi_default, NULL},
      {"setMtu", NULL, tun_set_mtu, NULL, NULL, NULL, napi_default, NULL},
      {"getMtu", NULL, tun_get_mtu, NULL, NULL, NULL, napi_default, NULL},
      {"setUp", NULL, tun_set_up, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, tun_stats, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, tun_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value cls;
  CHECK(env, napi_define_class(env, "TunDevice", NAPI_AUTO_LENGTH, tun_new, NULL,
                               sizeof methods / sizeof methods[0], methods, &cls));
  CHECK(env, napi_set_named_property(env, exports, "TunDevice", cls));
  return exports;
}
