/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef MLX4R_FAULT_H
#define MLX4R_FAULT_H

/*
 * Fault injection into the emulated device (mlx4r_fault.c): names, the
 * devarg schedule "fault=<fault>[/<arg>]@<ms>[:...]", injection.
 */

#include <stdint.h>

#include "mlx4r_devargs.h"

struct mlx4r_dev;
struct mlx4r_port;

int mlx4r_fault_parse(const char *name, uint32_t *fault);
const char *mlx4r_fault_name(uint32_t fault);
uint32_t mlx4r_fault_arg_max(uint32_t fault, const char **what);
int mlx4r_fault_parse_sched(const char *value, struct mlx4r_reset_args *ra);
int mlx4r_fault_inject(struct mlx4r_dev *dev, struct mlx4r_port *port,
		       uint32_t fault, uint32_t arg);

#endif /* MLX4R_FAULT_H */
