/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The multi-process messages that the lower layers send (mlx4r_mp.c has
 * the requests and their handlers): a secondary's lcore asks the primary
 * to repair a queue in error (the fast path's error path), the primary's
 * reset tells the secondaries of a new device context, and the maps of a
 * secondary's UAR pages (published by mlx4r_mp.c, unmapped at close).
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
 * Primary, with the control lock: @p dev has a new context (a reset's
 * REINIT); tell the secondaries, which map its UAR (mlx4r_mp_remap_do()).
 * One way: the primary waits for no answer, a secondary that does not
 * read it refuses its own Tx bursts (ctx_gen) and no one else's.
 */
void
mlx4r_mp_remap(struct mlx4r_dev *dev)
{
	struct mlx4r_mp_remap *rm;
	struct rte_mp_msg msg;
	unsigned int i;

	if (!mlx4r_quiesce_global(false) || dev->ctx == NULL ||
	    !dev->ctx->mp_shareable)
		return; /* no secondary ever asked to forward */
	memset(&msg, 0, sizeof(msg));
	strlcpy(msg.name, MLX4R_MP_REMAP, sizeof(msg.name));
	msg.len_param = sizeof(*rm);
	rm = (struct mlx4r_mp_remap *)msg.param;
	rm->gen = dev->mp_gen;
	rm->uar_off = dev->ctx->uar_mmap_off;
	for (i = 0; i < MLX4R_MAX_PORTS; i++)
		if (dev->ports[i] != NULL)
			rm->port_id[rm->nb_ports++] =
				dev->ports[i]->eth_dev->data->port_id;
	msg.num_fds = 1;
	msg.fds[0] = dev->ctx->cmd_fd; /* the kernel dups it in the message */
	if (rte_mp_sendmsg(&msg) < 0)
		RST_LOG(WARNING, "%s: cannot tell the secondary processes of the new device context: %s (their Tx bursts refuse until they probe again)",
			dev->name, rte_strerror(rte_errno));
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
 * Secondary: @p map becomes @p eth_dev's, unless the port is not (or no
 * longer) a forwarding mlx4r port of this process (its process_private
 * NULL, its ops not @p ops) or has a map as new: then @p map is unmapped
 * and freed. The port's view is looked up under the lock, against its
 * close (mlx4r_mp_secondary_detach()) and its probe (mlx4r_mp.c), which
 * set process_private under it. The release store pairs with the acquire
 * load of mlx4r_tx_burst_secondary(): a burst that loads the new map
 * finds its fields written. The older map stays mapped, listed, until the
 * port's close: a burst may have loaded it before (it then refuses, its
 * gen not being the queue's, or rings a page that is still mapped).
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
		} else {
			map->older = cur;
			__atomic_store_n(&pp->map, map, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&mlx4r_mp_map_lock);
	if (ret < 0) {
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
