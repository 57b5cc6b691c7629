/*
 * System V semaphores for @tooz/driver-ipc (Node has no SysV API).
 *
 * A lock is one semaphore (nsems 1, mode 0600, value 1 when free), taken
 * with SEM_UNDO so the kernel gives it back the moment its holder dies:
 * exactly what Python tooz's IPCLock uses, so the two exclude each other.
 *
 * Beside the semaphores, one shared-memory table per namespace records, per
 * lock key in use, who holds it (pid, member id, fencing token). It also
 * lists the keys a crash may have left behind, for the sweep at attach.
 *
 * Rules that keep the set of semaphores bounded without ever pulling one
 * from under a holder or a waiter:
 *  - only a process holding a semaphore removes it (IPC_RMID), and only
 *    when GETNCNT says nobody waits; whoever opened it meanwhile gets
 *    EIDRM/EINVAL and starts again on a fresh one (tooz's own protocol);
 *  - the sweep takes each listed key with IPC_NOWAIT and releases it by
 *    the same rule: what is held (or stopped) is left alone.
 *
 * Waits run on their own thread with semtimedop in short slices, so the
 * kernel hands the lock over at release (no polling of the lock state); a
 * slice only bounds how long a cancelled waiter takes to notice.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#include "groups.h"

#define SLOTS 1024
#define ID_MAX 1024
#define MAGIC 0x746f6f7aU /* "tooz" */
#define VERSION 1U
#define SLICE_NS (100 * 1000 * 1000L)

union semun {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
};

/* Index entry: `used` 0 free, 1 in use, 2 being claimed. */
struct entry {
  uint32_t used;
  int32_t key;
};

/* The holder of one key; `seq` is odd while it is written (a seqlock). */
struct record {
  uint32_t seq;
  int32_t pid;
  uint32_t len;
  uint32_t pad;
  uint64_t token;
  char id[ID_MAX];
};

struct table_shm {
  uint32_t magic;
  uint32_t version;
  uint32_t slots;
  uint32_t id_max;
  struct entry index[SLOTS];
  struct record records[SLOTS];
};

/*
 * One process's attachment. `users` (JavaScript until detach, and each wait
 * thread) keep the segment mapped; `life` (the mapping, and the external
 * until it is collected) keeps this struct.
 */
struct table {
  struct table_shm* shm;
  int shmid;
  int users;
  int life;
  int remove_if_unused;
  int detached; /* JavaScript let go (detach() or garbage collection) */
};

#define CHECK(call)                                                                                                    \
  do {                                                                                                                 \
    if ((call) != napi_ok) return NULL;                                                                                \
  } while (0)

static const char* errno_name(int err) {
  switch (err) {
    case EACCES: return "EACCES";
    case EAGAIN: return "EAGAIN";
    case EEXIST: return "EEXIST";
    case EFAULT: return "EFAULT";
    case EFBIG: return "EFBIG";
    case EIDRM: return "EIDRM";
    case EINTR: return "EINTR";
    case EINVAL: return "EINVAL";
    case ENOENT: return "ENOENT";
    case ENOMEM: return "ENOMEM";
    case ENOSPC: return "ENOSPC";
    case EPERM: return "EPERM";
    case ERANGE: return "ERANGE";
    case ENOSYS: return "ENOSYS";
    default: return "EUNKNOWN";
  }
}

static napi_value make_error(napi_env env, const char* what, int err) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_value code, msg, error, errnum;
  napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, err, &errnum);
  napi_set_named_property(env, error, "errno", errnum);
  return error;
}

static napi_value throw_errno(napi_env env, const char* what, int err) {
  napi_throw(env, make_error(env, what, err));
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

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- the table ------------------------------------------------------------------------------------------------- */

static void table_release(struct table* t) {
  if (__atomic_sub_fetch(&t->life, 1, __ATOMIC_ACQ_REL) == 0) free(t);
}

static void table_unref(struct table* t) {
  if (__atomic_sub_fetch(&t->users, 1, __ATOMIC_ACQ_REL) != 0) return;
  if (t->remove_if_unused) {
    int used = 0;
    for (int i = 0; i < SLOTS; i++) used |= __atomic_load_n(&t->shm->index[i].used, __ATOMIC_ACQUIRE) != 0;
    struct shmid_ds ds;
    /* Only the last process attached, with nothing listed, removes it: nothing is lost with it. */
    if (!used && shmctl(t->shmid, IPC_STAT, &ds) == 0 && ds.shm_nattch == 1) shmctl(t->shmid, IPC_RMID, NULL);
  }
  shmdt(t->shm);
  t->shm = NULL;
  table_release(t);
}

static int find_slot(struct table_shm* shm, int32_t key) {
  for (int i = 0; i < SLOTS; i++) {
    if (__atomic_load_n(&shm->index[i].used, __ATOMIC_ACQUIRE) == 1 && shm->index[i].key == key) return i;
  }
  return -1;
}

/* Only a key's holder claims or clears its slot, so one key never has two. -1 when the table is full. */
static int claim_slot(struct table_shm* shm, int32_t key) {
  int slot = find_slot(shm, key);
  if (slot >= 0) return slot;
  for (int i = 0; i < SLOTS; i++) {
    uint32_t expected = 0;
    if (__atomic_compare_exchange_n(&shm->index[i].used, &expected, 2, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
      shm->index[i].key = key;
      __atomic_store_n(&shm->index[i].used, 1, __ATOMIC_RELEASE);
      return i;
    }
  }
  return -1;
}

static void write_record(struct record* r, int32_t pid, const char* id, uint32_t len, uint64_t token) {
  __atomic_add_fetch(&r->seq, 1, __ATOMIC_ACQ_REL);
  r->pid = pid;
  r->len = len;
  r->token = token;
  if (len) memcpy(r->id, id, len);
  __atomic_add_fetch(&r->seq, 1, __ATOMIC_ACQ_REL);
}

/* ---- semaphores ------------------------------------------------------------------------------------------------ */

/* Opens the lock's semaphore, creating it free (value 1) as tooz does. -1 with errno on failure. */
static int open_sem(int32_t key) {
  for (;;) {
    int id = semget(key, 1, IPC_CREAT | IPC_EXCL | 0600);
    if (id >= 0) {
      union semun arg = {.val = 1};
      if (semctl(id, 0, SETVAL, arg) == 0) return id;
      if (errno == EIDRM || errno == EINVAL) continue;
      return -1;
    }
    if (errno != EEXIST) return -1;
    id = semget(key, 1, 0);
    if (id >= 0) return id;
    if (errno != ENOENT) return -1;
  }
}

/* After a successful P: a token above the clock and above the last one recorded for this key. */
static uint64_t on_acquired(struct table* t, int32_t key, const char* id, uint32_t len) {
  uint64_t token = now_ns();
  if (!t) return token;
  int slot = claim_slot(t->shm, key);
  if (slot < 0) return token;
  struct record* r = &t->shm->records[slot];
  if (r->token >= token) token = r->token + 1;
  write_record(r, getpid(), id, len, token);
  return token;
}

/*
 * Gives up a held semaphore: removed when nobody waits, else handed on (V).
 * 1 done, 0 it was no longer there (removed by someone's break), -1 errno.
 */
static int release_sem(struct table* t, int32_t key, int semid) {
  int slot = t ? find_slot(t->shm, key) : -1;
  if (slot >= 0) write_record(&t->shm->records[slot], 0, NULL, 0, t->shm->records[slot].token);
  int waiting = semctl(semid, 0, GETNCNT);
  if (waiting < 0) return (errno == EIDRM || errno == EINVAL) ? 0 : -1;
  if (waiting == 0) {
    // Unlisted before removal: while we hold it, nobody can list it again.
    if (slot >= 0) __atomic_store_n(&t->shm->index[slot].used, 0, __ATOMIC_RELEASE);
    if (semctl(semid, 0, IPC_RMID) == 0) return 1;
    return (errno == EIDRM || errno == EINVAL) ? 0 : -1;
  }
  struct sembuf op = {.sem_num = 0, .sem_op = 1, .sem_flg = SEM_UNDO};
  if (semop(semid, &op, 1) == 0) return 1;
  return (errno == EIDRM || errno == EINVAL) ? 0 : -1;
}

/* One non-blocking attempt. 1 held (semid set), 0 busy, -1 errno. */
static int try_sem(int32_t key, int* semid) {
  for (;;) {
    int id = open_sem(key);
    if (id < 0) return -1;
    struct sembuf op = {.sem_num = 0, .sem_op = -1, .sem_flg = SEM_UNDO | IPC_NOWAIT};
    if (semop(id, &op, 1) == 0) {
      *semid = id;
      return 1;
    }
    if (errno == EAGAIN) return 0;
    if (errno != EIDRM && errno != EINVAL && errno != EINTR) return -1;
  }
}

/* ---- JavaScript glue ------------------------------------------------------------------------------------------- */

static struct table* table_any(napi_env env, napi_value value) {
  void* data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok || !data) {
    napi_throw_type_error(env, NULL, "not a table");
    return NULL;
  }
  return (struct table*)data;
}

static struct table* table_of(napi_env env, napi_value value) {
  struct table* t = table_any(env, value);
  if (t && t->detached) {
    napi_throw_error(env, "EDETACHED", "the namespace table is detached (session closed)");
    return NULL;
  }
  return t;
}

static void let_go(struct table* t) {
  if (t->detached) return;
  t->detached = 1;
  table_unref(t);
}

static void table_finalize_last(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  let_go((struct table*)data);
  table_release((struct table*)data);
}

/* attach(tableKey, removeIfUnused) -> external: the namespace's table, created on first use. */
static napi_value attach(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  int32_t key;
  bool remove_if_unused;
  if (!get_args(env, info, 2, argv)) return NULL;
  CHECK(napi_get_value_int32(env, argv[0], &key));
  CHECK(napi_get_value_bool(env, argv[1], &remove_if_unused));
  int shmid = shmget(key, sizeof(struct table_shm), IPC_CREAT | 0600);
  if (shmid < 0) return throw_errno(env, "shmget", errno);
  void* address = shmat(shmid, NULL, 0);
  if (address == (void*)-1) return throw_errno(env, "shmat", errno);
  struct table_shm* shm = address;
  uint32_t zero = 0;
  // A new segment is all zeroes: the first to attach stamps it.
  if (!__atomic_compare_exchange_n(&shm->magic, &zero, MAGIC, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) &&
      zero != MAGIC) {
    shmdt(address);
    return throw_errno(env, "shared table has an unknown layout", EINVAL);
  }
  shm->version = VERSION;
  shm->slots = SLOTS;
  shm->id_max = ID_MAX;
  struct table* t = calloc(1, sizeof *t);
  t->shm = shm;
  t->shmid = shmid;
  t->users = 1;
  t->life = 2;
  t->remove_if_unused = remove_if_unused;
  CHECK(napi_create_external(env, t, table_finalize_last, NULL, &result));
  return result;
}

/* detach(table): lets go of the segment now (waits still running keep it mapped until they end). */
static napi_value detach(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  struct table* t = table_any(env, argv[0]);
  if (!t) return NULL;
  let_go(t);
  return NULL;
}

static napi_value acquired_result(napi_env env, int semid, uint64_t token) {
  napi_value result, id, tok;
  CHECK(napi_create_array_with_length(env, 2, &result));
  CHECK(napi_create_int32(env, semid, &id));
  CHECK(napi_create_bigint_uint64(env, token, &tok));
  CHECK(napi_set_element(env, result, 0, id));
  CHECK(napi_set_element(env, result, 1, tok));
  return result;
}

static int get_id(napi_env env, napi_value value, char** data, size_t* len) {
  if (napi_get_buffer_info(env, value, (void**)data, len) != napi_ok) {
    napi_throw_type_error(env, NULL, "member id must be a Buffer");
    return 0;
  }
  if (*len > ID_MAX) {
    napi_throw_range_error(env, NULL, "member id is too long");
    return 0;
  }
  return 1;
}

/* tryAcquire(table, key, memberId) -> [semid, token] | null */
static napi_value try_acquire(napi_env env, napi_callback_info info) {
  napi_value argv[3], result;
  int32_t key;
  char* id;
  size_t len;
  if (!get_args(env, info, 3, argv)) return NULL;
  struct table* t = table_of(env, argv[0]);
  if (!t) return NULL;
  CHECK(napi_get_value_int32(env, argv[1], &key));
  if (!get_id(env, argv[2], &id, &len)) return NULL;
  int semid;
  int got = try_sem(key, &semid);
  if (got < 0) return throw_errno(env, "semop", errno);
  if (got == 0) {
    CHECK(napi_get_null(env, &result));
    return result;
  }
  return acquired_result(env, semid, on_acquired(t, key, id, (uint32_t)len));
}

/* release(table, key, semid) -> true, or false when it had been removed (broken) */
static napi_value release(napi_env env, napi_callback_info info) {
  napi_value argv[3], result;
  int32_t key, semid;
  if (!get_args(env, info, 3, argv)) return NULL;
  struct table* t = table_any(env, argv[0]);
  if (!t) return NULL;
  CHECK(napi_get_value_int32(env, argv[1], &key));
  CHECK(napi_get_value_int32(env, argv[2], &semid));
  // A grant delivered after close is still given back; its record is left for the next holder to overwrite.
  int done = release_sem(t->detached ? NULL : t, key, semid);
  if (done < 0) return throw_errno(env, "semctl", errno);
  CHECK(napi_get_boolean(env, done == 1, &result));
  return result;
}

/*
 * holder(table, key) -> null | [memberId Buffer | null, token, pid]. A holder
 * without a record (Python tooz, or a full table) comes back with a null id.
 */
static napi_value holder(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  int32_t key;
  if (!get_args(env, info, 2, argv)) return NULL;
  struct table* t = table_of(env, argv[0]);
  if (!t) return NULL;
  CHECK(napi_get_value_int32(env, argv[1], &key));
  CHECK(napi_get_null(env, &result));
  int semid = semget(key, 1, 0);
  if (semid < 0) {
    if (errno == ENOENT) return result;
    return throw_errno(env, "semget", errno);
  }
  char id[ID_MAX];
  // The holder writes its record just after its P: a short spin covers that gap.
  for (int attempt = 0; attempt < 200; attempt++) {
    int value = semctl(semid, 0, GETVAL);
    if (value < 0) {
      if (errno == EIDRM || errno == EINVAL) return result;
      return throw_errno(env, "semctl", errno);
    }
    if (value > 0) return result;
    int pid = semctl(semid, 0, GETPID);
    int slot = find_slot(t->shm, key);
    if (slot >= 0) {
      struct record* r = &t->shm->records[slot];
      uint32_t before = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);
      int32_t rpid = r->pid;
      uint32_t len = r->len > ID_MAX ? ID_MAX : r->len;
      uint64_t token = r->token;
      memcpy(id, r->id, len);
      __atomic_thread_fence(__ATOMIC_ACQUIRE);
      if (!(before & 1) && before == __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE) && rpid != 0 && rpid == pid) {
        napi_value buffer, tok, p;
        void* data;
        CHECK(napi_create_buffer_copy(env, len, id, &data, &buffer));
        CHECK(napi_create_bigint_uint64(env, token, &tok));
        CHECK(napi_create_int32(env, pid, &p));
        CHECK(napi_create_array_with_length(env, 3, &result));
        CHECK(napi_set_element(env, result, 0, buffer));
        CHECK(napi_set_element(env, result, 1, tok));
        CHECK(napi_set_element(env, result, 2, p));
        return result;
      }
    }
    if (attempt < 199) {
      struct timespec pause = {0, 10 * 1000};
      nanosleep(&pause, NULL);
      continue;
    }
    napi_value none, zero, p;
    CHECK(napi_get_null(env, &none));
    CHECK(napi_create_bigint_uint64(env, 0, &zero));
    CHECK(napi_create_int32(env, pid, &p));
    CHECK(napi_create_array_with_length(env, 3, &result));
    CHECK(napi_set_element(env, result, 0, none));
    CHECK(napi_set_element(env, result, 1, zero));
    CHECK(napi_set_element(env, result, 2, p));
  }
  return result;
}

/* sweep(table) -> number of semaphores removed: listed keys left free by a dead holder. */
static napi_value sweep(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  if (!get_args(env, info, 1, argv)) return NULL;
  struct table* t = table_of(env, argv[0]);
  if (!t) return NULL;
  int removed = 0;
  for (int i = 0; i < SLOTS; i++) {
    if (__atomic_load_n(&t->shm->index[i].used, __ATOMIC_ACQUIRE) != 1) continue;
    int32_t key = t->shm->index[i].key;
    int semid;
    int got = try_sem(key, &semid);
    if (got == 1 && release_sem(t, key, semid) == 1 && semget(key, 1, 0) < 0) removed++;
  }
  CHECK(napi_create_int32(env, removed, &result));
  return result;
}

/* inspect(key) -> null | [value, waiting, lastPid]: for tests and diagnostics. */
static napi_value inspect(napi_env env, napi_callback_info info) {
  napi_value argv[1], result, v;
  int32_t key;
  if (!get_args(env, info, 1, argv)) return NULL;
  CHECK(napi_get_value_int32(env, argv[0], &key));
  CHECK(napi_get_null(env, &result));
  int semid = semget(key, 1, 0);
  if (semid < 0) return errno == ENOENT ? result : throw_errno(env, "semget", errno);
  int values[3] = {semctl(semid, 0, GETVAL), semctl(semid, 0, GETNCNT), semctl(semid, 0, GETPID)};
  CHECK(napi_create_array_with_length(env, 3, &result));
  for (uint32_t i = 0; i < 3; i++) {
    CHECK(napi_create_int32(env, values[i], &v));
    CHECK(napi_set_element(env, result, i, v));
  }
  return result;
}

/* ---- waits on a thread ----------------------------------------------------------------------------------------- */

struct waiter {
  struct table* table;
  int32_t key;
  uint32_t len;
  char id[ID_MAX];
  int cancelled;
  int refs; /* the thread, its delivery, and the JavaScript external */
  napi_threadsafe_function deliver;
  /* outcome */
  int semid;
  int err;
  uint64_t token;
};

static void waiter_unref(struct waiter* w) {
  if (__atomic_sub_fetch(&w->refs, 1, __ATOMIC_ACQ_REL) == 0) free(w);
}

static void waiter_finalize(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  waiter_unref((struct waiter*)data);
}

/* On the main thread: callback(error | null, [semid, token] | null when cancelled). */
static void call_js(napi_env env, napi_value callback, void* context, void* data) {
  (void)context;
  struct waiter* w = data;
  if (env && callback) {
    napi_value undefined, args[2];
    napi_get_undefined(env, &undefined);
    if (w->err) {
      args[0] = make_error(env, "semtimedop", w->err);
      napi_get_null(env, &args[1]);
    } else {
      napi_get_null(env, &args[0]);
      if (w->semid >= 0) args[1] = acquired_result(env, w->semid, w->token);
      else napi_get_null(env, &args[1]);
    }
    napi_call_function(env, undefined, callback, 2, args, NULL);
  }
  waiter_unref(w);
}

static void* wait_thread(void* arg) {
  struct waiter* w = arg;
  w->semid = -1;
  for (;;) {
    if (__atomic_load_n(&w->cancelled, __ATOMIC_ACQUIRE)) break;
    int id = open_sem(w->key);
    if (id < 0) {
      w->err = errno;
      break;
    }
    struct sembuf op = {.sem_num = 0, .sem_op = -1, .sem_flg = SEM_UNDO};
    struct timespec slice = {0, SLICE_NS};
    if (semtimedop(id, &op, 1, &slice) == 0) {
      if (__atomic_load_n(&w->cancelled, __ATOMIC_ACQUIRE)) {
        // Granted after the cancel: given back at once (removed if nobody else waits).
        release_sem(w->table, w->key, id);
        break;
      }
      w->semid = id;
      w->token = on_acquired(w->table, w->key, w->id, w->len);
      break;
    }
    if (errno == EAGAIN || errno == EINTR || errno == EIDRM || errno == EINVAL) continue;
    w->err = errno;
    break;
  }
  napi_threadsafe_function deliver = w->deliver;
  struct table* t = w->table;
  if (napi_call_threadsafe_function(deliver, w, napi_tsfn_blocking) != napi_ok) {
    // The environment is gone (process exiting): nobody will release it, the kernel will.
    waiter_unref(w);
  }
  napi_release_threadsafe_function(deliver, napi_tsfn_release);
  table_unref(t);
  waiter_unref(w);
  return NULL;
}

/* acquire(table, key, memberId, callback) -> external waiter; the callback is called once. */
static napi_value acquire(napi_env env, napi_callback_info info) {
  napi_value argv[4], name, result;
  int32_t key;
  char* id;
  size_t len;
  if (!get_args(env, info, 4, argv)) return NULL;
  struct table* t = table_of(env, argv[0]);
  if (!t) return NULL;
  CHECK(napi_get_value_int32(env, argv[1], &key));
  if (!get_id(env, argv[2], &id, &len)) return NULL;
  struct waiter* w = calloc(1, sizeof *w);
  w->table = t;
  w->key = key;
  w->len = (uint32_t)len;
  memcpy(w->id, id, len);
  w->refs = 3; /* thread, external, delivery */
  CHECK(napi_create_string_utf8(env, "tooz_ipc_wait", NAPI_AUTO_LENGTH, &name));
  if (napi_create_threadsafe_function(env, argv[3], NULL, name, 0, 1, NULL, NULL, NULL, call_js, &w->deliver) !=
      napi_ok) {
    free(w);
    return NULL;
  }
  __atomic_add_fetch(&t->users, 1, __ATOMIC_ACQ_REL);
  pthread_t thread;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  int err = pthread_create(&thread, &attr, wait_thread, w);
  pthread_attr_destroy(&attr);
  if (err) {
    napi_release_threadsafe_function(w->deliver, napi_tsfn_abort);
    table_unref(t);
    free(w);
    return throw_errno(env, "pthread_create", err);
  }
  CHECK(napi_create_external(env, w, waiter_finalize, NULL, &result));
  return result;
}

/* cancel(waiter): the thread gives up within one slice; a grant that raced the cancel is still delivered. */
static napi_value cancel(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  void* data;
  if (!get_args(env, info, 1, argv)) return NULL;
  CHECK(napi_get_value_external(env, argv[0], &data));
  struct waiter* w = data;
  __atomic_store_n(&w->cancelled, 1, __ATOMIC_RELEASE);
  // A cancelled wait must not keep the process alive.
  napi_unref_threadsafe_function(env, w->deliver);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"attach", NULL, attach, NULL, NULL, NULL, napi_default, NULL},
      {"detach", NULL, detach, NULL, NULL, NULL, napi_default, NULL},
      {"tryAcquire", NULL, try_acquire, NULL, NULL, NULL, napi_default, NULL},
      {"acquire", NULL, acquire, NULL, NULL, NULL, napi_default, NULL},
      {"cancel", NULL, cancel, NULL, NULL, NULL, napi_default, NULL},
      {"release", NULL, release, NULL, NULL, NULL, napi_default, NULL},
      {"holder", NULL, holder, NULL, NULL, NULL, napi_default, NULL},
      {"sweep", NULL, sweep, NULL, NULL, NULL, napi_default, NULL},
      {"inspect", NULL, inspect, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return groups_init(env, exports);
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
