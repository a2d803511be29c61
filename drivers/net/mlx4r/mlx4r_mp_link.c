/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The multi-process messages that the lower layers send (mlx4r_mp.c has
 * the requests and their handlers): a secondary's lcore asks the primary
 * to repair a queue in error (the fast path's error path), the primary
 * publishes its device context for the secondaries' requests and its
 * reset tells them of a new one, and the maps of a secondary's UAR pages
 * (published by mlx4r_mp.c, unmapped at close).
 */

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_string_fns.h>

#include <ethdev_driver.h>

#include "mlx4r.h"
#include "mlx4r_mp.h"
#include "mlx4r_quiesce.h"

static_assert(sizeof(struct mlx4r_mp_remap) <= RTE_MP_MAX_PARAM_LEN,
	      "a REMAP fits one message");

/*
 * Primary: tell the secondaries of @p dev's new context (mp_lock held),
 * which map its UAR (mlx4r_mp_remap_do()). One way: the primary waits
 * for no answer, a secondary that does not read it refuses its own Tx
 * bursts (ctx_gen) and no one else's.
 */
static void
mlx4r_mp_remap(struct mlx4r_dev *dev)
{
	struct mlx4r_mp_remap *rm;
	struct rte_mp_msg msg;
	unsigned int i;

	memset(&msg, 0, sizeof(msg));
	strlcpy(msg.name, MLX4R_MP_REMAP, sizeof(msg.name));
	msg.len_param = sizeof(*rm);
	rm = (struct mlx4r_mp_remap *)msg.param;
	rm->gen = dev->mp_gen;
	rm->uar_off = dev->mp_uar_off;
	for (i = 0; i < MLX4R_MAX_PORTS; i++)
		if (dev->ports[i] != NULL)
			rm->port_id[rm->nb_ports++] =
				dev->ports[i]->eth_dev->data->port_id;
	msg.num_fds = 1;
	msg.fds[0] = dev->mp_cmd_fd; /* the kernel dups it in the message */
	if (rte_mp_sendmsg(&msg) < 0)
		RST_LOG(WARNING, "%s: cannot tell the secondary processes of the new device context: %s (their Tx bursts refuse until they probe again)",
			dev->name, rte_strerror(rte_errno));
}

/*
 * The publication of the context for the secondaries. The other side is
 * EAL's multi-process thread answering a secondary's CMD_FD
 * (mlx4r_mp.c mlx4r_mp_cmd_fd()), with mp_lock only: it reads the
 * published file, offset and generation, counts the secondary among
 * those that forward (mlx4r_quiesce_global(true)) and sends its answer,
 * all before it lets mp_lock go. Here, with mp_lock: the new context's
 * fields, then the same flag read to decide on the REMAP. The mutex
 * orders the two critical sections one way or the other, and that is all
 * the order needed:
 * - the answer first: it said "between two contexts" (mp_cmd_fd -1, the
 *   old context unpublished before its close) or gave the old file, and
 *   set the flag; this side then reads the flag set and sends the new
 *   file (REMAP), which the secondary maps as after any reset;
 * - the publication first: the answer carries the new file and
 *   generation, and a REMAP sent before (to the secondaries counted
 *   then) does not concern it.
 * So no secondary is told "a REMAP will follow" and then missed. The
 * file sent is never closed meanwhile: mlx4r_mp_unpublish() takes mp_lock
 * before the context's close.
 */
void
mlx4r_mp_publish(struct mlx4r_dev *dev, bool new_ctx)
{
	struct mlx4r_hw_ctx *ctx = dev->ctx;

	pthread_mutex_lock(&dev->mp_lock);
	if (new_ctx)
		dev->mp_gen++; /* secondaries map its UAR again */
	/* the backend's, the same for every context of the device */
	dev->mp_shareable = ctx != NULL && ctx->mp_shareable;
	dev->mp_cmd_fd = dev->mp_shareable ? ctx->cmd_fd : -1;
	dev->mp_uar_off = dev->mp_shareable ? (int64_t)ctx->uar_mmap_off : 0;
	if (new_ctx && dev->mp_cmd_fd >= 0 && mlx4r_quiesce_global(false))
		mlx4r_mp_remap(dev);
	pthread_mutex_unlock(&dev->mp_lock);
}

void
mlx4r_mp_unpublish(struct mlx4r_dev *dev)
{
	/* mp_shareable stays: a CMD_FD now is told "between two contexts" */
	pthread_mutex_lock(&dev->mp_lock);
	dev->mp_cmd_fd = -1;
	pthread_mutex_unlock(&dev->mp_lock);
}

void
mlx4r_mp_repair(uint16_t port_id)
{
	struct rte_mp_msg msg;

	memset(&msg, 0, sizeof(msg));
	strlcpy(msg.name, MLX4R_MP_REPAIR, sizeof(msg.name));
	msg.len_param = sizeof(port_id);
	memcpy(msg.param, &port_id, sizeof(port_id));
	/* the queue stays barred until the primary repaired it */
	if (rte_mp_sendmsg(&msg) < 0)
		DRV_LOG(ERR, "port %u: a queue in error, and no message to the primary: %s",
			port_id, rte_strerror(rte_errno));
}

/* Orders the publications of a port's maps (probe thread, mp thread). */
static pthread_mutex_t mlx4r_mp_map_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Map lock held: @p cur's address now maps @p map's page (the UAR of a
 * newer context), in one step: mremap() moves the new mapping over the
 * old one, whose page (and with it the old context's file) goes; then
 * cur's gen becomes map's. The other side is every Tx burst of this
 * process (mlx4r_tx_burst_secondary()), which loads gen (acquire) and
 * writes the page only when gen is its queue's ctx_gen:
 * - before the release store of gen, a burst sees the old gen. A newer
 *   context exists only once the primary's reset proved every queue of
 *   the device out of its burst and destroyed the old one, and each
 *   queue is started again on the new context (ctx_gen) before it is
 *   unbarred, a stopped one staying barred: no burst that passed the
 *   check with the old gen is still inside, and every later one sees
 *   ctx_gen != gen and refuses without touching the page;
 * - after it, a burst that reads the new gen writes the page the
 *   syscall installed: mremap() returns after the old translation is
 *   gone from every CPU (the kernel's TLB shootdown), and the acquire
 *   load orders the doorbell write after it.
 * Without this, each reset left one more page and one more dead
 * context's file mapped in every secondary until the port's close.
 * @return 0, or -errno (@p map left as it was, @p cur's address still
 *   this process's).
 */
static int
mlx4r_mp_map_in_place(struct mlx4r_uar_map *cur, struct mlx4r_uar_map *map)
{
	int err;

	if (map->page == cur->page &&
	    mremap(map->uar, map->page, cur->page, MREMAP_MAYMOVE | MREMAP_FIXED,
		   cur->uar) != MAP_FAILED) {
		__atomic_store_n(&cur->gen, map->gen, __ATOMIC_RELEASE);
		free(map);
		return 0;
	}
	err = map->page == cur->page ? errno : EINVAL;
	/*
	 * A failed move may have unmapped the target first: take the
	 * address back (a no-op, EEXIST, when the old page is still there),
	 * so that nothing else is mapped where the older map's munmap() at
	 * close will go. No burst writes it: its gen is not the queues'.
	 */
	(void)mmap(cur->uar, cur->page, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	return -err;
}

/*
 * Secondary: @p map becomes @p eth_dev's, unless the port is not (or no
 * longer) a forwarding mlx4r port of this process (its process_private
 * NULL, its ops not @p ops) or has a map as new: then @p map is unmapped
 * and freed. The port's view is looked up under the lock, against its
 * close (mlx4r_mp_secondary_detach()) and its probe (mlx4r_mp.c), which
 * set process_private under it. A port that has a map keeps it, its
 * page replaced in place (mlx4r_mp_map_in_place()); the first map, or a
 * newer one the move failed for, is published by a release store that
 * pairs with the acquire load of mlx4r_tx_burst_secondary(): a burst
 * that loads the new map finds its fields written. An older map
 * replaced that way stays, listed, until the port's close: a burst may
 * have loaded it before (it then refuses, its gen not being the
 * queue's).
 * @return 0 (published), -ENODEV (not a port for it), -EALREADY.
 */
int
mlx4r_mp_map_publish(struct rte_eth_dev *eth_dev,
		     const struct eth_dev_ops *ops, struct mlx4r_uar_map *map)
{
	struct mlx4r_uar_map *cur;
	struct mlx4r_proc *pp;
	int ret = 0;

	pthread_mutex_lock(&mlx4r_mp_map_lock);
	pp = eth_dev->process_private;
	if (pp == NULL || eth_dev->dev_ops != ops) {
		ret = -ENODEV;
	} else {
		cur = pp->map;
		if (cur != NULL && (int32_t)(map->gen - cur->gen) <= 0) {
			ret = -EALREADY;
		} else if (cur != NULL && mlx4r_mp_map_in_place(cur, map) == 0) {
			map = NULL; /* its page is cur's now */
		} else {
			map->older = cur;
			__atomic_store_n(&pp->map, map, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&mlx4r_mp_map_lock);
	if (ret < 0 && map != NULL) {
		munmap(map->uar, map->page);
		free(map);
	}
	return ret;
}

/* Secondary: @p pp becomes @p eth_dev's view (NULL: none any more). */
void
mlx4r_mp_proc_set(struct rte_eth_dev *eth_dev, struct mlx4r_proc *pp)
{
	pthread_mutex_lock(&mlx4r_mp_map_lock);
	eth_dev->process_private = pp;
	pthread_mutex_unlock(&mlx4r_mp_map_lock);
}

void
mlx4r_mp_secondary_detach(struct rte_eth_dev *eth_dev)
{
	struct mlx4r_uar_map *map, *older;
	struct mlx4r_proc *pp;

	/* the application polls no queue of a port it closes (ethdev) */
	pthread_mutex_lock(&mlx4r_mp_map_lock);
	pp = eth_dev->process_private;
	eth_dev->process_private = NULL;
	pthread_mutex_unlock(&mlx4r_mp_map_lock);
	if (pp == NULL)
		return; /* not forwarding here */
	/* no REMAP finds the port any more: the maps are ours alone */
	for (map = pp->map; map != NULL; map = older) {
		older = map->older;
		munmap(map->uar, map->page);
		free(map);
	}
	free(pp);
}
