/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The process's mlx4r ports by ethdev port id (mlx4r_registry.h).
 *
 * The public calls (rte_pmd_mlx4r_*(), telemetry's /mlx4r/ commands) get a
 * port id from anyone, on any thread, at any time, including while another
 * thread closes that port: ethdev then frees the port structure
 * (rte_eth_dev_release_port() frees dev_private; DPDK's rte_free() zeroes
 * what it frees, so a late reader saw port_num 0 and indexed the reset
 * machine's per-port array with -1) and the last port's close frees the
 * device. Looking a port up through rte_eth_devices[] is therefore not
 * enough. Here a port is found only while it is in the table, and a finder
 * holds it (a count per slot, under one mutex held only for the lookup):
 * mlx4r_registry_del(), called by the close before the port leaves its
 * device (mlx4r_dev_port_closed()), takes the port out under the mutex,
 * then waits on the condition until no one holds it. A holder never waits
 * for a closer here, so the wait ends. Process-local: each process
 * registers the ports it probed (a secondary attaches to the primary's).
 */

#include <pthread.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ethdev.h>

#include "mlx4r.h"
#include "mlx4r_registry.h"

static struct {
	struct mlx4r_port *port; /**< NULL: no mlx4r port with this id */
	unsigned int holders;    /**< callers using the port now */
} mlx4r_registry[RTE_MAX_ETHPORTS];

static pthread_mutex_t mlx4r_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t mlx4r_registry_cond = PTHREAD_COND_INITIALIZER;

void
mlx4r_registry_add(uint16_t port_id, struct mlx4r_port *port)
{
	pthread_mutex_lock(&mlx4r_registry_lock);
	mlx4r_registry[port_id].port = port;
	pthread_mutex_unlock(&mlx4r_registry_lock);
}

void
mlx4r_registry_del(struct mlx4r_port *port)
{
	unsigned int id;

	pthread_mutex_lock(&mlx4r_registry_lock);
	for (id = 0; id < RTE_DIM(mlx4r_registry); id++) {
		if (mlx4r_registry[id].port != port)
			continue;
		mlx4r_registry[id].port = NULL;
		/* mlx4r_registry_release() broadcasts at the last holder */
		while (mlx4r_registry[id].holders != 0)
			pthread_cond_wait(&mlx4r_registry_cond,
					  &mlx4r_registry_lock);
	}
	pthread_mutex_unlock(&mlx4r_registry_lock);
}

struct mlx4r_port *
mlx4r_registry_hold(uint16_t port_id)
{
	struct mlx4r_port *port;

	if (port_id >= RTE_DIM(mlx4r_registry))
		return NULL;
	pthread_mutex_lock(&mlx4r_registry_lock);
	port = mlx4r_registry[port_id].port;
	if (port != NULL)
		mlx4r_registry[port_id].holders++;
	pthread_mutex_unlock(&mlx4r_registry_lock);
	return port;
}

void
mlx4r_registry_release(uint16_t port_id)
{
	pthread_mutex_lock(&mlx4r_registry_lock);
	if (--mlx4r_registry[port_id].holders == 0)
		pthread_cond_broadcast(&mlx4r_registry_cond);
	pthread_mutex_unlock(&mlx4r_registry_lock);
}

uint16_t
mlx4r_registry_peer(const struct mlx4r_port *port)
{
	uint16_t peer = UINT16_MAX;
	unsigned int id;

	pthread_mutex_lock(&mlx4r_registry_lock);
	for (id = 0; id < RTE_DIM(mlx4r_registry); id++) {
		const struct mlx4r_port *p = mlx4r_registry[id].port;

		/* in the table: not freed (its del waits for this lock) */
		if (p != NULL && p != port && p->dev == port->dev) {
			peer = id;
			break;
		}
	}
	pthread_mutex_unlock(&mlx4r_registry_lock);
	return peer;
}
