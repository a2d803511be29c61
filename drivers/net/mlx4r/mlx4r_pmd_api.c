/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/* The driver's public calls (rte_pmd_mlx4r.h). */

#include <errno.h>
#include <string.h>

#include <rte_string_fns.h>

#include <ethdev_driver.h>

#include "mlx4r.h"
#include "mlx4r_fault.h"
#include "mlx4r_registry.h"
#include "mlx4r_reset.h"
#include "rte_pmd_mlx4r.h"

/*
 * The mlx4r port behind @p port_id, held against its close until
 * mlx4r_registry_release() (mlx4r_registry.c); NULL with *err: -ENODEV
 * (no such port), -ENOTSUP (not an mlx4r port, or being closed).
 */
static struct mlx4r_port *
mlx4r_port_lookup(uint16_t port_id, int *err)
{
	struct mlx4r_port *port;

	if (!rte_eth_dev_is_valid_port(port_id)) {
		*err = -ENODEV;
		return NULL;
	}
	port = mlx4r_registry_hold(port_id);
	if (port == NULL)
		*err = -ENOTSUP;
	return port;
}

int
rte_pmd_mlx4r_port_info_get(uint16_t port_id,
			    struct rte_pmd_mlx4r_port_info *info)
{
	struct mlx4r_port *port;
	const struct mlx4r_dev *dev;
	int err = 0;

	if (info == NULL)
		return -EINVAL;
	port = mlx4r_port_lookup(port_id, &err);
	if (port == NULL)
		return err;
	/* held: the port and its device stay until the release */
	dev = port->dev;
	memset(info, 0, sizeof(*info));
	strlcpy(info->hca_name, dev->name, sizeof(info->hca_name));
	info->port_num = port->port_num;
	info->nb_ports = dev->args.nb_ports;
	/* the other port only while it is in the table (not closing) */
	info->peer_port_id = mlx4r_registry_peer(port);
	strlcpy(info->backend,
		dev->args.backend == MLX4R_BACKEND_EMU ? "emu" : "verbs",
		sizeof(info->backend));
	mlx4r_registry_release(port_id);
	return 0;
}

/* An mlx4r port of this (primary) process, held (see above). */
static struct mlx4r_port *
mlx4r_port_lookup_primary(uint16_t port_id, int *err)
{
	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		*err = rte_eth_dev_is_valid_port(port_id) ? -ENOTSUP : -ENODEV;
		return NULL;
	}
	return mlx4r_port_lookup(port_id, err);
}

int
rte_pmd_mlx4r_reset(uint16_t port_id)
{
	struct mlx4r_port *port;
	int err = 0;

	port = mlx4r_port_lookup_primary(port_id, &err);
	if (port == NULL)
		return err;
	mlx4r_reset_post(port->dev, MLX4R_REQ_OPERATOR);
	mlx4r_registry_release(port_id);
	return 0;
}

/* Faults that name a device object of a queue (read under the lock). */
static bool
mlx4r_fault_needs_queue(enum rte_pmd_mlx4r_fault fault)
{
	return fault == RTE_PMD_MLX4R_FAULT_QP_ERROR ||
	       fault == RTE_PMD_MLX4R_FAULT_LOST_DOORBELL;
}

/*
 * Inject a fault. Faults of the whole device go to the emulated device by
 * name, without the control lock: they never wait for the reset machine
 * (only for the emulated device itself, which is busy during its own slow
 * firmware reset). Those of a queue read its QP under the control lock,
 * and only on a live device (-EBUSY at once during a reset).
 */
int
rte_pmd_mlx4r_inject_fault(uint16_t port_id, enum rte_pmd_mlx4r_fault fault,
			   uint32_t arg)
{
	struct mlx4r_port *port;
	int err = 0;

	port = mlx4r_port_lookup_primary(port_id, &err);
	if (port == NULL)
		return err;
	if (!mlx4r_fault_needs_queue(fault)) {
		err = mlx4r_fault_inject(port->dev, port, fault, arg);
	} else if (__atomic_load_n(&port->dev->reset->state,
				   __ATOMIC_RELAXED) != MLX4R_RST_LIVE) {
		err = port->dev->args.backend == MLX4R_BACKEND_EMU ?
		      -EBUSY : -ENOTSUP;
	} else {
		mlx4r_reset_lock(port->dev);
		err = mlx4r_fault_inject(port->dev, port, fault, arg);
		mlx4r_reset_unlock(port->dev);
	}
	mlx4r_registry_release(port_id);
	return err;
}

int
rte_pmd_mlx4r_reset_state_get(uint16_t port_id,
			      struct rte_pmd_mlx4r_reset_state *st)
{
	const struct mlx4r_reset *rst;
	struct mlx4r_port *port;
	int err = 0;

	if (st == NULL)
		return -EINVAL;
	port = mlx4r_port_lookup_primary(port_id, &err);
	if (port == NULL)
		return err;
	rst = port->dev->reset;
	memset(st, 0, sizeof(*st));
	/*
	 * A snapshot without the control lock (it may be held for a whole
	 * phase): each field is a single aligned word written by the control
	 * thread; relaxed loads give a value that was true at some point.
	 */
	st->phase = (enum rte_pmd_mlx4r_reset_phase)
		__atomic_load_n(&rst->state, __ATOMIC_RELAXED);
	st->generation = __atomic_load_n(&rst->generation, __ATOMIC_RELAXED);
	st->proactive = port->dev->args.reset.mode == MLX4R_RST_PROACTIVE;
	st->started = __atomic_load_n(&rst->started, __ATOMIC_RELAXED);
	st->succeeded = __atomic_load_n(&rst->succeeded, __ATOMIC_RELAXED);
	st->failed = __atomic_load_n(&rst->failed, __ATOMIC_RELAXED);
	st->coalesced = __atomic_load_n(&rst->coalesced, __ATOMIC_RELAXED);
	st->restarts = __atomic_load_n(&rst->restarts, __ATOMIC_RELAXED);
	st->late_clients = __atomic_load_n(&rst->late_clients,
					   __ATOMIC_RELAXED);
	st->mbufs_reclaimed = __atomic_load_n(
		&rst->port[port->port_num - 1].mbufs_reclaimed,
		__ATOMIC_RELAXED) +
		__atomic_load_n(&port->rx_kept_freed, __ATOMIC_RELAXED);
	st->last_us = __atomic_load_n(&rst->last_us, __ATOMIC_RELAXED);
	st->worst_us = __atomic_load_n(&rst->worst_us, __ATOMIC_RELAXED);
	st->cancelled = __atomic_load_n(&rst->cancelled, __ATOMIC_RELAXED);
	st->mbufs_kept = __atomic_load_n(&port->rx_kept_posted,
					 __ATOMIC_RELAXED);
	st->last_quiesce_us = __atomic_load_n(&rst->quiesce_ns_last,
					      __ATOMIC_RELAXED) / 1000;
	mlx4r_registry_release(port_id);
	return 0;
}
