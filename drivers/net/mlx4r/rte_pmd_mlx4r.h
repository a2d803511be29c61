/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef RTE_PMD_MLX4R_H
#define RTE_PMD_MLX4R_H

/**
 * @file
 * Calls specific to the mlx4r poll-mode driver (vdev net_mlx4r): a
 * ConnectX-3 driver with a coordinated soft reset, on real hardware through
 * rdma-core or on an emulated ConnectX-3.
 *
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 */

#include <stdint.h>

#include <rte_compat.h>
#include <rte_dev.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Where an mlx4r port sits and what drives it. */
struct rte_pmd_mlx4r_port_info {
	char hca_name[RTE_DEV_NAME_MAX_LEN]; /**< vdev name, e.g. net_mlx4r0 */
	uint8_t port_num;   /**< physical port of the HCA, 1-based */
	uint8_t nb_ports;   /**< ports of the HCA (1 or 2) */
	uint16_t peer_port_id; /**< ethdev of the other port, or UINT16_MAX */
	char backend[16];   /**< "emu" or "verbs" */
};

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Tell whether an ethdev port is driven by mlx4r and, if so, which HCA
 * port it is.
 *
 * @param port_id
 *   The ethdev port.
 * @param[out] info
 *   Filled on success.
 * @return
 *   0 on success; -ENODEV if @p port_id is not a valid port; -ENOTSUP if
 *   the port is not an mlx4r port, or is being closed (e.g. from its
 *   RTE_ETH_EVENT_DESTROY callback); -EINVAL if @p info is NULL.
 *
 * Safe against a close of the port or of its peer on another thread: a
 * close waits for the calls of rte_pmd_mlx4r.h using its port. The peer
 * is reported while it is not being closed.
 */
__rte_experimental
int rte_pmd_mlx4r_port_info_get(uint16_t port_id,
				struct rte_pmd_mlx4r_port_info *info);

/** Phases of the reset of an HCA (see doc/guides/nics/mlx4r_reset.rst). */
enum rte_pmd_mlx4r_reset_phase {
	RTE_PMD_MLX4R_RESET_LIVE = 0,  /**< working */
	RTE_PMD_MLX4R_RESET_BARRED,    /**< datapath barred, quiescing */
	RTE_PMD_MLX4R_RESET_DRAINING,  /**< clients release and acknowledge */
	RTE_PMD_MLX4R_RESET_RESETTING, /**< device torn down */
	RTE_PMD_MLX4R_RESET_REINIT,    /**< device reopened, config replayed */
	RTE_PMD_MLX4R_RESET_FAILED,    /**< recovery gave up; close the port */
};

/** Faults the emulated device can be made to suffer. */
enum rte_pmd_mlx4r_fault {
	/** Catastrophic error; arg: detection delay of DEVICE_FATAL (ms). */
	RTE_PMD_MLX4R_FAULT_FATAL = 0,
	/** The next arg (default 1) device commands fail with -EIO. */
	RTE_PMD_MLX4R_FAULT_CMD_FAIL,
	/** The next arg (default 1) commands time out (100 ms, -ETIMEDOUT). */
	RTE_PMD_MLX4R_FAULT_CMD_TIMEOUT,
	/** After a fatal error, the next arg (default 1) reopens fail. */
	RTE_PMD_MLX4R_FAULT_REINIT_FAIL,
	/** After a fatal error, the firmware reset takes arg ms longer. */
	RTE_PMD_MLX4R_FAULT_FW_RESET_SLOW,
	/** The port's link goes down for arg ms (default 100). */
	RTE_PMD_MLX4R_FAULT_LINK_FLAP,
	/** The QP of Tx queue arg goes to the error state. */
	RTE_PMD_MLX4R_FAULT_QP_ERROR,
	/** The next arg (default 1) send doorbells of Tx queue 0 are lost. */
	RTE_PMD_MLX4R_FAULT_LOST_DOORBELL,
	/**
	 * After a fatal error the device is absent for arg ms (default
	 * 1000): reopening fails with -ENODEV, as while a real device is
	 * re-created after its reset (see reinit_timeout_ms).
	 */
	RTE_PMD_MLX4R_FAULT_REAPPEAR_SLOW,
};

/** Reset state and counters of the HCA of a port. */
struct rte_pmd_mlx4r_reset_state {
	enum rte_pmd_mlx4r_reset_phase phase; /**< current phase */
	uint32_t generation;    /**< 1 at probe, +1 per successful reset */
	uint8_t proactive;      /**< 1: recovery=proactive, 0: passive */
	uint64_t started;       /**< resets started */
	uint64_t succeeded;     /**< resets that ended LIVE */
	uint64_t failed;        /**< resets that ended FAILED */
	uint64_t coalesced;     /**< requests merged into a running reset */
	uint64_t restarts;      /**< attempts restarted by a new fault */
	uint64_t late_clients;  /**< clients that missed the ack deadline */
	uint64_t mbufs_reclaimed; /**< mbufs of this port taken from rings */
	uint64_t last_us;       /**< duration of the last reset */
	uint64_t worst_us;      /**< longest reset */
	/**
	 * Operator's resets not carried out: a port was not quiescent by
	 * reset_deadline_ms on a working device (no event raised). So
	 * started = succeeded + failed + cancelled, plus one while a reset
	 * runs.
	 */
	uint64_t cancelled;
	/**
	 * Rx buffers of this port a proactive reset kept in its rings and
	 * posted again into the new receive queues (not freed, not counted
	 * in mbufs_reclaimed).
	 */
	uint64_t mbufs_kept;
	/**
	 * Of the last reset's last_us, the wait until every queue was
	 * proven quiescent (the bar to the last lcore out of its burst);
	 * the rest is the driver's and the device's own work.
	 */
	uint64_t last_quiesce_us;
};

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Ask for a reset of the HCA of a port, without a fault. The request is
 * handled asynchronously by the HCA's control thread; requests made while
 * a reset runs are merged into it (counted in coalesced). From the FAILED
 * phase, a request tries to recover again.
 *
 * @param port_id
 *   An mlx4r port.
 * @return
 *   0 if the request was posted; -ENODEV (invalid port); -ENOTSUP (not an
 *   mlx4r port, being closed, or a secondary process).
 */
__rte_experimental
int rte_pmd_mlx4r_reset(uint16_t port_id);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Inject a fault into the emulated device behind a port.
 *
 * @param port_id
 *   An mlx4r port.
 * @param fault
 *   The fault.
 * @param arg
 *   Its argument (see enum rte_pmd_mlx4r_fault; 0 takes the default).
 * @return
 *   0 on success; -ENODEV (invalid port); -ENOTSUP (not an mlx4r port,
 *   being closed, not the emulated backend, secondary process); -EINVAL
 *   (unknown fault, bad queue); -EALREADY (already in catastrophic error);
 *   -EBUSY (the fault needs device objects that a reset is rebuilding, or
 *   the port is stopped).
 *
 * Never waits for a phase of a reset; a fault of the whole device may wait
 * for the emulated device itself while its slow firmware reset runs.
 */
__rte_experimental
int rte_pmd_mlx4r_inject_fault(uint16_t port_id,
			       enum rte_pmd_mlx4r_fault fault, uint32_t arg);

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Read the reset state of the HCA of a port.
 *
 * @param port_id
 *   An mlx4r port.
 * @param[out] st
 *   Filled on success.
 * @return
 *   0 on success; -ENODEV; -ENOTSUP (not an mlx4r port, being closed,
 *   secondary process); -EINVAL (@p st is NULL).
 */
__rte_experimental
int rte_pmd_mlx4r_reset_state_get(uint16_t port_id,
				  struct rte_pmd_mlx4r_reset_state *st);

#ifdef __cplusplus
}
#endif

#endif /* RTE_PMD_MLX4R_H */
