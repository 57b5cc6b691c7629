/* Groups on a semaphore set and a shared-memory table per namespace (groups.c). */
#ifndef TOOZ_IPC_GROUPS_H
#define TOOZ_IPC_GROUPS_H
#include <node_api.h>

/* Adds groupCreate, groupDelete, groupList, groupJoin, groupLeave, groupUpdate and groupMembers to `exports`. */
napi_value groups_init(napi_env env, napi_value exports);

#endif
