/*
 * Groups for @tooz/driver-ipc, per namespace, on two System V objects that
 * share one key:
 *
 *  - a semaphore set of 1 + MEMBERS semaphores, all 0 when created (so
 *    there is no initialisation race). Semaphore 0 is the table's mutex;
 *    semaphore 1 + i is member slot i. Taking either is "wait for 0, then
 *    +1 with SEM_UNDO" in one atomic semop, so the kernel sets it back to 0
 *    the moment the taker dies: a dead member's slot reads 0 at once, and a
 *    process killed inside the mutex never wedges the table.
 *  - a shared-memory table of groups and member records (ids, capabilities),
 *    read and written only under the mutex, attached only for one call.
 *
 * A member is alive while its slot's semaphore is 1. Records whose slot is
 * 0 are dead and are cleared by whoever meets them (members(), join, delete).
 * Every write publishes with `used = 1` last, so a writer killed mid-write
 * (whose own membership dies with it) leaves nothing half-visible.
 *
 * When a call leaves no group and no member, it removes both objects: only
 * the mutex holder is attached, so nobody can be midway. Anyone blocked on
 * the mutex meanwhile gets EIDRM and starts again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#include "groups.h"

#define GROUPS 1024
#define MEMBERS 1024
#define NSEMS (1 + MEMBERS)
#define GID_MAX 1024
#define CAPS_MAX 4096
#define GMAGIC 0x746f6f67U /* "toog" */
#define GVERSION 1U
/* A mutex holder is inside one short call: only a stopped one makes us wait this long. */
#define MUTEX_WAIT_S 2

enum { G_OK = 0, G_EXISTS = 1, G_NOT_FOUND = 2, G_NOT_EMPTY = 3, G_ALREADY_JOINED = 4, G_NOT_JOINED = 5, G_FULL = 6 };

struct gentry {
  uint32_t used;
  uint32_t gen;
  uint32_t hash;
  uint32_t len;
};

/* A member slot's record: of group slot `group` while that group's generation is `gen`. */
struct mentry {
  uint32_t used;
  uint32_t group;
  uint32_t gen;
  uint32_t serial;
};

struct mrecord {
  uint32_t id_len;
  uint32_t caps_len;
  int32_t pid;
  uint32_t pad;
  char id[GID_MAX];
  char caps[CAPS_MAX];
};

/* The compact indexes come first, so a scan touches a few pages, not the records. */
struct groups_shm {
  uint32_t magic;
  uint32_t version;
  uint32_t groups;
  uint32_t members;
  uint32_t id_max;
  uint32_t caps_max;
  uint32_t next_gen;
  uint32_t next_serial;
  struct gentry gindex[GROUPS];
  struct mentry mindex[MEMBERS];
  char names[GROUPS][GID_MAX];
  struct mrecord records[MEMBERS];
};

/* One call's hold on the namespace's groups: mutex taken, table attached, slot values read. */
struct op {
  int semid;
  int shmid;
  struct groups_shm* shm;
  unsigned short values[NSEMS];
};

union gsemun {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
};

static napi_value throw_code(napi_env env, const char* what, int err) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_value code, msg, error, errnum;
  const char* name = err == EAGAIN ? "EAGAIN" : err == EACCES ? "EACCES" : err == ENOSPC ? "ENOSPC"
                     : err == EINVAL ? "EINVAL" : err == ENOMEM ? "ENOMEM" : err == EINTR ? "EINTR" : "EUNKNOWN";
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, err, &errnum);
  napi_set_named_property(env, error, "errno", errnum);
  napi_throw(env, error);
  return NULL;
}

static uint32_t fnv1a(const char* data, size_t len) {
  uint32_t hash = 2166136261U;
  for (size_t i = 0; i < len; i++) hash = (hash ^ (uint8_t)data[i]) * 16777619U;
  return hash;
}

static void unlock(int semid) {
  struct sembuf op = {.sem_num = 0, .sem_op = -1, .sem_flg = SEM_UNDO};
  semop(semid, &op, 1);
}

static int any_slot_held(const unsigned short* values) {
  for (int i = 1; i < NSEMS; i++)
    if (values[i]) return 1;
  return 0;
}

/*
 * Takes the mutex and attaches the table. 1 done, 0 nothing exists (only
 * when !create), -1 with errno.
 */
static int op_open(int32_t key, int create, struct op* o) {
  for (;;) {
    int semid = semget(key, NSEMS, create ? IPC_CREAT | 0600 : 0);
    if (semid < 0) return (!create && errno == ENOENT) ? 0 : -1;
    struct sembuf lock[2] = {{.sem_num = 0, .sem_op = 0, .sem_flg = 0}, {.sem_num = 0, .sem_op = 1, .sem_flg = SEM_UNDO}};
    struct timespec wait = {MUTEX_WAIT_S, 0};
    if (semtimedop(semid, lock, 2, &wait) != 0) {
      if (errno == EIDRM || errno == EINVAL || errno == EINTR) continue; /* removed meanwhile: start again */
      return -1;
    }
    o->semid = semid;
    union gsemun arg = {.array = o->values};
    if (semctl(semid, 0, GETALL, arg) != 0) {
      int err = errno;
      unlock(semid);
      errno = err;
      return -1;
    }
    int shmid = shmget(key, sizeof(struct groups_shm), create ? IPC_CREAT | 0600 : 0);
    if (shmid < 0) {
      int err = errno;
      if (!create && err == ENOENT) {
        /* A set without its table: what a removal cut short left. Removed unless someone holds a slot. */
        if (!any_slot_held(o->values)) semctl(semid, 0, IPC_RMID);
        else unlock(semid);
        return 0;
      }
      unlock(semid);
      errno = err;
      return -1;
    }
    void* address = shmat(shmid, NULL, 0);
    if (address == (void*)-1) {
      int err = errno;
      unlock(semid);
      errno = err;
      return -1;
    }
    struct groups_shm* shm = address;
    /* Stamped by the first user, under the mutex: a new segment is all zeroes. */
    if (shm->magic == 0) {
      shm->magic = GMAGIC;
      shm->version = GVERSION;
      shm->groups = GROUPS;
      shm->members = MEMBERS;
      shm->id_max = GID_MAX;
      shm->caps_max = CAPS_MAX;
    }
    if (shm->magic != GMAGIC || shm->version != GVERSION || shm->groups != GROUPS || shm->members != MEMBERS ||
        shm->id_max != GID_MAX || shm->caps_max != CAPS_MAX) {
      shmdt(address);
      unlock(semid);
      errno = EINVAL;
      return -1;
    }
    o->shmid = shmid;
    o->shm = shm;
    return 1;
  }
}

/* Detaches and lets go of the mutex; removes both objects when nothing is left in them. */
static void op_close(struct op* o) {
  struct groups_shm* shm = o->shm;
  int empty = !any_slot_held(o->values);
  for (int i = 0; empty && i < GROUPS; i++) empty = !shm->gindex[i].used;
  for (int i = 0; empty && i < MEMBERS; i++) empty = !shm->mindex[i].used;
  struct shmid_ds ds;
  if (empty && shmctl(o->shmid, IPC_STAT, &ds) == 0 && ds.shm_nattch == 1) {
    shmctl(o->shmid, IPC_RMID, NULL);
    shmdt(shm);
    semctl(o->semid, 0, IPC_RMID); /* the mutex goes with it: waiters restart on EIDRM */
    return;
  }
  shmdt(shm);
  unlock(o->semid);
}

static int alive(const struct op* o, int slot) {
  return o->values[1 + slot] != 0;
}

static int find_group(struct groups_shm* shm, const char* name, size_t len) {
  uint32_t hash = fnv1a(name, len);
  for (int i = 0; i < GROUPS; i++) {
    struct gentry* g = &shm->gindex[i];
    if (g->used && g->hash == hash && g->len == len && memcmp(shm->names[i], name, len) == 0) return i;
  }
  return -1;
}

static int member_of(struct groups_shm* shm, int slot, int group) {
  struct mentry* m = &shm->mindex[slot];
  return m->used && m->group == (uint32_t)group && m->gen == shm->gindex[group].gen;
}

/* ---- JavaScript glue ------------------------------------------------------------------------------------------- */

#define GCHECK(call)                                                                                                   \
  do {                                                                                                                 \
    if ((call) != napi_ok) return NULL;                                                                                \
  } while (0)

static int get_args_n(napi_env env, napi_callback_info info, size_t want, napi_value* argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, NULL, "missing arguments");
    return 0;
  }
  return 1;
}

static int get_bytes(napi_env env, napi_value value, size_t max, const char* what, char** data, size_t* len) {
  if (napi_get_buffer_info(env, value, (void**)data, len) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a Buffer");
    return 0;
  }
  if (*len > max) {
    napi_throw_range_error(env, NULL, what);
    return 0;
  }
  return 1;
}

static napi_value int_value(napi_env env, int32_t value) {
  napi_value result;
  GCHECK(napi_create_int32(env, value, &result));
  return result;
}

/* Parses (key, group name) and opens; `opened` 0 means nothing exists. NULL result: an exception is pending. */
static int open_for(napi_env env, napi_value* argv, int create, struct op* o, char** name, size_t* len, int* opened) {
  int32_t key;
  if (napi_get_value_int32(env, argv[0], &key) != napi_ok) return 0;
  if (!get_bytes(env, argv[1], GID_MAX, "group id is too long", name, len)) return 0;
  *opened = op_open(key, create, o);
  if (*opened < 0) {
    throw_code(env, "group table", errno);
    return 0;
  }
  return 1;
}

/* groupCreate(key, name) -> code */
static napi_value group_create(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  struct op o;
  char* name;
  size_t len;
  int opened;
  if (!get_args_n(env, info, 2, argv) || !open_for(env, argv, 1, &o, &name, &len, &opened)) return NULL;
  struct groups_shm* shm = o.shm;
  int code = G_FULL;
  if (find_group(shm, name, len) >= 0) code = G_EXISTS;
  else {
    for (int i = 0; i < GROUPS; i++) {
      struct gentry* g = &shm->gindex[i];
      if (g->used) continue;
      memcpy(shm->names[i], name, len);
      g->len = (uint32_t)len;
      g->hash = fnv1a(name, len);
      g->gen = ++shm->next_gen;
      __atomic_store_n(&g->used, 1, __ATOMIC_RELEASE);
      code = G_OK;
      break;
    }
  }
  op_close(&o);
  return int_value(env, code);
}

/* groupDelete(key, name) -> code */
static napi_value group_delete(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  struct op o;
  char* name;
  size_t len;
  int opened;
  if (!get_args_n(env, info, 2, argv) || !open_for(env, argv, 0, &o, &name, &len, &opened)) return NULL;
  if (!opened) return int_value(env, G_NOT_FOUND);
  struct groups_shm* shm = o.shm;
  int group = find_group(shm, name, len);
  int code = group < 0 ? G_NOT_FOUND : G_OK;
  for (int i = 0; code == G_OK && i < MEMBERS; i++)
    if (member_of(shm, i, group) && alive(&o, i)) code = G_NOT_EMPTY;
  if (code == G_OK) {
    for (int i = 0; i < MEMBERS; i++)
      if (member_of(shm, i, group)) shm->mindex[i].used = 0;
    shm->gindex[group].used = 0;
  }
  op_close(&o);
  return int_value(env, code);
}

/* groupList(key) -> Buffer[] */
static napi_value group_list(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  int32_t key;
  struct op o;
  if (!get_args_n(env, info, 1, argv)) return NULL;
  GCHECK(napi_get_value_int32(env, argv[0], &key));
  int opened = op_open(key, 0, &o);
  if (opened < 0) return throw_code(env, "group table", errno);
  GCHECK(napi_create_array(env, &result));
  if (!opened) return result;
  uint32_t n = 0;
  for (int i = 0; i < GROUPS; i++) {
    if (!o.shm->gindex[i].used) continue;
    napi_value buffer;
    void* data;
    if (napi_create_buffer_copy(env, o.shm->gindex[i].len, o.shm->names[i], &data, &buffer) != napi_ok ||
        napi_set_element(env, result, n++, buffer) != napi_ok) {
      op_close(&o);
      return NULL;
    }
  }
  op_close(&o);
  return result;
}

/* groupJoin(key, name, memberId, caps) -> [code, slot, serial] */
static napi_value group_join(napi_env env, napi_callback_info info) {
  napi_value argv[4], result;
  struct op o;
  char *name, *id, *caps;
  size_t len, id_len, caps_len;
  int opened;
  if (!get_args_n(env, info, 4, argv)) return NULL;
  if (!get_bytes(env, argv[2], GID_MAX, "member id is too long", &id, &id_len)) return NULL;
  if (!get_bytes(env, argv[3], CAPS_MAX, "capabilities are too large", &caps, &caps_len)) return NULL;
  if (!open_for(env, argv, 0, &o, &name, &len, &opened)) return NULL;
  int code = G_NOT_FOUND, slot = -1;
  uint32_t serial = 0;
  if (opened) {
    struct groups_shm* shm = o.shm;
    int group = find_group(shm, name, len);
    if (group >= 0) {
      code = G_FULL;
      for (int i = 0; i < MEMBERS; i++) {
        if (!member_of(shm, i, group) || !alive(&o, i)) continue;
        struct mrecord* r = &shm->records[i];
        if (r->id_len == id_len && memcmp(r->id, id, id_len) == 0) code = G_ALREADY_JOINED;
      }
      for (int i = 0; code == G_FULL && i < MEMBERS; i++) {
        if (alive(&o, i)) continue;
        /* Free, or a dead member's: taken the way a lock is, so the kernel gives it back at our death. */
        struct sembuf take[2] = {{.sem_num = (unsigned short)(1 + i), .sem_op = 0, .sem_flg = IPC_NOWAIT},
                                 {.sem_num = (unsigned short)(1 + i), .sem_op = 1, .sem_flg = SEM_UNDO | IPC_NOWAIT}};
        shm->mindex[i].used = 0;
        if (semop(o.semid, take, 2) != 0) continue;
        o.values[1 + i] = 1;
        struct mrecord* r = &shm->records[i];
        r->id_len = (uint32_t)id_len;
        memcpy(r->id, id, id_len);
        r->caps_len = (uint32_t)caps_len;
        memcpy(r->caps, caps, caps_len);
        r->pid = getpid();
        struct mentry* m = &shm->mindex[i];
        m->group = (uint32_t)group;
        m->gen = shm->gindex[group].gen;
        m->serial = serial = ++shm->next_serial;
        __atomic_store_n(&m->used, 1, __ATOMIC_RELEASE);
        code = G_OK;
        slot = i;
      }
    }
    op_close(&o);
  }
  GCHECK(napi_create_array_with_length(env, 3, &result));
  GCHECK(napi_set_element(env, result, 0, int_value(env, code)));
  GCHECK(napi_set_element(env, result, 1, int_value(env, slot)));
  GCHECK(napi_set_element(env, result, 2, int_value(env, (int32_t)serial)));
  return result;
}

/* Our membership in `slot` of `group`, as the handle says: NOT_FOUND, NOT_JOINED or OK. */
static int own_slot(struct op* o, const char* name, size_t len, int32_t slot, int32_t serial) {
  int group = find_group(o->shm, name, len);
  if (group < 0) return G_NOT_FOUND;
  if (slot < 0 || slot >= MEMBERS || !member_of(o->shm, slot, group) || !alive(o, slot) ||
      o->shm->mindex[slot].serial != (uint32_t)serial)
    return G_NOT_JOINED;
  return G_OK;
}

/* groupLeave(key, name, slot, serial) -> code */
static napi_value group_leave(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  struct op o;
  char* name;
  size_t len;
  int opened;
  int32_t slot, serial;
  if (!get_args_n(env, info, 4, argv)) return NULL;
  GCHECK(napi_get_value_int32(env, argv[2], &slot));
  GCHECK(napi_get_value_int32(env, argv[3], &serial));
  if (!open_for(env, argv, 0, &o, &name, &len, &opened)) return NULL;
  if (!opened) return int_value(env, G_NOT_FOUND);
  int code = own_slot(&o, name, len, slot, serial);
  if (code == G_OK) {
    o.shm->mindex[slot].used = 0;
    struct sembuf give = {.sem_num = (unsigned short)(1 + slot), .sem_op = -1, .sem_flg = SEM_UNDO | IPC_NOWAIT};
    if (semop(o.semid, &give, 1) == 0) o.values[1 + slot] = 0;
  }
  op_close(&o);
  return int_value(env, code);
}

/* groupUpdate(key, name, slot, serial, caps) -> code */
static napi_value group_update(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  struct op o;
  char *name, *caps;
  size_t len, caps_len;
  int opened;
  int32_t slot, serial;
  if (!get_args_n(env, info, 5, argv)) return NULL;
  GCHECK(napi_get_value_int32(env, argv[2], &slot));
  GCHECK(napi_get_value_int32(env, argv[3], &serial));
  if (!get_bytes(env, argv[4], CAPS_MAX, "capabilities are too large", &caps, &caps_len)) return NULL;
  if (!open_for(env, argv, 0, &o, &name, &len, &opened)) return NULL;
  if (!opened) return int_value(env, G_NOT_FOUND);
  int code = own_slot(&o, name, len, slot, serial);
  if (code == G_OK) {
    struct mrecord* r = &o.shm->records[slot];
    memcpy(r->caps, caps, caps_len);
    r->caps_len = (uint32_t)caps_len;
  }
  op_close(&o);
  return int_value(env, code);
}

/* groupMembers(key, name) -> code (not found) | [memberId, caps][] of the living; the dead are cleared. */
static napi_value group_members(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  struct op o;
  char* name;
  size_t len;
  int opened;
  if (!get_args_n(env, info, 2, argv) || !open_for(env, argv, 0, &o, &name, &len, &opened)) return NULL;
  if (!opened) return int_value(env, G_NOT_FOUND);
  struct groups_shm* shm = o.shm;
  int group = find_group(shm, name, len);
  if (group < 0) {
    op_close(&o);
    return int_value(env, G_NOT_FOUND);
  }
  int failed = napi_create_array(env, &result) != napi_ok;
  uint32_t n = 0;
  for (int i = 0; !failed && i < MEMBERS; i++) {
    if (!member_of(shm, i, group)) continue;
    if (!alive(&o, i)) {
      shm->mindex[i].used = 0;
      continue;
    }
    struct mrecord* r = &shm->records[i];
    napi_value pair, id, caps;
    void* data;
    failed = napi_create_buffer_copy(env, r->id_len, r->id, &data, &id) != napi_ok ||
             napi_create_buffer_copy(env, r->caps_len, r->caps, &data, &caps) != napi_ok ||
             napi_create_array_with_length(env, 2, &pair) != napi_ok || napi_set_element(env, pair, 0, id) != napi_ok ||
             napi_set_element(env, pair, 1, caps) != napi_ok || napi_set_element(env, result, n++, pair) != napi_ok;
  }
  op_close(&o);
  return failed ? NULL : result;
}

napi_value groups_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"groupCreate", NULL, group_create, NULL, NULL, NULL, napi_default, NULL},
      {"groupDelete", NULL, group_delete, NULL, NULL, NULL, napi_default, NULL},
      {"groupList", NULL, group_list, NULL, NULL, NULL, napi_default, NULL},
      {"groupJoin", NULL, group_join, NULL, NULL, NULL, napi_default, NULL},
      {"groupLeave", NULL, group_leave, NULL, NULL, NULL, napi_default, NULL},
      {"groupUpdate", NULL, group_update, NULL, NULL, NULL, napi_default, NULL},
      {"groupMembers", NULL, group_members, NULL, NULL, NULL, napi_default, NULL},
  };
  GCHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}
