/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef MLX4R_MP_H
#define MLX4R_MP_H

/*
 * Secondary processes, through EAL's multi-process channel (mlx4r_mp.c):
 * statistics (the primary answers with what only it can read, the
 * device's port counters and the reset machine's xstats, and resets the
 * counters on the secondary's behalf) and, on the verbs backend,
 * forwarding (the primary passes the command file whose UAR page a
 * secondary maps; its reset sends the new one). The messages the lower
 * layers send are in mlx4r_mp_link.c.
 */

#include <stdbool.h>
#include <stdint.h>

#include <ethdev_driver.h>

#include "mlx4r_devargs.h"

/* Primary: answer the secondaries' requests (from the first probe on). */
void mlx4r_mp_init(void);
/* Secondary: the ops of a port attached to the primary's. */
const struct eth_dev_ops *mlx4r_mp_secondary_ops(void);

struct mlx4r_dev;
struct mlx4r_proc;
struct mlx4r_uar_map;

/* primary to secondaries: a new device context, its command file */
#define MLX4R_MP_REMAP "net_mlx4r_remap"
/* secondary to primary: a queue in error */
#define MLX4R_MP_REPAIR "net_mlx4r_repair"

/* REMAP: the ports of the device (all in one), the file in fds[0] */
struct mlx4r_mp_remap {
	uint32_t gen;                       /**< mp_gen of the new context */
	uint32_t nb_ports;                  /**< entries of port_id[] */
	int64_t uar_off;                    /**< mmap offset of its UAR */
	uint16_t port_id[MLX4R_MAX_PORTS];  /**< ethdev ports of the device */
};

/*
 * Secondary: @p map becomes @p eth_dev's (a port of @p ops whose view is
 * set), unless it has one as new; else @p map is unmapped and freed.
 * @return 0, -ENODEV, -EALREADY. mlx4r_mp_link.c.
 */
int mlx4r_mp_map_publish(struct rte_eth_dev *eth_dev,
			 const struct eth_dev_ops *ops,
			 struct mlx4r_uar_map *map);
/* Secondary: set @p eth_dev's view (process_private), under the maps' lock. */
void mlx4r_mp_proc_set(struct rte_eth_dev *eth_dev, struct mlx4r_proc *pp);
/*
 * Secondary, at probe: make @p eth_dev forward (its bursts, its mapping of
 * the primary's UAR) when the backend allows it. @return 0 (forwarding),
 * -ENOTSUP (the emulated backend, or no membarrier(GLOBAL_EXPEDITED): the
 * caller keeps the refusing bursts), another negative errno (no answer).
 */
int mlx4r_mp_secondary_attach(struct rte_eth_dev *eth_dev);
/* Secondary, at close: unmap what mlx4r_mp_secondary_attach() mapped. */
void mlx4r_mp_secondary_detach(struct rte_eth_dev *eth_dev);
/* Secondary, an lcore's queue in error: ask the primary to repair it. */
void mlx4r_mp_repair(uint16_t port_id);
/*
 * Primary: publish @p dev->ctx for the secondaries' CMD_FD requests
 * (struct mlx4r_dev mp_lock); with @p new_ctx (a reset's REINIT opened
 * it; control lock held), a new mp_gen, and the secondaries that forward
 * are sent its command file (REMAP).
 */
void mlx4r_mp_publish(struct mlx4r_dev *dev, bool new_ctx);
/* Primary: dev->ctx is about to be closed: no CMD_FD answer sends its file. */
void mlx4r_mp_unpublish(struct mlx4r_dev *dev);

#endif /* MLX4R_MP_H */
