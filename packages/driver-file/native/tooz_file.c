/*
 * The two things Node cannot do on its own for @tooz/driver-file:
 *
 * 1. Open-file-description fcntl locks (F_OFD_SETLK, F_OFD_GETLK). They
 *    belong to one open() of a file, so two descriptors of one process
 *    exclude each other; the kernel drops them when the last descriptor
 *    closes, process death included; and they conflict with the POSIX
 *    fcntl locks that Python tooz's file driver takes.
 * 2. inotify with IN_CLOSE_WRITE, which fs.watch does not report: a dying
 *    process closes its descriptors, and that close is how waiters and
 *    group watchers learn of the death without polling.
 *
 * Never blocking: locks are only ever tried (F_OFD_SETLK, not SETLKW), and
 * inotify is read by one small thread that hands batches to JavaScript
 * through a thread-safe function.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHECK(call)                                                                                                    \
  do {                                                                                                                 \
    if ((call) != napi_ok) return NULL;                                                                                \
  } while (0)

static napi_value throw_errno(napi_env env, const char* what, int err) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_value code, msg, error, errnum;
  static const struct {
    int err;
    const char* name;
  } names[] = {{EACCES, "EACCES"}, {EAGAIN, "EAGAIN"}, {EBADF, "EBADF"},   {EINTR, "EINTR"},   {EINVAL, "EINVAL"},
               {EIO, "EIO"},       {ELOOP, "ELOOP"},   {EMFILE, "EMFILE"}, {ENFILE, "ENFILE"}, {ENOENT, "ENOENT"},
               {ENOLCK, "ENOLCK"}, {ENOMEM, "ENOMEM"}, {ENOSPC, "ENOSPC"}, {ENOTDIR, "ENOTDIR"}, {EPERM, "EPERM"},
               {EROFS, "EROFS"}};
  const char* name = "EUNKNOWN";
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (names[i].err == err) name = names[i].name;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, err, &errnum);
  napi_set_named_property(env, error, "errno", errnum);
  napi_throw(env, error);
  return NULL;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value* argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, NULL, "missing arguments");
    return 0;
  }
  return 1;
}

static int set_lock(int fd, short type, off_t start, off_t len) {
  struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len, .l_pid = 0};
  return fcntl(fd, F_OFD_SETLK, &fl);
}

static int busy(int err) { return err == EAGAIN || err == EACCES; }

/* tryLock(fd, type, start, len): type 0 unlock, 1 shared, 2 exclusive. true if granted, false if held elsewhere. */
static napi_value try_lock(napi_env env, napi_callback_info info) {
  napi_value argv[4], result;
  int32_t fd, type;
  int64_t start, len;
  if (!get_args(env, info, 4, argv)) return NULL;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_value_int32(env, argv[1], &type));
  CHECK(napi_get_value_int64(env, argv[2], &start));
  CHECK(napi_get_value_int64(env, argv[3], &len));
  short l_type = type == 0 ? F_UNLCK : type == 1 ? F_RDLCK : F_WRLCK;
  int granted = set_lock(fd, l_type, (off_t)start, (off_t)len) == 0;
  if (!granted && !busy(errno)) return throw_errno(env, "fcntl(F_OFD_SETLK)", errno);
  CHECK(napi_get_boolean(env, granted, &result));
  return result;
}

/*
 * probe(fd, start, len): who would stop an exclusive lock on the range?
 * 0 if nobody, the holder's pid for a POSIX lock (Python tooz), -1 for an
 * open-file-description lock (ours), -2 for a shared OFD lock.
 */
static napi_value probe(napi_env env, napi_callback_info info) {
  napi_value argv[3], result;
  int32_t fd;
  int64_t start, len;
  if (!get_args(env, info, 3, argv)) return NULL;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_value_int64(env, argv[1], &start));
  CHECK(napi_get_value_int64(env, argv[2], &len));
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len, .l_pid = 0};
  if (fcntl(fd, F_OFD_GETLK, &fl) == -1) return throw_errno(env, "fcntl(F_OFD_GETLK)", errno);
  int32_t answer = fl.l_type == F_UNLCK ? 0 : fl.l_pid > 0 ? fl.l_pid : fl.l_type == F_RDLCK ? -2 : -1;
  CHECK(napi_create_int32(env, answer, &result));
  return result;
}

static void put_u64(uint8_t* at, uint64_t value) {
  for (int i = 7; i >= 0; i--, value >>= 8) at[i] = (uint8_t)value;
}

static uint64_t get_u64(const uint8_t* at) {
  uint64_t value = 0;
  for (int i = 0; i < 8; i++) value = (value << 8) | at[i];
  return value;
}

#define FENCE_SIZE 4096

/* Per environment: the mapped fence pages, indexed by the fence file's descriptor. */
typedef struct {
  uint8_t** maps;
  size_t size;
} fences_t;

typedef struct state_s state_t;
static fences_t* fences_of(napi_env env);

static uint8_t* fence_map(napi_env env, int fd) {
  fences_t* f = fences_of(env);
  return fd >= 0 && (size_t)fd < f->size ? f->maps[fd] : NULL;
}

static void unmap_fence_fd(fences_t* f, int fd) {
  if (fd < 0 || (size_t)fd >= f->size || !f->maps[fd]) return;
  munmap(f->maps[fd], FENCE_SIZE);
  f->maps[fd] = NULL;
}

/*
 * mapFence(fenceFd): maps the fence file's first page, shared, so that
 * acquire() reads and bumps the counter without a system call. Blocks are
 * allocated first (never overwriting anything), so that a full disk cannot
 * turn a later store into SIGBUS. Returns false where that cannot be done;
 * acquire() then uses pread/pwrite. The descriptor must be given to
 * unmapFence() before it is closed.
 */
static napi_value map_fence(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  int32_t fd;
  if (!get_args(env, info, 1, argv)) return NULL;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  fences_t* f = fences_of(env);
  int mapped = 0;
  if (fd >= 0 && posix_fallocate(fd, 0, FENCE_SIZE) == 0) {
    if ((size_t)fd >= f->size) {
      size_t size = f->size ? f->size : 64;
      while (size <= (size_t)fd) size *= 2;
      uint8_t** maps = realloc(f->maps, size * sizeof *maps);
      if (maps) {
        memset(maps + f->size, 0, (size - f->size) * sizeof *maps);
        f->maps = maps;
        f->size = size;
      }
    }
    if ((size_t)fd < f->size) {
      unmap_fence_fd(f, fd);
      void* map = mmap(NULL, FENCE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      if (map != MAP_FAILED) {
        f->maps[fd] = map;
        mapped = 1;
      }
    }
  }
  CHECK(napi_get_boolean(env, mapped, &result));
  return result;
}

/* unmapFence(fenceFd): before the descriptor is closed (its number may be reused). */
static napi_value unmap_fence(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!get_args(env, info, 1, argv)) return NULL;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  unmap_fence_fd(fences_of(env), fd);
  return NULL;
}

/* Whether anyone is registered on a fence file (a shared lock on its byte 0). */
static int watched(int fence_fd) {
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1, .l_pid = 0};
  if (fcntl(fence_fd, F_OFD_GETLK, &fl) == -1) return -1;
  return fl.l_type != F_UNLCK;
}

/*
 * acquire(lockFd, fenceFd, memberId: Buffer, publish: boolean):
 * the whole uncontended acquire in one call. Takes byte 0 of the lock file,
 * bumps the counter in the fence file beside it and writes the holder's
 * record there (token | id length | id | token). When someone is registered
 * on the fence file, the record goes through pwrite(): that write is their
 * `acquired` notification. With `publish`, byte 1 is held too until the
 * record is written, so that a reader finding byte 1 free under a held byte
 * 0 knows the record is the current holder's. Returns the token (BigInt),
 * or null when someone else holds the lock.
 */
static napi_value acquire(napi_env env, napi_callback_info info) {
  napi_value argv[4], result;
  int32_t lock_fd, fence_fd;
  void* id;
  size_t id_len;
  bool publish;
  if (!get_args(env, info, 4, argv)) return NULL;
  CHECK(napi_get_value_int32(env, argv[0], &lock_fd));
  CHECK(napi_get_value_int32(env, argv[1], &fence_fd));
  CHECK(napi_get_buffer_info(env, argv[2], &id, &id_len));
  CHECK(napi_get_value_bool(env, argv[3], &publish));
  uint8_t* map = fence_map(env, fence_fd);
  if (id_len > FENCE_SIZE - 20) {
    napi_throw_range_error(env, NULL, "member id too long");
    return NULL;
  }
  off_t span = publish ? 2 : 1;
  if (set_lock(lock_fd, F_WRLCK, 0, span) == -1) {
    if (busy(errno)) {
      CHECK(napi_get_null(env, &result));
      return result;
    }
    return throw_errno(env, "fcntl(F_OFD_SETLK)", errno);
  }
  uint8_t record[FENCE_SIZE];
  int err = 0;
  uint64_t previous = 0;
  if (map) {
    previous = get_u64(map);
  } else {
    ssize_t got = pread(fence_fd, record, 8, 0);
    if (got < 0) err = errno;
    else if (got == 8) previous = get_u64(record);
  }
  uint64_t token = previous + 1;
  size_t size = 8 + 4 + id_len + 8;
  put_u64(record, token);
  record[8] = (uint8_t)(id_len >> 24);
  record[9] = (uint8_t)(id_len >> 16);
  record[10] = (uint8_t)(id_len >> 8);
  record[11] = (uint8_t)id_len;
  memcpy(record + 12, id, id_len);
  put_u64(record + 12 + id_len, token);
  int notify = err ? 0 : map ? watched(fence_fd) : 1;
  if (notify < 0) err = errno;
  if (!err) {
    if (notify) {
      if (pwrite(fence_fd, record, size, 0) != (ssize_t)size) err = errno ? errno : EIO;
    } else {
      memcpy(map, record, size);
    }
  }
  if (err) {
    set_lock(lock_fd, F_UNLCK, 0, span);
    return throw_errno(env, "fence", err);
  }
  if (publish) set_lock(lock_fd, F_UNLCK, 1, 1);
  CHECK(napi_create_bigint_uint64(env, token, &result));
  return result;
}

/*
 * release(lockFd, fenceFd): lets the lock go. Waiters and watchers register
 * by holding a shared lock on byte 0 of the fence file; when there is one,
 * a byte is written into the lock file so that their inotify watches fire,
 * after the lock is free (a close would notify before the kernel drops the
 * lock). Nobody registered: no write. Returns whether it notified.
 */
static napi_value release(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  int32_t fd, fence_fd;
  if (!get_args(env, info, 2, argv)) return NULL;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_value_int32(env, argv[1], &fence_fd));
  if (set_lock(fd, F_UNLCK, 0, 2) == -1) return throw_errno(env, "fcntl(F_OFD_SETLK)", errno);
  int notify = watched(fence_fd);
  if (notify < 0) return throw_errno(env, "fcntl(F_OFD_GETLK)", errno);
  static const uint8_t mark = 0;
  if (notify && pwrite(fd, &mark, 1, 0) != 1) return throw_errno(env, "pwrite(lock)", errno ? errno : EIO);
  CHECK(napi_get_boolean(env, notify, &result));
  return result;
}

/* --- inotify ------------------------------------------------------------ */

/* Per environment (each worker thread loads its own). */
struct state_s {
  int fd;
  int stop[2];
  pthread_t thread;
  napi_threadsafe_function tsfn;
  int started;
  fences_t fences;
};

typedef struct {
  size_t len;
  char data[];
} batch_t;

static void* read_events(void* arg) {
  state_t* w = arg;
  struct pollfd fds[2] = {{.fd = w->fd, .events = POLLIN}, {.fd = w->stop[0], .events = POLLIN}};
  char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents) break;
    if (!(fds[0].revents & POLLIN)) continue;
    ssize_t n = read(w->fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) break;
    batch_t* batch = malloc(sizeof(batch_t) + (size_t)n);
    if (!batch) break;
    batch->len = (size_t)n;
    memcpy(batch->data, buf, (size_t)n);
    if (napi_call_threadsafe_function(w->tsfn, batch, napi_tsfn_blocking) != napi_ok) {
      free(batch);
      break;
    }
  }
  return NULL;
}

/* On the main thread: one batch becomes a flat array [wd, mask, name | null, ...]. */
static void deliver(napi_env env, napi_value callback, void* context, void* data) {
  (void)context;
  batch_t* batch = data;
  if (env != NULL && callback != NULL) {
    napi_value events, value, undefined;
    napi_create_array(env, &events);
    napi_get_undefined(env, &undefined);
    uint32_t index = 0;
    for (size_t at = 0; at + sizeof(struct inotify_event) <= batch->len;) {
      struct inotify_event* event = (struct inotify_event*)(batch->data + at);
      napi_create_int32(env, event->wd, &value);
      napi_set_element(env, events, index++, value);
      napi_create_uint32(env, event->mask, &value);
      napi_set_element(env, events, index++, value);
      if (event->len > 0) napi_create_string_utf8(env, event->name, strnlen(event->name, event->len), &value);
      else napi_get_null(env, &value);
      napi_set_element(env, events, index++, value);
      at += sizeof(struct inotify_event) + event->len;
    }
    napi_call_function(env, undefined, callback, 1, &events, NULL);
  }
  free(batch);
}

static void stop_reader(void* arg) {
  state_t* w = arg;
  if (!w->started) return;
  w->started = 0;
  char byte = 1;
  ssize_t ignored = write(w->stop[1], &byte, 1);
  (void)ignored;
  pthread_join(w->thread, NULL);
  close(w->fd);
  close(w->stop[0]);
  close(w->stop[1]);
}

static void free_state(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  state_t* w = data;
  for (size_t fd = 0; fd < w->fences.size; fd++) unmap_fence_fd(&w->fences, (int)fd);
  free(w->fences.maps);
  free(w);
}

static state_t* state_of(napi_env env) {
  void* data = NULL;
  napi_get_instance_data(env, &data);
  return data;
}

static fences_t* fences_of(napi_env env) { return &state_of(env)->fences; }

/* watchStart(callback): opens the inotify instance and its reader thread; unref'd until watchRef(true). */
static napi_value watch_start(napi_env env, napi_callback_info info) {
  napi_value argv[1], name;
  if (!get_args(env, info, 1, argv)) return NULL;
  state_t* w = state_of(env);
  if (w->started) return NULL;
  w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (w->fd < 0) return throw_errno(env, "inotify_init1", errno);
  if (pipe2(w->stop, O_CLOEXEC) != 0) {
    int err = errno;
    close(w->fd);
    return throw_errno(env, "pipe2", err);
  }
  CHECK(napi_create_string_utf8(env, "tooz-file-inotify", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, NULL, NULL, NULL, deliver, &w->tsfn));
  CHECK(napi_unref_threadsafe_function(env, w->tsfn));
  if (pthread_create(&w->thread, NULL, read_events, w) != 0) return throw_errno(env, "pthread_create", errno);
  w->started = 1;
  /* Registered after the thread-safe function, so it runs first at teardown: the thread stops calling it. */
  napi_add_env_cleanup_hook(env, stop_reader, w);
  return NULL;
}

/* watchAdd(path, mask) -> watch descriptor. */
static napi_value watch_add(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  char path[4096];
  size_t length;
  uint32_t mask;
  if (!get_args(env, info, 2, argv)) return NULL;
  CHECK(napi_get_value_string_utf8(env, argv[0], path, sizeof path, &length));
  CHECK(napi_get_value_uint32(env, argv[1], &mask));
  state_t* w = state_of(env);
  if (!w->started) {
    napi_throw_error(env, NULL, "watchStart() first");
    return NULL;
  }
  int wd = inotify_add_watch(w->fd, path, mask);
  if (wd < 0) return throw_errno(env, "inotify_add_watch", errno);
  CHECK(napi_create_int32(env, wd, &result));
  return result;
}

/* watchRemove(wd): ignores a descriptor the kernel already dropped. */
static napi_value watch_remove(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t wd;
  if (!get_args(env, info, 1, argv)) return NULL;
  CHECK(napi_get_value_int32(env, argv[0], &wd));
  state_t* w = state_of(env);
  if (w->started) inotify_rm_watch(w->fd, wd);
  return NULL;
}

/* watchRef(keepAlive): whether pending notifications keep the event loop alive. */
static napi_value watch_ref(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  bool keep;
  if (!get_args(env, info, 1, argv)) return NULL;
  CHECK(napi_get_value_bool(env, argv[0], &keep));
  state_t* w = state_of(env);
  if (!w->started) return NULL;
  CHECK(keep ? napi_ref_threadsafe_function(env, w->tsfn) : napi_unref_threadsafe_function(env, w->tsfn));
  return NULL;
}

NAPI_MODULE_INIT() {
  state_t* w = calloc(1, sizeof(state_t));
  if (!w) return NULL;
  CHECK(napi_set_instance_data(env, w, free_state, NULL));
  napi_property_descriptor props[] = {
      {"tryLock", NULL, try_lock, NULL, NULL, NULL, napi_enumerable, NULL},
      {"probe", NULL, probe, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mapFence", NULL, map_fence, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unmapFence", NULL, unmap_fence, NULL, NULL, NULL, napi_enumerable, NULL},
      {"acquire", NULL, acquire, NULL, NULL, NULL, napi_enumerable, NULL},
      {"release", NULL, release, NULL, NULL, NULL, napi_enumerable, NULL},
      {"watchStart", NULL, watch_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"watchAdd", NULL, watch_add, NULL, NULL, NULL, napi_enumerable, NULL},
      {"watchRemove", NULL, watch_remove, NULL, NULL, NULL, napi_enumerable, NULL},
      {"watchRef", NULL, watch_ref, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}
