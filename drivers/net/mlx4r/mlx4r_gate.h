/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef MLX4R_GATE_H
#define MLX4R_GATE_H

/* The gated ethdev operations of a primary process's port (mlx4r_gate.c). */

#include <ethdev_driver.h>

/* The ops of a primary process's port: mlx4r_dev_ops behind the gate. */
const struct eth_dev_ops *mlx4r_gate_dev_ops(void);

#endif /* MLX4R_GATE_H */
