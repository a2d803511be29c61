/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef MLX4R_MP_H
#define MLX4R_MP_H

/*
 * Statistics of a port for a secondary process, through EAL's
 * multi-process channel (mlx4r_mp.c): the primary answers with what only
 * it can read (the device's port counters, the reset machine's xstats)
 * and resets the counters on the secondary's behalf.
 */

#include <ethdev_driver.h>

/* Primary: answer the secondaries' requests (from the first probe on). */
void mlx4r_mp_init(void);
/* Secondary: the ops of a port attached to the primary's. */
const struct eth_dev_ops *mlx4r_mp_secondary_ops(void);

#endif /* MLX4R_MP_H */
