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
 *   the port is not an mlx4r port; -EINVAL if @p info is NULL.
 */
__rte_experimental
int rte_pmd_mlx4r_port_info_get(uint16_t port_id,
				struct rte_pmd_mlx4r_port_info *info);

#ifdef __cplusplus
}
#endif

#endif /* RTE_PMD_MLX4R_H */
