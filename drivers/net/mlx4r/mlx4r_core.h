/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef MLX4R_CORE_H
#define MLX4R_CORE_H

/*
 * The device core of an HCA (mlx4r_core.c): the context and the PD the
 * ports share, the async events and their interrupt handler, the wires of
 * the emulated device, the ports joining and leaving. It sits below the
 * ports' control path (mlx4r_ethdev.c) and the reset machine
 * (mlx4r_reset.c) and calls neither: what it must tell them goes through
 * the callbacks of struct mlx4r_dev_events, set by the probe.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>

#include "mlx4r.h"

/* What asked for a reset (bit mask of the reset machine's request word). */
#define MLX4R_REQ_FATAL    (1u << 0) /**< IBV_EVENT_DEVICE_FATAL */
#define MLX4R_REQ_HEALTH   (1u << 1) /**< health check (mlx4r_dev_health()) */
#define MLX4R_REQ_QUEUE    (1u << 2) /**< QP/WQ/CQ fatal event */
#define MLX4R_REQ_OPERATOR (1u << 3) /**< rte_pmd_mlx4r_reset(), telemetry */
#define MLX4R_REQ_FAULTS (MLX4R_REQ_FATAL | MLX4R_REQ_HEALTH | MLX4R_REQ_QUEUE)
/**
 * A queue in error to repair without a device reset (mlx4r_repair.c): an
 * lcore found an error CQE (its queue's fault flag), or a QP event came
 * (dev->qp_errs). Not a reset request by itself.
 */
#define MLX4R_REQ_REPAIR   (1u << 4)

/**
 * What the device core tells the layers above it, from the EAL interrupt
 * thread (mlx4r_dev_async_events()). None may block for long.
 */
struct mlx4r_dev_events {
	/** Post a reset request (MLX4R_REQ_* bits); no lock held. */
	void (*request)(struct mlx4r_dev *dev, uint32_t req);
	/**
	 * A port event of the device: update the port's link; true to raise
	 * RTE_ETH_EVENT_INTR_LSC. Called with dev->ev_lock held.
	 */
	bool (*link_event)(struct mlx4r_port *port);
	/** Raise @p ev on @p eth_dev; no lock held. */
	void (*raise)(struct mlx4r_dev *dev, struct rte_eth_dev *eth_dev,
		      enum rte_eth_event_type ev);
};

/* Open the device and what the ports share: context, PD, wires, events. */
int mlx4r_dev_open(struct mlx4r_dev *dev);
/* Release the registered memory, the PD and the context (any of them). */
void mlx4r_dev_ctx_close(struct mlx4r_dev *dev);
/*
 * Free the device core: context, PD, memory, the emulated device it
 * created, the structure. The interrupt handler and the reset machine are
 * gone (mlx4r_dev_free(), mlx4r_reset.c).
 */
void mlx4r_dev_core_free(struct mlx4r_dev *dev);
int mlx4r_dev_intr_install(struct mlx4r_dev *dev);
/* Control thread, device live, no lock: 0, or -EIO (catastrophic error). */
int mlx4r_dev_health(struct mlx4r_dev *dev);
/*
 * Take the QPs async events said are in error (qp_err_lock, a leaf: under
 * any other lock).
 */
unsigned int mlx4r_dev_take_qp_errors(struct mlx4r_dev *dev, void **qps,
				      unsigned int max);
void mlx4r_dev_intr_uninstall(struct mlx4r_dev *dev);
int mlx4r_dev_lpbk(struct mlx4r_port *port, bool on);
/* A port joins the device (probe); leaves it (close): true if the last. */
void mlx4r_dev_port_join(struct mlx4r_dev *dev, struct mlx4r_port *port);
bool mlx4r_dev_port_leave(struct mlx4r_dev *dev, struct mlx4r_port *port);

#endif /* MLX4R_CORE_H */
