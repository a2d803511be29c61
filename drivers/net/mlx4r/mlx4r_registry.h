/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef MLX4R_REGISTRY_H
#define MLX4R_REGISTRY_H

/*
 * The process's mlx4r ports by ethdev port id (mlx4r_registry.c), for the
 * calls that start from a port id and may race with its close: the public
 * calls of rte_pmd_mlx4r.h and telemetry. A port is found only between
 * mlx4r_registry_add() and mlx4r_registry_del(); a caller holds it from
 * mlx4r_registry_hold() to mlx4r_registry_release(), and del waits for
 * the holders, so the port and its device stay valid meanwhile.
 */

#include <stdint.h>

struct mlx4r_port;

/*
 * The port joins the table as @p port_id (probe). The id is passed: in a
 * secondary process port->eth_dev is the primary's pointer.
 */
void mlx4r_registry_add(uint16_t port_id, struct mlx4r_port *port);
/*
 * The port leaves the table (close, before the port leaves its device):
 * from now on it is not found, and this returns once no caller holds it.
 */
void mlx4r_registry_del(struct mlx4r_port *port);
/* The port of @p port_id, held; NULL if none (not mlx4r, or closing). */
struct mlx4r_port *mlx4r_registry_hold(uint16_t port_id);
/* Let go of the port of @p port_id that mlx4r_registry_hold() returned. */
void mlx4r_registry_release(uint16_t port_id);
/*
 * Port id of the other port of @p port's HCA while it is in the table,
 * or UINT16_MAX. @p port is held.
 */
uint16_t mlx4r_registry_peer(const struct mlx4r_port *port);

#endif /* MLX4R_REGISTRY_H */
